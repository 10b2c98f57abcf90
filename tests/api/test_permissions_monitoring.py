"""GET /api/monitoring/health (monitoring-access) against the real services."""

import pytest

from rero_ils_users.records.search import SearchIndexes
from tests.helpers import login, make_account, make_desk


def test_health_for_monitoring_without_a_worker(client):
    login(client, make_account("monitoring"))
    res = client.get("/api/monitoring/health")
    assert res.status_code == 200
    body = res.get_json()
    assert body["status"] == "up"
    checks = body["checks"]
    assert checks["database"]["status"] == "up" and checks["database"]["engine"] == "postgresql"
    assert checks["index"]["status"] == "up" and checks["index"]["missing"] == []
    assert checks["broker"]["status"] == "up"
    assert checks["worker"] == {"status": "none", "workers": [], "ms": checks["worker"]["ms"]}


def test_health_sees_a_running_worker(app, client):
    from celery.contrib.testing.worker import start_worker

    login(client, make_account("admin"))
    with start_worker(app.extensions["celery"], perform_ping_check=False, pool="solo", loglevel="WARNING"):
        worker = client.get("/api/monitoring/health").get_json()["checks"]["worker"]
    assert worker["status"] == "up" and len(worker["workers"]) == 1


def test_health_reports_what_is_down_with_503(app, client, monkeypatch):
    """Unreachable ports (nothing listens on port 1): real failures, not mocks."""
    login(client, make_account("monitoring"))
    monkeypatch.setitem(app.config, "CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    bad = dict(app.config, SEARCH_HOSTS=["http://127.0.0.1:1"], SEARCH_TIMEOUT=1)
    monkeypatch.setitem(app.extensions, "rero-search", SearchIndexes(type("Cfg", (), {"config": bad})()))
    res = client.get("/api/monitoring/health")
    assert res.status_code == 503
    body = res.get_json()
    assert body["status"] == "down"
    checks = body["checks"]
    assert checks["database"]["status"] == "up"
    assert checks["index"]["status"] == "down" and checks["index"]["error"]
    assert checks["broker"]["status"] == "down" and checks["broker"]["error"]
    assert checks["worker"]["status"] == "unknown"


@pytest.mark.parametrize("roles,status", [(("superuser",), 200), (("document_importer",), 403)])
def test_health_by_account_role(client, roles, status):
    login(client, make_account(*roles))
    assert client.get("/api/monitoring/health").status_code == status


def test_health_refused_to_librarians_and_anonymous(client):
    assert client.get("/api/monitoring/health").status_code == 401
    make_desk(client)  # a pro_full_permissions librarian, logged in
    assert client.get("/api/monitoring/health").status_code == 403
