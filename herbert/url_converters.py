"""URL converters. `int` is bounded, so a huge number in a URL is a 404 rather than an OverflowError (500)
when the database is asked about it (SQLite and PostgreSQL integers are 64-bit at most)."""

from werkzeug.routing import IntegerConverter

LARGEST_ID = 2**31 - 1  # larger than any version number, share id or report id we will make


class BoundedIntegerConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs):  # noqa: A002  (Werkzeug's own parameter name)
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)
