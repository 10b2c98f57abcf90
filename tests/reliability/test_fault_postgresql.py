"""PostgreSQL (a PRIVATE cluster on port 5442) restarted under load: during the
restart requests answer a JSON 503 (never a 500), and every request after it
succeeds: pooled connections that died with the server are replaced (records/ping.py)."""

import threading
import time

import pytest

from tests.helpers import make_desk, make_patron_type, ref

from .conftest import bearer, services

PORT = 5442
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def private_postgresql():
    services("start", "postgresql", "--port", str(PORT))
    yield f"postgresql+psycopg2://rero:rero@127.0.0.1:{PORT}/rero_ils_users"
    services("stop", "postgresql", "--port", str(PORT))


@pytest.fixture(scope="module")
def app_config(app_config, private_postgresql):
    return {**app_config, "SQLALCHEMY_DATABASE_URI": private_postgresql}


def test_postgresql_restarted_under_load(live):
    desk = make_desk()
    ptype = make_patron_type(desk.org)
    clients = [bearer(desk.librarian, f"load{i}") for i in range(3)]
    seen, lock, stop = [], threading.Lock(), threading.Event()

    def load(i, client):
        n = 0
        while not stop.is_set():
            n += 1
            if i == 0:
                res = client.post(f"{live}/api/patron_types/", json={"name": f"Load {n}", "organisation": ref("organisations", desk.org)}, timeout=60)
            else:
                res = client.get(f"{live}/api/patron_types/{ptype}", timeout=60)
            body = res.json() if res.headers.get("Content-Type", "").startswith("application/json") else None
            with lock:
                seen.append((time.monotonic(), res.status_code, body))

    threads = [threading.Thread(target=load, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    restart_started = time.monotonic()
    services("stop", "postgresql", "--port", str(PORT))
    time.sleep(1)
    services("start", "postgresql", "--port", str(PORT))
    restarted = time.monotonic()
    time.sleep(4)
    stop.set()
    for thread in threads:
        thread.join(60)

    statuses = {s for _, s, _ in seen}
    assert statuses <= {200, 201, 503}, sorted(statuses)
    during = [(s, b) for t, s, b in seen if restart_started <= t <= restarted]
    unavailable = [b for s, b in during if s == 503]
    assert unavailable, "requests during the restart saw it"
    assert all(b == {"status": 503, "message": "The database is unavailable; try again in a moment."} for b in unavailable)
    after = [s for t, s, _ in seen if t > restarted + 0.5]
    assert after and set(after) <= {200, 201}, after
    assert all(s in (200, 201) for s in (c.get(f"{live}/api/patron_types/{ptype}", timeout=30).status_code for c in clients))
    print(
        f"\npostgresql fault: {len(seen)} requests, restart {restarted - restart_started:.1f} s,"
        f" {len(unavailable)} x 503 during it, {len(after)} after it all succeeded"
    )


def test_idle_pooled_connections_survive_a_restart(live):
    """No request sees the restart: the pooled connections died unnoticed, and the
    first requests after it still succeed (without the idle ping each fails once)."""
    desk = make_desk()
    ptype = make_patron_type(desk.org)
    clients = [bearer(desk.librarian, f"idle{i}") for i in range(4)]

    def read_all():
        done = []
        threads = [threading.Thread(target=lambda c=c: done.append(c.get(f"{live}/api/patron_types/{ptype}", timeout=60).status_code)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return sorted(done)

    assert read_all() == [200] * 4  # several pooled connections in use, then idle
    services("stop", "postgresql", "--port", str(PORT))
    services("start", "postgresql", "--port", str(PORT))
    assert read_all() == [200] * 4
