"""Browser-test harness: the real app served by gunicorn, Debian's Chromium driven by Playwright, and
axe-core run on every page a test visits.

Nothing here is downloaded: Chromium is /usr/bin/chromium and axe-core comes from node_modules (npm ci).
"""

import hashlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, Response, Route

from tests.support.http_servers import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
PASSWORD = "correct horse battery staple 42"
NARROW = {"width": 320, "height": 640}  # WCAG 1.4.10 reflow: 320 CSS pixels wide, no horizontal scrolling
PHONE = {"width": 375, "height": 667}


def missing_requirements() -> str | None:
    """Why the browser suite cannot run here, or None when it can."""
    if not CHROMIUM.exists():
        return f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    if not AXE_SCRIPT.exists():
        return f"browser tests need axe-core at {AXE_SCRIPT.relative_to(ROOT)} (run `npm ci`)"
    return None



def unique_email(prefix: str = "carer") -> str:
    """Every test signs up its own carer, so tests sharing one live server never collide."""
    return f"{prefix}-{secrets.token_hex(6)}@example.com"


# ---------------------------------------------------------------------------------------------
# The live server
# ---------------------------------------------------------------------------------------------


class LiveServer:
    """The app run as in production (gunicorn, its own instance folder and SQLite database) on a free port.

    `flask --app herbert init` makes the keys and migrates the database. When the migrations do not
    build the tables the models describe (they lag behind while the models change), the tables are
    rebuilt from the models instead and `schema_note` says why, so a failure can be told apart.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.instance = folder / "instance"
        self.log_path = folder / "server.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.schema_note = ""
        self.process: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HERBERT_")}
        env.update(
            HERBERT_INSTANCE_PATH=str(self.instance),
            # Every test signs up and signs in from 127.0.0.1; rate limits have their own tests (B4).
            HERBERT_RATELIMIT_ENABLED="false",
            HERBERT_PUBLIC_URL=self.url,  # share links and QR codes point at this server
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self) -> None:
        self.instance.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.prepare_database()
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "1",
                    "--threads",
                    "4",
                    "--timeout",
                    "60",
                    "herbert:create_app()",
                ],
                cwd=ROOT,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_for_port()
        self.wait_until_answering()

    def prepare_database(self) -> None:
        init = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "herbert", "init"],
            cwd=ROOT,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        problem = "" if init.returncode == 0 else f"`flask init` failed: {init.stderr.strip().splitlines()[-1:]}"
        problem = rebuild_tables_if_stale(self.instance, self.environment(), problem)
        if problem:
            self.schema_note = f"database built from the models, not the migrations ({problem})"

    def wait_for_port(self, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", self.log_path.read_text())
            if found:
                return found.group(1)
            self.fail_if_exited()
            time.sleep(0.05)
        raise RuntimeError(f"live server did not start in {timeout} s:\n{self.log_tail()}")

    def wait_until_answering(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5) as response:  # noqa: S310 (our own server)
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):  # a first request slowed by a busy machine
                pass
            self.fail_if_exited()
            time.sleep(0.1)
        raise RuntimeError(f"live server did not answer in {timeout} s:\n{self.log_tail()}")

    def fail_if_exited(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"live server exited with {self.process.returncode}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # gunicorn runs in its own session: stop the master and its worker, by their process group.
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


REBUILD_SNIPPET = """
import sys
from sqlalchemy import inspect
from herbert import create_app
from herbert.extensions import db

app = create_app()
with app.app_context():
    inspector = inspect(db.engine)
    stale = []
    for table in db.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            stale.append(table.name)
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        stale += [f"{table.name}.{column.name}" for column in table.columns if column.name not in present]
    if stale or sys.argv[1] == "rebuild":
        db.drop_all()
        db.create_all()
    print(", ".join(stale[:8]) + (" ..." if len(stale) > 8 else ""))
    db.engine.dispose()
