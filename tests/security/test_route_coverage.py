"""Every write route of the app has attempts in the escalation table (or a stated
reason to have none), and the table names no route the app does not have."""

from tests.security.test_escalation_table import EXEMPT, TABLE

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def write_routes(app):
    return {(method, rule.rule) for rule in app.url_map.iter_rules() for method in rule.methods & WRITE_METHODS}


def test_every_write_route_is_in_the_escalation_table(app):
    missing = sorted(write_routes(app) - set(TABLE) - set(EXEMPT))
    assert not missing, f"write routes without escalation cases in tests/security/test_escalation_table.py: {missing}"


def test_the_table_names_only_routes_the_app_has(app):
    stale = sorted((set(TABLE) | set(EXEMPT)) - write_routes(app))
    assert not stale, f"routes in the escalation table that the app does not have: {stale}"


def test_every_route_of_the_table_has_cases():
    empty = sorted(route for route, cases in TABLE.items() if not cases)
    assert not empty, empty
