
"""Fitting page 1 of the police PDF: what the fit levels cost, as ratios against one plain layout of the
same HTML in the same process (herbert.pdf.fitted_layout vs a single WeasyPrint layout).

    .venv/bin/python bench/bench_pdf_fit.py
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

from herbert.documents import police_form, printable, renderer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.maximal_form import maximal_document, maximal_report  # noqa: E402
from tests.support.pdfs import make_render_app, sample_jpeg  # noqa: E402
from tests.support.sample_answers import EXPECTED  # noqa: E402

RUNS = 3


def main() -> None:
    app = make_render_app(Path(tempfile.mkdtemp()))
    photos = [({"kind": "head_and_shoulders", "taken_on": "2026-02-01", "is_primary": True}, sample_jpeg(seed=1))]
    cases = {
        "ordinary (sample form)": (EXPECTED, None),
        "maximal realistic": (maximal_document(), None),
        "maximal + missing-now report": (maximal_document(), maximal_report()),
    }
    with app.test_request_context():
        for name, (document, report) in cases.items():
            html = police_form.police_pdf_html(document, photos, meta={"version": 3}, missing_report=report)
            fitted, plain, level, pages = [], [], 0, 0
            for _ in range(RUNS):  # alternate, so load changes hit both alike
                started = time.perf_counter()
                laid_out, level = renderer.fitted_layout(html, printable.FIT_LEVELS)
                fitted.append(time.perf_counter() - started)
                pages = len(laid_out.pages)
                started = time.perf_counter()
                renderer._layout(html)
                plain.append(time.perf_counter() - started)
            ratio = statistics.median(fitted) / statistics.median(plain)
            print(
                f"{name}: fit level {level}, {pages} pages; fitted {statistics.median(fitted):.2f} s, "
                f"plain {statistics.median(plain):.2f} s (medians of {RUNS}); ratio {ratio:.2f}x"
            )


if __name__ == "__main__":
    main()
