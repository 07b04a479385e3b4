"""A whole form's worth of answers: what a carer types on each page, and what must be stored."""

from herbert.questions.registry import SECTIONS

# (section, page) -> form data as posted; dates are [day, month, year] (three boxes with one name).
PAGES: dict[tuple[str, str], dict] = {
    ("about-the-person", "name"): {
        "full_name": "Margaret Rose Smith",
        "preferred_name": "Peggy",
        "previous_names": "Margaret Jones",
    },
    ("about-the-person", "date-of-birth"): {"date_of_birth": ["1", "3", "1950"], "place_of_birth": "Whitby"},
    ("about-the-person", "sex-and-languages"): {
        "sex": "female",
        "ethnic_appearance": "White British",
        "first_language": "Welsh",
        "other_languages": "English",
    },
    ("about-the-person", "home-address"): {
        "address": "12 Acacia Avenue\r\nLeeds",
        "postcode": "ls1 4ab",
        "time_at_address": "since 1985",
        "landline": "0113 496 0000",
    },
    ("about-the-person", "living-situation"): {"living_situation": "care_home"},
    ("about-the-person", "work-and-service"): {
        "former_occupations": "Nurse at the General Infirmary",
        "military_service": "yes",
        "military_details": "WRAC, Catterick, 1968-1972",
    },
    ("about-the-person", "nhs-number"): {"nhs_number": "943 476 5919"},
    ("physical-description", "height-and-build"): {"height": "5 ft 4 in", "weight": "60 kg", "build": "slim"},
    ("physical-description", "hair-and-face"): {
        "hair_colour": "White",
        "hair_style": "Short, curly",
        "facial_hair": "",
        "eye_colour": "Blue",
        "complexion": "Pale",
    },
    ("physical-description", "glasses-and-aids"): {
        "wears_glasses": "yes",
        "glasses_outdoors": "yes",
        "glasses_description": "Gold wire frames",
        "contact_lenses": "no",
        "hearing_aids": "yes",
        "dentures": "yes",
    },
    ("physical-description", "any-distinguishing-features"): {"has_distinguishing_features": "yes"},
    ("physical-description", "clothing"): {
        "usual_clothing": "Tweed skirt, cardigan",
        "footwear": "Brown slip-on shoes",
        "usual_coat": "Navy raincoat",
        "hat": "",
        "jewellery": "Wedding ring",
        "gait": "Shuffles, slightly stooped",
    },
    ("health-and-medication", "diagnosis"): {
        "diagnosis": ["dementia", "other"],
        "diagnosis_details": "Alzheimer's disease",
        "diagnosed_when": "2021",
    },
    ("health-and-medication", "other-conditions"): {
        "other_conditions": "Type 2 diabetes",
        "allergies": "Penicillin",
        "sight_hearing": "",
    },
    ("health-and-medication", "takes-medication"): {"takes_medication": "yes"},
    ("health-and-medication", "gp"): {
        "gp_name": "Dr Patel",
        "gp_surgery": "Park Lane Surgery",
        "gp_phone": "0113 496 0001",
    },
    ("health-and-medication", "other-health-needs"): {
        "dietary_needs": "Diabetic diet",
        "temperature": "Feels cold",
    },
    ("communication-and-behaviour", "communication"): {
        "how_communicates": "Speaks clearly, forgets quickly",
        "can_give_name": "yes",
        "can_give_address": "no",
    },
    ("communication-and-behaviour", "approaching-them"): {
        "best_approach": "From the front, slowly",
        "what_calms": "Talking about her garden",
        "what_upsets": "Raised voices",
    },
    ("communication-and-behaviour", "fears-and-attractions"): {
        "fears": ["dogs", "uniforms"],
        "fears_details": "",
        "drawn_to": ["water"],
        "drawn_to_details": "The canal",
    },
    ("communication-and-behaviour", "state-of-mind"): {
        "believed_purpose": "Going to work at the hospital",
        "restless_times": "Late afternoon",
        "night_waking": "yes",
        "responds_to_name": "not_sure",
    },
    ("mobility-and-transport", "walking"): {
        "walking_distance": "About 2 miles",
        "walking_aids": ["stick"],
        "walking_aids_details": "Red folding stick",
    },
    ("mobility-and-transport", "travel"): {
        "travel_modes": ["walk", "bus"],
        "bus_pass": "yes",
        "bus_pass_details": "Older person's bus pass",
        "bus_routes": "Number 12 into town",
        "walking_routes": "",
    },
    ("mobility-and-transport", "driving"): {
        "drives": "yes",
        "vehicle_make": "Ford",
        "vehicle_model": "Fiesta",
        "vehicle_colour": "Blue",
        "vehicle_registration": "AB12 CDE",
    },
    ("phone-money-and-devices", "mobile-phone"): {
        "has_mobile": "yes",
        "mobile_number": "07700 900982",
        "mobile_network": "EE",
        "handset": "Black Doro flip phone",
    },
    ("phone-money-and-devices", "trackers-and-alarms"): {
        "locator_app": "",
        "gps_tracker": "no",
        "telecare": "yes",
        "telecare_provider": "Careline",
        "telecare_phone": "0800 123 4567",
    },
    ("phone-money-and-devices", "money"): {
        "bank_cards": "Nationwide debit card ending 1234",
        "cash_habits": "Carries about £20",
    },
    ("phone-money-and-devices", "online-accounts"): {"email_addresses": "", "social_media": "Facebook: Peggy Smith"},
    ("routines-and-interests", "places-they-use"): {"shops_cafes": "Greggs on the High Street", "clubs": ""},
    ("routines-and-interests", "interests"): {"hobbies": "Gardening, brass bands", "habits": "Newspaper each morning"},
    ("significant-places", "nearby-hazards"): {"hazards": ["water", "railway"], "hazards_details": "Canal behind"},
    ("previous-missing-episodes", "gone-missing-before"): {"has_gone_missing_before": "yes"},
    ("care-setting", "care-home"): {
        "home_name": "Rosewood House",
        "home_address": "1 Rose Lane\nLeeds",
        "home_postcode": "LS2 9ZZ",
        "home_phone": "0113 496 0002",
        "manager": "Ann Jones",
    },
    ("care-setting", "security-and-checks"): {
        "door_security": "Keypad",
        "checking_regime": "Hourly at night",
        "care_plan_reference": "CP-42",
    },
    ("consent-and-review", "completed-by"): {
        "completed_by_name": "John Smith",
        "completed_by_relationship": "Son",
        "completed_by_phone": "07700 900123",
    },
    ("consent-and-review", "consent"): {
        "consent_basis": "best_interests",
        "best_interests_by": "Sam Green",
        "best_interests_role": "Social worker",
        "best_interests_date": ["2", "1", "2024"],
        "best_interests_reason": "Lacks capacity to decide",
        "person_aware": "no",
        "consent_next_of_kin_name": "Should not be kept: not revealed",
    },
    ("consent-and-review", "public-appeal"): {"publicity_consent": "yes"},
    ("consent-and-review", "review"): {"next_review_date": ["", "", ""]},
}

