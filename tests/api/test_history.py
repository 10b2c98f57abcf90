"""Circulation history (API.md section 4): kept only with keep_history, read by the
patron and their library's staff, deleted with keep_history off or the record."""

from datetime import datetime, timedelta

import pytest
from invenio_db import db

from rero_ils_users import clock
from rero_ils_users.history.api import HistoryEntry
from rero_ils_users.patrons.service import patrons
from rero_ils_users.permissions.needs import system_identity
from rero_ils_users.users.api import UserRecord
from rero_ils_users.users.service import users
from tests.helpers import login, logout, make_desk, make_library, make_org, make_person, ref


@pytest.fixture()
def desk():
    """An organisation with a circulation librarian and a patron who keeps history."""
    desk = make_desk(roles=["pro_circulation_manager"])
    patron_user, patron_pid = make_person(desk.org, user={"keep_history": True})
    return {"org": desk.org, "lib": desk.lib, "librarian": desk.librarian, "user": patron_user, "pid": patron_pid}


def entry(lib, action="checkout", when=None, barcode="I0001", title="Le Petit Prince"):
    when = when or (clock.now() - timedelta(hours=1))
    return {"action": action, "date": when.isoformat(), "item": {"barcode": barcode, "title": title}, "library": ref("libraries", lib)}


def post(client, desk, body):
    return client.post(f"/api/patrons/{desk['pid']}/history", json=body)


def history_of(client, pid, **params):
    return client.get(f"/api/patrons/{pid}/history", query_string=params)


def test_entry_kept_when_the_user_keeps_history(client, desk):
    login(client, desk["librarian"])
    body = entry(desk["lib"])
    res = post(client, desk, body)
    assert res.status_code == 201, res.get_json()
    data = res.get_json()
    assert data["kept"] is True
    assert res.headers["ETag"] == '"1"'
    metadata = data["metadata"]
    assert metadata["action"] == "checkout" and metadata["date"] == body["date"]
    assert metadata["item"] == body["item"]
    assert metadata["library"] == {"$ref": f"https://ils.example.org/api/libraries/{desk['lib']}", "pid": desk["lib"]}
    assert data["links"]["self"] == f"https://ils.example.org/api/patrons/{desk['pid']}/history/{data['id']}"
    one = client.get(f"/api/patrons/{desk['pid']}/history/{data['id']}")
    assert one.status_code == 200 and one.get_json()["metadata"] == metadata
    assert client.get(f"/api/patrons/{desk['pid']}/history/999999").status_code == 404
    row = db.session.get(HistoryEntry, int(data["id"]))
    assert (row.patron_pid, row.user_id, row.organisation_pid) == (desk["pid"], desk["user"], desk["org"])


def test_entry_not_kept_without_keep_history(client, desk):
    org = desk["org"]
    _, pid = make_person(org)  # keep_history defaults to false
    login(client, desk["librarian"])
    res = client.post(f"/api/patrons/{pid}/history", json=entry(desk["lib"]))
    assert res.status_code == 202
    assert res.get_json() == {"kept": False}
    assert db.session.query(HistoryEntry).filter_by(patron_pid=pid).count() == 0
    assert history_of(client, pid).get_json()["hits"]["total"]["value"] == 0


