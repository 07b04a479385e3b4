"""The search-aid map as SVG, drawn by the service itself: no tiles, no fetches, nothing but shapes and text.

Centred on the origin (last seen, or home), on an azimuthal equidistant plane (herbert.search_aid.distances),
so the rings are true circles of their stated radius. Readable in black and white: rings differ by dash,
home is a house shape, last seen a target, places numbered circles (filled black where they were found
before). Only presentation attributes are used (no style attributes: the pages' CSP forbids inline styles).
Every piece of text from the form is escaped. The <title> names the map and the <desc>, referenced by
aria-describedby (Chromium and Firefox read a <desc> anyway, others only when referenced), gives screen
readers the same facts; the pages do not repeat it in a caption, since the list beside it shows them.
"""

import math

from markupsafe import escape

from herbert.search_aid.distances import offset
from herbert.search_aid.model import SearchAid

WIDTH, MAP_SIZE, LEGEND = 600, 600, 64
CENTRE = MAP_SIZE / 2
RADIUS_PX = 270.0  # the map's reach from the centre, leaving room for the north arrow and scale bar
MARKER_R = 12
NICE_LENGTHS = (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 25000, 50000, 100000, 200000)
DASHES = ("none", "10 5", "4 4", "2 5", "12 4 2 4")
FONT = 'font-family="Arial, Helvetica, sans-serif"'


def extent_metres(aid: SearchAid) -> float:
    """How far from the centre the map reaches: the outer ring, or a little further to take in places up to
    one and a half times that far. Places beyond are drawn at the edge, pointing their way (the list gives
    their distance), so one far-off holiday place does not shrink the rings to a dot."""
    outer = aid.rings.outer_km * 1000.0
    reach = [item.metres for item in aid.listed if item.metres <= 1.5 * outer]
    if aid.home is not None and aid.home is not aid.origin and aid.home.point is not None and aid.origin.point:
        home_metres = math.hypot(*offset(aid.origin.point, aid.home.point))
        if home_metres <= 1.5 * outer:
            reach.append(home_metres)
    return max([outer, *reach]) * 1.08


def _scale_length(metres_per_px: float) -> int:
    """A round scale-bar length between about 80 and 200 pixels."""
    for length in NICE_LENGTHS:
        if length / metres_per_px >= 80:
            return length
    return NICE_LENGTHS[-1]


def _round_length(metres: int) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres} m"


def _label(x: float, y: float, text: str, size: int = 13, anchor: str = "middle", bold: bool = False) -> str:
    """Text with a white halo (drawn twice), so it reads over ring lines in print."""
    weight = ' font-weight="bold"' if bold else ""
    common = f'x="{x:.1f}" y="{y:.1f}" {FONT} font-size="{size}" text-anchor="{anchor}"{weight}'
    body = escape(text)
    return (
        f'<text {common} fill="#ffffff" stroke="#ffffff" stroke-width="4" stroke-linejoin="round" aria-hidden="true">'
        f'{body}</text><text {common} fill="#000000">{body}</text>'
    )


def _house(x: float, y: float) -> str:
    s = 11
    points = f"{x - s:.1f},{y:.1f} {x:.1f},{y - s:.1f} {x + s:.1f},{y:.1f} {x + s * 0.7:.1f},{y:.1f} "
    points += f"{x + s * 0.7:.1f},{y + s:.1f} {x - s * 0.7:.1f},{y + s:.1f} {x - s * 0.7:.1f},{y:.1f}"
    return f'<polygon points="{points}" fill="#ffffff" stroke="#000000" stroke-width="2.5" stroke-linejoin="round"/>'


def _target(x: float, y: float) -> str:
    return (
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="13" fill="#ffffff" stroke="#000000" stroke-width="3"/>'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#000000"/>'
        f'<line x1="{x - 19:.1f}" y1="{y:.1f}" x2="{x - 13:.1f}" y2="{y:.1f}" stroke="#000000" stroke-width="2"/>'
        f'<line x1="{x + 13:.1f}" y1="{y:.1f}" x2="{x + 19:.1f}" y2="{y:.1f}" stroke="#000000" stroke-width="2"/>'
        f'<line x1="{x:.1f}" y1="{y - 19:.1f}" x2="{x:.1f}" y2="{y - 13:.1f}" stroke="#000000" stroke-width="2"/>'
        f'<line x1="{x:.1f}" y1="{y + 13:.1f}" x2="{x:.1f}" y2="{y + 19:.1f}" stroke="#000000" stroke-width="2"/>'
    )


