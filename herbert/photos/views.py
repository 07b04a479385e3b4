"""Photo pages: list, add, change details, choose the main photo, remove, and serve the image.

Only the person's carers reach any of it (store.person_for gives everyone else a 404). Uploads are
cleaned by herbert.photos.cleaning before the store seals them; the raw upload never touches the disk and
images are sent with Cache-Control: no-store.
"""

import io
import logging
from typing import Any

from flask import Blueprint, Flask, Response, abort, flash, redirect, render_template, request, url_for
from flask.sansio.blueprints import BlueprintSetupState
from werkzeug.wrappers import Request as WerkzeugRequest

from herbert import caps
from herbert.access import Permission, current_person, person_required
from herbert.audit import Action, record_event
from herbert.dates import as_date
from herbert.models import Person
from herbert.photos import cleaning
from herbert.photos.forms import AddPhotoForm, ConfirmForm, PhotoDetailsForm
from herbert.records import store

log = logging.getLogger(__name__)

bp = Blueprint("photos", __name__)


# --- keep uploads in memory ---------------------------------------------------------------------


def _in_memory_file_stream(
    self: WerkzeugRequest,
    total_content_length: int | None,
    content_type: str | None,
    filename: str | None = None,
    content_length: int | None = None,
) -> io.BytesIO:
    """Werkzeug spools uploads over 500 KB to a temporary file; an upload is personal data, so
    keep it in memory instead (MAX_CONTENT_LENGTH bounds it at 12 MB)."""
    return io.BytesIO()


@bp.record_once
def _keep_uploads_in_memory(state: BlueprintSetupState) -> None:
    app: Flask = state.app
    app.request_class = type(
        "InMemoryUploadRequest", (app.request_class,), {"_get_file_stream": _in_memory_file_stream}
    )


# --- helpers -------------------------------------------------------------------------------------


def _photo(person: Person, photo_id: str) -> dict[str, Any]:
    for photo in store.list_photos(person):
        if photo["id"] == photo_id:
            return photo
    abort(404)


def _details(form: AddPhotoForm | PhotoDetailsForm) -> dict[str, str]:
    return {"kind": form.kind.data, "taken_on": form.taken_on.data.isoformat(), "caption": form.caption.data or ""}


def _read_upload(upload: Any) -> bytes:
    """At most one byte more than the limit, so an oversized file is refused without reading it all."""
    return upload.stream.read(cleaning.MAX_UPLOAD_BYTES + 1)


def overview_url(person_id: str) -> str:
    return url_for("people.overview", person_id=person_id)


def _page_context(person: Person) -> dict[str, Any]:
    summary = store.load_summary(person)
    return {"person": person, "person_name": summary.get("name", ""), "back_url": overview_url(person.id)}


# --- pages ---------------------------------------------------------------------------------------


@bp.route("/people/<person_id>/photos")
@person_required(Permission.VIEW)
def index(person_id: str):
    person = current_person()
    photo_list = store.list_photos(person)
    return render_template(
        "photos/index.html",
        photos=photo_list,
        freshness=cleaning.photo_freshness(photo_list),
        **_page_context(person),
    )


@bp.route("/people/<person_id>/photos/add", methods=["GET", "POST"])
@person_required(Permission.EDIT)
def add(person_id: str):
    person = current_person()
    form = AddPhotoForm()
    limit = caps.cap("MAX_PHOTOS_PER_PERSON")
    held = caps.photos_held(person.id)
    if form.is_submitted():
        form.validate()
        cleaned = None
        if held >= limit:  # refused before the upload is even decoded
            form.photo.errors = [caps.PHOTOS_FULL.format(limit=limit)]
        if not form.photo.errors:
            try:
                cleaned = cleaning.clean_photo(_read_upload(form.photo.data), form.photo.data.filename)
            except cleaning.PhotoRejected as rejected:
                form.photo.errors.append(rejected.message)
        if cleaned is not None and not form.errors:
            store.add_photo(person, cleaned.jpeg, _details(form))
            record_event(Action.PHOTO_ADD, person_id=person.id)
            flash("Photo added")
            return redirect(url_for("photos.index", person_id=person.id))
    return render_template("photos/add.html", form=form, limit=limit, held=held, **_page_context(person))


@bp.route("/people/<person_id>/photos/<photo_id>/change", methods=["GET", "POST"])
@person_required(Permission.EDIT)
def change(person_id: str, photo_id: str):
    person = current_person()
    photo = _photo(person, photo_id)
    form = PhotoDetailsForm()
    if form.validate_on_submit():
        store.update_photo_details(person, photo_id, _details(form))
        record_event(Action.PHOTO_CHANGE, person_id=person.id)
        flash("Photo details saved")
        return redirect(url_for("photos.index", person_id=person.id))
    if not form.is_submitted():
        form.kind.data = photo.get("kind")
        form.taken_on.data = as_date(photo.get("taken_on"))
        form.caption.data = photo.get("caption", "")
    return render_template("photos/change.html", form=form, photo=photo, **_page_context(person))


@bp.route("/people/<person_id>/photos/<photo_id>/make-main", methods=["POST"])
@person_required(Permission.EDIT)
def make_main(person_id: str, photo_id: str):
    person = current_person()
    _photo(person, photo_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    store.set_primary_photo(person, photo_id)
    record_event(Action.PHOTO_MAKE_MAIN, person_id=person.id)
    flash("Main photo changed")
    return redirect(url_for("photos.index", person_id=person.id))


@bp.route("/people/<person_id>/photos/<photo_id>/remove", methods=["GET", "POST"])
@person_required(Permission.EDIT)
def remove(person_id: str, photo_id: str):
    person = current_person()
    photo = _photo(person, photo_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        store.delete_photo(person, photo_id)
        record_event(Action.PHOTO_REMOVE, person_id=person.id)
        flash("Photo removed")
        return redirect(url_for("photos.index", person_id=person.id))
    return render_template("photos/remove.html", form=form, photo=photo, **_page_context(person))


@bp.route("/people/<person_id>/photos/<photo_id>.jpg")
@person_required(Permission.VIEW)
def image(person_id: str, photo_id: str):
    """The cleaned JPEG (or a smaller copy made in memory with ?width=160|320|640), never cached."""
    person = current_person()
    width = None
    if "width" in request.args:
        width = request.args.get("width", type=int)
        if width not in cleaning.THUMBNAIL_WIDTHS:  # a fixed few sizes: no resizing work on demand
            abort(404)
    jpeg = store.open_photo(person, photo_id)
    if width is not None:
        jpeg = cleaning.resize_for_display(jpeg, width)
    response = Response(jpeg, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = 'inline; filename="photo.jpg"'
    return response
