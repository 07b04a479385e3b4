
"""The PDF's worst case is bounded (issue 15 point 1): the caps bound what a form holds, and past a text
budget long answers are shortened in the PDF only (herbert.documents.budget). Measured, not assumed."""

import os
import time

import pytest

from herbert.documents import budget, police_form, renderer
from tests.support.pdfs import full_document, page_texts, reader
from tests.support.worst_case import worst_case_document, worst_case_photos


def test_a_form_within_the_budget_prints_in_full():
    document = full_document()
    assert budget.fit_document(document) is document


def test_past_the_budget_every_long_answer_is_shortened_with_a_note():
    document = worst_case_document()
    assert budget._strings(document) > budget.TEXT_BUDGET
    fitted = budget.fit_document(document)
    longest = max(len(text) for text in _all_strings(fitted))
    assert longest <= budget.SHORTENED_TO + len(budget.SHORTENED_NOTE)
    assert any(text.endswith(budget.SHORTENED_NOTE) for text in _all_strings(fitted))
    assert document != fitted  # the stored document is untouched; only the PDF's copy is shortened


def _all_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _all_strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _all_strings(item)


@pytest.mark.slow
def test_the_largest_form_the_caps_allow_renders_and_the_time_is_printed(app):
    meta = {"version": None, "draft": True}
    photos = worst_case_photos()
    with app.test_request_context():
        baseline_html = police_form.police_pdf_html(full_document(), photos[:1], meta=meta)
        worst_html = police_form.police_pdf_html(worst_case_document(), photos, meta=meta)
    renderer.render_pdf("<p>warm</p>", title="warm")
    started = time.perf_counter()
    renderer.render_pdf(baseline_html, title="baseline")
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    # A generous limit here: this machine is shared; the figure printed is what docs/design/availability.md quotes.
    document = renderer.render_pdf(worst_html, title="worst case", timeout=120)
    worst = time.perf_counter() - started
    print(
        f"\nworst case the caps allow (15 rows in every list, every answer at its cap, 20 photos): {worst:.1f} s, "
        f"{len(reader(document).pages)} pages, {len(document) // 1024} KB; the fully filled form with 1 photo "
        f"{baseline:.1f} s (ratio {worst / baseline:.1f}); load average {os.getloadavg()[0]:.1f}; "
        f"limit {app.config['PDF_TIMEOUT_SECONDS']} s"
    )
    assert budget.SHORTENED_NOTE.strip()[:20] in " ".join(page_texts(document)).replace("\n", " ")
