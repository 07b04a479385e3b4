"""The generic question-page view driven by the section registry."""

from flask import Blueprint

bp = Blueprint("questions", __name__)
