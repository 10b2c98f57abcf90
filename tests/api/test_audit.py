"""The audit of personal data and patron records: every write path writes an entry in
its transaction, with its actor; who reads which entries (API.md, privacy rule)."""

import json
from datetime import date, timedelta

from invenio_db import db

from rero_ils_users.cli import cli
from rero_ils_users.jobs import expire
from rero_ils_users.organisations.api import Organisation
from rero_ils_users.patrons.api import Patron
from rero_ils_users.records.audit import AuditEntry
from tests.helpers import (
    PASSWORD,
    login,
    logout,
    make_desk,
    make_patron_type,
    make_person,
    post_login,
    record_data,
    ref,
)


def entries(**filters):
    db.session.expire_all()
    return [e.to_dict() | {"user_id": e.user_id} for e in db.session.query(AuditEntry).filter_by(**filters).order_by(AuditEntry.id)]


def user_body(client, user_id, **changes):
    data = client.get(f"/api/users/{user_id}").get_json()["metadata"]
    data = {k: v for k, v in data.items() if k not in ("id",)}
    data.update(changes)
    return data


def patron_body(pid, **patron_changes):
    data = {k: v for k, v in Patron.get_by_pid(pid).items() if k not in ("pid", "$schema")}
    data["organisation"] = ref("organisations", data["organisation"]["pid"])
    if "libraries" in data:
        data["libraries"] = [ref("libraries", lib["pid"]) for lib in data["libraries"]]
    if "patron" in data:
        data["patron"] = {**data["patron"], "type": ref("patron_types", data["patron"]["type"]["pid"]), **patron_changes}
    return data


def test_api_edit_is_audited_with_the_librarian_and_organisation(client):
    desk = make_desk(client, ptype=True)
    user_id, pid = make_person(desk.org, ptype=desk.ptype, user={"city": "Bulle"})
    res = client.put(f"/api/users/{user_id}", json=user_body(client, user_id, city="Morat"))
    assert res.status_code == 200, res.get_json()
    last = entries(resource="users", pid=str(user_id))[-1]
    assert last["operation"] == "update"
    assert last["by"] == {"user_id": desk.librarian, "organisation": desk.org}
    assert last["record"] == {"resource": "users", "pid": str(user_id)}
    assert last["changes"] == {"city": {"before": "Bulle", "after": "Morat"}}

    res = client.put(f"/api/patrons/{pid}", json=patron_body(pid, blocked=True, blocked_note="Lost books"))
    assert res.status_code == 200, res.get_json()
    last = entries(resource="patrons", pid=pid)[-1]
    assert last["changes"] == {
        "patron.blocked": {"before": None, "after": True},
        "patron.blocked_note": {"before": None, "after": "Lost books"},
    }
    assert last["by"]["user_id"] == desk.librarian

    assert client.delete(f"/api/patrons/{pid}").status_code == 204
    last = entries(resource="patrons", pid=pid)[-1]
    assert last["operation"] == "delete" and last["changes"]["patron.blocked_note"] == {"before": "Lost books", "after": None}


def test_a_write_with_no_actor_is_audited_as_unknown_cli(client):
    desk = make_desk()  # the helpers write through the services, outside any request or command
    created = entries(resource="patrons", pid=desk.librarian_pid)
    assert [e["operation"] for e in created] == ["create"]
    assert created[0]["by"] == {"cli": "unknown"}


def test_a_refused_write_leaves_no_entry(client):
    desk = make_desk(client, ptype=True)
    make_person(desk.org, ptype=desk.ptype, barcode="CARD-000001")
    user_id, _ = make_person(desk.org, ptype=desk.ptype)
    other = make_desk().org
    body = record_data(user_id, other, ["patron"], ptype=make_patron_type(other), barcode="CARD-000001")
    before = len(entries())
    body["organisation"] = ref("organisations", desk.org)  # same organisation twice: 409
    body["patron"]["type"] = ref("patron_types", desk.ptype)
    assert client.post("/api/patrons/", json=body).status_code in (400, 409)
    assert len(entries()) == before