def _marker(x: float, y: float, number: int, found_before: bool) -> str:
    fill, ink = ("#000000", "#ffffff") if found_before else ("#ffffff", "#000000")
    return (
        f'<g class="app-map-place" data-number="{number}">'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{MARKER_R}" fill="{fill}" stroke="#000000" stroke-width="2"/>'
        f'<text x="{x:.1f}" y="{y + 4.5:.1f}" {FONT} font-size="13" font-weight="bold" text-anchor="middle" '
        f'fill="{ink}">{number}</text></g>'
    )


def _free_spot(x: float, y: float, taken: list[tuple[float, float]]) -> tuple[float, float]:
    """Nudge a marker off the ones already drawn (same street, same postcode), spiralling out."""
    step = 0
    cx, cy = x, y
    while any(math.hypot(cx - tx, cy - ty) < 2 * MARKER_R + 2 for tx, ty in taken) and step < 60:
        step += 1
        angle = step * 2.4
        distance = (2 * MARKER_R + 3) * (1 + step // 6)
        cx, cy = x + distance * math.cos(angle), y + distance * math.sin(angle)
    return cx, cy


def _to_px(east: float, north: float, px_per_metre: float) -> tuple[float, float, bool]:
    """Map coordinates; points beyond the map's reach are pulled to its edge (third value True)."""
    x, y = east * px_per_metre, -north * px_per_metre
    length = math.hypot(x, y)
    if length > RADIUS_PX:
        x, y = x * RADIUS_PX / length, y * RADIUS_PX / length
        return CENTRE + x, CENTRE + y, True
    return CENTRE + x, CENTRE + y, False


def describe_map(aid: SearchAid) -> str:
    """The map's text equivalent (its <desc>, and the summary under it on pages)."""
    rings = ", ".join(ring.label for ring in aid.rings.rings)
    parts = [f"Map centred on {aid.origin_words}, with rings showing {rings} ({aid.rings.name})."]
    if aid.home is not None and aid.home is not aid.origin and aid.home_from_origin:
        parts.append(f"Home is {aid.home_from_origin}.")
    if aid.listed:
        parts.append(
            f"{len(aid.listed)} numbered place{'s' if len(aid.listed) != 1 else ''}, listed nearest first: "
            + "; ".join(f"{item.number}, {item.place.title}, {item.where}" for item in aid.listed)
            + "."
        )
    else:
        parts.append("No other place in the form has a postcode that could be found.")
    if aid.further:
        parts.append(f"{len(aid.further)} more place{'s' if len(aid.further) != 1 else ''} further away not drawn.")
    return " ".join(parts)


def draw(aid: SearchAid) -> str:
    origin = aid.origin.point
    assert origin is not None  # noqa: S101 - build_search_aid never makes an aid without one
    reach = extent_metres(aid)
    px_per_metre = RADIUS_PX / reach
    height = MAP_SIZE + LEGEND
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-labelledby="search-aid-map-title" aria-describedby="search-aid-map-desc" '
        'class="app-search-map">',
        f'<title id="search-aid-map-title">Map of places to search around {escape(aid.origin_words)}</title>',
        f'<desc id="search-aid-map-desc">{escape(aid.text_equivalent)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{MAP_SIZE}" fill="#ffffff" stroke="#000000" stroke-width="2"/>',
    ]
    for index, ring in reversed(list(enumerate(aid.rings.rings))):
        radius = ring.km * 1000.0 * px_per_metre
        dash = DASHES[index % len(DASHES)]
        dash_attr = "" if dash == "none" else f' stroke-dasharray="{dash}"'
        out.append(
            f'<circle cx="{CENTRE}" cy="{CENTRE}" r="{radius:.1f}" fill="none" stroke="#000000" '
            f'stroke-width="{2.2 - index * 0.3:.1f}"{dash_attr}/>'
        )
    for ring in aid.rings.rings:  # labels after every circle, so no ring line crosses a label
        radius = ring.km * 1000.0 * px_per_metre
        out.append(_label(CENTRE, CENTRE - radius - 4, ring.label, size=12))
    taken: list[tuple[float, float]] = [(CENTRE, CENTRE)]
    if _home_apart(aid):
        hx, hy, _edge = _to_px(*offset(origin, aid.home.point), px_per_metre)  # type: ignore[union-attr]
        hx, hy = _free_spot(hx, hy, taken)
        taken.append((hx, hy))
        out.append(_house(hx, hy))
    for item in aid.listed:
        assert item.place.point is not None  # noqa: S101 - only located places are listed
        true_x, true_y, at_edge = _to_px(*offset(origin, item.place.point), px_per_metre)
        x, y = _free_spot(true_x, true_y, taken)
        taken.append((x, y))
        if (x, y) != (true_x, true_y) and not at_edge:
            out.append(
                f'<line x1="{true_x:.1f}" y1="{true_y:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
                'stroke="#000000" stroke-width="1"/>'
                f'<circle cx="{true_x:.1f}" cy="{true_y:.1f}" r="2" fill="#000000"/>'
            )
        if at_edge:
            angle = math.atan2(y - CENTRE, x - CENTRE)
            tip_x, tip_y = x + 20 * math.cos(angle), y + 20 * math.sin(angle)
            out.append(
                f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{tip_x:.1f}" y2="{tip_y:.1f}" stroke="#000000" '
                f'stroke-width="2" stroke-dasharray="3 2"/>'
            )
        out.append(_marker(x, y, item.number, item.place.found_before))
    # the centre last, on top of everything
    if aid.from_last_seen:
        out.append(_target(CENTRE, CENTRE))
    else:
        out.append(_house(CENTRE, CENTRE))
    out.append(_north_arrow())
    out.append(_scale_bar(px_per_metre))
    out.append(_legend(aid))
    out.append("</svg>")
    return "".join(out)


