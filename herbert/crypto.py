"""Envelope encryption: AES-256-GCM data keys per person, wrapped by a keyring of key-encryption keys.

Pure functions and small classes, no Flask: herbert.records.store is the only caller outside tests.
Every ciphertext is bound to where it belongs through associated data (table, record id, part), so a
ciphertext copied into another row or section fails to open instead of showing the wrong person's data.
"""

import base64
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENVELOPE_VERSION = b"\x01"
NONCE_BYTES = 12
KEY_BYTES = 32


class DecryptionError(Exception):
    """A ciphertext would not open: tampered, truncated, moved to another record, or the wrong key.

    The message never includes plaintext or key material; callers log the record's id only.
    """


def new_data_key() -> bytes:
    """A fresh 256-bit AES key for one person."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def associated_data(table: str, record_id: str | int, part: str = "") -> bytes:
    """The label a ciphertext is bound to: it must match exactly when opening."""
    return f"herbert/{table}/{record_id}/{part}".encode()


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt with a fresh random 96-bit nonce: version byte | nonce | ciphertext and tag."""
    nonce = os.urandom(NONCE_BYTES)
    return ENVELOPE_VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, envelope: bytes, aad: bytes) -> bytes:
    """Decrypt an envelope made by seal(); any mismatch raises DecryptionError (fails closed)."""
    if len(envelope) < 1 + NONCE_BYTES + 16 or envelope[:1] != ENVELOPE_VERSION:
        raise DecryptionError("ciphertext is malformed or of an unknown version")
    nonce, body = envelope[1 : 1 + NONCE_BYTES], envelope[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag:
        raise DecryptionError("ciphertext failed authentication") from None


class KeyWrapper(Protocol):
    """Wraps and unwraps data keys. The local keyring implements it; a KMS (Vault transit) could too."""

    @property
    def active_id(self) -> str: ...

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[str, bytes]: ...

    def unwrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes: ...


@dataclass
class Keyring:
    """Key-encryption keys by id. Exactly one is active (wraps new keys); the others only unwrap."""

    keys: dict[str, bytes] = field(default_factory=dict)
    active: str = ""

    @classmethod
    def generate(cls) -> "Keyring":
        keyring = cls()
        keyring.add_key()
        return keyring

    @classmethod
    def from_json(cls, text: str) -> "Keyring":
        """Parse and validate the keyring file format: {"active": id, "keys": {id: base64 key}}."""
        try:
            raw = json.loads(text)
            keys = {str(kid): base64.b64decode(value, validate=True) for kid, value in raw["keys"].items()}
            active = str(raw["active"])
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ValueError("keyring is not valid JSON of the form {active, keys}") from error
        if active not in keys:
            raise ValueError("keyring's active key id is not among its keys")
        if any(len(key) != KEY_BYTES for key in keys.values()):
            raise ValueError("every keyring key must be 32 bytes (base64)")
        return cls(keys=keys, active=active)

    @classmethod
    def from_file(cls, path: Path) -> "Keyring":
        return cls.from_json(path.read_text())

    def to_json(self) -> str:
        keys = {kid: base64.b64encode(key).decode() for kid, key in self.keys.items()}
        return json.dumps({"active": self.active, "keys": keys}, indent=2)

    def add_key(self) -> str:
        """Add a new key and make it active (the first step of rotation). Returns its id."""
        kid = "k" + secrets.token_hex(8)
        self.keys[kid] = new_data_key()
        self.active = kid
        return kid

    @property
    def active_id(self) -> str:
        return self.active

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[str, bytes]:
        return self.active, seal(self.keys[self.active], data_key, aad)

    def unwrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes:
        key = self.keys.get(kek_id)
        if key is None:
            raise DecryptionError("data key was wrapped by a key that is not in this keyring")
        return open_sealed(key, wrapped, aad)