"""


def rebuild_tables_if_stale(instance: Path, env: dict[str, str], problem: str) -> str:
    """Compare the migrated database with the models; rebuild it from the models when they differ."""
    result = subprocess.run(
        [sys.executable, "-c", REBUILD_SNIPPET, "rebuild" if problem else "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"could not create the live server's database:\n{result.stderr[-2000:]}")
    stale = result.stdout.strip()
    if stale and not problem:
        problem = f"migrations lack {stale}"
    return problem


# ---------------------------------------------------------------------------------------------
# Accessibility and layout checks
# ---------------------------------------------------------------------------------------------

_AXE_SOURCE: str | None = None

# One known, deliberate exception, and only that: GOV.UK Frontend puts aria-expanded on radios and
# checkboxes that reveal conditional questions. ARIA 1.2 does not allow it there, so axe reports
# aria-allowed-attr, but the GOV.UK Design System keeps it because screen readers announce it (see
# alphagov/govuk-frontend issues 979 and 1280, "known issues"). A node is excused only when aria-expanded
# is its sole disallowed attribute and it controls a GOV.UK conditional reveal. Not silent: the exception
# is stated on the accessibility statement page (#conditional-questions), and
# tests/browser/test_known_exception.py checks that axe still reports it (so it is dropped here once a
# govuk-frontend release fixes it) and that nothing else hides behind it. Checked for govuk-frontend
# 6.3.0 (package.json): issue 979 is still open and no release removes the attribute.
RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  const govukConditionalReveal = (node) => {
    const data = [...node.all, ...node.any, ...node.none]
      .filter((check) => check.id === 'aria-allowed-attr')
      .flatMap((check) => (check.data && check.data.values) || []);
    const element = document.querySelector(node.target[0]);
    const controlled = element && document.getElementById(element.getAttribute('aria-controls'));
    return data.length > 0 && data.every((attr) => String(attr).startsWith('aria-expanded')) &&
      element.matches('input[type=radio], input[type=checkbox]') && controlled !== null &&
      controlled.matches('.govuk-radios__conditional, .govuk-checkboxes__conditional');
  };
  return results.violations
    .map((v) => v.id === 'aria-allowed-attr' ? {...v, nodes: v.nodes.filter((n) => !govukConditionalReveal(n))} : v)
    .filter((v) => v.nodes.length > 0)
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
}"""


def axe_source() -> str:
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        _AXE_SOURCE = AXE_SCRIPT.read_text()
    return _AXE_SOURCE


def run_axe(page: Page) -> list[dict]:
    """axe-core's violations for the page as it is now.

    page.evaluate runs through the DevTools protocol, which the page's strict CSP does not govern, so
    axe is injected without weakening the CSP (no bypass_csp). With JavaScript turned off axe cannot
    run in the page itself, so the same HTML (scripts removed) is checked in a JavaScript-enabled tab.
    """
    if not page.evaluate("document.body.classList.contains('js-enabled')"):
        return run_axe_on_copy(page)
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    return page.evaluate(RUN_AXE, AXE_TAGS)


class _CopyTab:
    """One JavaScript-enabled tab per browser that shows a captured page's HTML for axe to check."""

    tabs: dict[int, "_CopyTab"] = {}

    def __init__(self, browser: Browser):
        self.page = browser.new_context().new_page()
        self.html = ""
        self.page.route("**/*", self.serve)

    def serve(self, route: Route) -> None:
        if route.request.resource_type == "document":
            route.fulfill(status=200, content_type="text/html", body=self.html)
        else:
            route.continue_()  # stylesheets, images and fonts come from the live server as usual

    @classmethod
    def check(cls, page: Page) -> list[dict]:
        browser = page.context.browser
        assert browser is not None
        tab = cls.tabs.get(id(browser))
        if tab is None or tab.page.is_closed():
            tab = cls.tabs[id(browser)] = cls(browser)
        html = page.content()
        html = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.DOTALL | re.IGNORECASE)
        tab.html = re.sub(r"</?noscript>", "", html, flags=re.IGNORECASE)  # what a browser without scripts shows
        if page.viewport_size:
            tab.page.set_viewport_size(page.viewport_size)
        tab.page.goto(page.url)
        tab.page.evaluate(axe_source())
        return tab.page.evaluate(RUN_AXE, AXE_TAGS)


def run_axe_on_copy(page: Page) -> list[dict]:
    """Check a page rendered without JavaScript: its HTML, minus scripts, in a JavaScript-enabled tab."""
    return _CopyTab.check(page)


_PASSED_AXE: set[str] = set()  # fingerprints of pages axe has already passed in this worker


def page_fingerprint(page: Page) -> str:
    """Identical markup at the same width and JavaScript setting gets the same axe result: check it once.

    Per-request values (CSP nonces, CSRF tokens and other input values) are left out of the comparison.
    """
    html = re.sub(r'\s(?:nonce|value)="[^"]*"', "", page.content())
    state = f"{page.viewport_size}|{page.evaluate('document.body.className')}|"
    return hashlib.sha256((state + html).encode()).hexdigest()


