"""Fixtures for the search-aid page tests: `carer` is a carer whose person has a filled-in form,
a version and photos."""

import pytest

from tests.support.carers import Carer


@pytest.fixture
def carer(carer_with_form: Carer) -> Carer:
    return carer_with_form
