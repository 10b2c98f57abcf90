"""The app served on a free loopback port, in a background thread (browser and race tests)."""

import threading
from contextlib import contextmanager

from werkzeug.serving import make_server


@contextmanager
def served(app):
    """Yield the base URL of ``app`` served on 127.0.0.1; stop the server afterwards.

    It is plain http: the session cookie cannot be ``Secure`` (the tests' https
    ``SERVER_BASE_URL`` would make it so, and clients would never send it back)."""
    secure = app.config.get("SESSION_COOKIE_SECURE")
    app.config["SESSION_COOKIE_SECURE"] = False
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        app.config["SESSION_COOKIE_SECURE"] = secure
