"""The JSON Schema shipped in herbert/handover/schema/ equals the one generated from the question registry."""

from jsonschema import Draft202012Validator

from herbert.handover.transfer import schema


def test_shipped_schema_equals_the_generated_one():
    assert schema.SHIPPED_SCHEMA.read_text(encoding="utf-8") == schema.schema_text(), (
        "The form changed: run `flask --app herbert export-schema` and commit the file"
    )


def test_shipped_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(schema.shipped_schema())
