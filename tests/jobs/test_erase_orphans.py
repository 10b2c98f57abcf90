"""The erase-orphans job: people with no patron record are erased ORPHAN_RETENTION_DAYS
later (database, revisions, index), told by email first when their last record was
deleted; a registration meanwhile cancels it; account-level accounts are stripped."""

from datetime import timedelta

import pytest
from babel.dates import format_date
from invenio_db import db
from sqlalchemy import select
from sqlalchemy_continuum import version_class

from rero_ils_users import clock
from rero_ils_users.accounts.models import User
from rero_ils_users.jobs import erase
from rero_ils_users.patrons.api import PatronMetadata
from rero_ils_users.privacy.models import ScheduledErasure
from rero_ils_users.records.audit import AuditEntry
from rero_ils_users.records.search import current_search
from rero_ils_users.users.api import PERSONAL_FIELDS, UserMetadata
from tests.helpers import login, make_desk, make_person, promote, registration_token, user_data

DAYS = 30


def versions(model_cls, user_id):
    table = version_class(model_cls).__table__
    return db.session.execute(select(table.c.json).where(table.c.user_id == user_id)).all()


def indexed(resource, user_id):
    field = "pid" if resource == "users" else "user_id"
    current_search.refresh(resource)
    body = {"query": {"term": {field: str(user_id) if resource == "users" else user_id}}}
    return current_search.client.count(index=current_search.alias(resource), body=body)["count"]


def exists(user_id):
    db.session.expire_all()
    return db.session.get(User, user_id) is not None or db.session.query(UserMetadata).filter_by(user_id=user_id).count() > 0


@pytest.fixture()
def desk(client):
    return make_desk(client, ptype=True)


def test_a_user_created_at_the_desk_and_never_registered(client, desk, app):
    assert app.config["ORPHAN_RETENTION_DAYS"] == DAYS
    res = client.post("/api/users/", json=user_data(city="Vevey"))
    assert res.status_code == 201
    user_id = res.get_json()["id"]
    assert indexed("users", user_id) == 1 and versions(UserMetadata, user_id)
    today = clock.today()
    assert erase.run(today + timedelta(days=DAYS - 1))["erased"] == 0
    assert exists(user_id)
    counts = erase.run(today + timedelta(days=DAYS))
    assert counts["erased"] == 1
    assert not exists(user_id)
    assert versions(UserMetadata, user_id) == []
    assert indexed("users", user_id) == 0
    trail = db.session.query(AuditEntry).filter_by(user_id=user_id).order_by(AuditEntry.id).all()
    assert [e.operation for e in trail] == ["create", "delete"]
    assert trail[-1].by == {"job": "erase-orphans"}
    assert "Vevey" not in str([e.changes for e in trail])  # who, when, which fields; no values
    assert "city" in trail[0].changes
    assert erase.run(today + timedelta(days=DAYS + 1))["erased"] == 0  # idempotent


def test_last_record_deleted_mails_the_date_then_erases(client, desk, mails):
    user_id, pid = make_person(desk.org, ptype=desk.ptype, user={"first_name": "Léa", "street": "Rue 1"},
                               additional_communication_email="parent@example.org")
    email = db.session.get(User, user_id).email
    login(client, desk.librarian)
    assert client.delete(f"/api/patrons/{pid}").status_code == 204
    due = clock.today() + timedelta(days=DAYS)
    assert db.session.get(ScheduledErasure, user_id).due == due
    assert len(mails.messages) == 1
    mail = mails.messages[0]
    assert mail["to"] == sorted([email, "parent@example.org"])
    body = mail["message"].get_content()
    assert format_date(due, format="long", locale="en_GB") in body and "Léa" in body
    assert mail["message"]["Subject"].startswith("Your personal data will be erased on")

    assert erase.run(due - timedelta(days=1))["erased"] == 0
    assert exists(user_id) and versions(PatronMetadata, user_id)
    counts = erase.run(due)
    assert counts["erased"] == 1
    assert not exists(user_id)
    assert versions(UserMetadata, user_id) == [] and versions(PatronMetadata, user_id) == []
    assert indexed("users", user_id) == 0 and indexed("patrons", user_id) == 0
    assert db.session.get(ScheduledErasure, user_id) is None
    assert "Rue 1" not in str([e.changes for e in db.session.query(AuditEntry).filter_by(user_id=user_id)])


def test_a_registration_before_the_delay_cancels_the_erasure(client, desk, mails):
    user_id, pid = make_person(desk.org, ptype=desk.ptype)
    login(client, desk.librarian)
    assert client.delete(f"/api/patrons/{pid}").status_code == 204
    other = make_desk(client, ptype=True)
    body = {"user_id": user_id, "registration_token": registration_token(client, user_id),
            "organisation": {"$ref": f"https://x/api/organisations/{other.org}"}, "roles": ["patron"],
            "patron": {"barcode": ["OTHER-0001"], "type": {"$ref": f"https://x/api/patron_types/{other.ptype}"},
                       "communication_channel": "email", "communication_language": "fre", "expiration_date": "2030-01-01"}}
    assert client.post("/api/patrons/", json=body).status_code == 201
    counts = erase.run(clock.today() + timedelta(days=DAYS + 5))
    assert counts["erased"] == 0 and counts["cancelled"] == 1
    assert exists(user_id) and db.session.get(ScheduledErasure, user_id) is None


def test_an_account_level_person_keeps_the_account_without_personal_fields(client, desk):
    user_id, pid = make_person(desk.org, ptype=desk.ptype, user={"street": "Grand-Rue 5"})
    promote(user_id, "monitoring")
    login(client, desk.librarian)
    assert client.delete(f"/api/patrons/{pid}").status_code == 204
    counts = erase.run(clock.today() + timedelta(days=DAYS))
    assert counts["stripped"] == 1 and counts["erased"] == 0
    db.session.expire_all()
    assert db.session.get(User, user_id) is not None
    record = db.session.query(UserMetadata).filter_by(user_id=user_id).one().json
    assert not set(PERSONAL_FIELDS) & set(record) and record["username"]
    assert all(not set(PERSONAL_FIELDS) & set(row.json or {}) for row in versions(UserMetadata, user_id))
    assert versions(PatronMetadata, user_id) == []
    assert erase.run(clock.today() + timedelta(days=DAYS + 1))["stripped"] == 0


def test_cli_runs_the_job(app):
    from rero_ils_users.cli import cli

    result = app.test_cli_runner().invoke(cli, ["jobs", "run", "erase-orphans", "--as-of", "2030-01-01"])
    assert result.exit_code == 0, result.output
    assert '"erased": 0' in result.output


def test_no_erasure_before_the_person_was_told(client, desk, mails, app):
    user_id, pid = make_person(desk.org, ptype=desk.ptype)
    state = app.extensions["mail"]
    port, state.port = state.port, 1  # nothing listens there: the notice cannot go out
    try:
        login(client, desk.librarian)
        assert client.delete(f"/api/patrons/{pid}").status_code == 204
        due = clock.today() + timedelta(days=DAYS)
        counts = erase.run(due)
        assert counts["waiting_notice"] == 1 and counts["erased"] == 0 and exists(user_id)
    finally:
        state.port = port
    counts = erase.run(due)  # the mail works again: sent first, then erased
    assert counts["notices_sent"] == 1 and counts["erased"] == 1
    assert len(mails.messages) == 1 and not exists(user_id)
