"""Account page: password change, two-factor set-up, account deletion."""

from flask import Blueprint, render_template

from herbert.auth.guard import login_required

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("")
@login_required
def overview():
    return render_template("account/overview.html")
