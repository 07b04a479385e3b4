"""The police's forms: the fixed /police page (reference and access code) and a share link's access code."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Length

from herbert.handover.shares.lifecycle import CODE_LENGTH


class AccessCodeForm(FlaskForm):
    code = StringField(
        "Access code",
        widget=GovTextInput(),
        description="8 letters and numbers, given to you by the family or carer. For example, ABCD-2345",
        validators=[
            InputRequired(message="Enter the access code"),
            Length(max=CODE_LENGTH * 3, message="Enter the access code, like ABCD-2345"),
        ],
    )
    submit = SubmitField("Open the form", widget=GovSubmitInput())


class PoliceEntryForm(FlaskForm):
    """The fixed /police page: the reference and the access code the family or carer read out."""

    reference = StringField(
        "Reference",
        widget=GovTextInput(),
        description="8 letters and numbers, for example K7QM-42PX",
        validators=[
            InputRequired(message="Enter the reference"),
            Length(max=CODE_LENGTH * 3, message="Enter the reference, like K7QM-42PX"),
        ],
    )
    code = StringField(
        "Access code",
        widget=GovTextInput(),
        description="8 letters and numbers, for example EJME-7K3C",
        validators=[
            InputRequired(message="Enter the access code"),
            Length(max=CODE_LENGTH * 3, message="Enter the access code, like EJME-7K3C"),
        ],
    )
    submit = SubmitField("Open the form", widget=GovSubmitInput())


