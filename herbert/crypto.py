"""Envelope encryption: AES-256-GCM data keys per person, wrapped by a keyring of key-encryption keys.

Pure functions and small classes, no Flask: herbert.records.store is the only caller outside tests
(and herbert.auth.two_factor, which seals account secrets with Keyring.wrap).
Every ciphertext is bound to where it belongs through associated data (table, record id, part), so a
ciphertext copied into another row or section fails to open instead of showing the wrong person's data.
"""

import base64
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENVELOPE_VERSION = b"\x01"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_VERSION_LABEL = encode_basestring_ascii(ENVELOPE_VERSION.hex())  # as json.dumps writes it in associated data


class DecryptionError(Exception):
    """A ciphertext would not open: tampered, truncated, moved to another record, or the wrong key.

    The message never includes plaintext or key material; callers log the record's id only.
    """


def new_data_key() -> bytes:
    """A fresh 256-bit AES key for one person."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def associated_data(table: str, record_id: str | int, part: str = "") -> bytes:
    """The label a ciphertext is bound to: it must match exactly when opening.

    JSON-encoded so that no two different (table, record, part) triples give the same bytes, whatever
    characters they contain (a "/"-joined label would not be: ("a/b", "c") and ("a", "b/c") collide).
    The envelope version is in the label, so a future format cannot be confused with this one.
    The bytes are exactly json.dumps of the list, written with json's own string encoder: a list that
    opens thousands of values (the residents dashboard) spent a tenth of its time in json.dumps.
    """
    table, record, part = (encode_basestring_ascii(value) for value in (table, str(record_id), part))
    return f'["herbert", {_VERSION_LABEL}, {table}, {record}, {part}]'.encode()


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt with a fresh random 96-bit nonce: version byte | nonce | ciphertext and tag.

    Random nonces are safe here: each data key seals at most thousands of values in its life, far below
    the 2**32 messages per key that NIST SP 800-38D allows with random 96-bit nonces.
    """
    nonce = os.urandom(NONCE_BYTES)
    return ENVELOPE_VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, envelope: bytes, aad: bytes) -> bytes:
    """Decrypt an envelope made by seal(); any mismatch raises DecryptionError (fails closed)."""
    return Opener(key).open(envelope, aad)


class Opener:
    """Opens envelopes sealed under one key, setting the key up once: a list that opens several values of
    each of hundreds of people (the residents dashboard) makes one per person, not one per value."""

    def __init__(self, key: bytes):
        self._aead = AESGCM(key)

    def open(self, envelope: bytes, aad: bytes) -> bytes:
        if not isinstance(envelope, bytes | bytearray | memoryview):
            raise DecryptionError("ciphertext is not bytes")
        envelope = bytes(envelope)
        if len(envelope) < 1 + NONCE_BYTES + TAG_BYTES or envelope[:1] != ENVELOPE_VERSION:
            raise DecryptionError("ciphertext is malformed or of an unknown version")
        nonce, body = envelope[1 : 1 + NONCE_BYTES], envelope[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, aad)
        except InvalidTag:
            raise DecryptionError("ciphertext failed authentication") from None


def data_key_aad(subject: str) -> bytes:
    """What a wrapped data key is bound to: the person it belongs to."""
    return associated_data("people", subject, "data-key")


class KeyWrapper(Protocol):
    """Wraps and unwraps people's data keys: the one seam between the store and where keys live.

    The local Keyring implements it; a KMS could too (Vault transit: wrap = encrypt with the subject as
    context, unwrap = decrypt, forget = a per-subject deny list, or a per-subject transit key deleted on
    erasure). `subject` is the person's id; implementations must bind each wrapped key to it.
    """

    @property
    def active_id(self) -> str: ...

    def wrap_data_key(self, data_key: bytes, subject: str) -> tuple[str, bytes]: ...

    def unwrap_data_key(self, kek_id: str, wrapped: bytes, subject: str) -> bytes: ...

    def is_forgotten(self, subject: str) -> bool: ...

    def forget(self, subject: str) -> None: ...


