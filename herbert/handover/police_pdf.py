"""The police PDF for a handover: the form with the missing-now block on top of page 1 (via herbert.pdf)."""

from typing import Any

from herbert import pdf
from herbert.dates import uk_now


def render(
    document: dict[str, Any],
    photos: list[tuple[dict[str, Any], bytes]],
    *,
    version_label: str,
    missing_report: dict[str, Any] | None,
    police_line: str = "",
    lane: str = pdf.CARER,
) -> bytes:
    """PDF bytes; raises herbert.pdf.PdfError (or PdfTimeout) when it cannot be made. police_line: the footer's
    line telling police where to open the form online (the default names /police without a reference)."""
    meta = {"version_label": version_label, "generated_at": uk_now(), "police_line": police_line}
    render_police_pdf = getattr(pdf, "render_police_pdf", None)
    if render_police_pdf is None:  # herbert.pdf not finished yet: callers already handle PdfError
        raise pdf.PdfError("the police PDF is not available")
    return render_police_pdf(document, photos, meta=meta, missing_report=missing_report, lane=lane)
