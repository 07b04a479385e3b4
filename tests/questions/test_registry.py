"""The registry on its own: structure, navigation and skip logic (with tiny stand-in forms), display
values, completion, the JSON Schema, and the validators — no HTTP needed."""

import copy
from datetime import date

import pytest

from herbert import dates
from herbert.questions import registry
from herbert.questions.changes import document_changes
from herbert.questions.fields import ChoiceQuestion, TextQuestion, YesNoQuestion, parse_height_cm
from herbert.questions.registry import SECTIONS, section_by_slug
from herbert.questions.structure import KINDS, CoreCheck, Page, QuestionForm, Section
from herbert.questions.validators import contains_card_number, minimisation_problem, nhs_number_valid, phone_problem
from tests.support.sample_answers import EXPECTED

# --- tiny stand-in forms for navigation --------------------------------------------------------------


class FirstForm(QuestionForm):
    colour = ChoiceQuestion("Colour", core=True, choices=[("red", "Red"), ("blue", "Blue")])


class SecondForm(QuestionForm):
    shade = TextQuestion("Shade")


class ThirdForm(QuestionForm):
    pets = YesNoQuestion("Pets")
    pet_name = TextQuestion("Pet name", core=True, show_if=("pets", "yes"))


def toy_section() -> Section:
    return Section(
        slug="toy",
        letter="Z",
        title="Toy",
        pages=(
            Page("first", "First", FirstForm),
            Page("second", "Second", SecondForm, show_when=lambda doc: doc.get("toy", {}).get("colour") == "blue"),
            Page("third", "Third", ThirdForm),
        ),
        core_checks=(CoreCheck("A shade for blue", lambda a: a.get("colour") != "blue" or bool(a.get("shade"))),),
    )


def test_navigation_follows_skip_logic():
    section = toy_section()
    first, second, third = section.pages
    assert registry.next_page(first, {"toy": {"colour": "red"}}) is third
    assert registry.next_page(first, {"toy": {"colour": "blue"}}) is second
    assert registry.next_page(third, {}) is None
    assert registry.first_page(section, {}) is first


def test_status_core_checks_and_revealed_follow_ups():
    section = toy_section()
    assert registry.section_status(section, {}, {}) == "not started"
    answers = {"colour": "red"}
    assert registry.section_status(section, answers, {"toy": answers}) == "completed"
    answers = {"colour": "blue"}
    assert registry.section_status(section, answers, {"toy": answers}) == "in progress"
    answers = {"colour": "blue", "shade": "navy", "pets": "yes"}
    assert registry.section_status(section, answers, {"toy": answers}) == "in progress"  # pet name now Core
    answers["pet_name"] = "Rex"
    assert registry.section_status(section, answers, {"toy": answers}) == "completed"


def test_the_registry_covers_sections_a_to_m_in_order():
    assert [s.letter for s in SECTIONS] == list("ABCDEFGHIJKLM")
    assert section_by_slug("photographs").endpoint == "photos.index"
    assert section_by_slug("photographs").pages == ()
    with pytest.raises(KeyError):
        section_by_slug("nope")
    names = [q.name for q in registry.all_questions()]
    assert len(names) == len(set(names)), "question names are unique across the whole document"
    for question in registry.all_questions():
        assert question.kind in (*KINDS, "rows")
        assert question.section is not None and question.page is not None
        assert question.label and question.name.isidentifier()
    for section in SECTIONS:
        assert section.slug == section.slug.lower() and " " not in section.slug
        for page in section.pages:
            assert page.section is section and page.form_class.__name__.endswith("Form")


