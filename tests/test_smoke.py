"""The app starts and its public pages render in the shared layout."""

import pytest


@pytest.mark.parametrize("path", ["/", "/privacy", "/accessibility", "/cookies", "/sign-in", "/sign-up"])
def test_public_pages_render(client_request, path):
    page = client_request.get(path)
    assert "call 999" in page.get_text()


def test_sign_up_then_dashboard(signed_in, client_request):
    page = client_request.get("/people")
    assert page.h1.text.strip() == "Your people"
