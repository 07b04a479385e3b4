"""Search-aid benchmark (issue 12): geocoding a whole form's postcodes, and drawing the search aid, against
building the grab sheet alone, in one run (machine load affects every figure alike).

Prints medians and their ratios to the grab sheet's median:
- grab sheet: herbert.records.documents.grab_sheet for a fully filled form (the baseline);
- geocode cold: every postcode of the form looked up with the per-area cache emptied (what the first save
  after a restart pays: each area's gzipped CSV unpacked);
- geocode warm: the same again with the areas the cold run unpacked;
- search aid from stored points: places, distances, rings and the SVG, as the pages build it;
- search aid + its partial template rendered to HTML (what the police view adds);
- police PDF with and without the search-aid page (in-process WeasyPrint, alternated, --pdf-runs each, CPU
  seconds of this process, which the machine's load disturbs less than wall time; 0 to skip).

Run from the repository root:  .venv/bin/python bench/bench_search_aid.py [--runs 30] [--pdf-runs 3]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import render_template  # noqa: E402

from herbert import create_app  # noqa: E402
from herbert.documents import grab_sheet, police_form, renderer  # noqa: E402
from herbert.search_aid import geocode  # noqa: E402
from herbert.search_aid.aid import build_search_aid  # noqa: E402
from herbert.search_aid.places import postcodes_in  # noqa: E402
from tests.support.pdfs import full_document  # noqa: E402

# Postcodes from eleven areas (and one Northern Irish one that has no point), as a well-travelled life gives.
PLACES = [("previous_home", "SE10 9NF"), ("workplace", "SW1A 1AA"), ("school", "W1A 1AA"), ("holiday_place", "EH1 1YZ"),
          ("service_place", "CF10 1EP"), ("friend_or_relative_home", "M1 1AE"), ("place_of_worship", "B1 1BB"),
          ("where_married", "LS1 1UR"), ("favourite_walk", "BR2 9EF"), ("other", "BT1 1AA")]  # fmt: skip


def the_form() -> tuple[dict, dict]:
    document = full_document()
    document["about-the-person"]["postcode"] = "BR1 3UH"
    document["significant-places"]["places"] = [
        {
            "id": f"p{n}",
            "place_type": kind,
            "place_name": f"Place {n}",
            "place_postcode": postcode,
            "likelihood": "high",
        }
        for n, (kind, postcode) in enumerate(PLACES)
    ]
    document["previous-missing-episodes"]["episodes"][0]["where_found_postcode"] = "BR1 1LX"
    document["routines-and-interests"]["weekly_routine"][0]["routine_postcode"] = "SE9 5AB"
    document["contacts"]["contacts"][0]["contact_postcode"] = "N1C 4AG"
    report = {"last_seen_at": "2026-12-01T14:30", "last_seen_where": "Outside the library, Bromley BR1 1EX"}
    return document, report


def timed(action, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--pdf-runs", type=int, default=3)
    args = parser.parse_args()
    os.environ["HERBERT_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="bench-search-aid-")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    document, report = the_form()
    postcodes = postcodes_in(document, report)

    def geocode_all() -> dict:
        return {postcode: geocode.postcode_point(postcode) for postcode in postcodes}

    def geocode_cold() -> dict:
        geocode._area_lines.cache_clear()
        return geocode_all()

    figures: dict[str, float] = {}
    with app.test_request_context():
        figures["grab sheet (baseline)"], _ = timed(
            lambda: grab_sheet.grab_sheet(document, [], date.today()), args.runs
        )
        cold_runs = max(3, args.runs // 5)
        figures["geocode cold (area cache emptied)"], points = timed(geocode_cold, cold_runs)
        figures["geocode warm (areas unpacked)"], _ = timed(geocode_all, args.runs)
        located = sum(1 for point in points.values() if point is not None)
        figures["search aid from stored points"], aid = timed(
            lambda: build_search_aid(document, report, points), args.runs
        )
        figures["search aid + partial rendered"], html = timed(
            lambda: render_template("search_aid/_search_aid.html", aid=build_search_aid(document, report, points)),
            args.runs,
        )
        if args.pdf_runs:
            with_aid = police_form.police_pdf_html(document, [], meta={"version": 1}, missing_report=report)
            with mock.patch.object(police_form, "build_search_aid", lambda *a, **k: None):
                without = police_form.police_pdf_html(document, [], meta={"version": 1}, missing_report=report)
            pdf_cpu = {"without": [], "with": []}
            for _ in range(args.pdf_runs):  # alternated, so load changes hit both alike; CPU time, not wall
                for name, html_text in (("without", without), ("with", with_aid)):
                    start = time.process_time()
                    renderer.render_in_process(html_text, title="bench")
                    pdf_cpu[name].append(time.process_time() - start)
            figures["police PDF without the search-aid page (CPU)"] = statistics.median(pdf_cpu["without"])
            figures["police PDF with the search-aid page (CPU)"] = statistics.median(pdf_cpu["with"])
    base = figures["grab sheet (baseline)"]
    print(f"{len(postcodes)} postcodes in the form ({located} located), {len(aid.listed)} places listed, "
          f"SVG {len(aid.svg)} bytes, partial HTML {len(html)} bytes; medians of {args.runs} runs "
          f"({cold_runs} cold, {args.pdf_runs} PDF)")  # fmt: skip
    for name, seconds in figures.items():
        print(f"  {name:42s} {seconds * 1000:9.2f} ms   {seconds / base:8.1f}x the grab sheet")
    if args.pdf_runs:
        ratio = (
            figures["police PDF with the search-aid page (CPU)"]
            / figures["police PDF without the search-aid page (CPU)"]
        )
        print(f"  the search-aid page makes the PDF {ratio:.2f}x as slow to render")


if __name__ == "__main__":
    main()
