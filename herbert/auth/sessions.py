"""Server-side, revocable sessions.

The cookie holds only a random 256-bit token; the database holds its SHA-256 and a small JSON dict
(CSRF token, user id, flags — never personal data). Deleting rows ends sessions everywhere, which is
how sign-out, password change and account deletion revoke them. Idle (30 min) and absolute (12 h)
expiry are enforced here on every request, against herbert.clock so tests can move time. Because
last_seen_at is written at most once a minute, a session may end up to a minute before the idle limit.

Rows only for visitors who have proved something: a signed-in carer, one half-way through two-factor
sign-in, or police who entered a share's access code (ROW_KEYS). Anonymous visitors (anyone can make
as many as they like) get no row: their few session values (the CSRF token, a flash message, "you
were signed out") travel in a separate cookie signed with the secret key (VISITOR_COOKIE), which holds
no personal data and proves nothing. So page views by strangers cannot grow the table.
"""

import hashlib
import json
import secrets
from datetime import timedelta

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import CallbackDict

from herbert.clock import utcnow
from herbert.extensions import db
from herbert.models import WebSession

TOUCH_EVERY = timedelta(seconds=60)  # write last_seen_at at most once a minute per session
TIMED_OUT = "timed_out"  # session flag: the last session ended by idle or absolute timeout
ROW_KEYS = ("user_id", "pending_user_id", "police_access")  # a session holding any of these is kept server-side
VISITOR_COOKIE = "herbert_visitor"  # an anonymous visitor's signed session values (no row)
VISITOR_COOKIE_MAX_BYTES = 3000


def needs_row(session: dict) -> bool:
    return any(session.get(key) for key in ROW_KEYS)


def _visitor_serializer(app: Flask) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(app.config["SECRET_KEY"]), salt="herbert-visitor-session")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    """The session dict Flask sees, plus the bookkeeping needed to save it server-side."""

    def __init__(self, initial: dict | None = None, token: str | None = None, row_id: int | None = None):
        def on_update(this: "ServerSession") -> None:
            this.modified = True

        super().__init__(initial or {}, on_update)
        self.token = token
        self.row_id = row_id
        self.modified = False
        self.rotate = False  # set by rotate_session(): issue a new token, drop the old row
        self.expired = False  # the visitor had a session that timed out (so we can say so)
        self.from_visitor_cookie = False  # an anonymous visitor's values, read from VISITOR_COOKIE

    @property
    def new(self) -> bool:  # type: ignore[override]
        return self.row_id is None


class ServerSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession:
        token = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        if not token or len(token) > 128:
            return self._visitor_session(app, request)
        row = db.session.execute(db.select(WebSession).filter_by(token_hash=hash_token(token))).scalar_one_or_none()
        if row is None:
            session = self._visitor_session(app, request)
            session.expired = True  # the token cookie names no session: drop it
            return session
        now = utcnow()
        idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
        absolute = timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])
        if now - row.last_seen_at > idle or now - row.created_at > absolute:
            was_signed_in = row.user_id is not None
            db.session.delete(row)
            db.session.commit()
            # A signed-in visitor gets a fresh anonymous session that only says why they were signed out
            # (shown once on the sign-in page); an anonymous one simply loses the cookie.
            session = ServerSession({TIMED_OUT: True} if was_signed_in else None)
            session.modified = was_signed_in
            session.expired = True
            return session
        session = ServerSession(json.loads(row.data), token=token, row_id=row.id)
        if now - row.last_seen_at > TOUCH_EVERY:
            row.last_seen_at = now
            db.session.commit()
        return session

    def _visitor_session(self, app: Flask, request: Request) -> ServerSession:
        """An anonymous visitor's values from their signed cookie (or an empty session)."""
        value = request.cookies.get(VISITOR_COOKIE)
        if not value or len(value) > VISITOR_COOKIE_MAX_BYTES:
            return ServerSession()
        try:
            data = _visitor_serializer(app).loads(value, max_age=app.config["SESSION_ABSOLUTE_HOURS"] * 3600)
        except BadSignature:
            return ServerSession()
        if not isinstance(data, dict) or needs_row(data):  # only ever written without those keys
            return ServerSession()
        session = ServerSession(data)
        session.from_visitor_cookie = True
        return session

    def _save_visitor(self, app: Flask, session: ServerSession, response: Response, cookie: dict) -> None:
        """No row for an anonymous visitor: their values go in the signed visitor cookie."""
        name = app.config["SESSION_COOKIE_NAME"]
        if session.row_id is not None:  # e.g. just signed out: the old row goes
            db.session.execute(db.delete(WebSession).filter_by(id=session.row_id))
            db.session.commit()
            response.delete_cookie(name, path="/")
        elif session.expired:
            response.delete_cookie(name, path="/")
        if not session:
            if session.from_visitor_cookie or session.modified:
                response.delete_cookie(VISITOR_COOKIE, path="/")
            return
        if session.modified or session.rotate or not session.from_visitor_cookie:
            response.set_cookie(VISITOR_COOKIE, _visitor_serializer(app).dumps(dict(session)), **cookie)

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:  # type: ignore[override]
        name = app.config["SESSION_COOKIE_NAME"]
        cookie = {
            "httponly": True,
            "secure": app.config["SESSION_COOKIE_SECURE"],
            "samesite": app.config["SESSION_COOKIE_SAMESITE"],
            "path": "/",
        }
        if not needs_row(session):
            self._save_visitor(app, session, response, cookie)
            return
        if session.from_visitor_cookie:
            response.delete_cookie(VISITOR_COOKIE, path="/")
            session.rotate = True  # first row for this visitor: always a fresh token
        if not session and session.new:
            if session.expired:
                response.delete_cookie(name, path="/")
            return
        if not session and session.modified:  # cleared, e.g. sign-out
            if session.row_id is not None:
                db.session.execute(db.delete(WebSession).filter_by(id=session.row_id))
                db.session.commit()
            response.delete_cookie(name, path="/")
            return
        if session.new or session.rotate:
            if session.row_id is not None:
                db.session.execute(db.delete(WebSession).filter_by(id=session.row_id))
            token = secrets.token_urlsafe(32)
            row = WebSession(
                token_hash=hash_token(token), user_id=session.get("user_id"), data=json.dumps(dict(session))
            )
            db.session.add(row)
            db.session.commit()
            session.token, session.row_id, session.rotate = token, row.id, False
            response.set_cookie(name, token, **cookie)
            return
        if session.modified:
            row = db.session.get(WebSession, session.row_id)
            if row is None:  # revoked while this request ran
                response.delete_cookie(name, path="/")
                return
            row.data = json.dumps(dict(session))
            row.user_id = session.get("user_id")
            db.session.commit()


def rotate_session(session: ServerSession) -> None:
    """Give the session a new token (at sign-in), so a token planted before sign-in is worthless."""
    session.rotate = True
    session.modified = True


def end_all_sessions(user_id: int) -> None:
    """Revoke every session of an account (sign-out everywhere, password change, deletion)."""
    db.session.execute(db.delete(WebSession).filter_by(user_id=user_id))
    db.session.commit()
