"""The shared-care tests' fixtures: the real SMTP server (aiosmtpd) and an app that sends to it, from where the
email tests keep them (the lead is moving them to tests/support)."""

from tests.mail.conftest import mail_app, smtp  # noqa: F401 (fixtures)
