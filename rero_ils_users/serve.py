"""``rero-ils-users run``: the app served by gunicorn, as in production.

Each worker builds its own app after the fork (no preloading), so database
pools, OpenSearch and Redis clients are never shared between processes.
"""

import os

from gunicorn.app.base import BaseApplication


def default_workers():
    """One worker per core this process may use."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class Server(BaseApplication):
    """gunicorn with its options given here, not read from the command line."""

    def __init__(self, factory, options):
        self.factory, self.options = factory, options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.factory()


def serve(factory, host, port, workers, timeout=60):
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "timeout": timeout,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "rero-ils-users",
    }
    Server(factory, options).run()
