"""The Alembic migrations build exactly the tables the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from herbert.extensions import db


def test_migrations_match_models(app, backend):
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
        with db.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert differences == [], "models changed without a migration: run `flask --app herbert db migrate`"
        downgrade(revision="base")
        upgrade()
        db.session.remove()
