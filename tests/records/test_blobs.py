"""The blob seam itself (herbert/records/blobs.py), the same checks against the instance folder and a real
S3-compatible server (s3rver): what goes in comes out, keys cannot name anything outside the store, only
sealed envelopes are accepted, and an unreachable store fails fast instead of hanging a request."""

import os
import time

import pytest

from herbert.records.blobs import BlobMissing, S3BlobStore, blob_store
from tests.support.blob_backends import every_stored_object
from tests.support.http_servers import free_port

pytestmark = pytest.mark.blob_backends

SEALED = b"\x01" + os.urandom(64)  # the envelope version byte, then what AES-GCM output looks like


def test_put_get_exists_list_delete(app):
    with app.app_context():
        store = blob_store()
        assert list(store.list_keys()) == [] and not store.exists("a" * 32)
        store.put("a" * 32, SEALED)
        store.put("pdf-" + "b" * 32, SEALED)  # another kind of blob, with its own prefix
        store.put("a" * 32, SEALED + b"second")  # replaces
        assert store.get("a" * 32) == SEALED + b"second" and store.exists("a" * 32)
        assert sorted(store.list_keys()) == ["a" * 32, "pdf-" + "b" * 32]
        assert list(store.list_keys(modified_before=time.time() - 3600)) == []  # nothing that old
        store.delete("a" * 32)
        store.delete("a" * 32)  # deleting what is not there is fine
        assert not store.exists("a" * 32) and sorted(store.list_keys()) == ["pdf-" + "b" * 32]
        with pytest.raises(BlobMissing):
            store.get("a" * 32)


@pytest.mark.parametrize("key", ["../etc/passwd", "A" * 32, "x/y", "", "-starts-with-dash", "a" * 101, "a.bin"])
def test_keys_that_could_name_something_else_are_refused(app, key):
    with app.app_context():
        store = blob_store()
        for call in (lambda: store.put(key, SEALED), lambda: store.get(key), lambda: store.delete(key)):
            with pytest.raises(ValueError, match="not a blob key"):
                call()
        assert every_stored_object(app) == {}


@pytest.mark.parametrize("data", [b"\xff\xd8\xff\xe0 a JPEG", b"", b'{"name": "Ada"}', b"text"])
def test_only_sealed_envelopes_are_stored(app, data):
    with app.app_context():
        with pytest.raises(ValueError, match="only sealed envelopes"):
            blob_store().put("c" * 32, data)
        assert every_stored_object(app) == {}


def test_an_unreachable_object_store_fails_fast(monkeypatch):
    """Availability: a store that does not answer costs a request seconds, not minutes."""
    port = free_port()  # nothing listens there
    store = S3BlobStore(bucket="nowhere", endpoint_url=f"http://127.0.0.1:{port}", connect_timeout=1, read_timeout=2)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "unused")
    started = time.perf_counter()
    with pytest.raises(Exception) as failure:
        store.get("d" * 32)
    assert not isinstance(failure.value, BlobMissing)  # a missing store is not a missing photo
    assert time.perf_counter() - started < 15


def test_the_start_up_sweep_clears_the_folder_but_leaves_the_bucket_to_the_periodic_sweep(app, monkeypatch):
    """Every process on every host sweeps at start-up: listing a bucket of 100,000 photos each time would
    slow every start, so with object storage the blob pass is `flask sweep` (docs/operations/deploy.md)."""
    from herbert import create_app
    from herbert.extensions import db

    with app.app_context():
        blob_store().put("f" * 32, SEALED)  # an orphan: no photos row
    monkeypatch.setenv("HERBERT_INSTANCE_PATH", app.instance_path)
    names = ("SQLALCHEMY_DATABASE_URI", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_PREFIX")
    time.sleep(1.1)  # older than the grace below, at S3's one-second resolution
    again = create_app({name: app.config[name] for name in names} | {"TESTING": True, "BLOB_SWEEP_GRACE_SECONDS": 0})
    with again.app_context():
        kept = blob_store().exists("f" * 32)
        assert kept == bool(app.config.get("S3_BUCKET"))
        result = again.test_cli_runner().invoke(args=["sweep", "--grace", "0"])
        assert result.exit_code == 0 and f"{int(kept)} orphan blobs" in result.output
        assert not blob_store().exists("f" * 32)
        db.session.remove()
        db.engine.dispose()
