"""Fixtures for the browser suite: one live server and one Chromium per pytest(-xdist) worker, a fresh
browser context per test, and `journey`, a page that axe-checks every document it loads.

The whole folder is skipped, with the reason, when Chromium or axe-core is missing.
"""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, Journey, LiveServer, missing_requirements

MISSING = missing_requirements()
CALL_FAILED = pytest.StashKey[bool]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if MISSING:
                item.add_marker(pytest.mark.skip(reason=MISSING))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    # Remember whether the test body failed, so the journey's end-of-test checks do not pile on.
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app under gunicorn on 127.0.0.1 and a free port, with its own instance folder (per xdist worker)."""
    server = LiveServer(tmp_path_factory.mktemp("live-server"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless; never a downloaded browser."""
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def new_context(browser: Browser, live_server: LiveServer) -> Iterator[Callable[..., BrowserContext]]:
    """Make a fresh browser context (own cookies) pointed at the live server; Playwright options pass through,
    e.g. new_context(viewport=NARROW) or new_context(java_script_enabled=False)."""
    made: list[BrowserContext] = []

    def make(**options) -> BrowserContext:
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        context.set_default_navigation_timeout(20_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    return new_context().new_page()


@pytest.fixture
def make_journey(
    new_context: Callable[..., BrowserContext], live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Journey]]:
    """Make a Journey in a fresh context with the given options (viewport, java_script_enabled, ...).
    At the end of the test each journey checks its last page and reports 5xx responses and script errors."""
    journeys: list[Journey] = []

    def make(**options) -> Journey:
        journey = Journey(new_context(**options).new_page(), live_server)
        journeys.append(journey)
        return journey

    yield make
    if not request.node.stash.get(CALL_FAILED, False):
        for journey in journeys:
            journey.finish()


@pytest.fixture
def journey(make_journey: Callable[..., Journey]) -> Journey:
    """A desktop-sized, JavaScript-enabled page that axe-checks every document it loads."""
    return make_journey()
