"""Bad input never answers a 500 (issue 11): NUL characters, broken search syntax,
deep or big bodies, trailing newlines, long values, odd URLs, and the lockout keys
of several installations on one Redis. Every refusal is a JSON error of the
contract's shape, and nothing is half-written in the database."""

import json
import re

import pytest
from invenio_db import db

from rero_ils_users.accounts import lockout, service
from rero_ils_users.accounts.models import User
from rero_ils_users.errors import ValidationError
from rero_ils_users.patrons.api import Patron
from rero_ils_users.records import schemas
from rero_ils_users.users.api import UserRecord
from tests.helpers import (
    PASSWORD,
    login,
    make_library,
    make_org,
    make_patron_type,
    make_person,
    record_data,
    ref,
    user_data,
)

api = pytest.mark.usefixtures("clean", "no_lockouts")


@pytest.fixture()
def desk(client):
    """An organisation whose full-permissions librarian is logged in."""
    org = make_org()
    lib = make_library(org)
    ptype = make_patron_type(org)
    full, full_pid = make_person(org, ["pro_full_permissions"], libraries=[lib])
    login(client, full)
    return {"org": org, "lib": lib, "ptype": ptype, "full": full}


def login_root(client):
    """Log a superuser in (creates organisations, searches every resource)."""
    user = service.create_account("root", PASSWORD, email="root@example.org", roles=["superuser"])
    db.session.commit()
    login(client, user.id)


def error_of(res, status):
    """The contract's error body, checked: JSON ``{"status", "message", "errors"?}``."""
    assert res.status_code == status, res.data[:500]
    assert res.mimetype == "application/json", res.data[:500]
    body = res.get_json()
    assert body["status"] == status and isinstance(body["message"], str)
    for error in body.get("errors", []):
        assert set(error) == {"field", "message", "code"}
        assert re.fullmatch(r"[a-z][a-z0-9_]*", error["code"]), error  # a machine code, the same in every language
    return body


def fields(body):
    return [e["field"] for e in body.get("errors", [])]


def counts():
    """Rows of accounts, user records, patron records and their revisions."""
    db.session.expire_all()
    return (
        User.query.count(),
        UserRecord.model_cls.query.count(),
        Patron.model_cls.query.count(),
        db.session.execute(db.text("select count(*) from users_metadata_version")).scalar(),
        db.session.execute(db.text("select count(*) from patrons_metadata_version")).scalar(),
    )


# --- search syntax -----------------------------------------------------------------------
@api
def test_broken_search_syntax_is_a_400_naming_q_for_every_resource(client):
    login_root(client)
    org = make_org(code="alpha")
    make_library(org, code="beta")
    make_patron_type(org)
    too_many_terms = " ".join(["a"] * 1100)  # beyond OpenSearch's 1024 clauses
    for resource in ("libraries", "organisations", "patron_types", "patrons"):
        for q in ("(((", "a:b:c", "\\", "/", 'name:"open', "name:[a TO", too_many_terms):
            res = client.get(f"/api/{resource}/", query_string={"q": q})
            if resource == "patrons" and q != too_many_terms:  # a text search: no syntax to break
                assert res.status_code == 200, (q, res.data[:500])
                continue
            assert fields(error_of(res, 400)) == ["q"], (resource, q)
            assert len(res.data) < 1000
    # a well-formed query string still searches
    assert client.get("/api/libraries/", query_string={"q": "code:beta"}).get_json()["hits"]["total"]["value"] == 1
    assert client.get("/api/organisations/", query_string={"q": "code:alpha OR code:x"}).status_code == 200


# --- NUL characters ----------------------------------------------------------------------
@api
def test_nul_in_a_body_is_a_400_naming_its_json_path_and_writes_nothing(client, desk):
    before = counts()
    for field in ("first_name", "street"):
        body = error_of(client.post("/api/users/", json=user_data(**{field: "Ann\u0000a"})), 400)
        assert fields(body) == [field] and "NUL" in body["errors"][0]["message"]
    data = user_data()
    data["first\u0000name"] = "x"
    assert fields(error_of(client.post("/api/users/", json=data), 400)) == ["first\\u0000name"]
    # a lone surrogate has no UTF-8 either
    raw = json.dumps(user_data(first_name="SURROGATE")).replace("SURROGATE", "\\ud800")
    body = error_of(client.post("/api/users/", data=raw, content_type="application/json"), 400)
    assert fields(body) == ["first_name"] and "surrogate" in body["errors"][0]["message"]
    for mutate, field in (
        (lambda d: d.update(organisation={"$ref": "https://x/api/organisations/1\u0000"}), "organisation.$ref"),
        (lambda d: d.update(local_codes=["ok", "bad\u0000"]), "local_codes.1"),
        (lambda d: d["patron"].update(barcode=["B\u000012345"]), "patron.barcode.0"),
        (lambda d: d.update(notes=[{"type": "public_note", "content": "a"}, {"type": "staff_note", "content": "\u0000"}]), "notes.1.content"),
    ):
        data = record_data(desk["full"], desk["org"], ["patron"], ptype=desk["ptype"])
        mutate(data)
        assert fields(error_of(client.post("/api/patrons/", json=data), 400)) == [field]
    assert counts() == before


