"""``PUT /api/patrons/<pid>/with_user`` and ``POST /api/patrons/with_user`` (docs/api.md):
a patron record and its person's data in one transaction, each part with exactly the
rights, revision and checks of its own endpoint. Either both are saved or nothing is."""

from invenio_db import db

from rero_ils_users.accounts.models import User
from rero_ils_users.records.models import IndexQueue
from tests.helpers import login, make_desk, make_org, make_person, make_user


def _state(client, user_id, pid):
    """What is stored of the person and the record (revisions included), as the system reads it."""
    db.session.rollback()
    user = client.get(f"/api/users/{user_id}").get_json()
    record = client.get(f"/api/patrons/{pid}").get_json()
    account = db.session.get(User, user_id)
    return user["revision"], user["metadata"], record["revision"], record["metadata"], account.email, account.username


def _body(client, user_id, pid, user=None, patron=None):
    """The page's body: what it read, changed by ``user`` and ``patron``; and the revisions."""
    u = client.get(f"/api/users/{user_id}").get_json()
    r = client.get(f"/api/patrons/{pid}").get_json()
    record = dict(r["metadata"])
    for key in ("user", "$schema"):
        record.pop(key, None)
    patron = dict(patron or {})
    if "patron" in record:
        record["patron"] = dict(record["patron"], **patron.pop("patron", {}))
    record.update(patron)
    person = {k: v for k, v in u["metadata"].items() if k not in ("id", "patrons")}
    person.update(user or {})
    person = {k: v for k, v in person.items() if v is not None}
    return {"user": person, "user_revision": u["revision"], "patron": record}, r["revision"]


def _put(client, pid, body, revision=None, **kwargs):
    headers = {"If-Match": f'"{revision}"'} if revision is not None else {}
    headers.update(kwargs.pop("headers", {}))
    return client.put(f"/api/patrons/{pid}/with_user", json=body, headers=headers, **kwargs)


def _fields(res):
    return [(e["field"], e["code"]) for e in res.get_json().get("errors", [])]


def test_both_parts_are_saved_in_one_request(client):
    desk = make_desk(client, ptype=True)
    user_id, pid = make_person(desk.org, ptype=desk.ptype)
    body, revision = _body(client, user_id, pid, user={"city": "Marly"}, patron={"local_codes": ["stat9"]})
    res = _put(client, pid, body, revision)
    assert res.status_code == 200, res.get_json()
    answer = res.get_json()
    assert answer["user"]["metadata"]["city"] == "Marly" and answer["patron"]["metadata"]["local_codes"] == ["stat9"]
    assert res.headers["ETag"] == f'"{answer["patron"]["revision"]}"'
    _, user, _, record, _, _ = _state(client, user_id, pid)
    assert user["city"] == "Marly" and record["local_codes"] == ["stat9"]
    assert record["user"]["city"] == "Marly"


def test_removing_the_email_with_channel_email_kept_saves_nothing(client):
    """The channel rule of API.md acts (no email: channel mail), then the page's record
    still asks for email: refused, and the personal change is not kept either."""
    desk = make_desk(client, ptype=True)
    user_id, pid = make_person(desk.org, ptype=desk.ptype)
    before = _state(client, user_id, pid)
    queued = db.session.query(IndexQueue).count()
    body, revision = _body(client, user_id, pid, user={"email": None, "city": "Marly"})
    assert body["patron"]["patron"]["communication_channel"] == "email"
    res = _put(client, pid, body, revision, headers={"Accept-Language": "fr"})
    assert res.status_code == 400
    assert [f for f, _ in _fields(res)] == ["patron.patron.communication_channel"]
    assert _state(client, user_id, pid) == before  # no email gone, no city, no channel switched, no revision
    assert db.session.query(IndexQueue).count() == queued
    # with channel mail on the page, both are saved
    body["patron"]["patron"]["communication_channel"] = "mail"
    res = _put(client, pid, body, revision)
    assert res.status_code == 200, res.get_json()
    _, user, _, record, email, _ = _state(client, user_id, pid)
    assert (email, user.get("email"), user["city"], record["patron"]["communication_channel"]) == (None, None, "Marly", "mail")