def test_every_canonical_question_exists():
    """A spot check against shared/design/herbert-form.md: one question from each line of the form."""
    wanted = {
        "about-the-person": {
            "full_name",
            "preferred_name",
            "previous_names",
            "date_of_birth",
            "place_of_birth",
            "sex",
            "ethnic_appearance",
            "first_language",
            "other_languages",
            "address",
            "postcode",
            "time_at_address",
            "landline",
            "living_situation",
            "former_occupations",
            "military_service",
            "nhs_number",
        },
        "physical-description": {
            "height",
            "weight",
            "build",
            "hair_colour",
            "hair_style",
            "facial_hair",
            "eye_colour",
            "complexion",
            "wears_glasses",
            "glasses_outdoors",
            "contact_lenses",
            "hearing_aids",
            "dentures",
            "distinguishing_features",
            "usual_clothing",
            "footwear",
            "usual_coat",
            "hat",
            "jewellery",
            "gait",
        },
        "health-and-medication": {
            "diagnosis",
            "diagnosed_when",
            "other_conditions",
            "allergies",
            "sight_hearing",
            "medication",
            "gp_name",
            "gp_surgery",
            "gp_phone",
            "mental_health",
            "alcohol",
            "temperature",
            "continence",
            "dietary_needs",
        },
        "communication-and-behaviour": {
            "how_communicates",
            "can_give_name",
            "can_give_address",
            "best_approach",
            "what_calms",
            "what_upsets",
            "fears",
            "drawn_to",
            "believed_purpose",
            "restless_times",
            "night_waking",
            "responds_to_name",
        },
        "mobility-and-transport": {
            "walking_distance",
            "walking_aids",
            "travel_modes",
            "bus_pass",
            "bus_routes",
            "walking_routes",
            "drives",
            "vehicle_make",
            "vehicle_model",
            "vehicle_colour",
            "vehicle_registration",
        },
        "phone-money-and-devices": {
            "mobile_number",
            "mobile_network",
            "handset",
            "locator_app",
            "gps_tracker",
            "gps_monitoring_phone",
            "telecare_provider",
            "telecare_phone",
            "bank_cards",
            "cash_habits",
            "email_addresses",
            "social_media",
        },
        "routines-and-interests": {"weekly_routine", "shops_cafes", "clubs", "hobbies", "habits"},
        "significant-places": {"places", "hazards"},
        "previous-missing-episodes": {"episodes"},
        "contacts": {"contacts"},
        "care-setting": {
            "home_name",
            "home_address",
            "home_phone",
            "manager",
            "door_security",
            "checking_regime",
            "care_plan_reference",
        },
        "consent-and-review": {
            "completed_by_name",
            "completed_by_relationship",
            "completed_by_phone",
            "date_completed",
            "consent_basis",
            "best_interests_by",
            "best_interests_role",
            "best_interests_date",
            "best_interests_reason",
            "person_aware",
            "publicity_consent",
            "next_review_date",
        },
    }
    for slug, names in wanted.items():
        have = {q.name for q in section_by_slug(slug).questions()}
        assert names <= have, (slug, names - have)
    rows = {q.name: {r.name for r in q.row_questions} for q in registry.all_questions() if q.kind == "rows"}
    assert rows["medication"] == {"medicine_name", "dose", "when_taken", "if_missed", "urgency"}
    assert {
        "place_type",
        "place_name",
        "place_address",
        "place_postcode",
        "connection",
        "years",
        "how_get_there",
        "notes",
        "likelihood",
    } == rows["places"]
    assert {
        "episode_date",
        "missing_from",
        "where_found",
        "where_found_postcode",  # the search aid (issue 12)
        "how_long",
        "how_travelled",
        "condition_found",
        "found_by",
        "police_reference",
    } == rows["episodes"]
    assert {"role", "contact_name", "relationship", "phone", "contact_address", "holds_keys", "notes"} <= rows[
        "contacts"
    ]
    assert rows["weekly_routine"] == {"day", "time", "place", "routine_postcode", "activity"}  # postcode: issue 12
    assert rows["distinguishing_features"] == {"feature_kind", "location", "description"}


def test_care_setting_applies_only_to_care_homes_and_supported_living():
    care = section_by_slug("care-setting")
    assert not care.applies({})
    assert care.applies({"about-the-person": {"living_situation": "supported_living"}})
    assert not care.applies({"about-the-person": {"living_situation": "with_family"}})
    assert all(s.applies({}) for s in SECTIONS if s is not care)


def question(name):
    return next(q for q in registry.all_questions() if q.name == name)


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("date_of_birth", "1950-03-01", "1 March 1950"),
        ("height", 170, "170 cm"),
        ("military_service", "yes", "Yes"),
        ("living_situation", "care_home", "In a care home"),
        ("travel_modes", ["walk", "bus"], "Walking, Bus"),
        ("full_name", "", ""),
        ("full_name", None, ""),
        ("medication", [{"id": "a"}], "1 entry"),
    ],
)
def test_display_values(name, value, shown):
    assert registry.display_value(question(name), value) == shown


