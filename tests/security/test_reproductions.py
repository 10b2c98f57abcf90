"""The eight holes of issue 10, reproduced, and the two settled disagreements.

Each test is written against the contract (API.md sections 2, 3 and 5): it
failed on the code the issue was reported against and passes once the hole is
closed. One network is built for the module (organisations A and B with their
system librarians); every test adds the people it needs, so tests do not depend
on each other.
"""

import re
from dataclasses import dataclass

import pytest

from tests.helpers import PASSWORD, make_library, make_org, make_patron_type, make_person, record_data, ref
from tests.security.world import (
    account_row,
    account_user,
    act_as,
    add_account_role,
    empty_database,
    logs_in,
    lookup,
    patron_row,
    record_body,
    register_user,
    registration_token,
    unknown_user_id,
    user_body,
    username_of,
)

FULL, USER_MANAGER, LIBRARY_ADMIN = "pro_full_permissions", "pro_user_manager", "pro_library_administrator"


@dataclass
class Net:
    a: str
    b: str
    a1: str
    a2: str
    b1: str
    ptype_a: str
    ptype_b: str
    full_a: int
    full_b: int


@pytest.fixture(scope="module")
def net(app):
    empty_database()
    a, b = make_org("repa"), make_org("repb")
    a1, a2, b1 = make_library(a, "ra1"), make_library(a, "ra2"), make_library(b, "rb1")
    ptype_a, ptype_b = make_patron_type(a), make_patron_type(b)
    full_a, _ = make_person(a, [FULL], libraries=[a1])
    full_b, _ = make_person(b, [FULL], libraries=[b1])
    return Net(a, b, a1, a2, b1, ptype_a, ptype_b, full_a, full_b)


def librarian(net, org, role, library=None):
    library = library or (net.a1 if org == net.a else net.b1)
    return make_person(org, [role], libraries=[library])


def patron_of(net, org, user_id=None, **user):
    ptype = net.ptype_a if org == net.a else net.ptype_b
    return make_person(org, ["patron"], ptype=ptype, user_id=user_id, user=user or None)


def patron_record(net, org, user_id):
    return record_data(user_id, org, ["patron"], ptype=net.ptype_a if org == net.a else net.ptype_b)


def refused(res):
    return 400 <= res.status_code < 500


def answer(res):
    return res.status_code, res.get_json()


def organisations_of(client, caller, user_id, email):
    """The organisations where the lookup (as ``caller``) says the person has a record."""
    hits = lookup(client, caller, f"email:{email}").get_json()["hits"]["hits"]
    return sorted(p["organisation"]["pid"] for p in hits[0]["metadata"]["patrons"]) if hits else None


# --- 1. take-over of another organisation's system librarian --------------------------------------
def test_1_a_sysadmin_of_b_cannot_register_a_librarian_of_a_and_set_their_password(app, client, net):
    victim, _ = librarian(net, net.a, FULL)
    before = account_row(victim)
    act_as(client, net.full_b)
    attempt = client.post("/api/patrons/", json=patron_record(net, net.b, victim))
    unknown = client.post("/api/patrons/", json=patron_record(net, net.b, unknown_user_id()))
    assert refused(attempt), answer(attempt)
    assert answer(attempt) == answer(unknown)  # an existing user of A answers as an unknown id
    take = client.put(f"/api/users/{victim}", json={**user_body(victim), "password": "Taken-Over1"})
    nobody = client.put(f"/api/users/{unknown_user_id()}", json={**user_body(victim), "password": "Taken-Over1"})
    assert take.status_code == 404, answer(take)
    assert answer(take) == answer(nobody)
    assert account_row(victim) == before
    assert logs_in(app, before[0]) and not logs_in(app, before[0], "Taken-Over1")
    assert organisations_of(client, net.full_a, victim, before[1]) == [net.a]


@pytest.mark.parametrize("field,value", [("password", "Taken-Over1"), ("email", "taken@evil.example.org"),
                                         ("username", "taken-over")])
def test_1_a_sysadmin_of_b_cannot_change_the_account_of_a_librarian_of_a_who_is_a_patron_of_b(
        app, client, net, field, value):
    person, _ = librarian(net, net.a, "pro_circulation_manager")
    patron_of(net, net.b, user_id=person)
    before = account_row(person)
    act_as(client, net.full_b)
    res = client.put(f"/api/users/{person}", json={**user_body(person), field: value})
    assert refused(res), answer(res)
    assert account_row(person) == before
    assert logs_in(app, before[0])