@api
def test_nul_in_an_update_changes_nothing(client, desk):
    user_id, pid = make_person(desk["org"], ptype=desk["ptype"])
    patron = client.get(f"/api/patrons/{pid}").get_json()
    user = client.get(f"/api/users/{user_id}").get_json()
    before = counts()
    error_of(client.put(f"/api/patrons/{pid}", json=dict(patron["metadata"], local_codes=["x\u0000"])), 400)
    error_of(client.put(f"/api/users/{user_id}", json=dict(user["metadata"], city="Bulle\u0000")), 400)
    assert counts() == before
    db.session.expire_all()
    assert Patron.get_by_pid(pid).revision == patron["revision"]
    assert UserRecord.get_by_user_id(user_id)["city"] == user["metadata"]["city"]


@api
def test_nul_in_a_path_segment_or_a_query_parameter_is_a_400_naming_it(client, desk):
    assert fields(error_of(client.get("/api/patrons/%00"), 400)) == ["pid"]
    assert fields(error_of(client.get("/api/patrons/%00/circulation"), 400)) == ["pid"]
    assert fields(error_of(client.get("/api/users/?q=%00"), 400)) == ["q"]
    assert fields(error_of(client.get("/api/patrons/?library=a%00b"), 400)) == ["library"]
    assert fields(error_of(client.get("/api/patrons/?a%00=1"), 400)) == ["a\\u0000"]


@api
def test_nul_in_a_login_is_a_400_and_counts_no_failure(client, no_lockouts):
    body = error_of(client.post("/api/login", json={"login": "\u0000", "password": PASSWORD}), 400)
    assert fields(body) == ["login"]
    body = error_of(client.post("/api/login", json={"login": "alice", "password": "Secret\u00001"}), 400)
    assert fields(body) == ["password"]
    raw = '{"login": "\\ud800", "password": "x"}'
    assert fields(error_of(client.post("/api/login", data=raw, content_type="application/json"), 400)) == ["login"]
    assert list(no_lockouts.scan_iter(f"{lockout.key_prefix()}:*")) == []


# --- body depth, size, numbers -------------------------------------------------------------
def nested(depth):
    return "[" * depth + "]" * depth


@api
def test_bodies_too_deep_too_big_or_not_json_are_refused(client, desk, app):
    before = counts()
    deep = '{"first_name": ' + nested(5000) + "}"
    for path in ("/api/users/", "/api/patrons/", "/api/login", "/api/user/password/validate"):
        body = error_of(client.post(path, data=deep, content_type="application/json"), 400)
        assert fields(body) == ["(body)"]
    # the depth limit is a setting; the object itself is one level
    limit = app.config["MAX_JSON_DEPTH"]
    at_limit = {"password": PASSWORD, "x": json.loads(nested(limit - 1))}
    assert client.post("/api/user/password/validate", json=at_limit).status_code == 200
    body = error_of(client.post("/api/user/password/validate", json=dict(at_limit, x=json.loads(nested(limit)))), 400)
    assert fields(body) == ["(body)"] and str(limit) in body["errors"][0]["message"]
    # the size limit too: 413
    error_of(client.post("/api/users/", json=user_data(street="x" * app.config["MAX_CONTENT_LENGTH"])), 413)
    # not JSON
    for raw in ('{"user_id": NaN}', '{"user_id": Infinity}', "{", b"\xff\xfe", "1" * 5000):
        assert fields(error_of(client.post("/api/patrons/", data=raw, content_type="application/json"), 400)) == ["(body)"]
    # numbers no database column holds
    for user_id in ("1" + "0" * 30, "1e400", "-1e400"):
        data = record_data(0, desk["org"], ["patron"], ptype=desk["ptype"])
        raw = json.dumps(data).replace('"user_id": 0', f'"user_id": {user_id}')
        body = error_of(client.post("/api/patrons/", data=raw, content_type="application/json"), 400)
        assert fields(body) == ["user_id"]
    assert counts() == before


# --- patterns: "$" does not match before a final newline -----------------------------------
@api
def test_a_trailing_newline_does_not_pass_a_pattern(client, desk):
    before = counts()
    for field, value in (
        ("username", "x_y\n"),
        ("home_phone", "+41791234567\n"),
        ("mobile_phone", "+41791234567\n"),
        ("country", "ch\n"),
        ("email", "x@example.org\n"),
    ):
        assert fields(error_of(client.post("/api/users/", json=user_data(**{field: value})), 400)) == [field], field
    assert counts() == before
    data = {"name": "Lib", "code": "lib\n", "email": "lib@example.org", "organisation": ref("organisations", desk["org"])}
    assert fields(error_of(client.post("/api/libraries/", json=data), 400)) == ["code"]
    data.update(code="lib", email="lib@example.org\n")
    assert fields(error_of(client.post("/api/libraries/", json=data), 400)) == ["email"]
    login_root(client)
    body = error_of(client.post("/api/organisations/", json={"name": "Net", "code": "net\n"}), 400)
    assert fields(body) == ["code"]
    with pytest.raises(ValidationError) as info:
        service.create_account("x_y\n", PASSWORD)
    assert [e.field for e in info.value.errors] == ["username"]


