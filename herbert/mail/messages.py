"""What each email says. Every message is built from ids, dates and a coarse browser name only.

An email never names the person cared for, nor anything from their form: subject and body say what happened
and link to the service, where the carer signs in to see more. Each kind has one entry in KINDS; the plain
text and HTML parts are drawn from the same paragraphs by templates/mail/message.txt and message.html.
"""

from dataclasses import dataclass
from typing import Any

from flask import render_template

from herbert.links import public_url_for

SECURITY = "security"  # cannot be turned off


@dataclass(frozen=True)
class Kind:
    subject: str
    paragraphs: tuple[str, ...]
    button: str
    endpoint: str  # where the button goes; values come from the message's params ("person_id", "token")
    category: str = SECURITY  # "review", "photo", "draft" can be turned off on the notifications page
    link_values: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {
    "verify-email": Kind(
        "Confirm your email address",
        (
            "Confirm this email address for your Herbert Protocol form account, so we can send you reminders "
            "to keep your forms up to date and tell you when police open a form you shared.",
            "The link works for 7 days. If you did not create an account, you can ignore this email.",
        ),
        "Confirm your email address",
        "mail_account.confirm_email",
        link_values=("token",),
    ),
    "change-email": Kind(
        "Confirm your new email address",
        (
            "Someone asked to use this email address for a Herbert Protocol form account. Confirm it to finish "
            "the change; until then, emails keep going to the old address.",
            "The link works for 7 days. If this was not you, you can ignore this email.",
        ),
        "Confirm your new email address",
        "mail_account.confirm_email",
        link_values=("token",),
    ),
    "password-reset": Kind(
        "Reset your password",
        (
            "Someone asked to reset the password of your Herbert Protocol form account.",
            "The link works once, for 1 hour. Resetting signs you out on every device. If two-factor sign-in is "
            "on, you will still need your security code or a recovery code.",
            "If you did not ask for this, you can ignore this email: your password has not changed.",
        ),
        "Choose a new password",
        "mail_account.reset_password",
        link_values=("token",),
    ),
    "password-changed": Kind(
        "Your password was changed",
        (
            "The password of your Herbert Protocol form account was changed on {when}, and every device was "
            "signed out.",
            "If this was not you, reset your password now and tell the police force you registered with.",
        ),
        "Sign in",
        "auth.sign_in",
    ),
    "email-changed": Kind(
        "Your account email address was changed",
        (
            "The email address of your Herbert Protocol form account was changed on {when}. Emails now go to "
            "the new address, and this address can no longer sign in.",
            "If this was not you, contact the service at once.",
        ),
        "Go to the service",
        "pages.start",
    ),
    "two-factor-off": Kind(
        "Two-factor sign-in was turned off",
        (
            "Two-factor sign-in was turned off for your Herbert Protocol form account on {when}. You now sign "
            "in with your password only.",
            "If this was not you, reset your password now and turn two-factor sign-in back on.",
        ),
        "Sign in",
        "auth.sign_in",
    ),
    "new-sign-in": Kind(
        "New sign-in to your account",
        (
            "Your Herbert Protocol form account was signed in to on {when} from a device we had not seen "
            "before ({client}).",
            "If this was you, there is nothing to do. If not, reset your password now.",
        ),
        "Reset your password",
        "mail_account.forgotten_password",
    ),
    "share-opened": Kind(
        "Police opened a form you shared",
        (
            "A Herbert Protocol form you shared with police was opened on {when} ({client}).",
            "Sign in to see when it was opened, add details, or end the share.",
        ),
        "See the share",
        "shares.index",
        link_values=("person_id",),
    ),
    "share-locked": Kind(
        "A share link was locked",
        (
            "A Herbert Protocol form you shared with police was locked on {when} because the access code was "
            "entered wrongly too many times. Nobody saw the form.",
            "If police still need it, sign in and make a new share, then read them the new access code.",
        ),
        "Make a new share",
        "shares.index",
        link_values=("person_id",),
    ),
    "review-due": Kind(
        "A Herbert Protocol form you keep is due for review",
        (
            "{stage_text}",
            "Police rely on the form being current: check the answers, update anything that has changed, and "
            "confirm a new version.",
        ),
        "Review the form",
        "people.overview",
        category="review",
        link_values=("person_id",),
    ),
    "photo-old": Kind(
        "A photo on a Herbert Protocol form is getting old",
        (
            "The newest head-and-shoulders photo on a Herbert Protocol form you keep is more than {months} months old.",
            "A recent, clear photo is the most useful thing police can have. Add a new one when you can.",
        ),
        "Add a photo",
        "photos.index",
        category="photo",
        link_values=("person_id",),
    ),
    "draft-nudge": Kind(
        "Finish your Herbert Protocol form",
        (
            "You started a Herbert Protocol form a week ago and have not confirmed it yet.",
            "There is no need to answer everything: confirm what you have so police can use it, and add more later.",
        ),
        "Carry on with the form",
        "people.overview",
        category="draft",
        link_values=("person_id",),
    ),
}