# (section, page) -> rows, as posted on .../new
ROWS: dict[tuple[str, str], list[dict]] = {
    ("physical-description", "distinguishing-features"): [
        {"feature_kind": "scar", "location": "Back of left hand", "description": "5 cm, pale"},
        {"feature_kind": "tattoo", "location": "Right forearm", "description": "An anchor"},
    ],
    ("health-and-medication", "medication"): [
        {
            "medicine_name": "Donepezil",
            "dose": "10 mg",
            "when_taken": "Every morning",
            "if_missed": "More confused",
            "urgency": "soon",
        },
        {"medicine_name": "Metformin", "dose": "500 mg", "when_taken": "With meals", "urgency": "urgent"},
    ],
    ("routines-and-interests", "weekly-routine"): [
        {"day": "tuesday", "time": "10am", "place": "Cross Street day centre", "activity": "Lunch club"},
    ],
    ("significant-places", "places"): [
        {
            "place_type": "childhood_home",
            "place_name": "Whitby",
            "place_address": "3 Church Street\nWhitby",
            "place_postcode": "yo22 4aa",
            "connection": "Grew up there",
            "years": "1950-1968",
            "how_get_there": "Train",
            "likelihood": "high",
            "notes": "Talks about it often",
        },
    ],
    ("previous-missing-episodes", "episodes"): [
        {
            "episode_date": ["14", "2", "2024"],
            "missing_from": "Home",
            "where_found": "Leeds station",
            "how_long": "6 hours",
            "how_travelled": "Bus",
            "condition_found": "Cold, calm",
            "found_by": "Station staff",
            "police_reference": "WY-123",
        },
    ],
    ("contacts", "contacts"): [
        {
            "role": "next_of_kin",
            "contact_name": "John Smith",
            "relationship": "Son",
            "emergency_contact": "yes",
            "phone": "07700 900123",
            "holds_keys": "yes",
        },
        {"role": "neighbour", "contact_name": "Sue Brown", "phone": "0113 496 0003", "holds_keys": "no"},
    ],
}

