"""The load balancer's health check (GET /health): can this app server serve requests now?

It answers "ok" when the database answers, 503 otherwise, so a proxy takes a server that has lost its database
out of rotation. It checks nothing shared by every server (Redis, object storage): their loss would take every
server out at once, which helps nobody; monitor them on their own (docs/operations/deploy.md). It answers for
any host name, since a proxy probes a server by its own address, and it says nothing about anyone.
"""

import logging

from flask import Blueprint, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from herbert.extensions import db

PATH = "/health"

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get(PATH)
def health() -> Response:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.warning("health check failed: the database did not answer (%s)", type(error).__name__)
        return Response("database unavailable\n", 503, mimetype="text/plain")
    return Response("ok\n", 200, mimetype="text/plain")
