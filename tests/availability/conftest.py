"""Fixtures for the availability tests (issue 15, security.md B19): the handover tests' signed-in carer."""

from tests.handover.conftest import carer  # noqa: F401  (a fixture, re-exported for these tests)
