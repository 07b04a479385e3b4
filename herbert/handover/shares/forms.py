"""The form that makes a police share: how long it works, which version it holds, and the step-up check."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovSubmitInput
from wtforms import RadioField, SelectField, StringField, SubmitField

from herbert.handover.shares.lifecycle import DEFAULT_HOURS, EXPIRY_CHOICES
from herbert.handover.stepup import StepUpMixin


class ShareForm(StepUpMixin, FlaskForm):
    hours = RadioField(
        "How long should the link work?",
        widget=GovRadioInput(),
        choices={str(hours): label for hours, label in EXPIRY_CHOICES.items()},
        default=str(DEFAULT_HOURS),
    )
    source = SelectField("Which version to share", widget=GovSelect(), choices={})
    request_id = StringField(widget=None)  # rendered as a hidden input: stops a refresh making a second share
    submit = SubmitField("Share with police", widget=GovSubmitInput())


