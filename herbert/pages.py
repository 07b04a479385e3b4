"""Public pages: the start page and the service's privacy, accessibility and cookies pages."""

from flask import Blueprint, render_template

bp = Blueprint("pages", __name__)


@bp.route("/")
def start():
    return render_template("pages/start.html")


@bp.route("/privacy")
def privacy():
    return render_template("pages/privacy.html")


@bp.route("/accessibility")
def accessibility():
    return render_template("pages/accessibility.html")


@bp.route("/cookies")
def cookies():
    return render_template("pages/cookies.html")
