"""Users: field rules, the lookup, visibility across organisations, self-service."""

import pytest

from tests.helpers import PASSWORD, login, logout, make_desk, make_org, make_person, make_user, promote, user_data


@pytest.fixture()
def desk(client):
    """An organisation with a user manager logged in."""
    desk = make_desk()
    manager, _ = make_person(desk.org, ["pro_user_manager"], libraries=[desk.lib])
    login(client, manager)
    return {"org": desk.org, "lib": desk.lib, "manager": manager}


def fields(res):
    return {e["field"] for e in res.get_json().get("errors", [])}


@pytest.mark.parametrize(
    "field,value",
    [
        ("username", "ab"),
        ("username", "jean dupont"),
        ("username", "zoë"),
        ("email", "not-an-address"),
        ("first_name", ""),
        ("birth_date", "2001-02-30"),
        ("birth_date", "1899-12-31"),
        ("birth_date", "2999-01-01"),
        ("birth_date", "17.05.1980"),
        ("gender", "robot"),
        ("country", "CH"),
        ("country", "xx"),
        ("home_phone", "026 123 45 67"),
        ("keep_history", "yes"),
        ("password", "short1A"),
        ("password", "alllowercase1"),
        ("password", "ALLUPPERCASE1"),
        ("password", "NoDigitsHere"),
        ("colour", "blue"),
    ],
)
def test_invalid_personal_data_is_refused_naming_the_field(client, desk, field, value):
    res = client.post("/api/users/", json=user_data(**{field: value}))
    assert res.status_code == 400
    assert fields(res) == {field}
    assert res.get_json()["message"] == "Validation error."


@pytest.mark.parametrize("missing", ["username", "first_name", "last_name", "birth_date"])
def test_required_personal_fields(client, desk, missing):
    res = client.post("/api/users/", json=user_data(**{missing: None}))
    assert res.status_code == 400 and fields(res) == {missing}


def test_valid_user_with_every_field(client, desk):
    data = user_data(gender="female", street="Rue du Pont 2", postal_code="1700", country="ch",
                     home_phone="+41261234567", mobile_phone="+41791234567", keep_history=True)
    res = client.post("/api/users/", json=data)
    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert "password" not in body["metadata"] and "generated_password" not in body
    assert body["metadata"]["country"] == "ch" and body["metadata"]["keep_history"] is True
    assert client.get(f"/api/users/{body['id']}").status_code == 200


def test_generated_password_is_returned_once_and_works(client, desk):
    res = client.post("/api/users/", json=user_data(password=None))
    generated = res.get_json()["generated_password"]
    assert len(generated) >= 8
    again = client.get(f"/api/users/{res.get_json()['id']}").get_json()
    assert "generated_password" not in again
    from flask_security.utils import verify_password
    from invenio_db import db

    from rero_ils_users.accounts.models import User

    assert verify_password(generated, db.session.get(User, res.get_json()["id"]).password)


def test_username_and_email_unique_case_insensitively(client, desk):
    client.post("/api/users/", json=user_data(username="Jean_D", email="jean@example.org"))
    res = client.post("/api/users/", json=user_data(username="jean_d"))
    assert res.status_code == 409 and fields(res) == {"username"}
    res = client.post("/api/users/", json=user_data(email="JEAN@example.org"))
    assert res.status_code == 409 and fields(res) == {"email"}


def test_lookup_is_exact_immediate_and_shows_patron_records(client, desk):
    res = client.post("/api/users/", json=user_data(username="Fresh_One", email="fresh@example.org"))
    user_id = res.get_json()["id"]
    for q in ("email:FRESH@example.org", "username:fresh_one", "fresh@example.org", "FRESH_ONE"):
        hits = client.get("/api/users/", query_string={"q": q}).get_json()["hits"]
        assert hits["total"]["value"] == 1, q
        assert hits["hits"][0]["metadata"]["patrons"] == []
        assert hits["hits"][0]["id"] == user_id
    for q in ("", "fresh", "email:fresh_one", "username:fresh@example.org"):
        assert client.get("/api/users/", query_string={"q": q}).get_json()["hits"]["total"]["value"] == 0, q
    other_org = make_org()
    make_person(other_org, ["patron"], user_id=user_id)
    hit = client.get("/api/users/?q=fresh_one").get_json()["hits"]["hits"][0]
    assert [p["organisation"]["pid"] for p in hit["metadata"]["patrons"]] == [other_org]
    assert hit["metadata"]["first_name"] == "Anna"


def test_lookup_needs_ptrn_create(client, desk):
    org = desk["org"]
    reader, _ = make_person(org, ["pro_read_only"], libraries=[desk["lib"]])
    login(client, reader)
    assert client.get("/api/users/?q=x").status_code == 403
    logout(client)
    assert client.get("/api/users/?q=x").status_code == 401


