"""Issue 11, sessions, hosts and headers: sessions live in Redis by default, so a logout
or a password change ends them for real; the session id changes at login; the cookie
is Secure behind https; links and mails never use an untrusted Host; links.self
repeats the query as sent; security headers on every response; ``next`` stays on the
site; logging out needs the CSRF token (no cross-site logout).

Each test here failed on the code before the fix (signed-cookie sessions, links from
the Host header, no headers, ``/%5Cevil.example`` accepted, logout by GET or without
a token) unless its docstring says it guards what already held."""

import re
from urllib.parse import quote, urlsplit

import pytest
import redis
from flask_security.recoverable import generate_reset_password_token
from invenio_db import db

from rero_ils_users import config as defaults
from rero_ils_users.accounts import lockout, tokens
from rero_ils_users.accounts.models import User
from rero_ils_users.ui.next import same_site_path
from tests.helpers import PASSWORD, make_desk, make_person, post_login

NEW_PASSWORD = "Brand-New-42"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@pytest.fixture(scope="module")
def app_config(app_config, smtp):
    # CSRF on, as in production: every session call that changes data sends the token
    return {**app_config, "WTF_CSRF_ENABLED": True, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port}


class Browser:
    """A test client logged in through ``POST /api/login``, keeping the CSRF token."""

    def __init__(self, app, login):
        self.client = app.test_client()
        res = post_login(self.client, login)
        assert res.status_code == 200, res.get_json()
        self.token = res.get_json()["csrf_token"]

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def send(self, method, url, **kwargs):
        headers = {"X-CSRF-Token": self.token, **kwargs.pop("headers", {})}
        return self.client.open(url, method=method, headers=headers, **kwargs)

    @property
    def sid(self):
        cookie = self.client.get_cookie("session")
        return cookie and cookie.value

    def who(self):
        """The user id this session acts for, or None (anonymous)."""
        res = self.client.get("/api/login")
        return res.get_json()["user"]["id"] if res.status_code == 200 else None


def replay(app, sid):
    """A fresh client carrying a copied session cookie: who is it?"""
    other = app.test_client()
    other.set_cookie("session", sid)
    res = other.get("/api/login")
    return res.get_json()["user"]["id"] if res.status_code == 200 else None


def patron(org, username="alice"):
    user_id, _ = make_person(org, ["patron"], user={"username": username, "email": f"{username}@example.org"})
    return user_id


def user_body(browser, user_id, **changes):
    data = browser.get(f"/api/users/{user_id}").get_json()["metadata"]
    return dict(data, **changes)


# --- sessions live in Redis, by default ----------------------------------------------
def test_sessions_are_in_redis_by_default(create_app, app_config, monkeypatch):
    monkeypatch.delenv("INVENIO_SESSION_REDIS_URL", raising=False)
    assert defaults.SESSION_REDIS_URL == "redis://127.0.0.1:6379/0"
    plain = create_app(**app_config)
    assert type(plain.session_interface._interface).__name__ == "RedisSessionInterface"  # inside TolerantSessions


def test_a_session_cookie_replayed_after_logout_is_anonymous(app):
    user_id = patron(make_desk().org)
    browser = Browser(app, "alice")
    sid = browser.sid
    store = redis.Redis.from_url(app.config["SESSION_REDIS_URL"])
    assert store.exists(f"{lockout.key_prefix()}:session:{sid}")  # under the installation's prefix
    assert replay(app, sid) == user_id
    assert browser.send("POST", "/api/logout").status_code == 200
    assert replay(app, sid) is None
    assert not store.exists(f"{lockout.key_prefix()}:session:{sid}")


def test_the_session_id_changes_at_login(app):
    """No fixation: an id handed out before the login never acts for the account."""
    patron(make_desk().org)
    client = app.test_client()
    assert client.get("/").status_code == 200  # the login page: a session with its CSRF token
    before = client.get_cookie("session").value
    assert post_login(client, "alice").status_code == 200
    after = client.get_cookie("session").value
    assert after != before
    assert replay(app, before) is None and replay(app, after) is not None


