"""The search-aid page tests reuse the handover tests' signed-in carer (a person with answers and a version)."""

from tests.handover.conftest import Carer, carer  # noqa: F401 - the fixture, re-exported for this folder
