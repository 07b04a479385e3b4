"""Straight-line distance and compass direction between two points, in the words police read out.

The geodesy is pyproj's Geod (PROJ's implementation of Karney's geodesics on the WGS84 ellipsoid), not
hand-rolled: the same call places markers on the drawn map (azimuthal equidistant around the last-seen
point), so a place listed as "1.4 km north-east" is drawn 1.4 km north-east of the centre.
"""

import math
from typing import NamedTuple

from pyproj import Geod

from herbert.search_aid.geocode import Point

COMPASS = ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west")
_WGS84 = Geod(ellps="WGS84")


class Bearing(NamedTuple):
    metres: float
    degrees: float  # initial bearing from the first point, clockwise from true north, 0 ≤ degrees < 360


def distance_and_bearing(start: Point, end: Point) -> Bearing:
    forward, _back, metres = _WGS84.inv(start.lon, start.lat, end.lon, end.lat)
    return Bearing(float(metres), float(forward) % 360.0)


def compass_word(degrees: float) -> str:
    """One of eight compass points: each covers 45°, centred on its direction (north is 337.5°–22.5°)."""
    return COMPASS[int(((degrees % 360.0) + 22.5) // 45.0) % 8]


def format_distance(metres: float) -> str:
    """ "350 m" under 1 km (to the nearest 10 m), "1.4 km" under 10 km, "23 km" beyond."""
    if metres < 1000:
        return f"{int(round(metres / 10.0) * 10)} m"
    km = metres / 1000.0
    if km < 10:
        return f"{km:.1f} km"
    return f"{km:.0f} km"


def describe(start: Point, end: Point) -> str:
    """ "1.4 km north-east"; "here" within 50 m, where a direction means nothing."""
    bearing = distance_and_bearing(start, end)
    if bearing.metres < 50:
        return "here (within 50 m)"
    return f"{format_distance(bearing.metres)} {compass_word(bearing.degrees)}"


def offset(centre: Point, end: Point) -> tuple[float, float]:
    """(east, north) in metres of `end` from `centre` on an azimuthal equidistant plane around `centre`."""
    bearing = distance_and_bearing(centre, end)
    angle = math.radians(bearing.degrees)
    return bearing.metres * math.sin(angle), bearing.metres * math.cos(angle)
