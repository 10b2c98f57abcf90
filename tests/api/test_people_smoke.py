"""The desk's two steps, create the user then the patron record, through the API."""

from tests.helpers import make_desk, record_data, user_data


def test_librarian_registers_a_patron(client):
    desk = make_desk(client, ptype=True)
    res = client.post("/api/users/", json=user_data(password=None, email="Zoe.Muller@example.org", first_name="Zoë", last_name="Müller"))
    assert res.status_code == 201, res.get_json()
    user = res.get_json()
    assert user["generated_password"]
    res = client.post("/api/patrons/", json=record_data(user["id"], desk.org, ["patron"], ptype=desk.ptype))
    assert res.status_code == 201, res.get_json()
    pid = res.get_json()["id"]
    assert res.headers["ETag"] == '"1"'
    hits = client.get("/api/patrons/?q=muller").get_json()["hits"]
    assert [h["id"] for h in hits["hits"]] == [pid]
    found = client.get("/api/users/?q=zoe.muller@EXAMPLE.org").get_json()["hits"]
    assert found["total"]["value"] == 1
