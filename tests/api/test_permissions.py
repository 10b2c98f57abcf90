"""API.md section 5 endpoints, success and failure, against the real services."""

import pytest
from invenio_db import db

from rero_ils_users.accounts import tokens
from rero_ils_users.accounts.models import User
from rero_ils_users.permissions import matrix
from rero_ils_users.permissions.models import PermissionAudit
from tests.helpers import login, logout, make_account, make_library, make_org, make_patron_type, make_person, promote


@pytest.fixture()
def net():
    """Organisation A (libraries a1, a2) and B (library b1) with their people."""
    a, b = make_org("orga"), make_org("orgb")
    a1, a2, b1 = make_library(a, "a1"), make_library(a, "a2"), make_library(b, "b1")
    ptype = make_patron_type(a)
    people = {
        "full": make_person(a, ["pro_full_permissions"], libraries=[a1]),
        "libadmin": make_person(a, ["pro_library_administrator"], libraries=[a1]),
        "users": make_person(a, ["pro_user_manager"], libraries=[a1]),
        "reader": make_person(a, ["pro_read_only"], libraries=[a2]),
        "entity": make_person(a, ["pro_entity_manager"], libraries=[a1]),
        "patron": make_person(a, ["patron"], ptype=ptype),
        "patron2": make_person(a, ["patron"], ptype=ptype),
        "full_b": make_person(b, ["pro_full_permissions"], libraries=[b1]),
    }
    return {"a": a, "b": b, "a1": a1, "a2": a2, "b1": b1, "ptype": ptype, **people}


def as_(client, who):
    logout(client)
    if who is not None:
        login(client, who)
    return client


# --- matrix --------------------------------------------------------------------------
def test_matrix_for_full_permissions_admin_and_superuser(client, net):
    for who in (net["full"][0], make_account("admin"), make_account("superuser")):
        res = as_(client, who).get("/api/permissions/matrix")
        assert res.status_code == 200
        body = res.get_json()
        assert "pro_full_permissions" in body["grants"]["ptrn-search"]
        assert body["grants"]["loan-request"] == ["patron"]
        assert "superuser" not in body["roles"] and "any_user" in body["roles"]
        assert body["actions"] == sorted(body["grants"]) == matrix.actions()


@pytest.mark.parametrize("who,status", [("libadmin", 403), ("patron", 403), (None, 401)])
def test_matrix_refused(client, net, who, status):
    res = as_(client, net[who][0] if who else None).get("/api/permissions/matrix")
    assert res.status_code == status and res.get_json()["status"] == status


# --- me and check ------------------------------------------------------------------------
def test_me(client, net):
    assert as_(client, None).get("/api/permissions/me").status_code == 401
    body = as_(client, net["patron"][0]).get("/api/permissions/me").get_json()
    assert body["user_id"] == net["patron"][0]
    assert body["roles"] == ["any_user", "authenticated_user", "patron"]
    assert {"ptrn-read", "loan-request", "ptrn-account", "doc-search", "notif-read"} <= set(body["actions"])
    assert "ptrn-search" not in body["actions"]


def test_me_of_a_document_importer_token(client):
    importer = make_account("document_importer")
    token = tokens.create(db.session.get(User, importer), "ezpump")
    db.session.commit()
    res = client.get("/api/permissions/me", headers={"Authorization": f"Bearer {token}"})
    body = res.get_json()
    assert body["roles"] == ["any_user", "document_importer"]
    anyone = matrix.grants()["any_user"]
    assert set(body["actions"]) == {"doc-create", "doc-update", "doc-delete"} | anyone
    check = client.get("/api/permissions/check?action=doc-create", headers={"Authorization": f"Bearer {token}"})
    assert check.get_json() == {"action": "doc-create", "can": True}


def test_check(client, net):
    anonymous = as_(client, None)
    assert anonymous.get("/api/permissions/check?action=doc-search").get_json() == {"action": "doc-search", "can": True}
    assert anonymous.get("/api/permissions/check?action=loan-request").get_json()["can"] is False
    # public interface: only patrons place requests and reach the account
    patron = as_(client, net["patron"][0])
    for action in ("loan-request", "ptrn-account", "doc-search"):
        assert patron.get(f"/api/permissions/check?action={action}").get_json()["can"] is True
    librarian = as_(client, net["full"][0])
    assert librarian.get("/api/permissions/check?action=loan-request").get_json()["can"] is False
    assert librarian.get("/api/permissions/check?action=ptrn-create").get_json()["can"] is True