def test_summary_rows_tables_and_hidden_follow_ups():
    section = section_by_slug("health-and-medication")
    rows = registry.summary_rows(section, EXPECTED[section.slug], EXPECTED)
    table = next(row for row in rows if row.is_table)
    assert table.columns[:2] == ["Medicine", "Dose"]
    assert table.rows[0][:2] == ["Donepezil", "10 mg"]
    # A hidden follow-up (vehicle details when they do not drive) is not listed.
    transport = section_by_slug("mobility-and-transport")
    labels = [r.label for r in registry.summary_rows(transport, {"drives": "no", "vehicle_make": "Ford"})]
    assert "Vehicle make" not in labels


def test_missing_core_and_photos():
    assert registry.missing_core(EXPECTED) == []
    assert registry.missing_core(EXPECTED, photos=[]) == ["A recent head-and-shoulders photo"]
    assert registry.missing_core(EXPECTED, photos=[{"kind": "head_and_shoulders"}]) == []
    partial = copy.deepcopy(EXPECTED)
    del partial["contacts"]
    partial["mobility-and-transport"].pop("vehicle_registration")
    assert registry.missing_core(partial) == [
        "Vehicle registration number",
        "At least one next of kin or emergency contact",
    ]


def test_document_schema_validates_a_full_document():
    import jsonschema

    schema = registry.document_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    document = copy.deepcopy(EXPECTED)  # the sample is shared with other tests: never change it
    for answers in document.values():
        for value in answers.values():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                for number, row in enumerate(value):
                    row["id"] = f"row{number}"
    jsonschema.validate(document, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"about-the-person": {"sex": "dragon"}}, schema)


def test_prune_document_and_changes():
    document = {"mobility-and-transport": {"drives": "no", "vehicle_make": "Ford"}, "unknown": {"x": 1}}
    assert registry.prune_document(document) == {"mobility-and-transport": {"drives": "no"}}
    old = {"physical-description": {"height": 163, "distinguishing_features": [{"id": "a", "location": "arm"}]}}
    new = {"physical-description": {"height": 170, "distinguishing_features": [{"id": "a", "location": "leg"}]}}
    changes = [(c.label, c.before, c.after) for c in document_changes(old, new)]
    assert changes == [
        ("Height", "163 cm", "170 cm"),
        ("Distinguishing features – leg – Where on their body", "arm", "leg"),
    ]


def test_age_and_months():
    assert dates.age_on("1950-03-01", date(2025, 2, 28)) == 74
    assert dates.age_on(date(1950, 3, 1), date(2025, 3, 1)) == 75
    assert dates.add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)


@pytest.mark.parametrize(
    ("text", "cm"),
    [("170", 170), ("170 cm", 170), ("1.7m", 170), ("5 ft 7 in", 170), ("5'7\"", 170), ("5 feet", 152), ("tall", None)],
)
def test_height_parsing(text, cm):
    assert parse_height_cm(text) == cm


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("4111 1111 1111 1111", True),
        ("4111-1111-1111-1111", True),
        ("call 07700900123 card 5555555555554444", True),
        ("ending 1234", False),
        ("07700 900 982", False),
        ("4111 1111 1111 1112", False),  # fails Luhn
        ("pin 1234", True),
        ("PIN: 0000", True),
        ("pin number is 4321", True),
        ("password: x", True),
        ("Password = secret", True),
        ("her password is Hunter2!", True),
        ("her password is written on the fridge", False),
        ("she keeps a pin cushion", False),
    ],
)
def test_data_minimisation(text, problem):
    assert (minimisation_problem(text) is not None) is problem


def test_card_numbers_phones_and_nhs_numbers():
    assert contains_card_number("378282246310005")  # 15-digit Amex test number
    assert not phone_problem("+44 808 157 0192") and not phone_problem("(01632) 960001 ext 12")
    assert phone_problem("call me") and phone_problem("123")
    assert nhs_number_valid("943 476 5919") and not nhs_number_valid("943 476 5918")
