"""Issues 6 and 9 in a real browser on a 375-pixel phone: dashboard → "Report them missing" → the time last
seen (one quick-pick tap, never filled in silently) → the reference and access code on screen, in at most 5
taps (re-authentication counts) → "Send by text message", which hands the police address, reference and code to
the phone's messages app: police hold them within 6 taps. Axe at zero violations on every page; then police open
the share with the code (by the link here; by reference at /police in test_police_pages.py), and the carer marks
the person found."""

from urllib.parse import unquote

import pytest

from tests.support.browser import PASSWORD, PHONE, add_person, tap

pytestmark = pytest.mark.browser

MAX_TAPS = 5  # until the carer sees the reference and code
MAX_TAPS_TO_POLICE = 6  # until the police hold them: one more tap sends them by text message


def test_emergency_journey_on_a_phone(make_journey):
    carer = make_journey(viewport=PHONE)
    carer.sign_up()
    add_person(carer)
    carer.visit("/people")
    assert "call 999 now" in carer.page.locator("main").inner_text()

    taps = 0
    tap(carer, "button", "Report them missing")
    taps += 1
    assert carer.page.locator("main .app-999").is_visible()
    assert carer.page.get_by_label("Time last seen").input_value() == ""  # empty until the carer says
    tap(carer, "button", "Now")  # fills the boxes for the carer to check; nothing is saved by it
    taps += 1
    assert carer.page.get_by_label("Time last seen").input_value() != ""
    tap(carer, "button", "Save and share with police now")
    taps += 1
    password = carer.page.locator("main input[name=password]")
    if password.count():  # step-up: tapping into the field and typing counts as one tap
        password.fill(PASSWORD)
        taps += 1
    tap(carer, "button", "Share with police")
    taps += 1
    reference = carer.page.locator("#share-reference")
    assert reference.is_visible() and carer.page.locator("#share-code").is_visible()
    assert carer.page.locator("#police-address").is_visible()
    link = carer.page.locator("#share-link")
    link_text = link.inner_text().strip()
    code = carer.page.locator("#share-code").inner_text().strip()
    print(f"\nTaps from the dashboard to the carer holding the reference and access code: {taps}")
    assert taps <= MAX_TAPS
    assert carer.page.locator("img.app-qr").is_visible()

    # Issue 9 counts until police hold them: one tap on "Send by text message" opens the phone's messages app
    # with the police address, reference and code written in. Headless Chromium has no messages app (launching
    # the sms: scheme would only log an error), so the tap is caught as it reaches the link and the hand-off
    # stopped there; what it would hand over is read from the link the tap landed on.
    carer.page.evaluate(
        """() => document.addEventListener("click", event => {
            const link = event.target.closest("a");
            if (link && link.href.startsWith("sms:")) { window.appTappedSms = link.href; event.preventDefault(); }
        }, true)"""
    )
    carer.page.locator("main").get_by_role("link", name="Send by text message").click()
    taps += 1
    handed_over = carer.page.evaluate("() => window.appTappedSms")
    assert handed_over and handed_over.startswith("sms:")
    body = unquote(handed_over.split("body=", 1)[1])
    police_address = carer.page.locator("#police-address").inner_text().strip()
    assert reference.inner_text().strip() in body and code in body and police_address in body
    assert link_text not in body  # the link goes separately, never with the code
    print(f"Taps from the dashboard until the police hold the reference and access code (by text message): {taps}")
    assert taps <= MAX_TAPS_TO_POLICE

    # The other missing-now pages and the handover page pass axe too.
    carer.visit(carer.path.split("/shares")[0] + "/missing/clothing")
    carer.visit(carer.path.replace("/clothing", "/more-details"))
    carer.visit(carer.path.replace("/more-details", "/handover"))
    person_path = carer.path.split("/missing")[0]

    # Police, on their own phone: the code page, a wrong code, then the form.
    police = make_journey(viewport=PHONE)
    police.visit("/" + link_text.split("/", 3)[3])
    police.fill("Access code", "WRNG-CODE")
    police.submit("Open the form")
    assert police.error_state()
    police.fill("Access code", code)
    police.submit("Open the form")
    assert "Ada Example" in police.page.locator("main").inner_text()

    # The carer sees the open and "Missing now since ..." on the dashboard, then marks the person found.
    carer.visit("/people")
    assert "Missing now since" in carer.page.locator("main").inner_text()
    carer.visit(person_path + "/shares")
    assert "Opened by police" in carer.page.locator("main").inner_text()
    carer.visit(person_path + "/found")
    carer.submit("They've been found")
    assert "Marked as found" in carer.page.locator("main").inner_text()
    police.visit(police.path, status=410)
