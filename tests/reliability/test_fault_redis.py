"""Redis (a PRIVATE instance on port 6390: lockout counters and sessions) stopped:
login and session calls answer a JSON 503, API-token calls keep working, health
says Redis is down; once it is back, login works again."""

import pytest
import requests
from invenio_db import db

from rero_ils_users.accounts.models import User
from tests.helpers import PASSWORD, make_account, make_desk, make_patron_type

from .conftest import bearer, logged_in, services

PORT = 6390
URL = f"redis://127.0.0.1:{PORT}"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def private_redis():
    services("start", "redis", "--port", str(PORT))
    yield URL
    services("stop", "redis", "--port", str(PORT))


@pytest.fixture(scope="module")
def app_config(app_config, private_redis):
    return {**app_config, "LOGIN_REDIS_URL": f"{private_redis}/0", "SESSION_REDIS_URL": f"{private_redis}/1"}


@pytest.fixture()
def no_lockouts(app):
    """(Redis of this module is private and may be stopped: nothing to forget.)"""


def test_redis_stopped(live):
    desk = make_desk()
    ptype = make_patron_type(desk.org)
    username = db.session.get(User, desk.librarian).username
    session = logged_in(live, username)
    token = bearer(desk.librarian)
    monitor = bearer(make_account("monitoring"))
    assert session.get(f"{live}/api/patron_types/{ptype}", timeout=30).status_code == 200
    assert monitor.get(f"{live}/api/monitoring/health", timeout=30).json()["checks"]["redis"]["status"] == "up"

    services("stop", "redis", "--port", str(PORT))
    try:
        res = requests.post(f"{live}/api/login", json={"login": username, "password": PASSWORD}, timeout=30)
        assert res.status_code == 503, res.text
        assert res.json()["message"] == "Login and sessions are unavailable (Redis does not answer); try again in a moment."
        assert res.headers["Retry-After"]

        res = session.get(f"{live}/api/patron_types/{ptype}", timeout=30)
        assert res.status_code == 503, res.text
        assert "Sessions are unavailable" in res.json()["message"]

        res = token.get(f"{live}/api/patron_types/{ptype}", timeout=30)
        assert res.status_code == 200, "an API token needs no Redis"
        assert token.get(f"{live}/api/patron_types/", timeout=30).status_code == 200

        assert requests.get(f"{live}/api/organisations/{desk.org}", timeout=30).status_code in (200, 401)

        health = monitor.get(f"{live}/api/monitoring/health", timeout=30)
        assert health.status_code == 503
        assert health.json()["checks"]["redis"]["status"] == "down"
        assert health.json()["checks"]["database"]["status"] == "up"
    finally:
        services("start", "redis", "--port", str(PORT))
    again = logged_in(live, username)
    assert again.get(f"{live}/api/patron_types/{ptype}", timeout=30).status_code == 200