def test_changing_ones_own_password_ends_the_other_sessions_not_this_one(app):
    user_id = patron(make_desk().org)
    here, elsewhere = Browser(app, "alice"), Browser(app, "alice")
    old_sid = here.sid
    res = here.send("PUT", f"/api/users/{user_id}", json=user_body(here, user_id, password=NEW_PASSWORD, current_password=PASSWORD))
    assert res.status_code == 200, res.get_json()
    assert elsewhere.who() is None
    assert here.who() == user_id
    assert here.sid != old_sid and replay(app, old_sid) is None  # the kept session has a new id
    # the kept session still works for writes (its CSRF token is unchanged)
    res = here.send("PUT", f"/api/users/{user_id}", json=user_body(here, user_id, city="Bulle"))
    assert res.status_code == 200, res.get_json()
    assert post_login(app.test_client(), "alice", NEW_PASSWORD).status_code == 200


def test_a_failed_password_change_ends_no_session(app):
    """Guard: a refused change (wrong current password) logs nobody out."""
    user_id = patron(make_desk().org)
    here, elsewhere = Browser(app, "alice"), Browser(app, "alice")
    res = here.send("PUT", f"/api/users/{user_id}", json=user_body(here, user_id, password=NEW_PASSWORD, current_password="Wrong-123"))
    assert res.status_code == 400
    assert here.who() == user_id and elsewhere.who() == user_id


def test_staff_setting_a_password_ends_every_session_of_that_person(app):
    desk = make_desk()
    user_id = patron(desk.org)
    librarian = db.session.get(User, desk.librarian).username
    staff, patron_session = Browser(app, librarian), Browser(app, "alice")
    res = staff.send("PUT", f"/api/users/{user_id}", json=user_body(staff, user_id, password=NEW_PASSWORD))
    assert res.status_code == 200, res.get_json()
    assert patron_session.who() is None
    assert staff.who() == desk.librarian


def test_a_password_reset_ends_every_session_of_that_person(app):
    """Guard: the reset already rotated ``fs_uniquifier``."""
    user_id = patron(make_desk().org)
    browser = Browser(app, "alice")
    token = generate_reset_password_token(db.session.get(User, user_id))
    res = app.test_client().post("/api/password/reset", json={"token": token, "password": NEW_PASSWORD})
    assert res.status_code == 200, res.get_json()
    assert browser.who() is None


def test_api_tokens_outlive_a_password_change(app):
    """Guard (API.md section 6): tokens are created and revoked with the CLI, nothing else
    revokes them; a new password ends sessions only."""
    user_id = patron(make_desk().org)
    token = tokens.create(db.session.get(User, user_id), "script")
    db.session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    here = Browser(app, "alice")
    res = here.send("PUT", f"/api/users/{user_id}", json=user_body(here, user_id, password=NEW_PASSWORD, current_password=PASSWORD))
    assert res.status_code == 200
    assert app.test_client().get(f"/api/users/{user_id}", headers=bearer).status_code == 200


@pytest.mark.parametrize(
    "settings, secure",
    [
        ({"SERVER_BASE_URL": "https://bib.example.org"}, True),
        ({"SERVER_BASE_URL": "http://bib.example.org"}, False),
        ({"SERVER_BASE_URL": None}, False),
        ({"SERVER_BASE_URL": "https://bib.example.org", "SESSION_COOKIE_SECURE": False}, False),
        ({"SERVER_BASE_URL": None, "SESSION_COOKIE_SECURE": True}, True),
    ],
)
def test_the_session_cookie_is_secure_behind_https(create_app, app_config, settings, secure):
    other = create_app(**{**app_config, **settings})
    res = other.test_client().get("/")  # the login page's CSRF token opens a session
    cookie = res.headers["Set-Cookie"]
    assert ("; Secure" in cookie) is secure, cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_secure_from_the_environment(create_app, app_config, monkeypatch):
    monkeypatch.setenv("INVENIO_SESSION_COOKIE_SECURE", "false")
    other = create_app(**{k: v for k, v in app_config.items() if k != "SERVER_BASE_URL"}, SERVER_BASE_URL="https://x.example")
    assert other.config["SESSION_COOKIE_SECURE"] is False


# --- hosts: links and mails -----------------------------------------------------------
@pytest.fixture(scope="module")
def hostless(create_app, app_config):
    """The default installation: no SERVER_BASE_URL, so the Host header matters."""
    return create_app(**{**app_config, "SERVER_BASE_URL": None, "WTF_CSRF_ENABLED": False})