# --- 2. self-widening of scope --------------------------------------------------------------------------
def test_2_a_library_administrator_cannot_add_a_library_to_their_own_record(app, client, net):
    admin, admin_pid = librarian(net, net.a, LIBRARY_ADMIN, net.a1)
    _, staff_a2_pid = librarian(net, net.a, "pro_read_only", net.a2)
    before, staff_before = patron_row(admin_pid), patron_row(staff_a2_pid)
    act_as(client, admin)
    body = record_body(admin_pid)
    body["libraries"] = [ref("libraries", net.a1), ref("libraries", net.a2)]
    res = client.put(f"/api/patrons/{admin_pid}", json=body)
    assert refused(res), answer(res)
    assert patron_row(admin_pid) == before
    # library 2 and its staff stay out of reach
    library = client.get(f"/api/libraries/{net.a2}").get_json()["metadata"]
    assert client.put(f"/api/libraries/{net.a2}", json={**library, "name": "Taken"}).status_code == 403
    staff = record_body(staff_a2_pid)
    staff["roles"] = ["pro_catalog_manager"]
    assert client.put(f"/api/patrons/{staff_a2_pid}", json=staff).status_code == 403
    assert patron_row(staff_a2_pid) == staff_before


def test_2_a_user_manager_cannot_add_a_library_to_their_own_record(client, net):
    manager, manager_pid = librarian(net, net.a, USER_MANAGER, net.a1)
    before = patron_row(manager_pid)
    act_as(client, manager)
    body = record_body(manager_pid)
    body["libraries"] = [ref("libraries", net.a1), ref("libraries", net.a2)]
    res = client.put(f"/api/patrons/{manager_pid}", json=body)
    assert refused(res), answer(res)
    assert patron_row(manager_pid) == before


# --- 3. registration by id = enumeration ------------------------------------------------------------
def test_3_registration_by_bare_user_id_neither_enumerates_nor_leaks_nor_takes_over(app, client, net):
    victim, _ = patron_of(net, net.a, last_name="Enumerated", email="enumerated@example.org")
    before = account_row(victim)
    attacker, _ = librarian(net, net.b, USER_MANAGER)
    act_as(client, attacker)
    attempt = client.post("/api/patrons/", json=patron_record(net, net.b, victim))
    unknown = client.post("/api/patrons/", json=patron_record(net, net.b, unknown_user_id()))
    assert refused(attempt), answer(attempt)
    assert answer(attempt) == answer(unknown)
    text = attempt.get_data(as_text=True)
    assert "Enumerated" not in text and "enumerated@example.org" not in text
    body = {**user_body(victim), "email": "attacker@evil.example.org"}
    take = client.put(f"/api/users/{victim}", json=body)
    nobody = client.put(f"/api/users/{unknown_user_id()}", json=body)
    assert take.status_code == 404, answer(take)
    assert answer(take) == answer(nobody)
    assert account_row(victim) == before
    assert organisations_of(client, net.full_a, victim, before[1]) == [net.a]


def test_3_the_registration_token_registers_and_is_bound_to_the_caller_and_the_person(client, net):
    person, _ = patron_of(net, net.a, email="token-person@example.org")
    other, _ = patron_of(net, net.a, email="token-other@example.org")
    manager, _ = librarian(net, net.b, USER_MANAGER)
    colleague, _ = librarian(net, net.b, USER_MANAGER)
    token = registration_token(client, manager, "token-person@example.org")
    assert isinstance(token, str) and token, "the lookup hit carries metadata.registration_token"
    act_as(client, colleague)  # minted for another caller
    res = client.post("/api/patrons/", json={**patron_record(net, net.b, person), "registration_token": token})
    assert refused(res), answer(res)
    act_as(client, manager)  # minted for another person
    res = client.post("/api/patrons/", json={**patron_record(net, net.b, other), "registration_token": token})
    assert refused(res), answer(res)
    res = client.post("/api/patrons/", json={**patron_record(net, net.b, person), "registration_token": token})
    assert res.status_code == 201, answer(res)
    assert organisations_of(client, net.full_b, person, "token-person@example.org") == sorted([net.a, net.b])
    assert organisations_of(client, net.full_b, other, "token-other@example.org") == [net.a]


