"""The foundation talks to the real services: PostgreSQL, OpenSearch, Redis."""

import pytest
from invenio_db import db

from rero_ils_users.errors import ValidationError
from rero_ils_users.organisations.api import Organisation
from rero_ils_users.records import schemas
from rero_ils_users.records.search import current_search


def test_app_serves_api_root_and_page(client):
    body = client.get("/api/").get_json()
    assert body["name"] == "rero-ils-users"
    assert body["links"]["patrons"].endswith("/api/patrons/")
    page = client.get("/")
    assert page.status_code == 200 and b"rero-ils-users" in page.data


def test_schema_validates_and_rejects(app):
    schemas.validate("organisations/organisation-v1.0.0.json", {"name": "Net", "code": "net"})
    with pytest.raises(ValidationError) as info:
        schemas.validate("organisations/organisation-v1.0.0.json", {"code": "bad code!", "colour": 1})
    fields = {e.field for e in info.value.errors}
    assert fields == {"name", "code", "colour"}


def test_database_round_trips_a_record_in_postgresql(app):
    assert db.engine.name == "postgresql", "tests must run on PostgreSQL (scripts/test)"
    record = Organisation.create({"name": "Réseau", "code": "res"}, code="res")
    db.session.commit()
    db.session.expunge_all()
    again = Organisation.get_by_pid(record.pid)
    assert again["name"] == "Réseau" and again.revision == 1
    again["name"] = "Réseau 2"
    again.commit()
    db.session.commit()
    assert Organisation.get_by_pid(record.pid).revision == 2
    assert [r["name"] for r in Organisation.get_by_pid(record.pid).revisions] == ["Réseau", "Réseau 2"]


def test_index_created_document_indexed_and_found(app):
    client = current_search.client
    alias = current_search.alias("organisations")
    assert client.indices.exists_alias(name=alias)
    client.index(index=alias, id="x1", body={"pid": "x1", "name": "Bibliothèque Zoë", "code": "z"}, refresh=True)
    hits = client.search(index=alias, body={"query": {"match": {"name": "bibliotheque zoe"}}})["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["x1"]


def test_celery_task_runs_through_a_real_worker_on_redis(app):
    from celery.contrib.testing.worker import start_worker

    from rero_ils_users.jobs.tasks import ping

    celery = app.extensions["celery"]
    assert celery.conf.broker_url.startswith("redis://")
    with start_worker(celery, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        assert ping.delay("pong").get(timeout=20) == "pong"
