"""Missing-now flow, share creation and revocation, export and import, found."""

from flask import Blueprint

bp = Blueprint("handover", __name__)