def test_3_the_desk_registers_its_own_new_user_by_bare_user_id_and_others_cannot(client, net):
    desk, _ = librarian(net, net.a, USER_MANAGER)
    intruder, _ = librarian(net, net.b, USER_MANAGER)
    new = register_user(client, desk, email="desk-new@example.org")
    act_as(client, intruder)  # registration in progress in A: invisible to B
    attempt = client.post("/api/patrons/", json=patron_record(net, net.b, new))
    unknown = client.post("/api/patrons/", json=patron_record(net, net.b, unknown_user_id()))
    assert refused(attempt) and answer(attempt) == answer(unknown), answer(attempt)
    read, nobody = client.get(f"/api/users/{new}"), client.get(f"/api/users/{unknown_user_id()}")
    assert read.status_code == 404 and answer(read) == answer(nobody), answer(read)
    act_as(client, desk)
    assert client.get(f"/api/users/{new}").status_code == 200
    res = client.post("/api/patrons/", json=patron_record(net, net.a, new))
    assert res.status_code == 201, answer(res)


# --- 4. a user manager renames their organisation's system librarian ---------------------------------
def test_4_a_user_manager_cannot_rename_the_system_librarian(app, client, net):
    sysadmin, _ = librarian(net, net.a, FULL)
    manager, _ = librarian(net, net.a, USER_MANAGER)
    before = account_row(sysadmin)
    act_as(client, manager)
    res = client.put(f"/api/users/{sysadmin}", json={**user_body(sysadmin), "username": "renamed-sysadmin"})
    assert refused(res), answer(res)
    assert username_of(sysadmin) == before[0]
    assert logs_in(app, before[0])


# --- 5. per-user denies act in the organisation that set them -----------------------------------------
def test_5_a_deny_set_by_b_does_not_act_in_a(client, net):
    person, _ = librarian(net, net.a, "pro_read_only")
    _, b_pid = patron_of(net, net.b, user_id=person)
    _, patron_a_pid = patron_of(net, net.a)
    act_as(client, net.full_b)
    res = client.put(f"/api/permissions/users/{person}/actions/ptrn-read")
    assert res.status_code == 200, answer(res)
    act_as(client, person)
    assert client.get(f"/api/patrons/{patron_a_pid}").status_code == 200  # in A: still allowed
    assert "ptrn-read" in client.get("/api/permissions/me").get_json()["actions"]  # their professional organisation
    assert client.get("/api/permissions/check?action=ptrn-read").get_json()["can"] is True
    assert client.get(f"/api/permissions/check?action=ptrn-read&organisation={net.a}").get_json()["can"] is True
    assert client.get(f"/api/permissions/check?action=ptrn-read&organisation={net.b}").get_json()["can"] is False
    assert refused(client.get(f"/api/patrons/{b_pid}"))  # in B the deny acts


def test_5_a_deny_set_by_admin_acts_everywhere(client, net):
    admin = account_user("rep-deny-admin", ["admin"])
    person, _ = librarian(net, net.a, "pro_read_only")
    patron_of(net, net.b, user_id=person)
    act_as(client, admin)
    assert client.put(f"/api/permissions/users/{person}/actions/ptrn-search").status_code == 200
    act_as(client, person)
    assert client.get("/api/patrons/").status_code == 403
    for org in (net.a, net.b):
        assert client.get(f"/api/permissions/check?action=ptrn-search&organisation={org}").get_json()["can"] is False


# --- 6. the lookup never finds account-level-only accounts ---------------------------------------------
@pytest.mark.parametrize("query", ["{username}", "username:{username}", "email:{email}", "{email}"])
def test_6_the_lookup_answers_no_hit_for_a_cli_admin_as_for_an_unknown_name(client, net, query):
    n = unknown_user_id()
    username, email = f"cli-admin-{n}", f"cli-admin-{n}@example.org"
    account_user(username, ["admin"], email=email)
    act_as(client, net.full_a)
    res = client.get("/api/users/", query_string={"q": query.format(username=username, email=email)})
    unknown = query.format(username="no-such-name", email="no-such@example.org")
    nobody = client.get("/api/users/", query_string={"q": unknown})
    assert res.status_code == 200, answer(res)
    assert res.get_json()["hits"] == nobody.get_json()["hits"] == {"total": {"value": 0, "relation": "eq"}, "hits": []}


