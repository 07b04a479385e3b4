"""Outgoing email: senders (SMTP or the log), the outbox and its delivery job, security notices, reminders,
and the account pages that depend on email (forgotten password, confirm an address, email settings)."""

from flask import Flask


def init_mail(app: Flask) -> None:
    """Check the mail settings (production needs a server or HERBERT_MAIL_DISABLED=true) and load the tables."""
    import herbert.mail.models  # noqa: F401  (the tables belong to db.metadata from here on)
    from herbert.mail.senders import check_mail_settings

    check_mail_settings(app)