# Invitations: the link holds a token minted by the job that sends the email. They name who invited, the role and
# (for staff) the organisation, never the person the form is about.
KINDS |= {
    "carer-invitation": Kind(
        "You are invited to help keep a Herbert Protocol form",
        (
            "{inviter} has invited you to help keep a Herbert Protocol form up to date, as {role}. The form holds "
            "what police need to find someone quickly if they go missing.",
            "To accept, sign in or create an account with this email address, and confirm the address if we ask "
            "you to. The link works once, for 7 days.",
            "If you were not expecting this, you can ignore this email.",
        ),
        "See the invitation",
        "care.accept",
        link_values=("token",),
    ),
    "organisation-invitation": Kind(
        "An organisation you run is invited to keep a Herbert Protocol form",
        (
            "{inviter} has invited an organisation you run, such as a care home, to keep a Herbert Protocol form "
            "up to date, as {role}. The person the form is about would become one of its residents.",
            "To accept, sign in with this email address as an admin of the organisation. The link works once, "
            "for 7 days.",
            "If you were not expecting this, you can ignore this email.",
        ),
        "See the invitation",
        "care.accept",
        link_values=("token",),
    ),
    "staff-invitation": Kind(
        "You are invited to join {organisation} on the Herbert Protocol form service",
        (
            "{inviter} has invited you to join the staff of {organisation} as {post}, to help keep its residents' "
            "Herbert Protocol forms up to date.",
            "To accept, sign in or create an account with this email address, and confirm the address if we ask "
            "you to. Admins must turn on two-factor sign-in. The link works once, for 7 days.",
            "If you were not expecting this, you can ignore this email.",
        ),
        "See the invitation",
        "organisations.accept_invitation",
        link_values=("token",),
    ),
    "owner-now": Kind(
        "You are now the owner of a Herbert Protocol form",
        (
            "The last owner of a Herbert Protocol form you help keep deleted their account on {when}, so you are "
            "now its owner.",
            "As owner you can invite and remove carers and decide what happens to the form. Sign in to see it.",
        ),
        "See the form",
        "people.overview",
        link_values=("person_id",),
    ),
}

REMINDER_CATEGORIES = {
    "review": "Reminders when a form is due for review",
    "photo": "Reminders when the main photo is getting old",
    "draft": "A reminder when a form was started but not confirmed",
}

REVIEW_STAGE_TEXT = {
    "soon": "A Herbert Protocol form you keep is due for review on {due}.",
    "due": "A Herbert Protocol form you keep is due for review today.",
    "overdue": "A Herbert Protocol form you keep was due for review on {due} and has not been reviewed yet.",
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    link: str


def render(kind_name: str, params: dict[str, Any], unsubscribe_url: str | None = None) -> Rendered:
    kind = KINDS[kind_name]
    values = {key: str(value) for key, value in params.items()}
    if kind_name == "review-due":
        values["stage_text"] = REVIEW_STAGE_TEXT[values.get("stage", "due")].format(**values)
    paragraphs = [paragraph.format(**values) for paragraph in kind.paragraphs]
    subject = kind.subject.format(**values)
    link = public_url_for(kind.endpoint, **{name: params[name] for name in kind.link_values})
    context = {
        "paragraphs": paragraphs,
        "button": kind.button,
        "link": link,
        "unsubscribe_url": unsubscribe_url,
        "settings_url": public_url_for("mail_account.notifications"),
        "service_url": public_url_for("pages.start"),
        "subject": subject,
        "is_reminder": kind.category != SECURITY,
    }
    return Rendered(
        subject,
        render_template("mail/message.txt", **context),
        render_template("mail/message.html", **context),
        link,
    )
