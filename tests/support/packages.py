"""Export packages taken apart and put back together, for the import tests, and the row counts that show an
import stored nothing."""

import io
import json
import warnings
import zipfile

from herbert.extensions import db
from herbert.handover.transfer import export
from herbert.models import DraftSection, MissingReport, Person, Photo, Revision

COUNTED = (Person, DraftSection, Revision, Photo, MissingReport)


def counts() -> dict:
    return {
        model.__name__: db.session.execute(db.select(db.func.count()).select_from(model)).scalar() for model in COUNTED
    }


def rebuild(package: bytes, change) -> bytes:
    """Copy a package entry by entry, letting `change(name, data)` return [(ZipInfo or name, data), ...]."""
    out = io.BytesIO()
    with (
        warnings.catch_warnings(),  # zipfile warns about (but writes) the duplicate names we make on purpose
        zipfile.ZipFile(io.BytesIO(package)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        warnings.simplefilter("ignore", UserWarning)
        for info in source.infolist():
            for name, data in change(info.filename, source.read(info)):
                target.writestr(name, data)
    return out.getvalue()


def with_json(package: bytes, edit) -> bytes:
    def change(name, data):
        if name == export.JSON_NAME:
            envelope = json.loads(data)
            edit(envelope)
            return [(name, json.dumps(envelope))]
        return [(name, data)]

    return rebuild(package, change)


def zip_of(entries) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return out.getvalue()
