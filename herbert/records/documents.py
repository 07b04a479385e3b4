"""PDF downloads of a person's published versions and draft."""

from flask import Blueprint

bp = Blueprint("documents", __name__)
