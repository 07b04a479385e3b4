"""Operator commands: `flask --app herbert export PERSON_ID OUTFILE`, `import FILE --owner EMAIL`, `export-schema`."""

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from herbert.audit import Action, record_event
from herbert.extensions import db
from herbert.handover.transfer import export, schema
from herbert.handover.transfer.importer import import_package
from herbert.handover.transfer.unpack import MAX_PACKAGE_BYTES, PackageRejected
from herbert.models import Person, User


@click.command("export")
@with_appcontext
@click.argument("person_id")
@click.argument("outfile", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_command(person_id: str, outfile: Path) -> None:
    """Write one person's export package (a zip) to OUTFILE ("-" for standard output)."""
    person = db.session.get(Person, person_id)
    if person is None or person.wrapped_key is None:
        raise click.ClickException("No such person.")
    package = export.export_person(person)
    if not package.has_pdf:
        click.echo("The PDF could not be made; the package has no PDF.", err=True)
    if str(outfile) == "-":
        sys.stdout.buffer.write(package.data)
    else:
        outfile.write_bytes(package.data)
        outfile.chmod(0o600)  # it holds health information: only its owner may read it
    record_event(Action.RECORD_EXPORT, person_id=person.id, detail="cli")
    if str(outfile) != "-":
        click.echo(f"Exported {len(package.data)} bytes ({package.photo_count} photos).")


@click.command("import")
@with_appcontext
@click.argument("package_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--owner", "owner_email", required=True, help="Email address of the account that will care for them.")
def import_command(package_file: Path, owner_email: str) -> None:
    """Import an export package as a new person cared for by --owner."""
    user = db.session.execute(db.select(User).filter_by(email=owner_email.strip().lower())).scalar_one_or_none()
    if user is None:
        raise click.ClickException("No account with that email address.")
    if package_file.stat().st_size > MAX_PACKAGE_BYTES:
        raise click.ClickException("The package is too large to import.")
    try:
        person_id = import_package(package_file.read_bytes(), user.id)
    except PackageRejected as rejected:
        raise click.ClickException(rejected.message) from None
    click.echo(f"Imported as person {person_id}.")


@click.command("export-schema")
@with_appcontext
def export_schema_command() -> None:
    """Regenerate the shipped JSON Schema file from the question registry."""
    schema.SHIPPED_SCHEMA.parent.mkdir(parents=True, exist_ok=True)
    schema.SHIPPED_SCHEMA.write_text(schema.schema_text(), encoding="utf-8")
    schema.shipped_schema_text.cache_clear()
    click.echo(f"Wrote {schema.SHIPPED_SCHEMA}")


def register(app: Flask) -> None:
    for command in (export_command, import_command, export_schema_command):
        app.cli.add_command(command)
