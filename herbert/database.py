"""Database engine settings: SQLite in WAL mode with a busy timeout, so concurrent saves wait, not fail."""

import logging
import sqlite3

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def configure_sqlite(dbapi_connection, connection_record) -> None:  # noqa: ARG001 (SQLAlchemy's signature)
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA busy_timeout=30000")  # wait up to 30 s for a lock instead of "database is locked"
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged save survives a crash or power cut
    cursor.execute("PRAGMA foreign_keys=ON")
    # Zero deleted pages, so an erased person's wrapped key and ciphertext do not linger in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def init_database(app: Flask) -> None:
    """Engine policy lives here. Pillow logs EXIF values at DEBUG: keep it quiet so no photo metadata
    (which may hold GPS positions or names) can ever reach a log."""
    logging.getLogger("PIL").setLevel(logging.WARNING)