@pytest.mark.parametrize("query", ["", "?action=", "?action=nope-nope"])
def test_check_needs_a_known_action(client, query):
    res = client.get(f"/api/permissions/check{query}")
    assert res.status_code == 400
    assert res.get_json()["errors"][0]["field"] == "action"


# --- explanation -----------------------------------------------------------------------
def test_explanation_of_oneself_one_line_per_action(client, net):
    user_id, pid = net["patron"]
    lines = as_(client, user_id).get(f"/api/patrons/{pid}/permissions").get_json()
    assert [line["action"] for line in lines] == matrix.actions()
    by_action = {line["action"]: line for line in lines}
    assert by_action["ptrn-read"] == {"action": "ptrn-read", "can": True, "roles": ["patron"], "denied_by": []}
    assert by_action["doc-search"]["roles"] == ["any_user"]
    assert by_action["notif-read"]["roles"] == ["authenticated_user"]
    assert by_action["ptrn-update"] == {"action": "ptrn-update", "can": False, "roles": [], "denied_by": []}


def test_explanation_by_staff_of_the_organisation(client, net):
    user_id, pid = net["users"]
    for who in ("reader", "full"):
        lines = as_(client, net[who][0]).get(f"/api/patrons/{pid}/permissions").get_json()
        update = next(line for line in lines if line["action"] == "ptrn-update")
        assert update == {"action": "ptrn-update", "can": True, "roles": ["pro_user_manager"], "denied_by": []}


@pytest.mark.parametrize("who,status", [(None, 401), ("full_b", 404), ("patron2", 404), ("entity", 403)])
def test_explanation_refused(client, net, who, status):
    pid = net["patron"][1]
    res = as_(client, net[who][0] if who else None).get(f"/api/patrons/{pid}/permissions")
    assert res.status_code == status


def test_explanation_of_an_unknown_patron(client, net):
    assert as_(client, net["full"][0]).get("/api/patrons/99999/permissions").status_code == 404


def test_explanation_of_a_superuser_with_a_record(client, net):
    su, pid = make_person(net["a"], ["patron"], ptype=net["ptype"])
    promote(su, "superuser")
    lines = as_(client, su).get(f"/api/patrons/{pid}/permissions").get_json()
    assert all(line["can"] for line in lines)
    assert all(line["roles"][0] == "superuser" for line in lines)


# --- buttons -------------------------------------------------------------------------------
def test_buttons_of_a_patron_record(client, net):
    res = as_(client, net["users"][0]).get(f"/api/permissions/patrons/{net['patron'][1]}")
    assert res.get_json() == {"read": {"can": True}, "update": {"can": True}, "delete": {"can": True}}
    # the only full librarian: the organisation must keep one
    body = as_(client, net["full"][0]).get(f"/api/permissions/patrons/{net['full'][1]}").get_json()
    assert body["update"] == {"can": True}
    assert body["delete"]["can"] is False and "pro_full_permissions" in body["delete"]["reasons"][0]
    # a user manager may not remove a library administrator's roles
    body = as_(client, net["users"][0]).get(f"/api/permissions/patrons/{net['libadmin'][1]}").get_json()
    assert body["delete"]["can"] is False and "pro_library_administrator" in body["delete"]["reasons"][0]


def test_buttons_of_a_library_still_referenced(client, net):
    body = as_(client, net["full"][0]).get(f"/api/permissions/libraries/{net['a1']}").get_json()
    assert body["read"] == body["update"] == {"can": True}
    assert body["delete"]["can"] is False and "patron record" in body["delete"]["reasons"][0]
    empty = make_library(net["a"], "a3")
    assert as_(client, net["full"][0]).get(f"/api/permissions/libraries/{empty}").get_json()["delete"] == {"can": True}


