"""G. Phone, money and devices. Card issuer and last four digits only: never passwords, PINs or full
card numbers (every free-text field refuses them, see herbert.questions.validators)."""

from herbert.questions.fields import LongTextQuestion, PhoneQuestion, TextQuestion, YesNoQuestion
from herbert.questions.structure import Page, QuestionForm, Section


class MobileForm(QuestionForm):
    has_mobile = YesNoQuestion("Do they have a mobile phone?", core=True)
    mobile_number = PhoneQuestion("Mobile number", core=True, show_if=("has_mobile", "yes"))
    mobile_network = TextQuestion(
        "Mobile network", core=True, show_if=("has_mobile", "yes"), description="For example EE, O2, Vodafone"
    )
    handset = TextQuestion(
        "Handset", core=True, show_if=("has_mobile", "yes"), description="Make, model and colour, and any case"
    )


class TrackersForm(QuestionForm):
    locator_app = TextQuestion(
        "Locator app or smartwatch", description="For example Find My iPhone, Google Find My Device, a GPS watch"
    )
    gps_tracker = YesNoQuestion("Do they carry a GPS tracker?")
    gps_tracker_details = TextQuestion("GPS tracker make or provider", show_if=("gps_tracker", "yes"))
    gps_monitoring_phone = PhoneQuestion("GPS tracker monitoring centre phone number", show_if=("gps_tracker", "yes"))
    telecare = YesNoQuestion("Do they have telecare or a lifeline alarm?")
    telecare_provider = TextQuestion("Telecare provider", show_if=("telecare", "yes"))
    telecare_phone = PhoneQuestion("Telecare provider phone number", show_if=("telecare", "yes"))


class MoneyForm(QuestionForm):
    bank_cards = LongTextQuestion(
        "Bank cards they carry",
        description="The card issuer and the last four digits only, for example Nationwide debit card ending 1234. "
        "Never enter a full card number, a PIN or a password",
    )
    cash_habits = LongTextQuestion(
        "Cash habits", description="For example usually carries about £20 and uses the cash machine on the high street"
    )


class OnlineForm(QuestionForm):
    email_addresses = TextQuestion("Email addresses")
    social_media = LongTextQuestion(
        "Social media accounts", description="The site and the account name only. Never enter a password"
    )


SECTION = Section(
    slug="phone-money-and-devices",
    letter="G",
    title="Phone, money and devices",
    pages=(
        Page("mobile-phone", "Do they have a mobile phone?", MobileForm),
        Page("trackers-and-alarms", "Trackers and alarms", TrackersForm),
        Page("money", "Bank cards and cash", MoneyForm),
        Page("online-accounts", "Email and social media", OnlineForm),
    ),
)