@pytest.mark.parametrize(
    "pattern,good,bad",
    [
        ("^[a-z]{2}$", ["ch"], ["ch\n", "c\nh"]),
        ("^a$|^b$", ["a", "b"], ["a\n", "b\n"]),
        ("^[$]x$", ["$x"], ["$x\n"]),
        (r"^\$\\$", ["$\\"], ["$\\\n"]),
        (r"^\S(.*\S)?$", ["abc", "a"], ["abc\n"]),
        (r"^\+[0-9]{4,20}$", ["+41791234567"], ["+41791234567\n"]),
    ],
)
def test_schema_patterns_follow_json_schema_anchors(pattern, good, bad):
    regex = schemas.ecma_pattern(pattern)
    assert all(regex.search(value) for value in good)
    assert not any(regex.search(value) for value in bad)


# --- long values in messages ---------------------------------------------------------------
@api
def test_long_values_are_cut_in_error_messages(client, desk):
    res = client.post("/api/users/", json=user_data(first_name="x" * 100_000))
    assert fields(error_of(res, 400)) == ["first_name"] and len(res.data) < 1000
    data = user_data()
    data["k" * 100_000] = 1
    res = client.post("/api/users/", json=data)
    assert fields(error_of(res, 400))[0].startswith("kkk") and len(res.data) < 1000
    for mutate, field in (
        (lambda d: d.update(organisation={"$ref": "y" * 100_000}), "organisation"),
        (lambda d: d["patron"].update(barcode=["z" * 100_000]), "patron.barcode.0"),
        (lambda d: d.update(roles=["r" * 100_000]), "roles.0"),
    ):
        data = record_data(desk["full"], desk["org"], ["patron"], ptype=desk["ptype"])
        mutate(data)
        res = client.post("/api/patrons/", json=data)
        assert fields(error_of(res, 400)) == [field] and len(res.data) < 1000, res.data[:1000]


# --- JSON for every status on /api ----------------------------------------------------------
@api
def test_api_errors_and_redirects_answer_json(client, desk, app):
    for method in ("get", "post"):
        res = getattr(client, method)("/api/users", json={}, query_string={"q": "x"})
        body = error_of(res, 308)
        assert res.headers["Location"].endswith("/api/users/?q=x") and "/api/users/" in body["message"]
    error_of(client.get("/api/nothing-here"), 404)
    res = client.delete("/api/users/")
    error_of(res, 405)
    assert "POST" in res.headers["Allow"]
    limit = app.config["MAX_URL_LENGTH"]
    error_of(client.get("/api/patrons/", query_string={"q": "a" * limit}), 414)
    error_of(client.post("/api/" + "p" * limit, json={}), 414)
    assert client.get("/api/patrons/", query_string={"q": "a" * (limit // 2)}).status_code == 200
    # the UI keeps its HTML pages
    res = client.get("/staff/patrons", query_string={"q": "a" * limit})
    assert res.status_code == 414 and res.mimetype == "text/html"


# --- lockout keys of several installations on one Redis -------------------------------------
@pytest.fixture()
def other_installation(create_app, app_config, no_lockouts):
    """A second installation on the same Redis (and here the same database)."""
    yield create_app(**app_config, REDIS_KEY_PREFIX="other-installation")
    for key in no_lockouts.scan_iter("other-installation:*"):
        no_lockouts.delete(key)


@api
def test_installations_sharing_a_redis_do_not_lock_each_other(client, app, other_installation, no_lockouts):
    service.create_account("alice", PASSWORD, email="alice@example.org")
    db.session.commit()
    other = other_installation
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"]):
        assert client.post("/api/login", json={"login": "alice", "password": "Wrong1234"}).status_code == 400
    assert client.post("/api/login", json={"login": "alice", "password": PASSWORD}).status_code == 429
    # the other installation's alice is not locked, and its failures are its own
    other_client = other.test_client()
    assert other_client.post("/api/login", json={"login": "alice", "password": PASSWORD}).status_code == 200
    other_client.post("/api/login", json={"login": "alice", "password": "Wrong1234"})
    patterns = (f"{lockout.key_prefix()}:login:*", "other-installation:login:*")
    keys = {k.decode() for pattern in patterns for k in no_lockouts.scan_iter(pattern)}
    assert keys == {lockout.keys("alice")[1], "other-installation:login:failures:alice"}
    # and its session is in its own namespace too
    assert list(no_lockouts.scan_iter("other-installation:session:*"))


def test_the_default_key_prefix_follows_the_installation(create_app, app_config):
    prefixes = []
    for index_prefix in ("one-", "two-", ""):
        other = create_app(**app_config, SEARCH_INDEX_PREFIX=index_prefix, REDIS_KEY_PREFIX=None)
        with other.app_context():
            prefixes.append(lockout.key_prefix())
    # a lone installation (no index prefix) keeps the keys it had before prefixes
    assert prefixes == ["rero-ils-users:one", "rero-ils-users:two", "rero-ils-users"]