@pytest.mark.parametrize(
    "path,who,status",
    [
        ("patrons/{patron}", None, 401),
        ("patrons/{patron}", "full_b", 404),
        ("patrons/{patron}", "patron2", 404),
        ("patrons/99999", "full", 404),
        ("nothing/1", "full", 404),
        ("libraries/{a1}", "patron", 403),
    ],
)
def test_buttons_refused(client, net, path, who, status):
    path = path.format(patron=net["patron"][1], a1=net["a1"])
    res = as_(client, net[who][0] if who else None).get(f"/api/permissions/{path}")
    assert res.status_code == status, res.get_json()


# --- grants and revokes ----------------------------------------------------------------------
def test_admin_grants_then_the_next_request_sees_it(client, net):
    reader = net["reader"][0]
    assert as_(client, reader).get("/api/permissions/check?action=stat-read").get_json()["can"] is False
    res = as_(client, make_account("admin")).put("/api/permissions/roles/pro_read_only/actions/stat-read")
    assert res.status_code == 200
    assert res.get_json() == {"role": "pro_read_only", "action": "stat-read", "granted": True,
                              "roles": ["pro_full_permissions", "pro_library_administrator", "pro_read_only",
                                        "pro_statistic_manager"]}
    assert as_(client, reader).get("/api/permissions/check?action=stat-read").get_json()["can"] is True
    admin = make_account("admin")
    assert as_(client, admin).delete("/api/permissions/roles/pro_read_only/actions/stat-read").status_code == 204
    assert as_(client, reader).get("/api/permissions/check?action=stat-read").get_json()["can"] is False
    entries = [(e.operation, e.role, e.action) for e in PermissionAudit.query.order_by(PermissionAudit.id)]
    assert entries == [("grant", "pro_read_only", "stat-read"), ("revoke", "pro_read_only", "stat-read")]


def test_revoking_a_grant_takes_the_endpoint_away(client, net):
    reader, (_, pid) = net["reader"][0], net["patron"]
    assert as_(client, reader).get(f"/api/patrons/{pid}").status_code == 200
    su = make_account("superuser")
    assert as_(client, su).delete("/api/permissions/roles/pro_read_only/actions/ptrn-read").status_code == 204
    assert as_(client, reader).get(f"/api/patrons/{pid}").status_code == 403
    assert as_(client, su).put("/api/permissions/roles/pro_read_only/actions/ptrn-read").status_code == 200
    assert as_(client, reader).get(f"/api/patrons/{pid}").status_code == 200


def test_grant_is_idempotent_and_audited_once(client):
    admin = as_(client, make_account("admin"))
    for _ in range(2):
        assert admin.put("/api/permissions/roles/monitoring/actions/org-read").status_code == 200
    entries = PermissionAudit.query.all()
    assert len(entries) == 1
    assert entries[0].before == {"roles": ["admin", "pro_acquisition_manager", "pro_catalog_manager",
                                           "pro_circulation_manager", "pro_full_permissions",
                                           "pro_library_administrator", "pro_read_only", "pro_user_manager"]}
    assert "monitoring" in entries[0].after["roles"]
    assert admin.delete("/api/permissions/roles/monitoring/actions/doc-read").status_code == 204  # never granted
    assert PermissionAudit.query.count() == 1


@pytest.mark.parametrize(
    "role,action,fields",
    [("librarian", "ptrn-read", ["role"]), ("patron", "ptrn-fly", ["action"]), ("nobody", "x", ["role", "action"]),
     ("superuser", "ptrn-read", ["role"])],
)
def test_grant_of_unknown_role_or_action(client, role, action, fields):
    res = as_(client, make_account("admin")).put(f"/api/permissions/roles/{role}/actions/{action}")
    assert res.status_code == 400
    assert [e["field"] for e in res.get_json()["errors"]] == fields


@pytest.mark.parametrize("who,status", [("full", 403), ("patron", 403), (None, 401)])
def test_grant_refused(client, net, who, status):
    client = as_(client, net[who][0] if who else None)
    assert client.put("/api/permissions/roles/patron/actions/ptrn-search").status_code == status
    assert client.delete("/api/permissions/roles/patron/actions/ptrn-read").status_code == status
    assert PermissionAudit.query.count() == 0


