"""The missing-now pages' forms: when and where last seen, what they are wearing, more details, and found (which
closes the report). An imported report is checked with these same forms (herbert.handover.missing.report_check)."""

import math
from datetime import datetime, timedelta
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSubmitInput, GovTextInput
from wtforms import HiddenField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Optional, ValidationError

from herbert.dates import uk_now
from herbert.handover.fields import TimeOfDay, combine, date_field, long_text_field, text_field
from herbert.handover.missing import report as missing


class LastSeenForm(FlaskForm):
    last_seen_date = date_field("Date last seen", "Enter the date they were last seen")
    last_seen_time = StringField(
        "Time last seen",
        widget=GovTextInput(),
        description="For example, 14:30 or 2:30pm. Your best guess is fine.",
        validators=[InputRequired(message="Enter the time they were last seen"), TimeOfDay("the time last seen")],
    )
    last_seen_where = long_text_field("Where they were last seen", "An address or a description of the place")
    seen_by = text_field("Who saw them last")

    def validate_last_seen_time(self, field: StringField) -> None:
        """A last-seen time later than now is a typing slip (pm for am, tomorrow's date): say so."""
        seen = combine(self.last_seen_date.data, field.data)
        if seen and datetime.fromisoformat(seen) > uk_now() + timedelta(minutes=5):
            raise ValidationError("The time last seen must be now or in the past")
    direction = text_field("Which way they were going", "For example, towards the town centre")
    said_going_to = long_text_field(
        "Anything they said they were going to do", "For example, “going to work” or “going home”"
    )
    # "Use my location" (templates/search_aid/_use_my_location.html fills these; without JavaScript they stay empty)
    last_seen_lat = HiddenField()
    last_seen_lon = HiddenField()
    last_seen_accuracy = HiddenField()
    location_taken_now = HiddenField()  # "yes" when the button gave the location on this visit (not saved)

    def validate(self, extra_validators: Any = None) -> bool:
        """The phone's location, when given, must be a real coordinate (the error shows by the place box)."""
        valid = super().validate(extra_validators)
        if phone_location(self) is None and (self.last_seen_lat.data or self.last_seen_lon.data):
            self.last_seen_where.errors = [*self.last_seen_where.errors, LOCATION_REFUSED]
            return False
        return valid


LOCATION_REFUSED = "The location from your phone could not be used. Type the place instead"
LOCATION_DROPPED = (
    "The location from your phone was removed because you changed where they were last seen. "
    "If you are where they were last seen now, use your location again."
)


def stale_phone_location(form: "LastSeenForm", saved: dict[str, Any]) -> bool:
    """The saved phone location came back unchanged in the hidden boxes, but the carer changed the place typed
    and did not press "Use my location" again: the point would no longer be where they were last seen (police
    would search around the wrong place), so it must not be kept."""
    location = phone_location(form)
    if location is None or form.location_taken_now.data == "yes":
        return False
    same_point = all(location[key] == saved.get(key) for key in ("last_seen_lat", "last_seen_lon"))
    return same_point and _words(form.last_seen_where.data) != _words(saved.get("last_seen_where"))


def _words(text: Any) -> str:
    """The place as typed, ignoring spacing and line breaks (a browser sends CRLF; a re-save is not a change)."""
    return " ".join(str(text or "").split())


def phone_location(form: "LastSeenForm") -> dict[str, str] | None:
    """The report keys for the browser's location, rounded to about a metre; None when not given or not real."""
    try:
        lat, lon = float(form.last_seen_lat.data or ""), float(form.last_seen_lon.data or "")
    except ValueError:
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    try:
        accuracy = max(0, min(int(float(form.last_seen_accuracy.data or 0)), 100_000))
    except (ValueError, OverflowError):
        accuracy = 0
    return {"last_seen_lat": f"{lat:.5f}", "last_seen_lon": f"{lon:.5f}", "last_seen_accuracy": str(accuracy or "")}


class ClothingForm(FlaskForm):
    clothing_picks = SelectMultipleField(
        "What they usually wear that they have on today", widget=GovCheckboxesInput(), choices={}, validate_choice=True
    )
    clothing_photo_ids = SelectMultipleField(
        "Photos of clothes they have on today", widget=GovCheckboxesInput(), choices={}, validate_choice=True
    )
    clothing_today = long_text_field(
        "What they are wearing today",
        "Head to toe: hat, top, coat, trousers or skirt, shoes, glasses, jewellery. Colours help most.",
    )
    items_carried = SelectMultipleField(
        "What they have with them", widget=GovCheckboxesInput(), choices=dict(missing.ITEMS)
    )
    items_details = long_text_field("More about what they have with them", "For example, a red shopping bag, about £20")


class MoreDetailsForm(FlaskForm):
    searches_done = SelectMultipleField(
        "Where you have already looked", widget=GovCheckboxesInput(), choices=dict(missing.SEARCHES)
    )
    mood = long_text_field("Their mood and state of mind today")
    recent_changes = long_text_field(
        "Any recent changes", "For example new medication, a bereavement, a move, an illness"
    )
    people_contacted = long_text_field("People you have already contacted")
    police_called_date = date_field("Date police were called")
    police_called_time = StringField(
        "Time police were called",
        widget=GovTextInput(),
        description="For example, 14:30",
        validators=[Optional(), TimeOfDay("the time police were called")],
    )
    police_reference = text_field("Police reference number", "The incident or log number police gave you", 60)
    officer_name = text_field("Police officer's name", "", 120)




class FoundForm(FlaskForm):
    found_date = date_field("Date found", "Enter the date they were found")
    found_time = StringField(
        "Time found",
        widget=GovTextInput(),
        description="For example, 18:45",
        validators=[InputRequired(message="Enter the time they were found"), TimeOfDay("the time they were found")],
    )
    found_where = long_text_field("Where they were found", "An address or a description of the place")
    submit = SubmitField("They've been found", widget=GovSubmitInput())