def test_the_records_own_data_win_over_the_channel_rule(client):
    """The email goes, the page keeps channel email with an additional address: saved so."""
    desk = make_desk(client, ptype=True)
    user_id, pid = make_person(desk.org, ptype=desk.ptype)
    body, revision = _body(
        client, user_id, pid, user={"email": None},
        patron={"patron": {"communication_channel": "email", "additional_communication_email": "other@example.org"}},
    )
    assert _put(client, pid, body, revision).status_code == 200
    _, user, _, record, _, _ = _state(client, user_id, pid)
    assert "email" not in user
    assert record["patron"]["communication_channel"] == "email"
    assert record["patron"]["additional_communication_email"] == "other@example.org"


def test_a_refused_record_keeps_the_personal_data_unsaved_and_both_refusals_are_said(client):
    desk = make_desk(client, ptype=True)
    make_person(desk.org, ptype=desk.ptype, barcode="2050000999")
    user_id, pid = make_person(desk.org, ptype=desk.ptype)
    before = _state(client, user_id, pid)
    body, revision = _body(client, user_id, pid, user={"city": "Marly"}, patron={"patron": {"barcode": ["2050000999"]}})
    res = _put(client, pid, body, revision)
    assert res.status_code == 409 and _fields(res) == [("patron.patron.barcode", "barcode_taken")]
    assert _state(client, user_id, pid) == before
    # both parts refused: the personal data's status, and the problems of both
    body["user"]["birth_date"] = "1990-02-31"
    res = _put(client, pid, body, revision)
    assert res.status_code == 400
    assert _fields(res) == [("user.birth_date", "date_invalid"), ("patron.patron.barcode", "barcode_taken")]
    assert _state(client, user_id, pid) == before
    # a personal data conflict is said with its part too (a savepoint keeps the record's check possible)
    other = make_user(email="taken@example.org")
    body["user"].update(birth_date="1990-02-03", email="TAKEN@example.org")
    res = _put(client, pid, body, revision)
    assert res.status_code == 409 and ("user.email", "email_taken") in _fields(res), (other, _fields(res))
    assert ("patron.patron.barcode", "barcode_taken") in _fields(res)
    assert _state(client, user_id, pid) == before


def test_both_revisions_are_checked(client):
    desk = make_desk(client, ptype=True)
    user_id, pid = make_person(desk.org, ptype=desk.ptype)
    body, revision = _body(client, user_id, pid, user={"city": "Marly"}, patron={"local_codes": ["x"]})
    before = _state(client, user_id, pid)
    res = _put(client, pid, body, revision - 1)
    assert res.status_code == 412 and _fields(res) == [("patron", "stale_revision")]
    res = _put(client, pid, dict(body, user_revision=body["user_revision"] - 1), revision)
    assert res.status_code == 412 and _fields(res) == [("user", "stale_revision")]
    assert _state(client, user_id, pid) == before
    res = _put(client, pid, dict(body, user_revision="3"), revision)
    assert res.status_code == 400 and _fields(res) == [("user_revision", "revision_invalid")]
    # both optional, as If-Match is
    body.pop("user_revision")
    assert _put(client, pid, body).status_code == 200


def test_the_body_names_its_parts(client):
    desk = make_desk(client, ptype=True)
    _, pid = make_person(desk.org, ptype=desk.ptype)
    res = _put(client, pid, {"patron": [], "users": {}})
    assert res.status_code == 400
    assert sorted(_fields(res)) == [("patron", "json_object_required"), ("user", "required"), ("users", "unknown_field")]


def test_a_dry_run_checks_both_and_keeps_nothing(client):
    desk = make_desk(client, ptype=True)
    user_id, pid = make_person(desk.org, ptype=desk.ptype)
    before = _state(client, user_id, pid)
    uniquifier, queued = db.session.get(User, user_id).fs_uniquifier, db.session.query(IndexQueue).count()
    body, revision = _body(client, user_id, pid, user={"city": "Marly", "password": "Another-Pass-9"}, patron={"local_codes": ["x"]})
    res = client.put(f"/api/patrons/{pid}/with_user?dry_run=true", json=body, headers={"If-Match": f'"{revision}"'})
    assert (res.status_code, res.get_data()) == (204, b"")
    assert _state(client, user_id, pid) == before
    assert db.session.get(User, user_id).fs_uniquifier == uniquifier
    assert db.session.query(IndexQueue).count() == queued
    del body["user"]["email"]  # the channel rule, then the record still asks for email: the write's own refusal
    res = client.put(f"/api/patrons/{pid}/with_user?dry_run=1", json=body, headers={"If-Match": f'"{revision}"'})
    assert res.status_code == 400 and [f for f, _ in _fields(res)] == ["patron.patron.communication_channel"], res.get_json()
    assert _state(client, user_id, pid) == before