def _home_apart(aid: SearchAid) -> bool:
    """Home gets its own mark unless it is the centre (or within 50 m of it: last seen at home)."""
    if aid.home is None or aid.home is aid.origin or aid.home.point is None or aid.origin.point is None:
        return False
    return math.hypot(*offset(aid.origin.point, aid.home.point)) >= 50


def _north_arrow() -> str:
    x, y = WIDTH - 34, 22
    return (
        f'<g aria-hidden="true"><polygon points="{x},{y} {x + 10},{y + 30} {x},{y + 23} {x - 10},{y + 30}" '
        f'fill="#000000" stroke="#000000" stroke-width="1.5" stroke-linejoin="round"/>'
        f"{_label(x, y + 48, 'N', size=15, bold=True)}</g>"
    )


def _scale_bar(px_per_metre: float) -> str:
    length = _scale_length(1.0 / px_per_metre)
    bar = length * px_per_metre
    x, y = 16, MAP_SIZE - 22
    half = bar / 2
    return (
        f'<g aria-hidden="true"><rect x="{x - 6}" y="{y - 22}" width="{bar + 60:.1f}" height="36" fill="#ffffff"/>'
        f'<rect x="{x}" y="{y}" width="{half:.1f}" height="7" fill="#000000" stroke="#000000" stroke-width="1"/>'
        f'<rect x="{x + half:.1f}" y="{y}" width="{half:.1f}" height="7" fill="#ffffff" stroke="#000000" '
        f'stroke-width="1"/>{_label(x, y - 5, "0", size=11)}'
        f"{_label(x + bar, y - 5, _round_length(length), size=11, anchor='start')}</g>"
    )


def _legend(aid: SearchAid) -> str:
    y = MAP_SIZE + 26
    parts = ['<g aria-hidden="true">']
    x = 14.0
    if aid.from_last_seen:
        parts.append(_target(x + 13, y))
        parts.append(_label(x + 36, y + 5, "Last seen", size=12, anchor="start"))
        x += 120
    if not aid.from_last_seen or _home_apart(aid):  # the house is drawn: at the centre, or apart from it
        parts.append(_house(x + 11, y))
        parts.append(_label(x + 28, y + 5, "Home", size=12, anchor="start"))
        x += 90
    parts.append(_marker(x + 12, y, 1, False).replace('class="app-map-place" data-number="1"', ""))
    parts.append(_label(x + 30, y + 5, "Place in the list", size=12, anchor="start"))
    x += 150
    parts.append(_marker(x + 12, y, 1, True).replace('class="app-map-place" data-number="1"', ""))
    parts.append(_label(x + 30, y + 5, "Found there before", size=12, anchor="start"))
    parts.append("</g>")
    return "".join(parts)
