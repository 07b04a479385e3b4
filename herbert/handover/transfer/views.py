"""Moving a record: the carer's export package (a zip with the JSON, photos, PDF and a README) and importing one."""

import io
from typing import Any

from flask import Blueprint, Request, flash, g, redirect, render_template, request, send_file, url_for
from flask.sansio.blueprints import BlueprintSetupState

from herbert.access import Permission, current_person, person_required
from herbert.audit import Action, record_event
from herbert.auth.guard import login_required
from herbert.auth.limits import account_password_limits, export_limits, import_limits, mark_attempt_succeeded
from herbert.handover import stepup
from herbert.handover.transfer import export
from herbert.handover.transfer.forms import ExportForm, ImportForm
from herbert.handover.transfer.importer import import_package as import_into_store
from herbert.handover.transfer.unpack import MAX_PACKAGE_BYTES, PackageRejected

bp = Blueprint("transfer", __name__)



@bp.route("/people/<person_id>/export", methods=["GET", "POST"])
@person_required(Permission.EDIT)
@account_password_limits
@export_limits
def export_package(person_id: str):
    person = current_person()
    form = ExportForm()
    if request.method == "POST" and form.validate_on_submit() and stepup.confirm(form):
        package = export.export_person(person)
        mark_attempt_succeeded()
        record_event(Action.RECORD_EXPORT, person_id=person.id, detail=f"{package.photo_count} photos")
        name = export.download_name()
        return send_file(io.BytesIO(package.data), mimetype="application/zip", as_attachment=True, download_name=name)
    return render_template(
        "transfer/export.html", person=person, form=form, step_up=stepup.needs_step_up(), needs_code=stepup.needs_code()
    )


IMPORT_REQUEST_BYTES = MAX_PACKAGE_BYTES + 1024 * 1024  # the package plus the form around it
# Pages that take an export package: a carer's import, and an organisation admitting a resident with one.
IMPORT_ENDPOINTS = frozenset({"transfer.import_package", "organisations.import_resident"})


def _import_body_limit(self: Any) -> int | None:
    """The import's own body limit, in force from the first read of the body. CSRF protection parses the
    form in a before_request hook, before the view runs, so the view cannot raise the limit itself."""
    if self._max_content_length is None and self.endpoint in IMPORT_ENDPOINTS and self.method == "POST":
        return IMPORT_REQUEST_BYTES
    return _base_body_limit.fget(self)  # type: ignore[union-attr]


_base_body_limit: property = Request.max_content_length  # type: ignore[assignment]


@bp.record_once
def _allow_large_imports(state: BlueprintSetupState) -> None:
    app = state.app
    limit = property(_import_body_limit, _base_body_limit.fset)
    app.request_class = type("LargeImportRequest", (app.request_class,), {"max_content_length": limit})


@bp.route("/people/import", methods=["GET", "POST"])
@login_required
@import_limits
def import_package():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.package.data
        if upload is None or not getattr(upload, "filename", ""):
            form.package.errors = ["Select the export package (.zip) to import"]
        else:
            raw = upload.read(MAX_PACKAGE_BYTES + 1)
            try:
                person_id = import_into_store(raw, g.user.id)
            except PackageRejected as rejected:
                form.package.errors = [rejected.message]
            else:
                flash("The record was imported.")
                return redirect(url_for("people.overview", person_id=person_id))
    return render_template("transfer/import.html", form=form)
