"""Fixtures for the handover tests: a signed-in carer with one person (form answers, a version, photos)."""

from dataclasses import dataclass

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from herbert.extensions import db
from herbert.models import Person, User

from .journey import make_person


@dataclass
class Carer:
    app: Flask
    client: FlaskClient
    user_id: int
    person_id: str

    def csrf(self, path: str = "/account") -> str:
        page = BeautifulSoup(self.client.get(path).data, "html.parser")
        return page.find("input", {"name": "csrf_token"})["value"]

    def post(self, path: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf())
        return self.client.post(path, data=data, **kwargs)

    def person(self) -> Person:
        person = db.session.get(Person, self.person_id)
        db.session.refresh(person)
        return person


@pytest.fixture
def carer(app: Flask, signed_in: FlaskClient) -> Carer:
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email="carer@example.com")).scalar_one()
        person_id = make_person(user.id)
        return Carer(app=app, client=signed_in, user_id=user.id, person_id=person_id)
