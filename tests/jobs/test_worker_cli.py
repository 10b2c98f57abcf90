"""``rero-ils-users worker --beat`` starts a Celery worker (and beat) that serves
tasks from the Redis broker: started as a real process, stopped by its pid."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rero_ils_users.jobs.tasks import ping


@pytest.fixture(autouse=True)
def fresh():
    """Not the ``clean`` of tests/jobs/conftest.py: this test reads and writes no data."""


@pytest.fixture()
def worker_process(app, tmp_path):
    env = dict(os.environ)
    env["INVENIO_CELERY_BROKER_URL"] = app.config["CELERY_BROKER_URL"]
    env["INVENIO_CELERY_RESULT_BACKEND"] = app.config["CELERY_RESULT_BACKEND"]
    env["INVENIO_SQLALCHEMY_DATABASE_URI"] = app.config["SQLALCHEMY_DATABASE_URI"]
    command = [str(Path(sys.executable).with_name("rero-ils-users")), "worker", "--beat", "-c", "1"]
    command += ["--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")]
    log = open(tmp_path / "worker.log", "w+")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    yield process, log
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    log.close()


def test_worker_with_beat_serves_tasks(worker_process):
    process, log = worker_process
    assert ping.delay("from-the-cli-worker").get(timeout=60) == "from-the-cli-worker"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        log.seek(0)
        output = log.read()
        if "beat: Starting" in output:
            break
        time.sleep(0.2)  # polling the log of another process, not time travel
    assert "beat: Starting" in output, output[-2000:]
    assert process.poll() is None
