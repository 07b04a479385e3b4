"""Import an export package as a new person, all or nothing.

Everything is checked first (herbert.handover.unpack: nothing is stored until the whole package has passed,
photos included). Only then is the person created; if storing fails part-way, the new person is erased
(their data key destroyed, rows and photo files deleted), so a failed import leaves nothing behind.
"""

import logging
from datetime import date, datetime, time
from typing import Any

from herbert import caps
from herbert.audit import Action, record_event
from herbert.clock import utcnow
from herbert.dates import add_months, as_date
from herbert.extensions import db
from herbert.handover import form_facts
from herbert.handover.missing import report as missing
from herbert.handover.missing.report_check import ReportRefused, check_report
from herbert.handover.transfer.unpack import PackageRejected, ValidatedPackage, read_package
from herbert.models import Person
from herbert.questions.answer_check import AnswerRefused, check_document
from herbert.questions.registry import CONSENT_SECTION
from herbert.questions.sections.consent_and_review import REVIEW_MONTHS
from herbert.questions.validators import minimisation_problem
from herbert.records import erasure, store

log = logging.getLogger(__name__)

STORE_FAILED = "The package could not be saved. Nothing was imported: try again."
ANSWER_REFUSED = "The record in the package has an answer the form would not accept ({where}): {message}."
MINIMISATION_REFUSED = "A {where} in the package holds something we never store: {message}"
REPORT_REFUSED = "The missing-now report in the package has an answer its pages would not accept ({where}): {message}."


def import_package(raw: bytes, user_id: int, organisation_id: str | None = None) -> str:
    """Check, then store a package as a new person cared for by `user_id` (or admitted by the organisation, when
    given: a care home importing a family's package); returns the new person's id."""
    if organisation_id is not None:
        if caps.residents_held(organisation_id) >= caps.cap("MAX_RESIDENTS_PER_ORGANISATION"):
            raise PackageRejected(caps.RESIDENTS_FULL.format(limit=caps.cap("MAX_RESIDENTS_PER_ORGANISATION")))
    elif caps.people_held(user_id) >= caps.cap("MAX_PEOPLE_PER_ACCOUNT"):
        raise PackageRejected(caps.PEOPLE_FULL.format(limit=caps.cap("MAX_PEOPLE_PER_ACCOUNT")))
    package = read_package(
        raw, max_photos=caps.cap("MAX_PHOTOS_PER_PERSON"), max_total_pixels=caps.cap("IMPORT_MAX_TOTAL_PIXELS")
    )
    check_answers(package)
    person_id = store.create_person(user_id, organisation_id)
    try:
        _store(person_id, user_id, package)
    except Exception as error:
        log.error("import failed while storing (%s); erasing the half-made person", type(error).__name__)
        db.session.rollback()
        person = db.session.get(Person, person_id)
        if person is not None:
            erasure.erase_person(person)
        raise PackageRejected(STORE_FAILED) from None
    record_event(Action.RECORD_IMPORT, person_id=person_id, detail="export package")
    return person_id


def _store(person_id: str, user_id: int, package: ValidatedPackage) -> None:
    person = db.session.get(Person, person_id)
    assert person is not None
    content = package.content
    today = utcnow().date()
    for version in content.versions:  # oldest first: the newest sets the person's review date, as publishing does
        review_on = imported_review_date(version["document"], today)
        store.publish(person, user_id, version["document"], datetime.combine(review_on, time()))
    store.replace_draft(person, content.document)
    primary_id = None
    # Added oldest-listed first, so the store's "newest first" order matches the package's order.
    for photo in reversed(content.photos):
        details: dict[str, Any] = {"kind": photo.kind, "taken_on": photo.taken_on, "caption": photo.caption}
        photo_id = store.add_photo(person, photo.jpeg, details)
        if photo.primary:
            primary_id = photo_id
    if primary_id is not None:
        store.set_primary_photo(person, primary_id)
    form_facts.after_import(person, content.document)
    if content.missing_report is not None:
        report = content.missing_report
        missing.save_report(person, user_id, report, reported_at=report.get("reported_at"))  # kept, not the import time
        if report.get("found_at"):
            opened = missing.open_report(person)
            assert opened is not None
            missing.close_report(person, opened, {})
    person.status = "missing" if missing.open_report(person) else missing.status_when_not_missing(person)
    db.session.commit()


def imported_review_date(document: dict[str, Any], today: date) -> date:
    """When an imported version is due for review, so its review reminders go like any confirmed form's: the
    form's own next review date (section M) when it has one, otherwise six months after the date it was
    completed (or from today when it has neither), as publishing sets it. A date already past means the form is
    overdue now: it becomes today, so the "due" reminder goes at once (the overdue reminders stop eight weeks
    after the date, so an older package's own date would never get one)."""
    review = document.get(CONSENT_SECTION) or {}
    due = as_date(review.get("next_review_date"))
    if due is None:
        due = add_months(as_date(review.get("date_completed")) or today, REVIEW_MONTHS)
    return max(due, today)


def check_answers(package: ValidatedPackage) -> None:
    """Every answer goes through the pages' own validators (the draft, every version and the missing-now report);
    what is stored is what the pages would have stored. Free text elsewhere (the missing-now report, photo
    captions) gets the data-minimisation check. Raises PackageRejected naming where, never quoting the value."""
    content = package.content
    max_rows = caps.cap("MAX_LIST_ROWS")
    try:
        content.document = check_document(content.document, max_rows)
        for version in content.versions:
            version["document"] = check_document(version["document"], max_rows)
    except AnswerRefused as refused:
        raise PackageRejected(ANSWER_REFUSED.format(where=refused.where, message=refused.message)) from None
    if content.missing_report is not None:
        try:
            content.missing_report = check_report(content.missing_report)
        except ReportRefused as refused:
            raise PackageRejected(REPORT_REFUSED.format(where=refused.where, message=refused.message)) from None
    for where, text in _free_text(content):
        if problem := minimisation_problem(text):
            raise PackageRejected(MINIMISATION_REFUSED.format(where=where, message=problem.rstrip(".")))


def _free_text(content: Any) -> list[tuple[str, str]]:
    texts = [("photo caption", photo.caption or "") for photo in content.photos]
    for value in (content.missing_report or {}).values():
        if isinstance(value, str):
            texts.append(("missing-now report", value))
    return texts
