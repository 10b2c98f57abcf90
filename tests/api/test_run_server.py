"""`rero-ils-users run` serves with gunicorn, in a subprocess on a free loopback port."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

COMMAND = str(Path(sys.executable).with_name("rero-ils-users"))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return requests.get(url, timeout=5)
        except requests.ConnectionError:
            time.sleep(0.3)
    raise AssertionError(f"nothing answered at {url} within {seconds} s")


def test_run_serves_the_api_with_gunicorn_workers(database):
    port = free_port()
    proc = subprocess.Popen(
        [COMMAND, "run", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        response = wait_for(f"http://127.0.0.1:{port}/api/")
        assert response.status_code == 200
        assert response.headers["Server"].startswith("gunicorn")
        assert response.json()
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert output.count("Booting worker") == 2, output


def test_run_with_debug_is_the_development_server(database):
    port = free_port()
    proc = subprocess.Popen(
        [COMMAND, "run", "--port", str(port), "--debug"],
        env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        response = wait_for(f"http://127.0.0.1:{port}/api/")
        assert response.status_code == 200
        assert response.headers["Server"].startswith("Werkzeug")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
