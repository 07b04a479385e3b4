"""What a carer sends police about a share: the words to read out, and text-message / email links.

Pure functions of the police address, reference, code and link, so the rule "the code never travels in the
same message as the link unless the carer chooses 'send both'" is one place and testable without a page.
The person's name is in none of the messages: a text message or email leaves the service.
"""

from dataclasses import dataclass
from urllib.parse import quote

SUBJECT = "Herbert Protocol form for police"


@dataclass(frozen=True)
class Message:
    """One message: the text, and the sms: and mailto: links that open the phone's own apps with it."""

    body: str

    @property
    def sms_href(self) -> str:
        # "sms:?&body=" is understood by both Android and iOS messaging apps.
        return "sms:?&body=" + quote(self.body, safe="")

    @property
    def mailto_href(self) -> str:
        return f"mailto:?subject={quote(SUBJECT, safe='')}&body={quote(self.body, safe='')}"


def read_out(police_address: str, reference: str, code: str) -> str:
    """The sentence a carer reads to a call handler."""
    return f"Go to {police_address} and enter reference {reference} and access code {code}"


def spelt_out(grouped: str) -> str:
    """ "K 7 Q M, 4 2 P X": one character at a time, for screen readers (which would read "K7QM" as a word)."""
    return ", ".join(" ".join(group) for group in grouped.split("-"))


@dataclass(frozen=True)
class ShareMessages:
    details: Message  # the police address, reference and code: no link
    link_only: Message  # the link: no code
    both: Message  # link and code together, only when the carer chooses it


def messages(police_address: str, reference: str, code: str, link: str) -> ShareMessages:
    return ShareMessages(
        details=Message(f"{SUBJECT}. {read_out(police_address, reference, code)}."),
        link_only=Message(f"{SUBJECT}: {link} (the access code will come separately)"),
        both=Message(f"{SUBJECT}: {link} Access code: {code}. Or {read_out(police_address, reference, code)}."),
    )


def footer_line(police_address: str, reference: str | None = None) -> str:
    """The police line of the PDF footer and the export README (never the code: it is not stored)."""
    if reference:
        return (
            f"Police: open this form online at {police_address} with reference {reference} "
            "and the access code from the family or carer."
        )
    return (
        f"Police: the family or carer can share this form online. Go to {police_address} "
        "and enter the reference and access code they give you."
    )
