"""Sign-in and account forms: they shape input; the services decide the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import PasswordField
from wtforms import StringField
from wtforms import SubmitField
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import EqualTo
from wtforms.validators import Length

from app.auth.passwords import MAX_PASSWORD_LENGTH
from app.forms import strip_whitespace

EMAIL_REQUIRED = "Enter your email address"


PASSWORD_REQUIRED = "Enter your password"  # noqa: S105 (a message, not a password)


class SignInForm(FlaskForm):
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        filters=[strip_whitespace],
        validators=[
            DataRequired(message=EMAIL_REQUIRED),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(
                message="Enter an email address in the correct format, like name@example.org",
                check_deliverability=False,
            ),
        ],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[
            DataRequired(message=PASSWORD_REQUIRED),
            Length(max=MAX_PASSWORD_LENGTH, message="Password is too long"),
        ],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter the 6-digit security code from your authenticator app"),
            Length(max=12, message="The security code is 6 digits"),
        ],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class RecoveryCodeForm(FlaskForm):
    code = StringField(
        "Recovery code",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter one of your recovery codes"),
            Length(max=40, message="Recovery codes are 10 letters and numbers"),
        ],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class NewPasswordForm(FlaskForm):
    new_password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        validators=[DataRequired(message="Enter a new password")],
    )
    confirm_password = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[
            DataRequired(message="Confirm your new password"),
            EqualTo("new_password", message="The passwords do not match"),
        ],
    )
    submit = SubmitField("Save password", widget=GovSubmitInput())


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[DataRequired(message="Enter your current password")],
    )


class ConfirmForm(FlaskForm):
    """A button-only form: the CSRF token is the point (sign-out, admin actions)."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())