# --- who may: exactly what each part's own endpoint allows ------------------------------------
def test_the_login_of_a_person_held_elsewhere_is_not_changed_through_the_record(client):
    """A librarian of A may edit the shared personal data of a person also registered in B,
    not their email, username or password (PUT /api/users/<id> refuses it): nor here."""
    desk = make_desk(client, ptype=True)
    user_id, pid = make_person(desk.org, ptype=desk.ptype)
    make_person(make_org(), user_id=user_id)
    before = _state(client, user_id, pid)
    for change in ({"email": "new@example.org"}, {"username": "renamed"}, {"password": "Another-Pass-9"}, {"email": None}):
        body, revision = _body(client, user_id, pid, user=change, patron={"local_codes": ["x"]})
        body["patron"]["patron"]["communication_channel"] = "mail"
        own = client.put(f"/api/users/{user_id}", json=body["user"])
        res = _put(client, pid, body, revision)
        assert own.status_code == res.status_code == 403, change
        assert res.get_json()["message"] == own.get_json()["message"]
        assert _fields(res) == [("user", "account_change_denied")]  # the part refused, and why
        assert _state(client, user_id, pid) == before, change  # the record's change neither
    # the shared personal data: allowed, as PUT /api/users/<id> allows it
    body, revision = _body(client, user_id, pid, user={"city": "Marly"})
    assert _put(client, pid, body, revision).status_code == 200


def test_a_record_of_another_organisation_is_not_found_like_an_unknown_one(client):
    desk = make_desk(client, ptype=True)
    other = make_desk(ptype=True)
    user_id, pid = make_person(other.org, ptype=other.ptype)
    login(client, other.librarian)
    body, revision = _body(client, user_id, pid, user={"city": "Marly"})
    login(client, desk.librarian)
    before = _state_as_system(user_id, pid)
    mine = _put(client, pid, body, revision)
    unknown = _put(client, "999999", body, revision)
    assert mine.status_code == unknown.status_code == 404
    assert mine.get_json() == unknown.get_json() == client.put(f"/api/patrons/{pid}", json=body["patron"]).get_json()
    assert client.put(f"/api/patrons/{pid}/with_user?dry_run=true", json=body).status_code == 404
    assert _state_as_system(user_id, pid) == before


def test_without_the_right_to_update_records_nothing_is_written(client):
    desk = make_desk(client, ptype=True)
    user_id, pid = make_person(desk.org, ptype=desk.ptype)
    body, revision = _body(client, user_id, pid, user={"city": "Marly"})
    reader, _ = make_person(desk.org, ["pro_read_only"], libraries=[desk.lib])
    login(client, reader)
    before = _state_as_system(user_id, pid)
    own = client.put(f"/api/patrons/{pid}", json=body["patron"])
    res = _put(client, pid, body, revision)
    assert own.status_code == res.status_code == 403
    assert _state_as_system(user_id, pid) == before


def test_the_patron_part_cannot_move_the_record_to_another_person(client):
    desk = make_desk(client, ptype=True)
    user_id, pid = make_person(desk.org, ptype=desk.ptype)
    victim = make_user()
    body, revision = _body(client, user_id, pid, user={"city": "Marly"}, patron={"user_id": victim})
    res = _put(client, pid, body, revision)
    assert res.status_code == 400 and _fields(res) == [("patron.user_id", "user_fixed")]
    _, user, _, record, _, _ = _state(client, user_id, pid)
    assert record["user_id"] == user_id and user["city"] != "Marly"


def test_the_user_part_is_always_the_records_person(client):
    """An ``id`` in the user part is ignored, as PUT /api/users/<id> ignores it: the person
    changed is the record's."""
    desk = make_desk(client, ptype=True)
    user_id, pid = make_person(desk.org, ptype=desk.ptype)
    victim, _ = make_person(desk.org, ptype=desk.ptype)
    body, revision = _body(client, user_id, pid, user={"city": "Marly", "id": victim})
    body.pop("user_revision")
    assert _put(client, pid, body, revision).status_code == 200
    assert client.get(f"/api/users/{victim}").get_json()["metadata"]["city"] == "Fribourg"
    assert client.get(f"/api/users/{user_id}").get_json()["metadata"]["city"] == "Marly"


