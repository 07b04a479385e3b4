"""The carer's dashboard of people and each person's overview page."""

from flask import Blueprint, render_template

from herbert.auth.guard import login_required

bp = Blueprint("people", __name__)


@bp.route("/people")
@login_required
def dashboard():
    return render_template("people/dashboard.html", people=[])
