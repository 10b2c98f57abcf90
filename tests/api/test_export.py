"""GET /api/users/me/export: the person's own data, without staff notes, rate-limited, audited."""

import json

import pytest
from invenio_db import db

from rero_ils_users.privacy import ratelimit
from rero_ils_users.records.audit import AuditEntry
from tests.api.test_audit import _two_orgs_person
from tests.helpers import login, logout


@pytest.fixture(autouse=True)
def no_export_limits(app, no_lockouts):
    """``no_lockouts`` empties this installation's Redis keys, the rate limits' too."""


def test_export_of_a_person_in_two_organisations(client, app):
    a, b, user_id, pid_a, pid_b = _two_orgs_person(client)
    login(client, user_id)
    res = client.get("/api/users/me/export")
    assert res.status_code == 200
    data = res.get_json()
    assert set(data) >= {"user", "patrons", "history", "audit"}
    assert data["user"]["id"] == user_id and data["user"]["first_name"] == "Anna"
    assert {p["pid"] for p in data["patrons"]} == {pid_a, pid_b}
    assert all(p["notes"] == [{"type": "public_note", "content": "Welcome"}] for p in data["patrons"])
    text = json.dumps(data)
    assert "staff_note" not in text and "secret of" not in text and "password" not in text.replace('"password": {"changed": true}', "")
    assert any(e["changes"].get("first_name", {}).get("after") == "Anna" for e in data["audit"])  # values included
    exported = db.session.query(AuditEntry).filter_by(operation="export", user_id=user_id).all()
    assert len(exported) == 1 and exported[0].by == {"user_id": user_id, "organisation": None}
    res = client.get("/api/users/me/export?download=1")
    assert res.headers["Content-Disposition"].startswith("attachment;")


def test_export_is_rate_limited_per_person_and_anonymous_gets_401(client, app):
    a, b, user_id, pid_a, pid_b = _two_orgs_person(client)
    logout(client)
    assert client.get("/api/users/me/export").status_code == 401
    assert app.config["EXPORT_RATE_LIMIT"] == "5 per hour"
    login(client, user_id)
    for _ in range(5):
        assert client.get("/api/users/me/export").status_code == 200
    res = client.get("/api/users/me/export")
    assert res.status_code == 429 and res.is_json
    assert res.get_json()["status"] == 429 and int(res.headers["Retry-After"]) > 0
    login(client, a.librarian)  # per person: someone else still exports
    assert client.get("/api/users/me/export").status_code == 200
    with app.test_request_context():
        ratelimit.clear("EXPORT_RATE_LIMIT", "export", str(user_id))
    login(client, user_id)
    assert client.get("/api/users/me/export").status_code == 200


def test_the_account_page_offers_the_download_and_a_readable_page(client):
    a, b, user_id, pid_a, pid_b = _two_orgs_person(client)
    login(client, user_id)
    page = client.get("/account").get_data(as_text=True)
    assert 'href="/api/users/me/export?download=1"' in page and 'href="/account/data"' in page
    res = client.get("/account/data")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    assert "Welcome" in html and "secret of" not in html and "<script>" not in html