# --- per-user denies ---------------------------------------------------------------------------
def test_full_permissions_deny_then_lift(client, net):
    manager, (_, pid) = net["users"][0], net["patron"]
    full = as_(client, net["full"][0])
    res = full.put(f"/api/permissions/users/{manager}/actions/ptrn-update")
    assert res.status_code == 200 and res.get_json() == {"user_id": manager, "action": "ptrn-update", "denied": True}
    # the deny wins over pro_user_manager's grant, on the real endpoint too
    as_(client, manager)
    record = client.get(f"/api/patrons/{pid}").get_json()["metadata"]
    assert client.put(f"/api/patrons/{pid}", json=record).status_code == 403
    lines = as_(client, net["full"][0]).get(f"/api/patrons/{net['users'][1]}/permissions").get_json()
    line = next(x for x in lines if x["action"] == "ptrn-update")
    assert line["can"] is False and line["roles"] == ["pro_user_manager"]
    assert [d["by"] for d in line["denied_by"]] == [net["full"][0]]
    assert client.delete(f"/api/permissions/users/{manager}/actions/ptrn-update").status_code == 204
    assert as_(client, manager).put(f"/api/patrons/{pid}", json=record).status_code == 200
    assert [e.operation for e in PermissionAudit.query.order_by(PermissionAudit.id)] == ["deny", "lift"]


@pytest.mark.parametrize(
    "who,target,action,status",
    [
        ("full_b", "users", "ptrn-update", 404),  # no record in B
        ("users", "patron", "ptrn-read", 403),  # no permission-management
        (None, "patron", "ptrn-read", 401),
        ("full", 424242, "ptrn-read", 404),
        ("full", "patron", "fly-away", 400),
    ],
)
def test_deny_refused(client, net, who, target, action, status):
    user_id = net[target][0] if isinstance(target, str) else target
    res = as_(client, net[who][0] if who else None).put(f"/api/permissions/users/{user_id}/actions/{action}")
    assert res.status_code == status
    assert PermissionAudit.query.count() == 0


def test_deny_by_admin_anywhere_not_on_a_superuser(client, net):
    admin = as_(client, make_account("admin"))
    assert admin.put(f"/api/permissions/users/{net['full_b'][0]}/actions/lib-update").status_code == 200
    su = make_account("superuser")
    res = admin.put(f"/api/permissions/users/{su}/actions/org-create")
    assert res.status_code == 409 and res.get_json()["errors"][0]["field"] == "user_id"


def test_organisation_staff_do_not_deny_an_administrator(client, net):
    admin, _ = make_person(net["a"], ["patron"], ptype=net["ptype"])
    promote(admin, "admin")
    res = as_(client, net["full"][0]).put(f"/api/permissions/users/{admin}/actions/org-create")
    assert res.status_code == 403


# --- audit ---------------------------------------------------------------------------------------
def test_audit_scopes_and_pages(client, net):
    admin = make_account("admin")
    as_(client, admin).put("/api/permissions/roles/pro_read_only/actions/stat-read")
    as_(client, net["full"][0]).put(f"/api/permissions/users/{net['patron'][0]}/actions/loan-request")
    as_(client, net["full_b"][0]).put(f"/api/permissions/users/{net['full_b'][0]}/actions/lib-delete")
    everything = as_(client, admin).get("/api/permissions/audit").get_json()
    assert everything["hits"]["total"]["value"] == 3
    first = everything["hits"]["hits"][0]  # newest first
    assert first["operation"] == "deny" and first["action"] == "lib-delete" and first["organisations"] == [net["b"]]
    assert first["before"] == {"denied": False} and first["after"] == {"denied": True} and first["at"]
    mine = as_(client, net["full"][0]).get("/api/permissions/audit").get_json()
    assert [(h["operation"], h["user_id"], h["by"]) for h in mine["hits"]["hits"]] == [
        ("deny", net["patron"][0], net["full"][0])
    ]
    paged = as_(client, admin).get("/api/permissions/audit?size=1&page=2").get_json()
    assert len(paged["hits"]["hits"]) == 1 and "next" in paged["links"] and "prev" in paged["links"]
    grants = as_(client, admin).get("/api/permissions/audit?operation=grant").get_json()
    assert [h["role"] for h in grants["hits"]["hits"]] == ["pro_read_only"]


@pytest.mark.parametrize("who,query,status", [("libadmin", "", 403), (None, "", 401), ("full", "?size=5000", 400)])
def test_audit_refused(client, net, who, query, status):
    assert as_(client, net[who][0] if who else None).get(f"/api/permissions/audit{query}").status_code == status
