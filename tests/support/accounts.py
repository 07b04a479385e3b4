"""Accounts as a carer makes them: sign up, in and out through the real pages, and two-factor codes."""

import re
from datetime import UTC, datetime, timedelta

import pyotp
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from herbert import clock
from herbert.extensions import db
from herbert.models import User
from tests.support.pages import csrf_token, page, post

PASSWORD = "correct horse battery staple 42"


class AuthActions:
    """Sign up, sign in and out through the real pages, as a carer would."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def sign_up(self, email: str = "carer@example.com", password: str = PASSWORD):
        token = csrf_token(self.client, "/sign-up")
        return self.client.post("/sign-up", data={"email": email, "password": password, "csrf_token": token})

    def sign_in(self, email: str = "carer@example.com", password: str = PASSWORD):
        token = csrf_token(self.client, "/sign-in")
        return self.client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})

    def sign_out(self):
        token = csrf_token(self.client, "/account")
        return self.client.post("/sign-out", data={"csrf_token": token})


def user_row(app: Flask, email: str = "carer@example.com") -> User:
    """The account's row, detached from the session (read it after the app context ends)."""
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one()
        db.session.expunge(user)
        return user


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(int(moment.replace(tzinfo=UTC).timestamp()))


class TwoFactorSetUp:
    """Turns on two-factor through the real pages with the clock frozen, so codes are predictable."""

    def __init__(self, client: FlaskClient):
        self.client = client
        self.now = clock.utcnow()
        clock.freeze(self.now)
        self.secret = ""
        self.recovery_codes: list[str] = []

    def advance(self, seconds: int = 30) -> datetime:
        self.now += timedelta(seconds=seconds)
        clock.freeze(self.now)
        return self.now

    def code(self) -> str:
        return code_at(self.secret, self.now)

    def turn_on(self) -> BeautifulSoup:
        set_up = page(self.client.get("/account/two-factor/set-up"))
        self.secret = re.sub(r"\s", "", set_up.find(id="secret-key").get_text())
        response = post(self.client, "/account/two-factor/set-up", {"code": self.code()})
        assert response.status_code == 200
        codes_page = page(response)
        self.recovery_codes = [code.get_text() for code in codes_page.select(".app-recovery-codes code")]
        return codes_page
