"""Where the keyring lives: HERBERT_KEYRING (JSON) or instance/keyring.json (mode 0600)."""

import os
from pathlib import Path

from flask import Flask, current_app

from herbert.config import write_private_file
from herbert.crypto import Keyring


def keyring_path(app: Flask) -> Path:
    return Path(app.instance_path) / app.config["KEYRING_FILE"]


def load_keyring(app: Flask | None = None) -> Keyring:
    """The app's keyring, loaded once. Production refuses to start without one; development makes one."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get("herbert.keyring")
    if cached is not None:
        return cached
    if app.config.get("KEYRING"):
        keyring = Keyring.from_json(app.config["KEYRING"])
    else:
        path = keyring_path(app)
        if not path.exists():
            if app.config["ENV"] == "production":
                raise RuntimeError(f"No keyring: set HERBERT_KEYRING or create {path} with `flask --app herbert init`.")
            create_keyring_file(path)
        keyring = Keyring.from_file(path)
    app.extensions["herbert.keyring"] = keyring
    return keyring


def create_keyring_file(path: Path) -> None:
    write_private_file(path, Keyring.generate().to_json())


def save_keyring(app: Flask, keyring: Keyring) -> None:
    """Replace the keyring file atomically (write a 0600 temp file, fsync, rename)."""
    path = keyring_path(app)
    temp = path.with_suffix(".tmp")
    if temp.exists():
        temp.unlink()
    write_private_file(temp, keyring.to_json())
    with open(temp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temp, path)
    app.extensions["herbert.keyring"] = keyring
