"""Signing up as a carer does when email is on: the form, then the emailed link with the password again.

(The mail helpers it uses live in tests/mail/conftest.py on this branch; tests/support/mail.py on main.)
"""

from flask.testing import FlaskClient

from tests.mail.conftest import Mailbox, link_to, post, text_of

PASSWORD = "correct horse battery staple 42"


def sign_up(client: FlaskClient, smtp: Mailbox, address: str = "carer@example.com", password: str = PASSWORD):
    """Create an account through the pages and the emailed link; returns the redirect into the service (the client
    is signed in)."""
    response = post(client, "/sign-up", {"email": address, "password": password})
    assert response.status_code == 302 and response.location == "/sign-up/check-your-email", text_of(response)
    (message,) = [m for m in smtp.messages if address in m["To"] and m["Subject"] == "Confirm your email address"][-1:]
    response = post(client, link_to(message, "/sign-up/finish/"), {"password": password})
    assert response.status_code == 302, text_of(response)
    return response
