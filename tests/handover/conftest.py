"""Fixtures for the handover tests: `carer` is a carer whose person has a filled-in form, a version and photos;
`renders` records every PDF render; `preparing` makes and keeps police PDFs in the background as in production."""

import pytest

from herbert.documents import kept, renderer
from tests.support.carers import Carer


@pytest.fixture
def carer(carer_with_form: Carer) -> Carer:
    return carer_with_form


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """Every PDF render, by title (the real renderer runs; the list only records it)."""
    made: list[str] = []
    real = renderer.render_pdf

    def counting(html, *, title, **kwargs):
        made.append(title)
        return real(html, title=title, **kwargs)

    monkeypatch.setattr(renderer, "render_pdf", counting)
    return made


@pytest.fixture
def preparing(carer):
    """The carer, with police PDFs made and kept in the background as in production; waits for them after."""
    carer.app.config["PREPARE_POLICE_PDFS"] = True
    yield carer
    kept.wait_for_pending()
