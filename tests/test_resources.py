"""The useful-links sidebar: the packaged default, an operator's override in instance/, and bad files
that stop start-up with a message naming the file and the problem."""

import os
from pathlib import Path

import pytest

from herbert import create_app
from herbert.resources import PACKAGED, ResourcesFileError, load_resources

GOOD = """
emergency = "If someone is missing and at risk, call 999 now."
non_urgent = "For non-urgent matters, call 101."

[[group]]
title = "Kent links"

[[group.link]]
name = "Kent Police"
description = "Your local force."
url = "https://www.kent.police.uk/"
phone = [{ label = "Front desk", number = "01622 690690" }]
"""

BAD = {
    "not TOML": ('emergency = "unclosed', "not valid TOML"),
    "not UTF-8": (b"emergency = '\xff\xfe'", "is not UTF-8 text"),
    "no groups": ('emergency = "x"\nnon_urgent = "y"\n', "needs at least one [[group]]"),
    "group is text": ('emergency = "x"\nnon_urgent = "y"\ngroup = "links"\n', "needs at least one [[group]]"),
    "group without links": (
        GOOD.split("[[group.link]]")[0],
        "group 1 ('Kent links') needs at least one [[group.link]]",
    ),
    "plain http": (GOOD.replace("https://www.kent", "http://www.kent"), "url must be a full https:// address"),
    "javascript url": (GOOD.replace("https://www.kent.police.uk/", "javascript:alert(1)"), "https://"),
    "missing description": (
        GOOD.replace('description = "Your local force."', ""),
        "needs a non-empty text 'description'",
    ),
    "misspelt key": (GOOD.replace("description =", "descripton ="), "unknown key(s) descripton"),
    "phone with letters": (GOOD.replace("01622 690690", "call us"), "phone 1 number must be digits"),
    "phone not a table": (
        GOOD.replace('phone = [{ label = "Front desk", number = "01622 690690" }]', 'phone = ["0"]'),
        "phone 1 must be a table",
    ),
    "no emergency line": (
        GOOD.replace('emergency = "If someone is missing and at risk, call 999 now."', ""),
        "the top level needs a non-empty text 'emergency'",
    ),
}


def test_packaged_default_has_the_bromley_links():
    resources = load_resources("/nonexistent", "resources.toml")
    links = [link for group in resources.groups for link in group.links]
    print(f"\nResources: packaged default has {len(resources.groups)} groups, {len(links)} links")
    assert "call 999" in resources.emergency and "101" in resources.non_urgent
    assert [g.title for g in resources.groups][0] == "Police and local safety"
    assert len(links) >= 18
    crimestoppers = next(link for link in links if link.name == "Crimestoppers")
    assert crimestoppers.phones[0].tel == "tel:0800555111"


def test_sidebar_renders_with_tel_links(client_request):
    page = client_request.get("/")
    sidebar = page.find(class_="app-sidebar")
    assert "call 999" in sidebar.get_text()
    assert sidebar.find("a", href="tel:0800555111")
    # after the main content in the page order, so a phone shows it below the page's own content
    assert page.find("main").find(class_="govuk-grid-column-two-thirds").find_next(class_="app-sidebar")


def test_on_a_phone_the_links_fold_into_one_useful_links_disclosure(client_request):
    """Both forms are in the page (CSS shows one, so no script is needed): the disclosure holds the same
    links as the sidebar, and the 999 line stays outside it."""
    page = client_request.get("/")
    wide, phone = page.find(class_="app-sidebar--wide"), page.find(class_="app-sidebar--phone")
    details = phone.find("details", class_="govuk-details")
    assert details.find("summary").get_text(strip=True) == "Useful links"
    assert "call 999" in phone.find(class_="app-sidebar__emergency").get_text()
    assert details.find(class_="app-sidebar__emergency") is None
    assert [a["href"] for a in details.find_all("a")] == [a["href"] for a in wide.find_all("a")]


def test_dementia_and_missing_person_support_is_listed(client_request):
    page = client_request.get("/")
    sidebar = page.find(class_="app-sidebar--wide")
    heading = sidebar.find("h3", string="Dementia and missing people")
    group = heading.find_next("ul")
    assert group.find("a", href="tel:116000")  # Missing People
    assert group.find("a", href="https://www.alzheimers.org.uk/")  # its number is not confirmed at source: link only
    assert not group.find("a", href="tel:03331503456")
    assert group.find("a", href="tel:08008886678")  # Dementia UK Admiral Nurse Dementia Helpline
    assert group.find("a", href="https://www.missingpeople.org.uk/")


def make_app(instance: Path):
    os.environ["HERBERT_INSTANCE_PATH"] = str(instance)
    try:
        return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'h.db'}"})
    finally:
        os.environ.pop("HERBERT_INSTANCE_PATH", None)


def test_operator_override_in_instance_folder(tmp_path):
    (tmp_path / "resources.toml").write_text(GOOD, encoding="utf-8")
    app = make_app(tmp_path)
    text = app.test_client().get("/").get_data(as_text=True)
    assert "Kent links" in text and 'href="tel:01622690690"' in text
    assert "Bromley" not in text


@pytest.mark.parametrize("name", list(BAD))
def test_bad_override_stops_start_up_naming_file_and_problem(tmp_path, name):
    content, expected = BAD[name]
    path = tmp_path / "resources.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ResourcesFileError) as caught:
        make_app(tmp_path)
    message = str(caught.value)
    print(f"\nResources ({name}): {message.replace(str(tmp_path), '<instance>')}")
    assert message.startswith(str(path) + ": ")
    assert expected in message


def test_unreadable_override(tmp_path):
    (tmp_path / "resources.toml").mkdir()  # a folder where the file should be
    with pytest.raises(ResourcesFileError, match="cannot be read"):
        make_app(tmp_path)


def test_packaged_file_is_valid_toml_with_no_unknown_keys():
    assert PACKAGED.exists()
    load_resources(str(PACKAGED.parent / "not-an-instance"), "resources.toml")
