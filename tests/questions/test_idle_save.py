"""The idle save (herbert/auth/idle.py): just before the idle limit the timeout script posts the page's
own form with idle_save=1; the answers are saved as "Save and continue" would save them, then the session
ends as the idle limit would end it, and sign-in comes back to the same page."""

from bs4 import BeautifulSoup

from herbert.auth.idle import IDLE_SAVED_MESSAGE

APPROACH = ("communication-and-behaviour", "approaching-them")


def test_an_idle_save_keeps_the_answers_then_signs_out(carer):
    path = carer.url(*APPROACH)
    typed = {"best_approach": "From the front, slowly, and say her name", "idle_save": "1"}
    response = carer.post(path, typed)
    assert response.status_code == 302
    assert response.location.startswith("/sign-in?next=") and APPROACH[1] in response.location
    sign_in = carer.client.get(response.location).get_data(as_text=True)
    assert IDLE_SAVED_MESSAGE in sign_in
    assert "You were signed out to protect your information" in sign_in
    assert carer.client.get("/people").status_code == 302  # signed out


def test_the_saved_text_is_there_after_signing_in_again(carer, auth):
    path = carer.url(*APPROACH)
    carer.post(path, {"what_calms": "Talking about her garden", "idle_save": "1"})
    response = auth.sign_in()
    assert response.status_code == 302
    page = BeautifulSoup(carer.client.get(path).data, "html.parser")
    assert page.find("textarea", attrs={"name": "what_calms"}).get_text() == "Talking about her garden"


def test_a_malformed_answer_is_not_saved_and_the_carer_stays_signed_in_with_their_text(carer):
    path = carer.url("about-the-person", "home-address")
    response = carer.post(path, {"address": "1 High Street", "landline": "not a phone number", "idle_save": "1"})
    assert response.status_code == 200
    page = BeautifulSoup(response.data, "html.parser")
    assert page.select_one(".govuk-error-summary")
    assert page.find("textarea", attrs={"name": "address"}).get_text() == "1 High Street"
    assert carer.client.get("/people").status_code == 200  # still signed in: nothing was lost
    fresh = BeautifulSoup(carer.client.get(path).data, "html.parser")
    assert fresh.find("textarea", attrs={"name": "address"}).get_text() == ""  # and nothing was stored