# What the draft must hold afterwards (row ids are checked separately).
EXPECTED: dict[str, dict] = {
    "about-the-person": {
        "full_name": "Margaret Rose Smith",
        "preferred_name": "Peggy",
        "previous_names": "Margaret Jones",
        "date_of_birth": "1950-03-01",
        "place_of_birth": "Whitby",
        "sex": "female",
        "ethnic_appearance": "White British",
        "first_language": "Welsh",
        "other_languages": "English",
        "address": "12 Acacia Avenue\nLeeds",
        "postcode": "LS1 4AB",
        "time_at_address": "since 1985",
        "landline": "0113 496 0000",
        "living_situation": "care_home",
        "former_occupations": "Nurse at the General Infirmary",
        "military_service": "yes",
        "military_details": "WRAC, Catterick, 1968-1972",
        "nhs_number": "943 476 5919",
    },
    "physical-description": {
        "height": 163,
        "weight": "60 kg",
        "build": "slim",
        "hair_colour": "White",
        "hair_style": "Short, curly",
        "eye_colour": "Blue",
        "complexion": "Pale",
        "wears_glasses": "yes",
        "glasses_outdoors": "yes",
        "glasses_description": "Gold wire frames",
        "contact_lenses": "no",
        "hearing_aids": "yes",
        "dentures": "yes",
        "has_distinguishing_features": "yes",
        "distinguishing_features": [
            {"feature_kind": "scar", "location": "Back of left hand", "description": "5 cm, pale"},
            {"feature_kind": "tattoo", "location": "Right forearm", "description": "An anchor"},
        ],
        "usual_clothing": "Tweed skirt, cardigan",
        "footwear": "Brown slip-on shoes",
        "usual_coat": "Navy raincoat",
        "jewellery": "Wedding ring",
        "gait": "Shuffles, slightly stooped",
    },
    "health-and-medication": {
        "diagnosis": ["dementia", "other"],
        "diagnosis_details": "Alzheimer's disease",
        "diagnosed_when": "2021",
        "other_conditions": "Type 2 diabetes",
        "allergies": "Penicillin",
        "takes_medication": "yes",
        "medication": ROWS[("health-and-medication", "medication")],
        "gp_name": "Dr Patel",
        "gp_surgery": "Park Lane Surgery",
        "gp_phone": "0113 496 0001",
        "dietary_needs": "Diabetic diet",
        "temperature": "Feels cold",
    },
    "communication-and-behaviour": {
        "how_communicates": "Speaks clearly, forgets quickly",
        "can_give_name": "yes",
        "can_give_address": "no",
        "best_approach": "From the front, slowly",
        "what_calms": "Talking about her garden",
        "what_upsets": "Raised voices",
        "fears": ["uniforms", "dogs"],
        "drawn_to": ["water"],
        "drawn_to_details": "The canal",
        "believed_purpose": "Going to work at the hospital",
        "restless_times": "Late afternoon",
        "night_waking": "yes",
        "responds_to_name": "not_sure",
    },
    "mobility-and-transport": {
        "walking_distance": "About 2 miles",
        "walking_aids": ["stick"],
        "walking_aids_details": "Red folding stick",
        "travel_modes": ["walk", "bus"],
        "bus_pass": "yes",
        "bus_pass_details": "Older person's bus pass",
        "bus_routes": "Number 12 into town",
        "drives": "yes",
        "vehicle_make": "Ford",
        "vehicle_model": "Fiesta",
        "vehicle_colour": "Blue",
        "vehicle_registration": "AB12 CDE",
    },
    "phone-money-and-devices": {
        "has_mobile": "yes",
        "mobile_number": "07700 900982",
        "mobile_network": "EE",
        "handset": "Black Doro flip phone",
        "gps_tracker": "no",
        "telecare": "yes",
        "telecare_provider": "Careline",
        "telecare_phone": "0800 123 4567",
        "bank_cards": "Nationwide debit card ending 1234",
        "cash_habits": "Carries about £20",
        "social_media": "Facebook: Peggy Smith",
    },
    "routines-and-interests": {
        "weekly_routine": ROWS[("routines-and-interests", "weekly-routine")],
        "shops_cafes": "Greggs on the High Street",
        "hobbies": "Gardening, brass bands",
        "habits": "Newspaper each morning",
    },
    "significant-places": {
        "places": [ROWS[("significant-places", "places")][0] | {"place_postcode": "YO22 4AA"}],
        "hazards": ["water", "railway"],
        "hazards_details": "Canal behind",
    },
    "previous-missing-episodes": {
        "has_gone_missing_before": "yes",
        "episodes": [ROWS[("previous-missing-episodes", "episodes")][0] | {"episode_date": "2024-02-14"}],
    },
    "contacts": {"contacts": ROWS[("contacts", "contacts")]},
    "care-setting": {
        "home_name": "Rosewood House",
        "home_address": "1 Rose Lane\nLeeds",
        "home_postcode": "LS2 9ZZ",
        "home_phone": "0113 496 0002",
        "manager": "Ann Jones",
        "door_security": "Keypad",
        "checking_regime": "Hourly at night",
        "care_plan_reference": "CP-42",
    },
    "consent-and-review": {
        "completed_by_name": "John Smith",
        "completed_by_relationship": "Son",
        "completed_by_phone": "07700 900123",
        "consent_basis": "best_interests",
        "best_interests_by": "Sam Green",
        "best_interests_role": "Social worker",
        "best_interests_date": "2024-01-02",
        "best_interests_reason": "Lacks capacity to decide",
        "person_aware": "no",
        "publicity_consent": "yes",
    },
}


def without_row_ids(document: dict) -> dict:
    """The document with every row's "id" taken out (ids are random; they are checked on their own)."""
    result = {}
    for section, answers in document.items():
        result[section] = {
            name: [{k: v for k, v in row.items() if k != "id"} for row in value]
            if isinstance(value, list) and value and isinstance(value[0], dict)
            else value
            for name, value in answers.items()
        }
    return result


# Every (section, page) of the form, in order.
ALL_PAGES = [(section.slug, page.slug) for section in SECTIONS for page in section.pages]
