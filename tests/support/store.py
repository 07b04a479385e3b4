"""Helpers for the record store's batteries (B9, B10, B12, B13, B18): people, canaries, searching bytes,
and running the app's own commands in real subprocesses."""

import base64
import io
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

from flask import Flask
from PIL import Image

from herbert import crypto
from herbert.extensions import db
from herbert.models import DraftSection, Membership, Person, User
from herbert.records.keys import key_wrapper, load_keyring

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
FLASK = str(Path(sys.executable).with_name("flask"))
WORKER = ("-m", "tests.support.store_worker")  # run from ROOT: python -m tests.support.store_worker ...
CANARY_PREFIX = "HerbertCanary7xQ"  # every canary starts with it, so one search per encoding finds any of them


def make_user(email: str | None = None) -> int:
    user = User(email=email or f"{secrets.token_hex(6)}@example.com", password_hash="not-a-real-hash")
    db.session.add(user)
    db.session.commit()
    return user.id


def seed_people(user_id: int, count: int) -> list[str]:
    """Many people at once (one commit), each with a summary and one draft section: for rotation tests."""
    wrapper = key_wrapper()
    ids, later = [], []
    for n in range(count):
        person_id = secrets.token_hex(16)
        key = crypto.new_data_key()
        kek_id, wrapped = wrapper.wrap_data_key(key, person_id)
        summary = crypto.seal(
            key, f'{{"name":"Person {n}"}}'.encode(), crypto.associated_data("people", person_id, "summary")
        )
        section = crypto.seal(
            key, f'{{"n":{n}}}'.encode(), crypto.associated_data("draft_sections", person_id, "about-the-person")
        )
        db.session.add(Person(id=person_id, kek_id=kek_id, wrapped_key=wrapped, summary_sealed=summary))
        later.append(Membership(user_id=user_id, person_id=person_id))
        later.append(DraftSection(person_id=person_id, section="about-the-person", answers_sealed=section))
        ids.append(person_id)
    db.session.flush()  # people first: the other rows refer to them
    db.session.add_all(later)
    db.session.commit()
    return ids


# --- canaries -------------------------------------------------------------------------------------


def canary(label: str) -> str:
    return f"{CANARY_PREFIX}-{label}-{secrets.token_hex(4)}"


def canary_document() -> tuple[dict[str, dict[str, Any]], list[str]]:
    """A document with a unique canary in every field of the real form (herbert.questions.registry),
    including every row question of "add another" lists. Falls back to a synthetic document if the
    registry is not importable.
    TODO(registry): if the registry's Question API changes, keep this walking every question and row."""
    canaries: list[str] = []

    def value_for(name: str, kind: str) -> Any:
        if kind == "multi_choice":
            values = [canary(f"{name}-a"), canary(f"{name}-b")]
            canaries.extend(values)
            return values
        value = canary(name)
        canaries.append(value)
        return value

    try:
        from herbert.questions.registry import SECTIONS, iter_questions
    except ImportError:  # the registry is not there: a synthetic document with every kind of value
        document = {
            f"section-{s}": {f"field_{f}": value_for(f"s{s}f{f}", "text") for f in range(12)} for s in range(13)
        }
        document["section-0"]["rows"] = [{"id": f"r{r}", "what": value_for(f"row{r}", "text")} for r in range(5)]
        document["section-0"]["choices"] = value_for("choices", "multi_choice")
        return document, canaries

    document: dict[str, dict[str, Any]] = {}
    for section in SECTIONS:
        answers: dict[str, Any] = {}
        for question in iter_questions(section):
            if question.kind == "rows" or question.row_questions:
                answers[question.name] = [
                    {"id": f"row{r}"} | {q.name: value_for(f"{q.name}{r}", q.kind) for q in question.row_questions}
                    for r in range(3)
                ]
            else:
                answers[question.name] = value_for(question.name, question.kind)
        document[section.slug] = answers
    return document, canaries


def encodings(text: str) -> dict[str, bytes]:
    """How a string could appear on disk: UTF-8, UTF-16 (LE and BE), hex, and base64 at every alignment."""
    raw = text.encode()
    found = {
        "utf-8": raw,
        "utf-16le": text.encode("utf-16-le"),
        "utf-16be": text.encode("utf-16-be"),
        "hex": raw.hex().encode(),
        "HEX": raw.hex().upper().encode(),
    }
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + raw)
        core = encoded[4 if offset else 0 : -4]  # the characters that depend on `text` alone
        found[f"base64+{offset}"] = core
        found[f"base64url+{offset}"] = core.replace(b"+", b"-").replace(b"/", b"_")
    return found


PREFIX_PATTERNS = encodings(CANARY_PREFIX)


def canary_hits(data: bytes) -> list[str]:
    """Which encodings of the canary prefix occur in `data` (empty when no canary leaked)."""
    return [name for name, pattern in PREFIX_PATTERNS.items() if pattern in data]


def search_paths(paths: list[Path]) -> dict[str, list[str]]:
    """{file: encodings found} for every file under the given files and folders."""
    hits: dict[str, list[str]] = {}
    for path in paths:
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()] if path.exists() else []
        for file in files:
            found = canary_hits(file.read_bytes())
            if found:
                hits[str(file)] = found
    return hits


def jpeg_with_exif(text: str) -> bytes:
    """A small real JPEG whose EXIF description, artist and comment hold `text`."""
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010E] = text  # ImageDescription
    exif[0x013B] = text  # Artist
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=text.encode())
    data = out.getvalue()
    assert text.encode() in data  # the canary really is in the file we hand to the store
    return data


# --- subprocesses ---------------------------------------------------------------------------------


def subprocess_env(app: Flask, **extra: str) -> dict[str, str]:
    """Environment for a child process that opens the same instance (keyring file, blobs, database)."""
    from tests.support.blob_backends import blob_environment

    load_keyring(app)  # make sure the keyring file exists before any child could race to create it
    env = os.environ.copy()
    env.update(
        {
            "HERBERT_INSTANCE_PATH": app.instance_path,
            "HERBERT_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "PYTHONPATH": str(ROOT),
        }
        | blob_environment(app)
    )
    env.update(extra)
    return env


def run_flask(app: Flask, *args: str, env: dict[str, str] | None = None, timeout: float = 120):
    return subprocess.run(
        [FLASK, "--app", "herbert", *args],
        env=env or subprocess_env(app),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
