"""The chain's leaf encoding (security R9: tamper-evident audit): the hand-written encoder the
writer and the verifier share writes exactly the bytes of the sorted-key JSON that chains were
first hashed with, so every chain already written still verifies; and the verifier reads a
stored time back exactly as the writer hashed it, on either engine.
"""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone

from hypothesis import example
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from app.database import UTCDateTime
from audit.chain import ENCODING_VERSION
from audit.chain import LEAF_FIELDS
from audit.chain import leaf_of
from audit.chain import utc_text
from audit.verify import _utc_text

# What the columns hold, and what json.dumps would make of anything else passed by mistake.
plain = st.none() | st.text() | st.integers()
anything = plain | st.booleans() | st.floats(allow_nan=False)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 (Hypothesis takes naive bounds, then a zone)
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=1))]),
)


def as_json(values: tuple[object, ...]) -> bytes:
    """The original definition of a leaf."""
    fields = dict(zip(LEAF_FIELDS, values, strict=True)) | {"v": ENCODING_VERSION}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


@given(st.tuples(*[plain] * len(LEAF_FIELDS)))
@example(tuple(['"quoted" \\ back\nslash \u2028 caf\u00e9 \U0001f600 \ud800'] * 15))
def test_the_leaf_is_the_sorted_json_of_its_fields(values: tuple[object, ...]) -> None:
    assert leaf_of(*values) == as_json(values)


@given(st.tuples(*[anything] * len(LEAF_FIELDS)))
def test_a_value_of_another_type_is_written_as_json_writes_it(values: tuple[object, ...]) -> None:
    assert leaf_of(*values) == as_json(values)


@given(moments)
@example(datetime(2026, 3, 29, 1, 0, tzinfo=UTC))  # a whole second: no fraction stored
def test_sqlite_stored_time_reads_back_as_hashed(moment: datetime) -> None:
    dialect = sqlite.dialect()
    to_store = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert to_store is not None
    stored = to_store(moment)
    assert isinstance(stored, str)
    assert _utc_text(stored) == utc_text(moment)


@given(moments)
def test_postgresql_driver_time_reads_back_as_hashed(moment: datetime) -> None:
    # psycopg hands back an aware datetime in the session's time zone, not necessarily UTC.
    assert _utc_text(moment.astimezone(timezone(timedelta(hours=-5)))) == utc_text(moment)


@given(moments)
def test_sqlite_time_written_in_another_form_reads_back_the_same(moment: datetime) -> None:
    """Rows written by other tools may hold the ISO form or an offset; the general path."""
    assert _utc_text(moment.isoformat()) == utc_text(moment)
    assert _utc_text(moment.astimezone(UTC).replace(tzinfo=None).isoformat()) == utc_text(moment)
