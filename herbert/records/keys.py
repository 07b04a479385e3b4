"""Where the keyring lives: HERBERT_KEYRING (JSON) or instance/keyring.json (mode 0600).

The keyring file is re-read whenever it changes on disk, so every app process picks up a rotation or
an erasure made by another process (the CLI, another gunicorn worker) on its next request.
Writers (rotation, erasure) take an exclusive lock and replace the file atomically.
"""

import fcntl
import json
import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, g, has_app_context

from herbert.crypto import Keyring, KeyWrapper
from herbert.records.durable_files import create_file, replace_file

log = logging.getLogger(__name__)

ERASURES_FILE = "erased-people.json"  # used only when the keyring itself comes from the environment


def keyring_path(app: Flask) -> Path:
    return Path(app.instance_path) / app.config["KEYRING_FILE"]


def erasures_path(app: Flask) -> Path:
    return Path(app.instance_path) / ERASURES_FILE


def keyring_from_environment(app: Flask) -> bool:
    return bool(app.config.get("KEYRING"))


def _app(app: Flask | None) -> Flask:
    return app or current_app._get_current_object()  # type: ignore[attr-defined]


def _signature(path: str) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def _paths(app: Flask) -> tuple[Path, Path, str, str]:
    """The keyring and erasure-list paths, worked out once per app (this runs on every request)."""
    paths = app.extensions.get("herbert.keyring_paths")
    if paths is None:
        keyring, erasures = keyring_path(app), erasures_path(app)
        paths = app.extensions["herbert.keyring_paths"] = (keyring, erasures, str(keyring), str(erasures))
    return paths


def load_keyring(app: Flask | None = None) -> Keyring:
    """The app's keyring, re-read when its file changes. Production refuses to start without one;
    development creates one on first use (never later: a keyring that vanishes while running is an error)."""
    app = _app(app)
    per_request = has_app_context() and current_app._get_current_object() is app  # type: ignore[attr-defined]
    if per_request and (keyring := g.get("_herbert_keyring")) is not None:
        return keyring  # checked for changes once per request (or CLI batch), not once per record
    env_keyring = keyring_from_environment(app)
    path, erasures, path_text, erasures_text = _paths(app)
    signature = (None if env_keyring else _signature(path_text), _signature(erasures_text))
    cached = app.extensions.get("herbert.keyring")
    if cached is not None and app.extensions.get("herbert.keyring_signature") == signature:
        if per_request:
            g._herbert_keyring = cached
        return cached
    if env_keyring:
        keyring = Keyring.from_json(_keyring_text(app.config["KEYRING"]))
    else:
        if signature[0] is None:
            if cached is not None:
                raise RuntimeError(f"The keyring file {path} has disappeared; restore it from its backup.")
            if app.config["ENV"] == "production":
                raise RuntimeError(f"No keyring: set HERBERT_KEYRING or create {path} with `flask --app herbert init`.")
            create_keyring_file(path)
        keyring = _read_keyring_file(app, path)
    keyring.erased |= read_erasures(erasures)
    app.extensions["herbert.keyring"] = keyring
    app.extensions["herbert.keyring_signature"] = (
        None if env_keyring else _signature(path_text),
        _signature(erasures_text),
    )
    if per_request:
        g._herbert_keyring = keyring
    return keyring


def forget_cached_keyring() -> None:
    """Look at the keyring file again on the next use (after changing it, or between batches of a command)."""
    if has_app_context():
        g.pop("_herbert_keyring", None)


def _keyring_text(value: str | dict) -> str:
    """HERBERT_KEYRING arrives parsed: Flask's from_prefixed_env turns JSON in the environment into a dict."""
    return value if isinstance(value, str) else json.dumps(value)


def _read_keyring_file(app: Flask, path: Path) -> Keyring:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        message = f"{path} is readable by other users (mode {mode:o}); run: chmod 600 {path}"
        if app.config["ENV"] == "production":
            raise RuntimeError(message)
        log.warning(message)
    return Keyring.from_json(path.read_text())


def read_erasures(path: Path) -> set[str]:
    if not path.exists():
        return set()
    return {str(subject) for subject in json.loads(path.read_text())["erased"]}


class LocalKeyWrapper:
    """The KeyWrapper the store uses: the instance keyring, with erasures persisted to its file."""

    def __init__(self, app: Flask):
        self.app = app

    @property
    def active_id(self) -> str:
        return load_keyring(self.app).active_id

    def wrap_data_key(self, data_key: bytes, subject: str) -> tuple[str, bytes]:
        return load_keyring(self.app).wrap_data_key(data_key, subject)

    def unwrap_data_key(self, kek_id: str, wrapped: bytes, subject: str) -> bytes:
        return load_keyring(self.app).unwrap_data_key(kek_id, wrapped, subject)

    def is_forgotten(self, subject: str) -> bool:
        return load_keyring(self.app).is_forgotten(subject)

    def forget(self, subject: str) -> None:
        record_erasure(self.app, subject)


def key_wrapper(app: Flask | None = None) -> KeyWrapper:
    """The key wrapper for this app. A deployment using a KMS would put its own KeyWrapper here."""
    app = _app(app)
    wrapper = app.extensions.get("herbert.key_wrapper")
    if wrapper is None:
        wrapper = app.extensions["herbert.key_wrapper"] = LocalKeyWrapper(app)
    return wrapper


def create_keyring_file(path: Path) -> None:
    """Create a new keyring file unless one exists: written aside, then linked into place, so two
    processes starting at once agree on one keyring and nobody ever reads a half-written file."""
    create_file(path, Keyring.generate().to_json().encode())


def save_keyring(app: Flask, keyring: Keyring) -> None:
    """Replace the keyring file atomically (0600 temp file, fsync, rename, fsync the folder).
    Callers hold keyring_lock() so two writers cannot lose each other's change."""
    if keyring_from_environment(app):
        raise RuntimeError("The keyring comes from HERBERT_KEYRING, which this process cannot change.")
    path = keyring_path(app)
    replace_file(path, keyring.to_json().encode())
    app.extensions.pop("herbert.keyring_signature", None)  # re-read (and re-merge erasures) on next use
    forget_cached_keyring()


def record_erasure(app: Flask, subject: str) -> None:
    """Make the keyring refuse this person's data key from now on, durably, before anything else is deleted."""
    with keyring_lock(app):
        if keyring_from_environment(app):
            path = erasures_path(app)
            erased = read_erasures(path) | {subject}
            replace_file(path, (json.dumps({"erased": sorted(erased)}, indent=2) + "\n").encode())
            app.extensions.pop("herbert.keyring_signature", None)
            forget_cached_keyring()
        else:
            keyring = _read_keyring_file(app, keyring_path(app))
            keyring.forget(subject)
            save_keyring(app, keyring)


@contextmanager
def keyring_lock(app: Flask) -> Iterator[None]:
    """An exclusive lock for changing the keyring (rotation, retirement, erasure), across processes."""
    path = Path(app.instance_path) / "keyring.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