def test_personal_data_visible_only_where_the_person_is_registered(client, desk):
    other = make_org()
    stranger, _ = make_person(other, ["patron"])
    assert client.get(f"/api/users/{stranger}").status_code == 404
    res = client.put(f"/api/users/{stranger}", json=user_data(username="taken_over"))
    assert res.status_code == 404
    # registered here too: now visible
    make_person(desk["org"], ["patron"], user_id=stranger)
    assert client.get(f"/api/users/{stranger}").status_code == 200
    # a registration in progress (no patron record anywhere) is readable by the staff of
    # the organisation that created it, and by nobody else (issue 10 changed this rule)
    newcomer = make_user(steward=desk["org"])
    assert client.get(f"/api/users/{newcomer}").status_code == 200
    assert client.get(f"/api/users/{make_user(steward=other)}").status_code == 404
    assert client.get(f"/api/users/{make_user()}").status_code == 404


def test_user_edits_own_data_but_not_names_or_birth_date(client, desk):
    user_id, _ = make_person(desk["org"], ["patron"], user={"username": "selfie"})
    login(client, user_id)
    current = client.get(f"/api/users/{user_id}").get_json()
    data = dict(current["metadata"], city="Bulle")
    res = client.put(f"/api/users/{user_id}", json=data)
    assert res.status_code == 200 and res.get_json()["metadata"]["city"] == "Bulle"
    for locked, value in (("first_name", "Other"), ("last_name", "Other"), ("birth_date", "1990-01-01")):
        res = client.put(f"/api/users/{user_id}", json=dict(data, **{locked: value}))
        assert res.status_code == 400 and fields(res) == {locked}
    res = client.put(f"/api/users/{user_id}", json=dict(data, password="NewSecret1"))
    assert res.status_code == 400 and fields(res) == {"current_password"}
    res = client.put(f"/api/users/{user_id}", json=dict(data, password="NewSecret1", current_password="wrong"))
    assert res.status_code == 400 and fields(res) == {"current_password"}
    res = client.put(f"/api/users/{user_id}", json=dict(data, password="NewSecret1", current_password=PASSWORD))
    assert res.status_code == 200


def test_staff_cannot_take_over_a_colleague_account(client, desk):
    colleague, _ = make_person(desk["org"], ["pro_circulation_manager"], libraries=[desk["lib"]])
    data = client.get(f"/api/users/{colleague}").get_json()["metadata"]
    assert client.put(f"/api/users/{colleague}", json=dict(data, city="Morat")).status_code == 200
    assert client.put(f"/api/users/{colleague}", json=dict(data, password="Hijack123")).status_code == 403
    assert client.put(f"/api/users/{colleague}", json=dict(data, email="me@example.org")).status_code == 403
    patron, _ = make_person(desk["org"], ["patron"])
    pdata = client.get(f"/api/users/{patron}").get_json()["metadata"]
    assert client.put(f"/api/users/{patron}", json=dict(pdata, password="Reset1234")).status_code == 200


def test_stale_if_match_is_refused_and_changes_nothing(client, desk):
    user_id = make_user(steward=desk["org"])
    first = client.get(f"/api/users/{user_id}")
    data = dict(first.get_json()["metadata"], city="Sion")
    assert client.put(f"/api/users/{user_id}", json=data, headers={"If-Match": first.headers["ETag"]}).status_code == 200
    res = client.put(f"/api/users/{user_id}", json=dict(data, city="Sierre"), headers={"If-Match": 'W/"1"'})
    assert res.status_code == 412
    assert client.get(f"/api/users/{user_id}").get_json()["metadata"]["city"] == "Sion"


def test_email_presence_switches_communication_channel(client, desk):
    user_id, pid = make_person(desk["org"], ["patron"])
    data = client.get(f"/api/users/{user_id}").get_json()["metadata"]
    data.pop("email")
    assert client.put(f"/api/users/{user_id}", json=data).status_code == 200
    assert client.get(f"/api/patrons/{pid}").get_json()["metadata"]["patron"]["communication_channel"] == "mail"
    assert client.put(f"/api/users/{user_id}", json=dict(data, email="back@example.org")).status_code == 200
    assert client.get(f"/api/patrons/{pid}").get_json()["metadata"]["patron"]["communication_channel"] == "email"


def test_user_change_reindexes_patron_documents(client, desk):
    user_id, pid = make_person(desk["org"], ["patron"])
    data = client.get(f"/api/users/{user_id}").get_json()["metadata"]
    client.put(f"/api/users/{user_id}", json=dict(data, city="Neuchâtel"))
    hits = client.get("/api/patrons/?q=neuchatel").get_json()["hits"]["hits"]
    assert [h["id"] for h in hits] == [pid]


def test_erase_user_only_without_patron_records(client, desk):
    admin = promote(make_user(), "admin")
    user_id, pid = make_person(desk["org"], ["patron"])
    assert client.delete(f"/api/users/{user_id}").status_code == 403  # user manager
    login(client, admin)
    assert client.delete(f"/api/users/{user_id}").status_code == 409
    lonely = make_user()
    assert client.delete(f"/api/users/{lonely}").status_code == 204
    assert client.get(f"/api/users/{lonely}").status_code == 404


def test_bad_bodies_are_400_never_500(client, desk):
    assert client.post("/api/users/", data="not json", content_type="application/json").status_code == 400
    assert client.post("/api/users/", json=[1, 2]).status_code == 400
    assert client.get("/api/users/abc").status_code == 404
    assert client.put("/api/users/999999", json=user_data()).status_code == 404