def test_ui_session_edit_and_password_never_stored(client):
    desk = make_desk(ptype=True)
    user_id, _ = make_person(desk.org, ptype=desk.ptype, user={"username": "zoe-ui", "city": "Sion"})
    res = post_login(client, "zoe-ui")
    token = res.get_json()["csrf_token"]
    body = user_body(client, user_id, city="Sierre", password="Another-Pass-9", current_password=PASSWORD)
    res = client.put(f"/api/users/{user_id}", json=body, headers={"X-CSRF-Token": token})
    assert res.status_code == 200, res.get_json()
    last = entries(resource="users", pid=str(user_id))[-1]
    assert last["by"] == {"user_id": user_id, "organisation": None}
    assert last["changes"] == {"city": {"before": "Sion", "after": "Sierre"}, "password": {"changed": True}}
    stored = json.dumps([e.changes for e in db.session.query(AuditEntry)])
    assert "Another-Pass-9" not in stored and "argon2" not in stored and PASSWORD not in stored


def test_cli_import_is_audited_as_the_import(client, app, tmp_path):
    desk = make_desk(ptype=True)
    code = Organisation.get_by_pid(desk.org)["code"]
    rows = [{"username": "imported-1", "first_name": "Ida", "last_name": "Import", "birth_date": "1990-01-02",
             "organisation": code, "patron_type": desk.ptype, "barcode": "IMPORT-0001",
             "communication_language": "fre", "expiration_date": "2030-01-01", "staff_note": "Pays late"}]
    path = tmp_path / "people.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    result = app.test_cli_runner().invoke(cli, ["import", str(path)])
    assert result.exit_code == 0, result.output
    made = [e for e in entries() if e["by"] == {"cli": "import"}]
    assert sorted(e["record"]["resource"] for e in made) == ["patrons", "users"]
    assert {e["operation"] for e in made} == {"create"}
    patron_entry = next(e for e in made if e["record"]["resource"] == "patrons")
    assert patron_entry["changes"]["notes.staff_note"] == {"before": None, "after": "Pays late"}


def test_a_job_is_audited_as_the_job(client):
    desk = make_desk(ptype=True)
    past = (date.today() - timedelta(days=3)).isoformat()
    user_id, _ = make_person(desk.org, ptype=desk.ptype, expiration_date=past)
    expire.run()
    last = entries(resource="users", pid=str(user_id))[-1]
    assert last["by"] == {"job": "expire-patrons"}
    assert last["changes"] == {"account_expired": {"before": False, "after": True}}


def _two_orgs_person(client):
    """A person registered in two organisations, each record with a staff note."""
    a, b = make_desk(ptype=True), make_desk(ptype=True)
    user_id, pid_a = make_person(a.org, ptype=a.ptype)
    _, pid_b = make_person(b.org, ptype=b.ptype, user_id=user_id)
    for desk, pid in ((a, pid_a), (b, pid_b)):
        login(client, desk.librarian)
        body = patron_body(pid)
        body["notes"] = [{"type": "staff_note", "content": f"secret of {desk.org}"}, {"type": "public_note", "content": "Welcome"}]
        assert client.put(f"/api/patrons/{pid}", json=body).status_code == 200
    return a, b, user_id, pid_a, pid_b


