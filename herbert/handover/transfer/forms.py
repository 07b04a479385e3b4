"""The export and import forms."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput
from wtforms import SubmitField

from herbert.handover.stepup import StepUpMixin


class ExportForm(StepUpMixin, FlaskForm):
    submit = SubmitField("Download export", widget=GovSubmitInput())


class ImportForm(FlaskForm):
    package = FileField(
        "Export package (.zip)",
        widget=GovFileInput(),
        description="The .zip file downloaded with “Download export” from this or another copy of the service",
    )
    submit = SubmitField("Import record", widget=GovSubmitInput())


