"""CSRF on session calls that change data (logout included), and sessions that outlive
a worker: in Redis (Flask-Session, ``SESSION_REDIS_URL``), by default."""

import pytest
import redis

from rero_ils_users.accounts import lockout
from tests.helpers import login as session_login
from tests.helpers import make_account, post_login

PASSWORD = "Strong-Pass1"


@pytest.fixture(scope="module")
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def superuser():
    return make_account("superuser", username="root", email="root@example.org", password=PASSWORD)


def log_in(client):
    res = post_login(client, "root", PASSWORD)
    assert res.status_code == 200, res.get_json()
    return res.get_json()["csrf_token"]


def test_session_call_that_changes_data_needs_the_csrf_header(client):
    superuser()
    token = log_in(client)
    res = client.post("/api/organisations/", json={"name": "Net A", "code": "neta"})
    assert res.status_code == 400
    assert res.get_json() == {"status": 400, "message": "The CSRF token is missing."}
    res = client.post("/api/organisations/", json={"name": "Net A", "code": "neta"}, headers={"X-CSRF-Token": "forged"})
    assert res.status_code == 400 and "CSRF" in res.get_json()["message"]
    res = client.post("/api/organisations/", json={"name": "Net A", "code": "neta"}, headers={"X-CSRF-Token": token})
    assert res.status_code == 201, res.get_json()
    pid = res.get_json()["id"]
    assert client.delete(f"/api/organisations/{pid}").status_code == 400
    assert client.delete(f"/api/organisations/{pid}", headers={"X-CSRF-Token": token}).status_code == 204
    # reading needs no token
    assert client.get("/api/organisations/").status_code == 200


def test_csrf_token_can_be_fetched_again_after_a_page_reload(client):
    user_id = superuser()
    session_login(client, user_id)  # a session made elsewhere (e.g. before a reload)
    assert client.post("/api/organisations/", json={"name": "Net B", "code": "netb"}).status_code == 400
    token = client.get("/api/login").get_json()["csrf_token"]
    res = client.post("/api/organisations/", json={"name": "Net B", "code": "netb"}, headers={"X-CSRF-Token": token})
    assert res.status_code == 201


def test_login_and_anonymous_calls_are_exempt(client):
    superuser()
    log_in(client)
    token = log_in(client)  # logging in again from a live session needs no token either
    assert client.post("/api/user/password/validate", json={"password": "Secret123"}).status_code == 200
    assert client.post("/api/logout").status_code == 400  # logout is not exempt: no cross-site logout
    assert client.post("/api/logout", headers={"X-CSRF-Token": token}).status_code == 200
    # anonymous: no session authority to abuse, the policy answers
    assert client.post("/api/organisations/", json={"name": "Net C", "code": "netc"}).status_code == 401


def test_a_session_survives_a_restart(client, create_app, app_config):
    user_id = superuser()
    log_in(client)
    cookie = client.get_cookie("session").value
    restarted = create_app(**app_config)
    other = restarted.test_client()
    other.set_cookie("session", cookie)
    assert other.get("/api/login").get_json()["user"]["id"] == user_id


def test_redis_sessions_are_shared_by_workers_and_end_with_logout(create_app, app_config, app):
    url = app.config["LOGIN_REDIS_URL"]
    config = {**app_config, "SESSION_REDIS_URL": url}
    first, second = create_app(**config), create_app(**config)
    user_id = superuser()
    one, two = first.test_client(), second.test_client()
    res = post_login(one, "root", PASSWORD)
    assert res.status_code == 200
    sid = one.get_cookie("session").value
    store = redis.Redis.from_url(url)
    prefix = f"{lockout.key_prefix()}:session:"  # the installation's namespace
    assert store.exists(f"{prefix}{sid}")
    # logging in again gives a new session id and drops the old one (no fixation)
    assert post_login(one, "root", PASSWORD).status_code == 200
    assert one.get_cookie("session").value != sid and not store.exists(f"{prefix}{sid}")
    sid = one.get_cookie("session").value
    two.set_cookie("session", sid)
    assert two.get("/api/login").get_json()["user"]["id"] == user_id
    token = res.get_json()["csrf_token"]
    assert two.post("/api/logout", headers={"X-CSRF-Token": token}).status_code == 200
    assert one.get("/api/login").status_code == 401