def test_a_reset_mail_never_links_to_an_untrusted_host(hostless, smtp):
    patron(make_desk().org)
    smtp.clear()
    client = hostless.test_client()
    res = client.post("/api/password/forgot", json={"email": "alice@example.org"}, headers={"Host": "evil.example"})
    assert res.status_code == 400
    assert res.get_json()["errors"] == [
        {
            "field": "Host",
            "message": "The Host header 'evil.example' is not one of this server's TRUSTED_HOSTS.",
            "code": "untrusted_host",
        }
    ]
    assert smtp.messages == []
    res = client.post("/api/password/forgot", json={"email": "alice@example.org"}, headers={"Host": "localhost:5000"})
    assert res.status_code == 200
    body = smtp.messages[0]["message"].get_payload(decode=True).decode()
    assert re.search(r"http://localhost:5000/reset/\S+", body), body


def test_links_refuse_an_untrusted_host_and_use_a_trusted_one(hostless):
    client = hostless.test_client()
    res = client.get("/api/organisations/", headers={"Host": "evil.example"})
    assert res.status_code == 400 and res.get_json()["errors"][0]["field"] == "Host"
    assert "evil.example" in res.get_json()["errors"][0]["message"]
    for host in ("127.0.0.1:8080", "localhost", "localhost:5000"):
        res = client.get("/api/", headers={"Host": host})
        assert res.status_code == 200, host
        assert res.get_json()["links"]["patrons"] == f"http://{host}/api/patrons/"
    # pages too (an HTML page's links use the host as well)
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_with_a_base_url_links_use_it_whatever_the_host(app):
    """links.self used the request's host even with SERVER_BASE_URL configured."""
    token = tokens.create(db.session.get(User, make_desk().librarian), "script")  # cookies are for localhost
    db.session.commit()
    headers = {"Host": "evil.example", "Authorization": f"Bearer {token}"}
    res = app.test_client().get("/api/organisations/?size=5", headers=headers)
    assert res.status_code == 200
    assert res.get_json()["links"]["self"] == "https://ils.example.org/api/organisations/?page=1&size=5"


QUERIES = [
    "q=a%20b%26c%20%C3%A9t%C3%A9",  # spaces, "&", non-ASCII, encoded as browsers do
    "q=M%C3%BCller+Z%C3%BCrich&sort=name",  # "+" for a space
    "q=name:%22a+b%22&q=%C3%A9&blocked=false",  # a repeated parameter, quotes
]


@pytest.mark.parametrize("query", QUERIES)
def test_links_self_repeats_the_query_as_sent(app, query):
    desk = make_desk()
    browser = Browser(app, db.session.get(User, desk.librarian).username)
    res = browser.get(f"/api/patrons/?{query}&size=1")
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    link = body["links"]["self"]
    assert link.isascii(), link
    assert link == f"https://ils.example.org/api/patrons/?{query}&page=1&size=1"
    again = browser.get(urlsplit(link)._replace(scheme="", netloc="").geturl())
    assert again.status_code == 200 and again.get_json()["links"] == body["links"]
    assert again.get_json()["hits"]["total"] == body["hits"]["total"]


def test_links_self_of_the_lookup_is_ascii_and_followable(app):
    desk = make_desk()
    browser = Browser(app, db.session.get(User, desk.librarian).username)
    query = "q=" + quote("email:a b&c é@example.org", safe="")
    body = browser.get(f"/api/users/?{query}").get_json()
    assert body["links"]["self"] == f"https://ils.example.org/api/users/?{query}"
    # raw UTF-8 bytes (not percent-encoded) in the request line
    raw = browser.get("/api/users/", environ_overrides={"QUERY_STRING": "q=\u00e9t\u00e9".encode().decode("latin-1")})
    assert raw.get_json()["links"]["self"] == "https://ils.example.org/api/users/?q=%C3%A9t%C3%A9"


# --- security headers -------------------------------------------------------------------
@pytest.fixture(scope="module")
def failing(create_app, app_config):
    other = create_app(**{**app_config, "PROPAGATE_EXCEPTIONS": False})

    @other.get("/api/boom")
    def boom():
        raise RuntimeError("boom")

    return other


