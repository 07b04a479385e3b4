"""Where sealed blobs live: the instance folder (the default) or S3-compatible object storage.

One small interface, `BlobStore` (put, get, delete, exists, list_keys), so a deployment can leave one machine
without anything above this module knowing. Which store is used is configuration alone: `HERBERT_S3_BUCKET`
set means object storage (with `HERBERT_S3_ENDPOINT_URL` for non-AWS services, `HERBERT_S3_PREFIX`, and
boto3's standard `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_DEFAULT_REGION`); otherwise the folder
`BLOB_PATH` in the instance.

What goes in is what went on disk before: sealed envelopes only (put refuses anything that does not start
with herbert.crypto's envelope version byte, so a plaintext slip fails loudly instead of being stored).
Keys are chosen by the caller and must reveal nothing: photos use their random 128-bit photo id, never a
name or a person id. Keys are lower-case letters, digits and dashes, so they never name a path outside
the store. Another kind of blob (e.g. cached sealed PDFs) should use a key with its own prefix
("pdf-<random hex>") so photo housekeeping (the sweep, backups), which only looks at 32-hex keys, leaves
it to its owner.

Objects are written private: no ACL is ever sent, so the bucket's own (private) policy applies.
"""

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app

from herbert.crypto import ENVELOPE_VERSION
from herbert.records.durable_files import TEMP_SUFFIX, replace_file

KEY = re.compile(r"^[0-9a-z][0-9a-z-]{0,99}$")
PHOTO_KEY = re.compile(r"^[0-9a-f]{32}$")  # photo blobs: housekeeping (sweep, backup) touches only these
FOLDER_SUFFIX = ".bin"


class BlobMissing(Exception):
    """No blob under that key (never written, deleted, or lost). Holds the key only."""