@dataclass
class Keyring:
    """Key-encryption keys by id. Exactly one is active (wraps new keys); the others only unwrap.

    `erased` lists the people whose data keys this keyring must never unwrap again (crypto-shredding
    that also holds against older database backups: see docs/operations/keys-and-backups.md).
    Key bytes are kept out of repr() so a keyring in a traceback or a log line shows no key material.
    """

    keys: dict[str, bytes] = field(default_factory=dict, repr=False)
    active: str = ""
    erased: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def generate(cls) -> "Keyring":
        keyring = cls()
        keyring.add_key()
        return keyring

    @classmethod
    def from_json(cls, text: str) -> "Keyring":
        """Parse and validate the keyring format: {"active": id, "keys": {id: base64 key}, "erased": [ids]}."""
        try:
            raw = json.loads(text)
            keys = {str(kid): base64.b64decode(value, validate=True) for kid, value in raw["keys"].items()}
            active = str(raw["active"])
            erased = {str(subject) for subject in raw.get("erased", [])}
        except (ValueError, KeyError, TypeError, AttributeError):
            # from None: a parser's message could quote part of the text, and the text holds keys.
            raise ValueError("keyring is not valid JSON of the form {active, keys, erased}") from None
        if not keys or active not in keys:
            raise ValueError("keyring's active key id is not among its keys")
        if any(not KEY_ID.match(kid) for kid in keys):
            raise ValueError("keyring key ids must be 1-64 letters, digits, '-' or '_'")
        if any(len(key) != KEY_BYTES for key in keys.values()):
            raise ValueError("every keyring key must be 32 bytes (base64)")
        if len(set(keys.values())) != len(keys):
            raise ValueError("keyring holds the same key under two ids")
        return cls(keys=keys, active=active, erased=erased)

    def to_json(self) -> str:
        keys = {kid: base64.b64encode(key).decode() for kid, key in self.keys.items()}
        return json.dumps({"active": self.active, "keys": keys, "erased": sorted(self.erased)}, indent=2) + "\n"

    def add_key(self) -> str:
        """Add a new key and make it active (the first step of rotation). Returns its id."""
        kid = "k" + secrets.token_hex(8)
        self.keys[kid] = new_data_key()
        self.active = kid
        return kid

    def retire_key(self, kid: str) -> None:
        """Drop a key that no longer wraps anything (the caller checks that). The active key stays."""
        if kid == self.active:
            raise ValueError("the active key cannot be retired")
        self.keys.pop(kid, None)

    @property
    def active_id(self) -> str:
        return self.active

    def wrap(self, plaintext: bytes, aad: bytes) -> tuple[str, bytes]:
        """Seal a small secret under the active key: (key id, envelope). Also used for account secrets."""
        return self.active, seal(self.keys[self.active], plaintext, aad)

    def unwrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes:
        key = self.keys.get(kek_id)
        if key is None:
            raise DecryptionError("value was sealed by a key that is not in this keyring")
        return open_sealed(key, wrapped, aad)

    def wrap_data_key(self, data_key: bytes, subject: str) -> tuple[str, bytes]:
        if subject in self.erased:
            raise DecryptionError("this person was erased: their key may not be wrapped again")
        return self.wrap(data_key, data_key_aad(subject))

    def unwrap_data_key(self, kek_id: str, wrapped: bytes, subject: str) -> bytes:
        if subject in self.erased:
            raise DecryptionError("this person was erased: the keyring refuses their data key")
        data_key = self.unwrap(kek_id, wrapped, data_key_aad(subject))
        if len(data_key) != KEY_BYTES:
            raise DecryptionError("unwrapped data key has the wrong length")
        return data_key

    def is_forgotten(self, subject: str) -> bool:
        return subject in self.erased

    def forget(self, subject: str) -> None:
        """In memory only; herbert.records.keys persists it to the keyring file."""
        self.erased.add(subject)
