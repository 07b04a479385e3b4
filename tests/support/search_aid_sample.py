"""A form with places all over south-east London (real postcodes), for the search-aid tests and bench."""

DOCUMENT = {
    "about-the-person": {"full_name": "Margaret Smith", "address": "1 High Street\nBromley", "postcode": "br1 3uh"},
    "mobility-and-transport": {"travel_modes": ["walk", "bus"], "bus_pass": "yes"},
    "significant-places": {
        "places": [
            {"id": "p1", "place_type": "previous_home", "place_name": "Old house", "place_postcode": "SE10 9NF",
             "how_get_there": "Number 54 bus", "likelihood": "high", "connection": "Lived there 1960 to 1990"},
            {"id": "p2", "place_type": "workplace", "place_name": "The palace", "place_postcode": "SW1A1AA",
             "how_get_there": "Train to Victoria", "likelihood": "low"},
            {"id": "p3", "place_type": "favourite_walk", "place_name": "Norman Park", "place_postcode": "BR2 9EF",
             "likelihood": "medium"},
            {"id": "p4", "place_type": "holiday_place", "place_name": "Belfast hotel", "place_postcode": "BT1 1AA"},
        ],
        "hazards": ["water", "railway"],
        "hazards_details": "The Ravensbourne river behind the house",
    },
    "previous-missing-episodes": {
        "has_gone_missing_before": "yes",
        "episodes": [{"id": "e1", "episode_date": "2025-02-14", "where_found": "Bromley South station",
                      "where_found_postcode": "BR1 1LX", "how_travelled": "walked"}],
    },
    "routines-and-interests": {
        "weekly_routine": [{"id": "r1", "day": "monday", "place": "Day centre", "routine_postcode": "se9 5ab"}]
    },
    "contacts": {"contacts": [{"id": "c1", "contact_name": "Ann", "relationship": "daughter",
                               "contact_postcode": "SE10 9NF"}]},
}  # fmt: skip
REPORT = {"last_seen_at": "2026-12-01T14:30", "last_seen_where": "Outside the library, Bromley BR1 1EX"}