class BlobStore(Protocol):
    """What the record store needs from a place to keep sealed bytes."""

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` durably, replacing any blob there: afterwards get(key) returns it,
        from any process on any host; a crash leaves the old blob or the new one, never half of one."""

    def get(self, key: str) -> bytes:
        """The bytes under `key`; raises BlobMissing if there are none."""

    def delete(self, key: str) -> None:
        """Remove the blob under `key`; nothing there is not an error."""

    def exists(self, key: str) -> bool: ...

    def list_keys(self, modified_before: float | None = None) -> Iterator[str]:
        """Every key in the store (optionally only blobs last written before a Unix time)."""

    def remove_unfinished(self, modified_before: float) -> int:
        """Clear writes a crash interrupted (older than the time given); returns how many."""

    def describe(self) -> str:
        """Where the blobs are, for operators' messages (never a credential)."""


def check_key(key: str) -> str:
    if not isinstance(key, str) or not KEY.match(key):
        raise ValueError("not a blob key")  # keys are ours (random ids): anything else never names a blob
    return key


def check_sealed(data: bytes) -> bytes:
    if not isinstance(data, bytes | bytearray) or data[:1] != ENVELOPE_VERSION:
        raise ValueError("only sealed envelopes (herbert.crypto.seal) may be stored as blobs")
    return bytes(data)


# --- the instance folder --------------------------------------------------------------------------


class FolderBlobStore:
    """Blobs as files `<key>.bin` (mode 0600) in one folder (mode 0700): zero set-up, one machine."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _folder(self) -> Path:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.folder

    def path(self, key: str) -> Path:
        return self.folder / f"{check_key(key)}{FOLDER_SUFFIX}"

    def put(self, key: str, data: bytes) -> None:
        """Write to a temp file, fsync, rename, fsync the folder: a crash leaves the old state or a stray .tmp
        (which the sweep removes), never a half-written blob under its real name."""
        replace_file(self._folder() / f"{check_key(key)}{FOLDER_SUFFIX}", check_sealed(data))

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise BlobMissing(key) from None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def list_keys(self, modified_before: float | None = None) -> Iterator[str]:
        if not self.folder.is_dir():
            return
        for path in self.folder.glob(f"*{FOLDER_SUFFIX}"):
            key = path.name.removesuffix(FOLDER_SUFFIX)
            if KEY.match(key) and (modified_before is None or _mtime_before(path, modified_before)):
                yield key

    def remove_unfinished(self, modified_before: float) -> int:
        removed = 0
        if self.folder.is_dir():
            for path in self.folder.glob(f"*{TEMP_SUFFIX}"):
                if _mtime_before(path, modified_before):
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed

    def describe(self) -> str:
        return f"the folder {self.folder}"


def _mtime_before(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime <= cutoff
    except FileNotFoundError:
        return False


# --- S3-compatible object storage -----------------------------------------------------------------


class S3BlobStore:
    """Blobs as objects `<prefix><key>` in one bucket, through boto3.

    The bucket is made (private) by the operator, not by the app. Credentials come from boto3's own
    chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, an instance role, ...), never from our config.
    A boto3 client is thread-safe but must not cross a fork, so each process makes its own on first use.
    Checksums are sent only where the API requires them: S3-compatible servers other than AWS often
    reject the newer default trailing checksums, and each blob is an AES-GCM envelope whose tag already
    proves its integrity when it is opened.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        connect_timeout: float = 3,
        read_timeout: float = 15,
    ) -> None:
        if prefix and not re.match(r"^[0-9A-Za-z._/-]+$", prefix):
            raise RuntimeError("HERBERT_S3_PREFIX may hold only letters, digits and . _ / -")
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint_url = endpoint_url or None
        self.region = region or None
        self.timeouts = (connect_timeout, read_timeout)
        self._clients: dict[int, Any] = {}
        self._lock = threading.Lock()

    def client(self) -> Any:
        pid = os.getpid()
        client = self._clients.get(pid)
        if client is None:
            with self._lock:
                client = self._clients.get(pid)
                if client is None:
                    from botocore.config import Config

                    config = Config(
                        connect_timeout=self.timeouts[0],
                        read_timeout=self.timeouts[1],
                        retries={"mode": "standard", "max_attempts": 3},
                        s3={"addressing_style": "path"} if self.endpoint_url else {},
                        request_checksum_calculation="when_required",
                        response_checksum_validation="when_required",
                        max_pool_connections=20,
                    )
                    client = _boto3_session(pid).client(
                        "s3", endpoint_url=self.endpoint_url, region_name=self.region, config=config
                    )
                    self._clients = {pid: client}  # a client inherited across a fork is dropped, not used
        return client

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes) -> None:
        """One PutObject: S3 makes an object visible whole or not at all, so no temp name is needed."""
        self.client().put_object(
            Bucket=self.bucket, Key=self._name(key), Body=check_sealed(data), ContentType="application/octet-stream"
        )

    def get(self, key: str) -> bytes:
        client = self.client()
        try:
            return client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"].read()
        except client.exceptions.NoSuchKey:
            raise BlobMissing(key) from None

    def delete(self, key: str) -> None:
        self.client().delete_object(Bucket=self.bucket, Key=self._name(key))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client().head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def list_keys(self, modified_before: float | None = None) -> Iterator[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) :]
                if not KEY.match(key):
                    continue  # someone else's object under our prefix (or a deeper "folder"): not ours to touch
                if modified_before is None or item["LastModified"].timestamp() <= modified_before:
                    yield key

    def remove_unfinished(self, modified_before: float) -> int:
        """Nothing to clear: a PutObject is whole or absent, and we never start multipart uploads (a bucket
        lifecycle rule, AbortIncompleteMultipartUpload, tidies any a tool leaves: docs/operations/deploy.md)."""
        return 0

    def describe(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"the bucket {self.bucket}{where} (prefix {self.prefix!r})"


_sessions: dict[int, Any] = {}
_sessions_lock = threading.Lock()


def _boto3_session(pid: int) -> Any:
    """One boto3 session per process: it caches the parsed service models, so a second client (another app
    in the same process, as in tests) costs milliseconds, not the half-second of loading them again."""
    with _sessions_lock:
        session = _sessions.get(pid)
        if session is None:
            import boto3

            session = boto3.session.Session()
            _sessions.clear()  # a session inherited across a fork is dropped, not used
            _sessions[pid] = session
        return session


# --- choosing one ---------------------------------------------------------------------------------


def store_from_config(config: Any) -> BlobStore:
    """The store the configuration names: object storage when S3_BUCKET is set, else the blob folder."""
    bucket = config.get("S3_BUCKET")
    if bucket:
        return S3BlobStore(
            bucket=bucket,
            prefix=config.get("S3_PREFIX") or "",
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            region=os.environ.get("AWS_DEFAULT_REGION") or None,
            connect_timeout=float(config.get("S3_CONNECT_TIMEOUT_SECONDS", 3)),
            read_timeout=float(config.get("S3_READ_TIMEOUT_SECONDS", 15)),
        )
    return FolderBlobStore(config["BLOB_PATH"])


def blob_store(app: Flask | None = None) -> BlobStore:
    """This app's blob store, made once per app (each process builds its own S3 client lazily)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    store = app.extensions.get("herbert.blob_store")
    if store is None:
        store = app.extensions["herbert.blob_store"] = store_from_config(app.config)
    return store
