"""API tests: every test starts from empty tables and indexes, the default matrix
and no login lockouts."""

import pytest

from tests.helpers import make_library, make_org, make_patron_type


@pytest.fixture(autouse=True)
def fresh(clean, no_lockouts):
    """Applied to every test here; a module whose data outlives one test overrides it
    (tests/api/test_permissions_table.py)."""


@pytest.fixture()
def runner(app):
    """Flask's runner of the app's CLI commands."""
    return app.test_cli_runner()


@pytest.fixture()
def network(app):
    """The "lakes" organisation, its library ``LAKES-MAIN`` and patron type ``Adult``, which
    the CLI and import tests' rows name (a module may define its own ``network``)."""
    org = make_org(code="lakes")
    make_library(org, code="LAKES-MAIN")
    make_patron_type(org, name="Adult")
    return org
