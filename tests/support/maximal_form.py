"""A maximal but realistic form for the one-page grab sheet tests: what a thorough carer types, at the
form's own length caps where a carer would plausibly go on (long approach notes, a long missing-now
report), with 3 medicines, 5 places, 2 earlier episodes and 4 contacts who are all next of kin or
emergency contacts. Every value is distinct so a test can find it on page 1."""

import copy
from typing import Any

from tests.support.sample_answers import EXPECTED


def _long(start: str, words: int) -> str:
    """A plausible long answer of about `words` words, starting with `start` (so tests can find it)."""
    filler = [
        "she",
        "may",
        "say",
        "she",
        "is",
        "going",
        "to",
        "meet",
        "her",
        "mother",
        "or",
        "that",
        "she",
        "is",
        "late",
        "for",
        "her",
        "shift",
        "at",
        "the",
        "infirmary",
        "and",
        "will",
        "walk",
        "quickly",
        "with",
        "her",
        "head",
        "down",
        "towards",
        "the",
        "main",
        "road;",
        "speak",
        "calmly,",
        "use",
        "her",
        "name,",
        "offer",
        "a",
        "cup",
        "of",
        "tea",
        "and",
        "do",
        "not",
        "argue",
        "about",
        "the",
        "year",
    ]
    out = start.split()
    while len(out) < words:
        out.append(filler[len(out) % len(filler)])
    return " ".join(out) + "."


def maximal_document() -> dict[str, dict[str, Any]]:
    document = copy.deepcopy(EXPECTED)
    about = document["about-the-person"]
    about["full_name"] = "Margaret Rose Smith-Hetherington"
    about["preferred_name"] = "Peggy"
    about["address"] = "Flat 12, Rosewood Court\n117 Acacia Avenue\nHeadingley\nLeeds"
    body = document["physical-description"]
    body["hair_colour"] = "White"
    body["hair_style"] = "Short and curly"
    body["glasses_description"] = "Gold wire frames, always worn outdoors"
    body["usual_clothing"] = _long("UsualClothingStart tweed skirt and a lilac cardigan,", 60)
    body["distinguishing_features"] = [
        {"id": "f1", "feature_kind": "scar", "location": "Back of left hand", "description": "5 cm, pale, raised"},
        {"id": "f2", "feature_kind": "tattoo", "location": "Right forearm", "description": "An anchor and MUM"},
        {"id": "f3", "feature_kind": "birthmark", "location": "Left side of neck", "description": "Red, 2 cm"},
    ]
    health = document["health-and-medication"]
    health["diagnosis_details"] = "Alzheimer's disease with vascular dementia"
    health["other_conditions"] = _long("OtherConditionsStart type 2 diabetes, high blood pressure,", 70)
    health["allergies"] = "Penicillin (rash and swelling), elastoplast"
    health["medication"] = [
        {
            "id": "m1",
            "medicine_name": "Donepezil",
            "dose": "10 mg",
            "when_taken": "Every morning with breakfast",
            "if_missed": _long("DonepezilMissed more confused by the evening,", 40),
            "urgency": "soon",
        },
        {
            "id": "m2",
            "medicine_name": "Insulin glargine",
            "dose": "18 units",
            "when_taken": "Every evening at 9pm",
            "if_missed": _long("InsulinMissed blood sugar rises within hours, risk of collapse,", 45),
            "urgency": "urgent",
        },
        {
            "id": "m3",
            "medicine_name": "Amlodipine",
            "dose": "5 mg",
            "when_taken": "Morning",
            "if_missed": "Little effect over a day",
            "urgency": "not_urgent",
        },
    ]
    behaviour = document["communication-and-behaviour"]
    behaviour["best_approach"] = _long("BestApproachStart come from the front, slowly, at eye level;", 90)
    behaviour["what_calms"] = _long("WhatCalmsStart talking about her garden and brass bands,", 60)
    behaviour["what_upsets"] = _long("WhatUpsetsStart raised voices, uniforms and dogs,", 50)
    places = []
    for number, (name, postcode) in enumerate(
        (
            ("Whitby, Church Street", "YO22 4AA"),
            ("Leeds General Infirmary", "LS1 3EX"),
            ("Roundhay Park lake", "LS8 2ER"),
            ("St Chad's Church", "LS16 5JT"),
            ("Kirkgate Market", "LS2 7HY"),
        ),
        start=1,
    ):
        places.append(
            {
                "id": f"p{number}",
                "place_type": "other",
                "place_name": f"Place{number} {name}",
                "place_address": f"{number} Long Street\nLeeds",
                "place_postcode": postcode,
                "connection": _long(f"Connection{number} she used to go there every week with her husband,", 18),
                "likelihood": "high",
            }
        )
    document["significant-places"] = {
        "places": places,
        "hazards": ["water", "railway", "busy_roads"],
        "hazards_details": _long("HazardsStart the canal towpath behind the house has no railings,", 40),
    }
    document["previous-missing-episodes"] = {
        "has_gone_missing_before": "yes",
        "episodes": [
            {"id": "e1", "episode_date": "2024-02-14", "where_found": "Episode1 Leeds station, platform 8"},
            {"id": "e2", "episode_date": "2025-06-02", "where_found": "Episode2 Headingley bus stop"},
        ],
    }
    document["contacts"] = {
        "contacts": [
            {
                "id": "c1",
                "role": "next_of_kin",
                "contact_name": "Susan Ellis",
                "relationship": "Daughter (lives with her)",
                "emergency_contact": "yes",
                "phone": "07700 900123",
                "other_phone": "0113 496 0123",
            },
            {
                "id": "c2",
                "role": "next_of_kin",
                "contact_name": "John Smith",
                "relationship": "Son",
                "emergency_contact": "yes",
                "phone": "07700 900124",
            },
            {
                "id": "c3",
                "role": "neighbour",
                "contact_name": "Sue Brown",
                "relationship": "Neighbour at number 14",
                "emergency_contact": "yes",
                "phone": "0113 496 0003",
            },
            {
                "id": "c4",
                "role": "carer",
                "contact_name": "Rosewood Care Team",
                "relationship": "Home carers",
                "emergency_contact": "yes",
                "phone": "0113 496 0004",
                "other_phone": "07700 900125",
            },
        ]
    }
    return document


def maximal_report() -> dict[str, Any]:
    """A missing-now report with long texts."""
    return {
        "last_seen_at": "2026-11-26T14:30",
        "reported_at": "2026-11-26T20:21",  # set by the service when the report is opened
        "last_seen_where": "Outside the Co-op on Otley Road, Headingley, by the bus shelter",
        "seen_by": "Mr Patel at the Co-op",
        "direction": _long("DirectionStart towards the town centre along Otley Road,", 40),
        "said_going_to": _long("SaidGoingToStart she said she was going to collect the children from school,", 45),
        "clothing_today": _long("ClothingTodayStart navy raincoat, grey trousers,", 40),
        "items_carried": ["bag", "bus_pass", "phone", "walking_aid"],
        "items_details": "Brown leather handbag with her bus pass and about £20",
        "mood": "Agitated, talking about her mother",
        "police_reference": "WY-2026-1126-0042",
    }
