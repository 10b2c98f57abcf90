"""API tests: every test starts from empty tables and indexes, the default matrix
and no login lockouts."""

import pytest


@pytest.fixture(autouse=True)
def fresh(clean, no_lockouts):
    """Applied to every test here; a module whose data outlives one test overrides it
    (tests/api/test_permissions_table.py)."""