def test_every_response_has_the_security_headers(app, failing):
    client = app.test_client()
    answers = {
        "api": client.get("/api/"),
        "search 401": client.get("/api/patrons/"),
        "login page": client.get("/"),
        "script": client.get("/ui/static/ui.js"),
        "404": client.get("/api/nothing-here"),
        "page 404": client.get("/nothing-here"),
        "405": client.delete("/api/"),
        "400": client.post("/api/login", data="{", content_type="application/json"),
        "redirect": client.get("/account"),
        "500": failing.test_client().get("/api/boom"),
    }
    for name, res in answers.items():
        for header, value in HEADERS.items():
            assert res.headers.get(header) == value, (name, header)
        csp = res.headers.get("Content-Security-Policy", "")
        for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'",
                          "frame-ancestors 'none'", "form-action 'self'"):
            assert directive in csp, (name, directive)
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert answers["500"].status_code == 500


def test_the_csp_is_a_setting(create_app, app_config):
    other = create_app(**{**app_config, "CONTENT_SECURITY_POLICY": "default-src 'none'"})
    assert other.test_client().get("/api/").headers["Content-Security-Policy"] == "default-src 'none'"


# --- next: same-site paths only -----------------------------------------------------------
REFUSED = [
    "/%5Cevil.example", "/%09/evil.example", "//evil.example", "https://evil.example", "/\\evil",
    "/\t/evil.example", "/\n/evil.example", "/\x00", "/%00", "/%2F/evil.example", "/%252F/evil.example",
    "/%255Cevil.example", " /account", "javascript:alert(1)", "evil.example", "", "/%0d%0a/evil",
    "/\u200b/evil", "%2F%2Fevil.example", "/%E2%80%8B/evil",
]
ACCEPTED = ["/account", "/staff/patrons?q=a%20b&sort=name", "/staff/patrons/12", "/", "/staff/patrons?q=%C3%A9"]


@pytest.mark.parametrize("value", REFUSED)
def test_next_refuses_anything_but_a_site_path(value):
    assert same_site_path(value) is None


@pytest.mark.parametrize("value", ACCEPTED)
def test_next_accepts_site_paths(value):
    assert same_site_path(value) == value


@pytest.mark.parametrize("value", ["/%5Cevil.example", "/%09/evil.example", "//evil.example", "https://evil.example", "/\\evil"])
def test_a_refused_next_falls_back_to_the_home_page(app, value):
    patron(make_desk().org)
    browser = Browser(app, "alice")
    res = browser.get("/", query_string={"next": value})
    assert res.status_code == 302 and res.headers["Location"] == "/account"
    page = app.test_client().get("/", query_string={"next": value}).get_data(as_text=True)
    assert 'data-next=""' in page
    assert browser.get("/", query_string={"next": "/staff/patrons?q=x"}).headers["Location"] == "/staff/patrons?q=x"
    page = app.test_client().get("/", query_string={"next": "/account"}).get_data(as_text=True)
    assert 'data-next="/account"' in page


# --- logout: POST with the CSRF token only ------------------------------------------------------
def test_api_logout_needs_the_csrf_token_of_a_session(app):
    user_id = patron(make_desk().org)
    browser = Browser(app, "alice")
    res = browser.client.post("/api/logout")
    assert res.status_code == 400 and "CSRF" in res.get_json()["message"]
    assert browser.who() == user_id
    res = browser.send("POST", "/api/logout", headers={"X-CSRF-Token": "forged"})
    assert res.status_code == 400 and browser.who() == user_id
    assert browser.send("POST", "/api/logout").status_code == 200
    assert browser.who() is None
    # anonymous and token callers have no session to protect
    assert app.test_client().post("/api/logout").status_code == 200
    token = tokens.create(db.session.get(User, user_id), "script")
    db.session.commit()
    assert app.test_client().post("/api/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_get_logout_does_not_log_out(app):
    user_id = patron(make_desk().org)
    browser = Browser(app, "alice")
    res = browser.get("/logout")
    assert res.status_code == 200
    page = res.get_data(as_text=True)
    assert '<form method="post" action="/logout">' in page and 'name="csrf_token"' in page
    assert browser.who() == user_id
    assert app.test_client().get("/logout").headers["Location"] == "/"  # nobody to log out


def test_the_logout_form_needs_the_csrf_token(app):
    user_id = patron(make_desk().org)
    browser = Browser(app, "alice")
    sid = browser.sid
    res = browser.client.post("/logout", data={"csrf_token": "forged"})
    assert res.status_code == 400 and browser.who() == user_id
    page = browser.get("/account").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    res = browser.client.post("/logout", data={"csrf_token": token})
    assert res.status_code == 303 and res.headers["Location"] == "/"
    assert browser.who() is None and replay(app, sid) is None