def format_violations(violations: list[dict], context_label: str, url: str) -> str:
    lines = [f"axe found {len(violations)} violation(s) on {context_label} ({url}):"]
    for v in violations:
        lines.append(f"  - {v['id']} [{v['impact']}] {v['help']}")
        lines.extend(f"      at {target}" for target in v["targets"])
    return "\n".join(lines)


def assert_accessible(page: Page, context_label: str) -> None:
    """Fail listing every axe violation (WCAG 2.0-2.2 A and AA, plus best practice) on the page as it is now."""
    violations = run_axe(page)
    assert not violations, format_violations(violations, context_label, page.url)


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0 when no horizontal scrolling is needed)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def assert_no_horizontal_scroll(page: Page, context_label: str) -> None:
    overflow = horizontal_overflow(page)
    if overflow > 0:
        culprits = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
                .filter((e) => !e.parentElement.closest('.app-table-scroll'))
                .slice(0, 5)
                .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                    (typeof e.className === 'string' && e.className ? '.' + e.className.split(' ').join('.') : ''))"""
        )
        raise AssertionError(
            f"{context_label} ({page.url}) needs horizontal scrolling at {page.viewport_size['width']} px: "
            f"{overflow} px too wide; widest elements: {culprits}"
        )


# ---------------------------------------------------------------------------------------------
# Keyboard
# ---------------------------------------------------------------------------------------------


def focused_description(page: Page) -> str:
    return page.evaluate(
        """() => { const e = document.activeElement; if (!e) return 'nothing';
             return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.name ? '[name=' + e.name + ']' : '') +
                    ' "' + (e.innerText || e.value || '').trim().slice(0, 40) + '"'; }"""
    )


def on_skip_link(page: Page) -> bool:
    return page.evaluate("() => !!document.activeElement && document.activeElement.matches('a.govuk-skip-link')")


def tab_to(
    page: Page, selector: str, *, max_presses: int = 80, backwards: bool = False, skip_link: bool = False
) -> int:
    """Press Tab (or Shift+Tab) until the element matching `selector` has focus; return how many presses it took.

    With skip_link=True, a first Tab that lands on "Skip to main content" is followed by Enter, so the
    search starts inside <main> (the target must then be in <main>).

    Fails if focus never gets there, which is itself a keyboard-accessibility bug worth reporting.
    """
    key = "Shift+Tab" if backwards else "Tab"
    for presses in range(1, max_presses + 1):
        page.keyboard.press(key)
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return presses
        if presses == 1 and skip_link and on_skip_link(page):
            page.keyboard.press("Enter")  # as keyboard users do: straight to <main>
    raise AssertionError(
        f"{max_presses} presses of {key} never focused {selector} on {page.url}; "
        f"focus ended on {focused_description(page)}"
    )


# ---------------------------------------------------------------------------------------------
# Journeys: every document a test loads gets checked
# ---------------------------------------------------------------------------------------------


class Journey:
    """A page that checks every document it loads: axe (zero violations) and no horizontal scrolling.

    Use visit(), submit(), follow() or `with journey.navigation(): <keyboard presses>`; each checks
    the page it lands on. Pages loaded some other way are checked at the next helper call or at the
    end of the test; the test fails if a document was replaced before it could be checked, if any
    response was a 5xx, or if the browser reported a script error or CSP violation.
    """

    def __init__(self, page: Page, server: LiveServer | None = None):
        self.page = page
        self.server = server
        self.visited: list[dict] = []  # one entry per checked page: path, title, error_state, label
        self.problems: list[str] = []
        self._unchecked: str | None = None
        page.on("load", self._on_load)
        page.on("response", self._on_response)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"script error on {page.url}: {error}"))

    # -- events ------------------------------------------------------------------------------
    def _on_load(self, page: Page) -> None:
        if page.url.startswith(("about:", "data:")):
            return
        if self._unchecked is not None:
            self.problems.append(f"{self._unchecked} was loaded but replaced before it was checked")
        self._unchecked = page.url

    def _on_response(self, response: Response) -> None:
        # Pages may answer 4xx on purpose (the test asserts their status); their assets never should.
        is_page = response.request.resource_type == "document"
        if response.status >= 500 or (response.status >= 400 and not is_page):
            self.problems.append(f"{response.request.method} {response.url} answered {response.status}")

    def _on_console(self, message) -> None:
        # "Failed to load resource" repeats what _on_response already judged.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"browser console error on {self.page.url}: {message.text}")

    # -- checks ------------------------------------------------------------------------------
    @property
    def path(self) -> str:
        """The current page's path and query, without the fragment."""
        url = urlsplit(self.page.url)
        return url.path + (f"?{url.query}" if url.query else "")

    def error_state(self) -> bool:
        return self.page.locator("main .govuk-error-summary, main .govuk-error-message").count() > 0

    def check(self, label: str | None = None) -> None:
        """Check the page as it is now (also usable after in-page changes such as a conditional reveal)."""
        self._unchecked = None
        title = self.page.title()
        error_state = self.error_state()
        label = label or f'"{title}"' + (" [error state]" if error_state else "")
        self.visited.append({"path": self.path, "title": title, "error_state": error_state, "label": label})
        fingerprint = page_fingerprint(self.page)
        if fingerprint not in _PASSED_AXE:
            assert_accessible(self.page, label)
            _PASSED_AXE.add(fingerprint)
        assert_no_horizontal_scroll(self.page, label)

    def check_pending(self) -> None:
        if self._unchecked is not None:
            self.check()

    def finish(self) -> None:
        """End-of-test checks: the last page, and anything that went wrong along the way."""
        self.check_pending()
        problems = list(self.problems)
        if problems and self.server is not None:
            if any(" answered 5" in problem for problem in problems):
                problems.append(f"live server log ({self.server.log_path}), last lines:\n{self.server.log_tail(20)}")
            if self.server.schema_note:
                problems.append(f"note: {self.server.schema_note}")
        assert not problems, "\n".join(problems)

    # -- actions -----------------------------------------------------------------------------
    def visit(self, path: str, status: int = 200) -> Response:
        self.check_pending()
        response = self.page.goto(path)
        assert response is not None
        assert response.status == status, f"GET {path}: expected {status}, got {response.status}"
        self.check()
        return response

    @contextmanager
    def navigation(self) -> Iterator[None]:
        """Wrap keyboard presses or clicks that load a new page; the new page is checked afterwards."""
        self.check_pending()
        with self.page.expect_navigation():
            yield
        self.check()

    def submit(self, button: str | None = None) -> None:
        """Press a form's button (by its text; default: the page's only submit button) and check the result."""
        main = self.page.locator("main")
        target = (
            main.get_by_role("button", name=button, exact=True)
            if button
            else main.locator("form button[type=submit], form input[type=submit]")
        )
        with self.navigation():
            target.click()

    def follow(self, link: str) -> None:
        with self.navigation():
            self.page.get_by_role("link", name=link, exact=True).first.click()

    def fill(self, label: str, text: str) -> None:
        self.page.get_by_label(label, exact=True).fill(text)

    # -- common journeys ---------------------------------------------------------------------
    def sign_up(self, email: str | None = None, password: str = PASSWORD) -> str:
        email = email or unique_email()
        self.visit("/sign-up")
        self.fill("Email address", email)
        self.page.locator("input[name=password]").fill(password)
        self.submit("Create account")
        assert self.path == "/people", f"sign-up ended on {self.path}"
        return email

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        self.visit("/sign-in")
        self.fill("Email address", email)
        self.page.locator("input[name=password]").fill(password)
        self.submit("Sign in")

    def sign_out(self) -> None:
        with self.navigation():
            self.page.get_by_role("button", name="Sign out").click()


def add_person(journey: "Journey", full_name: str = "Ada Example") -> None:
    """Set-up, not part of the journey under test: add a person with a name through the same POSTs the
    records pages make (their own browser tests check those pages)."""
    request = journey.page.request
    token = re.search(r'name="csrf_token" value="([^"]+)"', request.get("/account").text()).group(1)
    started = request.post("/people/new", form={"csrf_token": token})
    assert started.ok, started.status
    saved = request.post(started.url, form={"csrf_token": token, "full_name": full_name, "action": "continue"})
    assert saved.ok, saved.status


def tap(journey: "Journey", role: str, name: str) -> None:
    """One tap that loads a new page (axe-checked by the journey)."""
    with journey.navigation():
        journey.page.locator("main").get_by_role(role, name=re.compile(f"^{re.escape(name)}")).first.click()
