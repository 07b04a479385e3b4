"""On the person page the emergency action comes first: a frightened carer must not scroll past the task list."""

from bs4 import BeautifulSoup

from tests.support.journey import report_missing


def positions(html: str, *needles: str) -> list[int]:
    text = BeautifulSoup(html, "html.parser").get_text(" ")
    return [text.index(needle) for needle in needles]


def test_report_them_missing_and_999_come_before_the_sections(carer):
    html = carer.client.get(f"/people/{carer.person_id}").get_data(as_text=True)
    guidance, action, sections = positions(html, "call 999 now", "Report them missing", "Sections")
    assert guidance < action < sections


def test_once_missing_share_and_found_come_before_the_sections(carer):
    report_missing(carer)
    html = carer.client.get(f"/people/{carer.person_id}").get_data(as_text=True)
    share, found, sections = positions(html, "Share with police", "They've been found", "Sections")
    assert share < found < sections
    assert "Report them missing" not in BeautifulSoup(html, "html.parser").get_text(" ")
