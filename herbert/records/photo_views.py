"""Photo upload, listing, primary choice and serving (carers only, no-store)."""

from flask import Blueprint

bp = Blueprint("photos", __name__)
