"""The versioned JSON Schema of the export package's herbert-protocol.json.

The document part comes from the question registry (the form is the schema); this module wraps it in the
package envelope. The schema is also shipped as a file (herbert/data/herbert-protocol-v1.schema.json, and inside
every package); tests/handover/test_schema.py keeps the shipped file equal to what this module generates.
Regenerate it with `flask --app herbert export-schema` after changing the form.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

from herbert.handover.missing import report as missing

FORMAT = "herbert-protocol"
SCHEMA_VERSION = 1
SCHEMA_FILE = f"herbert-protocol-v{SCHEMA_VERSION}.schema.json"
SHIPPED_SCHEMA = Path(__file__).resolve().parents[2] / "data" / SCHEMA_FILE
PHOTO_FILE_PATTERN = r"^photos/[0-9]{2,3}-[a-z0-9_]{1,40}\.jpg$"
TEXT_MAX = 5000


def document_schema() -> dict[str, Any]:
    """The registry's schema of a form document ({section slug: {question name: value}})."""
    from herbert.questions import registry

    schema = dict(registry.document_schema())
    schema.pop("$schema", None)
    schema.pop("$id", None)
    return schema


def missing_report_schema() -> dict[str, Any]:
    text = {"type": "string", "maxLength": TEXT_MAX}
    listed = {"type": "array", "maxItems": 50, "items": {"type": "string", "maxLength": 200}}
    properties: dict[str, Any] = {key: text for key in missing.REPORT_KEYS}
    for key in ("clothing_picks", "clothing_photo_ids"):
        properties[key] = listed
    properties["items_carried"] = {"type": "array", "maxItems": 20, "items": {"enum": list(missing.ITEMS)}}
    properties["searches_done"] = {"type": "array", "maxItems": 20, "items": {"enum": list(missing.SEARCHES)}}
    for key in ("last_seen_at", "reported_at", "police_called_at", "found_at"):
        properties[key] = {"type": "string", "pattern": r"^$|^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$"}
    return {"type": "object", "additionalProperties": False, "properties": properties}


def package_schema() -> dict[str, Any]:
    """The whole herbert-protocol.json: the envelope with the document, versions, photos and report."""
    document = document_schema()
    defs = document.pop("$defs", {})
    defs = {**defs, "document": document, "missing_report": missing_report_schema()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:herbert-protocol:schema:v{SCHEMA_VERSION}",
        "title": f"Herbert Protocol record, package format version {SCHEMA_VERSION}",
        "description": (
            "herbert-protocol.json inside a Herbert Protocol export package (a zip). 'document' is the form "
            "as {section: {question: answer}}; lists of rows are arrays of objects with an 'id'. Photos are "
            "JPEG files in the package's photos/ folder, described here."
        ),
        "type": "object",
        "additionalProperties": False,
        "required": ["format", "schema_version", "document", "versions", "photos", "missing_report"],
        "properties": {
            "format": {"const": FORMAT},
            "schema_version": {"const": SCHEMA_VERSION},
            "exported_at": {"type": "string", "maxLength": 40},
            "document": {"$ref": "#/$defs/document"},
            "versions": {
                "type": "array",
                "maxItems": 500,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["number", "document"],
                    "properties": {
                        "number": {"type": "integer", "minimum": 1},
                        "published_at": {"type": ["string", "null"], "maxLength": 40},
                        "document": {"$ref": "#/$defs/document"},
                    },
                },
            },
            "photos": {
                "type": "array",
                "maxItems": 100,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["file", "kind", "primary"],
                    "properties": {
                        "file": {"type": "string", "pattern": PHOTO_FILE_PATTERN},
                        "kind": {"type": "string", "maxLength": 40},
                        "taken_on": {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                        "caption": {"type": "string", "maxLength": 500},
                        "primary": {"type": "boolean"},
                    },
                },
            },
            "missing_report": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/missing_report"}]},
        },
        "$defs": defs,
    }


def schema_text() -> str:
    return json.dumps(package_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


@cache
def shipped_schema_text() -> str:
    return SHIPPED_SCHEMA.read_text(encoding="utf-8")


def shipped_schema() -> dict[str, Any]:
    """The schema imports are checked against: the shipped file, never one found inside a package."""
    return json.loads(shipped_schema_text())
