"""The remembered GOV.UK widgets draw exactly what govuk-frontend-wtf's draw, and keep no
drawing that holds something the user typed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import DataRequired

from app import widgets
from app.forms import UKDateField


class ExampleForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField(
        "Last name",
        widget=widgets.TextInput(),
        description="As on their passport",
        validators=[DataRequired(message="Enter a last name")],
    )
    born = UKDateField("Date of birth", widget=widgets.DateInput())
    colour = SelectField(
        "Colour",
        widget=widgets.Select(),
        choices=[("", "Any"), ("red", "Red"), ("blue", "Blue & green")],
    )


ORIGINALS = {"name": GovTextInput(), "born": GovDateInput(), "colour": GovSelect()}

FORMDATA = {
    "empty": {},
    "typed": {"name": "O'Brien <Ann>", "born": ["27", "3", "1990"], "colour": "blue"},
    "wrong": {"name": "", "born": ["31", "2", ""], "colour": "purple"},
}


@pytest.fixture
def form(app: Flask, request: pytest.FixtureRequest) -> Iterator[ExampleForm]:
    widgets._kept_drawing.cache_clear()
    with app.test_request_context("/"):
        form = ExampleForm(MultiDict(FORMDATA[request.param]))
        form.validate()
        yield form


def drawn_by_original(form: ExampleForm, name: str, **kwargs: Any) -> str:
    field = form[name]
    return str(ORIGINALS[name](field, **kwargs))


@pytest.mark.parametrize("form", list(FORMDATA), indirect=True)
@pytest.mark.parametrize("name", list(ORIGINALS))
def test_a_field_is_drawn_as_govuk_frontend_wtf_draws_it(form: ExampleForm, name: str) -> None:
    params = {"params": {"classes": "govuk-input--width-20"}} if name == "name" else {}
    expected = drawn_by_original(form, name, **params)

    assert str(form[name](**params)) == expected
    assert str(form[name](**params)) == expected  # and again, when it may come from the cache


@pytest.mark.parametrize("form", ["empty"], indirect=True)
def test_fields_with_nothing_typed_are_drawn_once(form: ExampleForm) -> None:
    for _ in range(3):
        for field in form:
            field()

    kept = widgets._kept_drawing.cache_info()
    assert (kept.currsize, kept.misses, kept.hits) == (3, 3, 6)


@pytest.mark.parametrize("form", ["typed"], indirect=True)
def test_what_the_user_typed_is_never_kept(form: ExampleForm) -> None:
    form.name()
    form.born()

    assert widgets._kept_drawing.cache_info().currsize == 0


@pytest.mark.parametrize("form", ["typed"], indirect=True)
def test_a_chosen_option_is_kept(form: ExampleForm) -> None:
    form.colour()

    assert widgets._kept_drawing.cache_info().currsize == 1


@pytest.mark.parametrize("form", ["empty"], indirect=True)
def test_markup_in_the_parameters_is_not_kept_as_text(form: ExampleForm) -> None:
    html = form.name(params={"hint": {"html": Markup("<strong>Legal</strong> name")}})

    assert "<strong>Legal</strong> name" in html
    assert widgets._kept_drawing.cache_info().currsize == 0