# --- 7. one's own email and username need current_password -----------------------------------------
@pytest.mark.parametrize("field,value", [("email", "new-address@example.org"), ("username", "new-name")])
def test_7_a_patron_changes_their_own_email_or_username_only_with_current_password(client, net, field, value):
    n = unknown_user_id()
    value = f"{n}-{value}"
    person, _ = patron_of(net, net.a)
    before = account_row(person)
    act_as(client, person)
    body = {**user_body(person), field: value}
    res = client.put(f"/api/users/{person}", json=body)
    assert res.status_code == 400, answer(res)
    assert "current_password" in {e["field"] for e in res.get_json().get("errors", [])}
    res = client.put(f"/api/users/{person}", json={**body, "current_password": "Wrong-Pass1"})
    assert res.status_code == 400, answer(res)
    assert account_row(person) == before
    res = client.put(f"/api/users/{person}", json={**body, "current_password": PASSWORD})
    assert res.status_code == 200, answer(res)
    assert res.get_json()["metadata"][field] == value


# --- 8. deleting a record does not open the person to everyone ----------------------------------------
def test_8_a_person_whose_last_record_was_deleted_stays_invisible_to_other_organisations(client, net):
    person, pid = patron_of(net, net.a, email="deleted-record@example.org")
    outsider, _ = librarian(net, net.b, USER_MANAGER)
    insider, _ = librarian(net, net.a, USER_MANAGER)
    act_as(client, outsider)
    assert client.get(f"/api/users/{person}").status_code == 404
    act_as(client, net.full_a)
    assert client.delete(f"/api/patrons/{pid}").status_code == 204
    act_as(client, outsider)
    read, nobody = client.get(f"/api/users/{person}"), client.get(f"/api/users/{unknown_user_id()}")
    assert read.status_code == 404 and answer(read) == answer(nobody), answer(read)
    update = client.put(f"/api/users/{person}", json={**user_body(person), "city": "Elsewhere"})
    assert update.status_code == 404, answer(update)
    act_as(client, insider)  # the organisation that last held a record of them
    assert client.get(f"/api/users/{person}").status_code == 200


def test_8_a_registration_in_progress_is_invisible_to_other_organisations(client, net):
    desk, _ = librarian(net, net.a, USER_MANAGER)
    outsider, _ = librarian(net, net.b, USER_MANAGER)
    new = register_user(client, desk)
    act_as(client, outsider)
    assert client.get(f"/api/users/{new}").status_code == 404
    assert client.put(f"/api/users/{new}", json={**user_body(new), "password": "Taken-Over1"}).status_code == 404


# --- settled: only superuser searches every organisation and narrows with organisation= ----------------
def _organisations_of_hits(res):
    assert res.status_code == 200, answer(res)
    return {hit["metadata"]["organisation"]["pid"] for hit in res.get_json()["hits"]["hits"]}


def test_settled_only_superuser_searches_every_organisation_and_narrows_with_organisation(client, net):
    patron_of(net, net.a)
    patron_of(net, net.b)
    superuser = account_user(f"rep-su-{unknown_user_id()}", ["superuser"])
    act_as(client, superuser)
    assert _organisations_of_hits(client.get("/api/patrons/?size=1000")) >= {net.a, net.b}
    assert _organisations_of_hits(client.get(f"/api/patrons/?size=1000&organisation={net.b}")) == {net.b}
    # an admin who is also a librarian of A searches A, and organisation= does not widen it
    admin_librarian, _ = librarian(net, net.a, "pro_read_only")
    add_account_role(admin_librarian, "admin")
    act_as(client, admin_librarian)
    assert _organisations_of_hits(client.get("/api/patrons/?size=1000")) == {net.a}
    assert _organisations_of_hits(client.get(f"/api/patrons/?size=1000&organisation={net.b}")) <= {net.a}
    # an admin without a record sees no organisation's patrons
    admin = account_user(f"rep-admin-{unknown_user_id()}", ["admin"])
    act_as(client, admin)
    res = client.get(f"/api/patrons/?size=1000&organisation={net.b}")
    assert res.status_code == 403 or res.get_json()["hits"]["total"]["value"] == 0, answer(res)


# --- settled: an admin logging in is sent to the permissions page -----------------------------------------
def test_settled_an_admin_logging_in_lands_on_the_permissions_page(app, net, browser_page, no_lockouts):
    username = f"rep-landing-{unknown_user_id()}"
    account_user(username, ["admin"])
    with app.test_client() as client:  # the server's own idea of the caller's home page
        assert client.post("/api/login", json={"login": username, "password": PASSWORD}).status_code == 200
        home = client.get("/")
        assert home.status_code == 302 and home.headers["Location"].endswith("/staff/permissions")
    page = browser_page  # where the login page sends them
    page.goto("/")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/(staff/\w+|account)$"))
    assert page.url.endswith("/staff/permissions"), page.url
