"""The police side of a share: access code entry and the read-only view."""

from flask import Blueprint

bp = Blueprint("police", __name__)
