"""herbert.crypto without Flask: envelopes, associated data, the keyring format (part of B9)."""

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herbert import crypto
from herbert.crypto import DecryptionError, Keyring


@pytest.fixture
def key() -> bytes:
    return crypto.new_data_key()


AAD = crypto.associated_data("draft_sections", "p1", "health")


def test_seal_and_open_round_trip(key):
    envelope = crypto.seal(key, b"Takes donepezil 10 mg at night", AAD)
    assert envelope[:1] == crypto.ENVELOPE_VERSION
    assert b"donepezil" not in envelope
    assert crypto.open_sealed(key, envelope, AAD) == b"Takes donepezil 10 mg at night"


def test_every_flipped_bit_fails_closed(key):
    envelope = crypto.seal(key, b"home address: 1 Example Road", AAD)
    for position in range(len(envelope)):
        for bit in (0x01, 0x80):
            tampered = bytearray(envelope)
            tampered[position] ^= bit
            with pytest.raises(DecryptionError):
                crypto.open_sealed(key, bytes(tampered), AAD)


def test_every_truncation_and_extension_fails_closed(key):
    envelope = crypto.seal(key, b"medication list", AAD)
    for length in range(len(envelope)):
        with pytest.raises(DecryptionError):
            crypto.open_sealed(key, envelope[:length], AAD)
    with pytest.raises(DecryptionError):
        crypto.open_sealed(key, envelope + b"\x00", AAD)


@pytest.mark.parametrize(
    "other",
    [
        crypto.associated_data("draft_sections", "p2", "health"),  # another person's row
        crypto.associated_data("draft_sections", "p1", "contacts"),  # another section
        crypto.associated_data("revisions", "p1", "health"),  # another table
        crypto.associated_data("draft_sections", "p1", ""),
    ],
)
def test_ciphertext_moved_elsewhere_fails_closed(key, other):
    envelope = crypto.seal(key, b"answers", AAD)
    with pytest.raises(DecryptionError):
        crypto.open_sealed(key, envelope, other)


def test_wrong_key_and_wrong_types_fail_closed(key):
    envelope = crypto.seal(key, b"answers", AAD)
    with pytest.raises(DecryptionError):
        crypto.open_sealed(crypto.new_data_key(), envelope, AAD)
    with pytest.raises(DecryptionError):
        crypto.open_sealed(key, None, AAD)  # type: ignore[arg-type]
    with pytest.raises(DecryptionError):
        crypto.open_sealed(key, b"\x02" + envelope[1:], AAD)  # unknown envelope version


def test_associated_data_labels_cannot_collide():
    assert crypto.associated_data("a/b", "c") != crypto.associated_data("a", "b/c")
    assert crypto.associated_data("t", "1", "x/y") != crypto.associated_data("t", "1/x", "y")
    assert crypto.associated_data("t", 7, "p") == crypto.associated_data("t", "7", "p")


def test_associated_data_keeps_the_bytes_every_stored_record_was_sealed_with():
    """Every ciphertext on disk is bound to these exact bytes: a label written differently would make all of
    them fail to open."""
    assert crypto.associated_data("people", "ab12", "summary") == b'["herbert", "01", "people", "ab12", "summary"]'
    assert crypto.associated_data("users", 7) == b'["herbert", "01", "users", "7", ""]'


@given(st.text(), st.one_of(st.text(), st.integers()), st.text())
def test_associated_data_is_json_of_the_label_whatever_it_holds(table, record_id, part):
    expected = json.dumps(["herbert", "01", table, str(record_id), part]).encode()
    assert crypto.associated_data(table, record_id, part) == expected


def test_an_opener_opens_many_values_of_one_key_and_fails_closed_like_open_sealed(key):
    opener = crypto.Opener(key)
    envelopes = [crypto.seal(key, f"value {n}".encode(), AAD) for n in range(3)]
    assert [opener.open(envelope, AAD) for envelope in envelopes] == [b"value 0", b"value 1", b"value 2"]
    with pytest.raises(DecryptionError):
        opener.open(envelopes[0], crypto.associated_data("draft_sections", "p2", "health"))
    with pytest.raises(DecryptionError):
        crypto.Opener(crypto.new_data_key()).open(envelopes[0], AAD)


def test_100k_seals_never_repeat_a_nonce(key):
    nonces = {crypto.seal(key, b"", AAD)[1:13] for _ in range(100_000)}
    print(f"\nB9 nonces: 100000 seals, {len(nonces)} distinct nonces, {100_000 - len(nonces)} repeats")
    assert len(nonces) == 100_000


def test_keyring_json_round_trip_and_repr_hides_keys():
    keyring = Keyring.generate()
    first = keyring.active
    second = keyring.add_key()
    keyring.forget("p-erased")
    again = Keyring.from_json(keyring.to_json())
    assert again.keys == keyring.keys and again.active == second and again.erased == {"p-erased"}
    for key in keyring.keys.values():
        assert base64.b64encode(key).decode() not in repr(keyring)
        assert key.hex() not in repr(keyring)
    keyring.retire_key(first)
    assert set(keyring.keys) == {second}
    with pytest.raises(ValueError):
        keyring.retire_key(second)  # the active key stays


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "{}",
        json.dumps({"active": "k1", "keys": {}}),
        json.dumps({"active": "k2", "keys": {"k1": base64.b64encode(bytes(32)).decode()}}),
        json.dumps({"active": "k1", "keys": {"k1": base64.b64encode(bytes(16)).decode()}}),
        json.dumps({"active": "k1", "keys": {"k1": "!!not base64!!"}}),
        json.dumps({"active": "k/1", "keys": {"k/1": base64.b64encode(bytes(32)).decode()}}),
        json.dumps(
            {
                "active": "a",
                "keys": {"a": base64.b64encode(bytes(32)).decode(), "b": base64.b64encode(bytes(32)).decode()},
            }
        ),
    ],
)
def test_malformed_keyrings_are_refused_without_echoing_them(text):
    with pytest.raises(ValueError) as error:
        Keyring.from_json(text)
    assert "AAAA" not in str(error.value) and error.value.__cause__ is None


def test_data_keys_are_bound_to_their_person_and_refused_once_erased():
    keyring = Keyring.generate()
    data_key = crypto.new_data_key()
    kek_id, wrapped = keyring.wrap_data_key(data_key, "p1")
    assert keyring.unwrap_data_key(kek_id, wrapped, "p1") == data_key
    with pytest.raises(DecryptionError):
        keyring.unwrap_data_key(kek_id, wrapped, "p2")  # a wrapped key moved to another person
    with pytest.raises(DecryptionError):
        keyring.unwrap_data_key("k-missing", wrapped, "p1")
    keyring.forget("p1")
    with pytest.raises(DecryptionError):
        keyring.unwrap_data_key(kek_id, wrapped, "p1")
    with pytest.raises(DecryptionError):
        keyring.wrap_data_key(data_key, "p1")


def test_older_keys_still_unwrap_after_a_new_key_is_added():
    keyring = Keyring.generate()
    data_key = crypto.new_data_key()
    old_id, wrapped = keyring.wrap_data_key(data_key, "p1")
    new_id = keyring.add_key()
    assert new_id != old_id and keyring.active_id == new_id
    assert keyring.unwrap_data_key(old_id, wrapped, "p1") == data_key
    assert keyring.wrap_data_key(data_key, "p1")[0] == new_id
