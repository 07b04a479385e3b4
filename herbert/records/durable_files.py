"""Files that survive a crash: written aside (mode 0600), flushed to disk, moved into place, and the folder flushed.

A crash leaves either the old file or the new one, never half of one; at worst a stray `*.tmp` next to it,
which the sweep removes. Used for the keyring, photo blobs in the instance folder, and backups.
"""

import os
import secrets
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def write_aside(path: Path, data: bytes) -> Path:
    """A new 0600 file next to `path`, holding `data`, flushed to disk; returns its name (not yet in place)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = path.with_name(f"{path.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def replace_file(path: Path, data: bytes) -> None:
    """Write `path` atomically and durably, replacing whatever was there."""
    temp = write_aside(path, data)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


def create_file(path: Path, data: bytes) -> bool:
    """Write `path` atomically and durably unless it exists (then leave it alone): True if this call made it.
    Two processes racing agree on one file, and nobody reads a half-written one."""
    temp = write_aside(path, data)
    try:
        os.link(temp, path)
    except FileExistsError:
        return False
    finally:
        temp.unlink(missing_ok=True)
    fsync_folder(path.parent)
    return True


def fsync_folder(path: Path) -> None:
    """Flush a folder's entries (a rename is durable only once its folder is)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
