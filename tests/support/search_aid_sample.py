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


# Real postcodes around Bromley, nearest first from BR1 3UH (0.7 km to 26 km), for the worst-case page.
NEAR_TO_FAR = (
    "BR1 3LG", "BR1 2DS", "BR1 4ED", "BR2 0AH", "BR3 5XJ", "BR7 5DW", "BR3 6NP", "BR1 4PL", "BR2 8LL", "BR3 1TJ",
    "BR5 1LE", "CR0 7NT", "SE12 0TB", "CR0 8AB", "DA14 6AX", "CR0 7DX", "SE20 8ST", "BR5 3TH", "SE19 1LW",
    "DA15 8SX", "DA14 5NL", "SE18 4GB", "CR7 8BU", "SE15 4LE", "SE18 6RL", "DA2 7PS", "DA12 4HY",
)  # fmt: skip
HAZARDS_NOTE = (  # 300 characters
    "The canal towpath behind the house has no railings and the lock gates are left open at night. "
    "The railway cutting at the end of the road is fenced but the fence is broken by the footbridge. "
    "Widmore Road is busy all day and she crosses it without looking. The woods past the allotments are very dense."
)


def worst_case_document(hazards_note: str = HAZARDS_NOTE) -> dict:
    """The search-aid page at its longest: 27 located places across four sections with names, notes and ways
    of getting there at their length limits, every hazard with a 300-character note, and places with no point
    (no postcode, Northern Ireland)."""
    long_name = "St Bartholomew's Church Hall and Community Garden Centre, Widmore Road, Bromley " * 3
    places = [
        {"id": f"p{n}", "place_type": "previous_home", "place_name": f"Place{n:02d} {long_name}"[:200],
         "place_postcode": postcode, "how_get_there": f"How{n:02d} " + "the 227 bus then the 61 and a long walk " * 5,
         "likelihood": "high", "connection": f"Note{n:02d} " + "she worked there as a nurse for thirty years " * 4}
        for n, postcode in enumerate(NEAR_TO_FAR[:12], start=1)
    ] + [{"id": "bt", "place_type": "holiday_place", "place_name": "Belfast hotel", "place_postcode": "BT1 1AA"},
         {"id": "none", "place_type": "workplace", "place_name": "The old office, no postcode"}]
    routines = [{"id": f"r{n}", "day": "monday", "place": f"Routine{n:02d} {long_name}"[:200], "routine_postcode": pc,
                 "activity": "lunch club " * 10} for n, pc in enumerate(NEAR_TO_FAR[12:18], start=13)]
    episodes = [{"id": f"e{n}", "episode_date": "2025-02-14", "where_found": f"Found{n:02d} {long_name}"[:200],
                 "where_found_postcode": pc, "how_travelled": "walked " * 20}
                for n, pc in enumerate(NEAR_TO_FAR[18:22], start=19)]
    contacts = [{"id": f"c{n}", "role": "friend", "contact_name": f"Contact{n:02d} Bartholomew Featherstonehaugh",
                 "relationship": "Friend from the church choir and the lunch club", "contact_postcode": pc}
                for n, pc in enumerate(NEAR_TO_FAR[22:], start=23)]
    return DOCUMENT | {
        "mobility-and-transport": {"travel_modes": ["walk", "bus", "taxi"], "bus_pass": "yes", "drives": "yes"},
        "significant-places": {"places": places, "hazards": ["water", "railway", "busy_roads", "woodland",
                               "building_sites", "other"], "hazards_details": hazards_note},
        "previous-missing-episodes": {"has_gone_missing_before": "yes", "episodes": episodes},
        "routines-and-interests": {"weekly_routine": routines},
        "contacts": {"contacts": contacts},
    }  # fmt: skip


WORST_CASE_REPORT = {"last_seen_at": "2026-12-01T14:30", "last_seen_where": "Outside the house, Bromley BR1 3UH",
                     "last_seen_lat": "51.40531", "last_seen_lon": "0.01859", "last_seen_accuracy": "18"}  # fmt: skip
