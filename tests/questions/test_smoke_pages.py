import pytest

from tests.support.sample_answers import ALL_PAGES


@pytest.mark.parametrize(("section", "page"), ALL_PAGES)
def test_every_page_renders(carer, client_request, section, page):
    soup = client_request.get(carer.url(section, page))
    assert soup.h1