@pytest.mark.parametrize(
    "change, field",
    [
        ({"action": "loan"}, "action"),
        ({"date": "yesterday"}, "date"),
        ({"item": {"title": "No barcode"}}, "item.barcode"),
        ({"library": {"$ref": "https://x.org/api/organisations/1"}}, "library"),
        ({"library": {"$ref": "https://x.org/api/libraries/999999"}}, "library"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_entries_answer_400_naming_the_field(client, desk, change, field):
    login(client, desk["librarian"])
    res = post(client, desk, {**entry(desk["lib"]), **change})
    assert res.status_code == 400, res.get_json()
    assert field in [e["field"] for e in res.get_json()["errors"]]
    assert db.session.query(HistoryEntry).count() == 0


def test_future_date_and_other_organisations_library_refused(client, desk):
    other_lib = make_library(make_org())
    login(client, desk["librarian"])
    future = entry(desk["lib"], when=clock.now() + timedelta(days=1))
    res = post(client, desk, future)
    assert res.status_code == 400 and res.get_json()["errors"][0]["field"] == "date"
    res = post(client, desk, entry(other_lib))
    assert res.status_code == 400 and res.get_json()["errors"][0]["field"] == "library"
    assert post(client, desk, []).status_code == 400


def test_who_may_write_history(client, desk):
    body = entry(desk["lib"])
    assert post(client, desk, body).status_code == 401  # anonymous
    login(client, desk["user"])
    assert post(client, desk, body).status_code == 403  # the patron: no access-circulation
    make_desk(client, roles=["pro_circulation_manager"])  # a librarian of another organisation
    assert post(client, desk, body).status_code == 404  # another organisation's patron
    reader, _ = make_person(desk["org"], ["pro_read_only"], libraries=[desk["lib"]])
    login(client, reader)
    assert post(client, desk, body).status_code == 403
    login(client, desk["librarian"])
    assert client.post("/api/patrons/999999/history", json=body).status_code == 404


def test_who_may_read_history(client, desk):
    login(client, desk["librarian"])
    assert post(client, desk, entry(desk["lib"])).status_code == 201
    logout(client)
    assert history_of(client, desk["pid"]).status_code == 401
    login(client, desk["user"])  # the patron themself
    assert history_of(client, desk["pid"]).get_json()["hits"]["total"]["value"] == 1
    other_patron, _ = make_person(desk["org"])
    login(client, other_patron)
    assert history_of(client, desk["pid"]).status_code == 404
    reader, _ = make_person(desk["org"], ["pro_read_only"], libraries=[desk["lib"]])
    login(client, reader)
    assert history_of(client, desk["pid"]).status_code == 200
    make_desk(client, roles=["pro_read_only"])  # a librarian of another organisation
    assert history_of(client, desk["pid"]).status_code == 404


def test_newest_first_paged_and_older_than_six_months_hidden(client, desk):
    login(client, desk["librarian"])
    now = clock.now()
    for days, action in ((3, "checkout"), (1, "renewal"), (2, "checkin")):
        assert post(client, desk, entry(desk["lib"], action, now - timedelta(days=days))).status_code == 201
    old = datetime.combine(clock.today().replace(day=1), datetime.min.time(), tzinfo=clock.zone())
    old = old.replace(year=old.year - 1)  # more than six months ago
    assert post(client, desk, entry(desk["lib"], "request", old)).status_code == 201
    body = history_of(client, desk["pid"], size=2).get_json()
    assert body["hits"]["total"] == {"value": 3, "relation": "eq"}
    assert [h["metadata"]["action"] for h in body["hits"]["hits"]] == ["renewal", "checkin"]
    assert "page=2" in body["links"]["next"]
    page2 = history_of(client, desk["pid"], size=2, page=2).get_json()
    assert [h["metadata"]["action"] for h in page2["hits"]["hits"]] == ["checkout"]
    assert history_of(client, desk["pid"], size=1001).status_code == 400


def test_turning_keep_history_off_deletes_the_entries_at_once(client, desk):
    login(client, desk["librarian"])
    assert post(client, desk, entry(desk["lib"])).status_code == 201
    _, other_pid = make_person(desk["org"], user={"keep_history": True})
    assert client.post(f"/api/patrons/{other_pid}/history", json=entry(desk["lib"])).status_code == 201
    data = {k: v for k, v in UserRecord.get_by_user_id(desk["user"]).items() if k not in ("pid", "$schema")}
    users.update(system_identity(), desk["user"], {**data, "keep_history": False})
    assert db.session.query(HistoryEntry).filter_by(user_id=desk["user"]).count() == 0
    assert db.session.query(HistoryEntry).filter_by(patron_pid=other_pid).count() == 1
    assert history_of(client, desk["pid"]).get_json()["hits"]["total"]["value"] == 0
    assert post(client, desk, entry(desk["lib"])).status_code == 202


def test_deleting_the_patron_record_deletes_its_history(client, desk):
    login(client, desk["librarian"])
    assert post(client, desk, entry(desk["lib"])).status_code == 201
    patrons.delete(system_identity(), desk["pid"])
    assert db.session.query(HistoryEntry).filter_by(patron_pid=desk["pid"]).count() == 0
