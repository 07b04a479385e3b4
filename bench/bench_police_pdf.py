"""Police PDF download benchmark (issue 9): the kept PDF of a share vs a trivial page, in the same run.

A share's police PDF is rendered once, in the background, when the share is made, and kept sealed with the
person's key; the police download only unseals it. This bench makes a share of a fully filled form with 3
photos (the same form as bench/bench_pdf.py), waits for the kept PDF, then times, alternately, the police
PDF download and a trivial page (the /police entry page) through the real app, and prints the medians and
their ratio. For scale it also times a few downloads with the kept copy removed first (what police would
wait for if the PDF were rendered on request).

Run from the repository root:  .venv/bin/python bench/bench_police_pdf.py [--runs 30]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from herbert import create_app  # noqa: E402
from herbert.extensions import db  # noqa: E402
from herbert.handover.shares import lifecycle as shares  # noqa: E402
from herbert.handover.shares import pdfs as share_pdfs  # noqa: E402
from herbert.handover.shares import snapshot  # noqa: E402
from herbert.models import Person, Share, User  # noqa: E402
from herbert.photos.cleaning import clean_photo  # noqa: E402
from herbert.records import store  # noqa: E402
from tests.support.pdfs import full_document, sample_jpeg  # noqa: E402


def timed(call) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--render-runs", type=int, default=3)
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="bench-police-pdf-")
    os.environ["HERBERT_INSTANCE_PATH"] = instance
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/bench.db",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "PUBLIC_URL": "http://localhost",
        }
    )
    with app.app_context():
        db.create_all()
    carer = app.test_client()
    carer.post("/sign-up", data={"email": "bench@example.com", "password": "correct horse battery staple 42"})
    with app.app_context():
        user = db.session.execute(db.select(User)).scalar_one()
        person = db.session.get(Person, store.create_person(user.id))
        for section, answers in full_document().items():
            store.save_section(person, section, answers)
        for number, kind in enumerate(("head_and_shoulders", "full_length", "outdoor_clothes"), 1):
            jpeg = clean_photo(sample_jpeg(1200, 1600, seed=number, grain=0.2)).jpeg
            store.add_photo(person, jpeg, {"kind": kind, "taken_on": "2026-02-01", "caption": f"Photo {number}"})
        store.publish(person, user.id, store.load_draft(person), None)
        issued = shares.create_share(person, user.id, snapshot.build_snapshot(person, "v1"), 72, "v1")
        started = time.perf_counter()
        share_pdfs.keep_share_pdf(issued.share.id)  # what the background job does once, when the share is made
        kept_render = time.perf_counter() - started
        share_id, reference, code = issued.share.id, issued.display_reference, issued.display_code

    police = app.test_client()
    opened = police.post("/police", data={"reference": reference, "code": code})
    assert opened.status_code == 303, opened.status_code
    pdf_path = opened.location + "/pdf"
    size = len(police.get(pdf_path).data)  # warm both paths once
    police.get("/police")

    downloads, trivial, views, views_unchecked = [], [], [], []
    for _ in range(args.runs):  # alternate, so machine load affects both alike
        downloads.append(timed(lambda: police.get(pdf_path)))
        trivial.append(timed(lambda: police.get("/police")))
        views.append(timed(lambda: police.get(opened.location)))
    # The police view unseals the kept PDF to tell whether it is older than the details (pdf_is_updating); the
    # same view without that check, for its cost:
    real_check = share_pdfs.pdf_is_updating
    share_pdfs.pdf_is_updating = lambda share: False
    for _ in range(args.runs):
        views_unchecked.append(timed(lambda: police.get(opened.location)))
    share_pdfs.pdf_is_updating = real_check

    on_request = []
    for _ in range(args.render_runs):
        with app.app_context():
            db.session.get(Share, share_id).pdf_sealed = None
            db.session.commit()
        on_request.append(timed(lambda: police.get(pdf_path)))

    median_download, median_trivial = statistics.median(downloads), statistics.median(trivial)
    print(f"police PDF ({size / 1024:.0f} KiB, 3 photos): rendered once when the share was made in {kept_render:.2f} s")
    print(f"police PDF download (kept), median of {args.runs}: {median_download * 1000:.1f} ms")
    print(f"trivial page (/police), median of {args.runs}:      {median_trivial * 1000:.1f} ms")
    print(f"ratio download / trivial page: {median_download / median_trivial:.2f}x")
    print(
        f"police view (grab sheet and whole form), median of {args.runs}: {statistics.median(views) * 1000:.1f} ms;"
        f" without the kept-PDF freshness check: {statistics.median(views_unchecked) * 1000:.1f} ms"
    )
    median_render = statistics.median(on_request)
    print(
        f"for scale, rendering on request (kept copy removed), median of {args.render_runs}: "
        f"{median_render * 1000:.0f} ms ({median_render / median_download:.0f}x the kept download)"
    )


if __name__ == "__main__":
    main()