def test_ones_own_record_keeps_the_self_service_rules(client):
    """A librarian editing their own record: their names are locked and a new email needs
    their current password, as PUT /api/users/<own id> says."""
    desk = make_desk(client, ptype=True)
    body, revision = _body(client, desk.librarian, desk.librarian_pid, user={"first_name": "Renamed", "email": "me@example.org"})
    before = _state(client, desk.librarian, desk.librarian_pid)
    own = client.put(f"/api/users/{desk.librarian}", json=body["user"])
    res = _put(client, desk.librarian_pid, body, revision)
    assert own.status_code == res.status_code == 400
    assert _fields(res) == [("user." + e["field"], e["code"]) for e in own.get_json()["errors"]]
    assert {c for _, c in _fields(res)} == {"field_locked", "current_password_required"}
    assert _state(client, desk.librarian, desk.librarian_pid) == before


def _state_as_system(user_id, pid):
    from rero_ils_users.patrons.service import patrons
    from rero_ils_users.permissions.needs import system_identity
    from rero_ils_users.users.service import users

    db.session.rollback()
    user, record = users.read(system_identity(), user_id), patrons.read(system_identity(), pid)
    return user["revision"], user["metadata"], record["revision"], record["metadata"]


# --- registration of a person known elsewhere, with their personal data updated ----------------
def _registration(client, desk, user_id, user=None):
    """The register page's body for a person found by the lookup (their data from its hit)."""
    username = db.session.get(User, user_id).username
    u = client.get(f"/api/users/?q=username:{username}").get_json()["hits"]["hits"][0]
    person = {k: v for k, v in u["metadata"].items() if k not in ("id", "patrons", "registration_token")}
    person.update(user or {})
    record = {
        "user_id": user_id,
        "organisation": {"$ref": f"https://x/api/organisations/{desk.org}"},
        "roles": ["patron"],
        "registration_token": u["metadata"]["registration_token"],
        "patron": {
            "barcode": ["7770001111"],
            "type": {"$ref": f"https://x/api/patron_types/{desk.ptype}"},
            "communication_channel": "email",
            "communication_language": "fre",
            "expiration_date": "2099-01-01",
        },
    }
    return {"user": person, "user_revision": u["revision"], "patron": record}


def _records_of(user_id):
    db.session.rollback()
    from rero_ils_users.patrons.api import Patron

    return sorted(r["organisation"]["pid"] for r in Patron.of_user(user_id))


def test_a_registration_updates_the_persons_data_in_the_same_transaction(client):
    desk = make_desk(client, ptype=True)
    elsewhere = make_org()
    user_id, _ = make_person(elsewhere)
    before = _records_of(user_id)
    # a refused personal change: no record either
    body = _registration(client, desk, user_id, {"birth_date": "1990-02-31", "city": "Martigny"})
    res = client.post("/api/patrons/with_user", json=body)
    assert res.status_code == 400 and _fields(res) == [("user.birth_date", "date_invalid")]
    assert _records_of(user_id) == before
    # her login stays hers (PUT /api/users/<id> would refuse it after the registration)
    body = _registration(client, desk, user_id, {"email": "mine@example.org"})
    res = client.post("/api/patrons/with_user", json=body)
    assert res.status_code == 403 and [f for f, _ in _fields(res)] == ["user"]
    assert _records_of(user_id) == before
    # a refused record: the person untouched
    body = _registration(client, desk, user_id, {"city": "Martigny"})
    body["patron"]["registration_token"] = "forged"
    res = client.post("/api/patrons/with_user", json=body)
    assert res.status_code == 400 and _fields(res) == [("patron.user_id", "no_such_user")]
    assert _records_of(user_id) == before
    # both fine: both saved
    body = _registration(client, desk, user_id, {"city": "Martigny"})
    res = client.post("/api/patrons/with_user", json=body)
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["user"]["metadata"]["city"] == "Martigny"
    assert _records_of(user_id) == sorted(before + [desk.org])
    assert client.get(f"/api/users/{user_id}").get_json()["metadata"]["city"] == "Martigny"