def test_who_reads_the_audit(client):
    a, b, user_id, pid_a, pid_b = _two_orgs_person(client)
    login(client, a.librarian)
    res = client.get(f"/api/users/{user_id}/audit?size=100")
    assert res.status_code == 200
    body = res.get_json()
    hits = [h["metadata"] for h in body["hits"]["hits"]]
    assert body["hits"]["total"]["value"] == len(hits) and "self" in body["links"]
    assert {h["record"]["pid"] for h in hits if h["record"]["resource"] == "patrons"} == {pid_a}  # not the other org's
    assert any(h["record"]["resource"] == "users" for h in hits)
    assert [h["at"] for h in hits] == sorted((h["at"] for h in hits), reverse=True)  # newest first
    assert any("notes.staff_note" in h["changes"] for h in hits)  # staff see their staff notes
    assert client.get(f"/api/patrons/{pid_a}/audit").status_code == 200
    assert client.get(f"/api/patrons/{pid_b}/audit").status_code == 404  # another organisation's record

    outsider = make_desk(client)  # full permissions elsewhere: the person does not exist for them
    assert client.get(f"/api/users/{user_id}/audit").status_code == 404
    assert client.get(f"/api/patrons/{pid_a}/audit").status_code == 404
    clerk, _ = make_person(outsider.org, ["pro_user_manager"], libraries=[outsider.lib])
    login(client, clerk)  # the person does not exist for them either (the user-visibility rule)
    assert client.get(f"/api/users/{user_id}/audit").status_code == 404
    colleague, _ = make_person(a.org, ["pro_user_manager"], libraries=[a.lib])
    login(client, colleague)  # sees the person, not their audit
    assert client.get(f"/api/users/{user_id}/audit").status_code == 403
    logout(client)
    assert client.get(f"/api/users/{user_id}/audit").status_code == 401
    assert client.get("/api/users/999999/audit").status_code in (401, 404)

    login(client, user_id)  # the person: every entry about them, no staff note
    res = client.get(f"/api/users/{user_id}/audit?size=100").get_json()
    hits = [h["metadata"] for h in res["hits"]["hits"]]
    assert {h["record"]["pid"] for h in hits if h["record"]["resource"] == "patrons"} == {pid_a, pid_b}
    assert "staff_note" not in json.dumps(hits) and "secret of" not in json.dumps(hits)
    assert any(h["changes"].get("notes.public_note", {}).get("after") == "Welcome" for h in hits)
    assert client.get(f"/api/patrons/{pid_b}/audit").status_code == 200


def test_admin_reads_every_entry_and_deleted_records_stay_readable(client):
    from tests.helpers import make_account

    a, b, user_id, pid_a, pid_b = _two_orgs_person(client)
    login(client, a.librarian)
    assert client.delete(f"/api/patrons/{pid_a}").status_code == 204
    res = client.get(f"/api/patrons/{pid_a}/audit")
    assert res.status_code == 200
    assert res.get_json()["hits"]["hits"][0]["metadata"]["operation"] == "delete"
    login(client, make_account("admin"))
    hits = client.get(f"/api/users/{user_id}/audit?size=100").get_json()["hits"]["hits"]
    assert {h["metadata"]["record"]["pid"] for h in hits if h["metadata"]["record"]["resource"] == "patrons"} == {pid_a, pid_b}
    assert client.get("/api/patrons/987654/audit").status_code == 404


def test_a_rehash_at_login_is_no_password_change(client, app):
    from flask_security.utils import get_hmac

    from rero_ils_users.accounts.models import User

    desk = make_desk(ptype=True)
    user_id, _ = make_person(desk.org, ptype=desk.ptype, user={"username": "rehashed"})
    context = app.extensions["security"].pwd_context.copy(argon2__rounds=2)
    account = db.session.get(User, user_id)
    account.password = old = context.hash(get_hmac(PASSWORD))
    db.session.commit()
    before = len(entries(resource="users", pid=str(user_id)))
    assert post_login(client, "rehashed").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user_id).password != old  # it was rehashed
    assert len(entries(resource="users", pid=str(user_id))) == before


def test_an_orm_write_that_bypasses_the_record_api_is_audited_too(client):
    """What a batched importer would do: add record rows itself, in one flush."""
    from rero_ils_users.records import audit
    from rero_ils_users.users.api import UserMetadata
    from tests.helpers import make_account

    ids = [make_account() for _ in range(3)]
    with audit.acting({"cli": "batch"}):
        for user_id in ids:
            db.session.add(UserMetadata(json={"username": f"u{user_id}", "pid": str(user_id)}, pid=str(user_id), user_id=user_id))
        db.session.commit()
    made = [e for e in entries(resource="users") if e["by"] == {"cli": "batch"}]
    assert sorted(int(e["record"]["pid"]) for e in made) == sorted(ids)
    assert all(e["operation"] == "create" and e["changes"]["username"]["before"] is None for e in made)
    with audit.acting({"cli": "bulk"}):  # Core SQL is not seen by the hook: the writer calls audit.record
        db.session.execute(UserMetadata.__table__.delete().where(UserMetadata.user_id == ids[0]))
        audit.record("users", ids[0], "delete", before={"username": f"u{ids[0]}"}, user_id=ids[0])
        db.session.commit()
    assert entries(resource="users", pid=str(ids[0]))[-1]["by"] == {"cli": "bulk"}
