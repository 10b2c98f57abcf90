"""Reliability tests: a live server (tests/live.py) hit by threads, each with its own
HTTP session, and faults on PRIVATE PostgreSQL, Redis and OpenSearch instances
started here with scripts/services on other ports (the shared ones stay untouched)."""

import os
import subprocess
import threading
from pathlib import Path

import pytest
import requests

from tests.helpers import PASSWORD
from tests.live import served

ROOT = Path(__file__).resolve().parents[2]
SERVICES = str(ROOT / "scripts" / "services")
STATE = os.environ.get("RERO_RELIABILITY_STATE", "/tmp/rero-ils-users-reliability")


@pytest.fixture(scope="module")
def app_config(app_config):
    # a live server answers like production: an exception becomes the error handlers' answer
    return {**app_config, "PROPAGATE_EXCEPTIONS": False}


@pytest.fixture(autouse=True)
def fresh(clean, no_lockouts):
    """Every test starts from empty tables and indexes, the default matrix, no lockouts."""


@pytest.fixture(scope="module")
def live(app):
    with served(app) as url:
        yield url


def services(*args, timeout=300):
    """``scripts/services ARGS`` with this suite's own state dir (private instances only)."""
    env = {**os.environ, "RERO_STATE_DIR": STATE, "RERO_OPENSEARCH_TIMEOUT": "240"}
    done = subprocess.run([SERVICES, *args], env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def logged_in(url, username, password=PASSWORD):
    """A ``requests.Session`` logged in through ``POST /api/login``."""
    session = requests.Session()
    res = session.post(f"{url}/api/login", json={"login": username, "password": password}, timeout=30)
    assert res.status_code == 200, res.text
    session.headers["X-CSRF-Token"] = res.json()["csrf_token"]
    return session


def at_once(calls):
    """Run every ``call()`` in its own thread, released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001  (reported as a result, the test decides)
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def bearer(user_id, name="reliability"):
    """A ``requests.Session`` authenticated by a new API token of ``user_id``."""
    from invenio_db import db

    from rero_ils_users.accounts import tokens
    from rero_ils_users.accounts.models import User

    token = tokens.create(db.session.get(User, user_id), name)
    db.session.commit()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session
