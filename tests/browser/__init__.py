"""Browser tests: Playwright driving Debian's Chromium against a live server, with axe-core on every page."""
