"""One referral-level extract made in a process of its own, as the job worker makes it, with
its speed and the process's peak memory: `python -m benchmarks.export --email EMAIL`.

The app is built from the environment (DATABASE_URL, INSTANCE_PATH, APP_ENV and the keys), so
`make bench` runs it on its generated databases and the tests on theirs. It prints one line of
JSON: rows, bytes, seconds, rows_per_s, and peak_rss_mb (the most memory the process ever held,
from the operating system: Linux's VmHWM) beside ready_rss_mb (once the app was loaded, before
the extract).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from app import create_app
from app import jobs
from app.accounts.models import User
from app.database import db
from app.unit_of_work import job_change
from cases.reports import queries
from cases.reports import services
from cases.reports.models import Extract
from cases.reports.models import ExtractFormat

MB = 1024  # both measures below are in kibibytes
STATUS = Path("/proc/self/status")


def peak_rss_mb() -> float:
    """The process's peak resident memory. Linux's VmHWM, which starts afresh when the process
    runs a new program; `ru_maxrss` would also count the parent it was forked from."""
    if STATUS.exists():
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / MB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MB


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--email", required=True, help="a coordinator: every panel they run")
    parser.add_argument("--format", choices=[f.value for f in ExtractFormat], default="csv")
    parser.add_argument("--personal", action="store_true", help="with names and dates of birth")
    args = parser.parse_args(argv)
    app = create_app()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == args.email))
        if user is None:
            sys.exit(f"No user {args.email}")
        with job_change():
            extract = services.request_extract(
                actor=user,
                panels=queries.extract_panels(user),
                referred_from=None,
                referred_to=None,
                personal=args.personal,
                file_format=ExtractFormat(args.format),
            )
        extract_id = extract.id
        ready = peak_rss_mb()
        started = time.perf_counter()
        jobs.run_pending()  # as the worker would: claims the message and makes the file
        seconds = time.perf_counter() - started
        made = db.session.get_one(Extract, extract_id)
        # The file is not kept: expire it at once, as its time would.
        assert made.expires_at is not None, f"the extract was not made: {made.status}"
        services.expire_extracts(made.expires_at + timedelta(seconds=1))
        print(
            json.dumps(
                {
                    "rows": made.rows_done,
                    "bytes": made.size_bytes,
                    "seconds": round(seconds, 3),
                    "rows_per_s": round(made.rows_done / seconds) if seconds else None,
                    "peak_rss_mb": round(peak_rss_mb(), 1),
                    "ready_rss_mb": round(ready, 1),
                }
            )
        )


if __name__ == "__main__":
    main()
