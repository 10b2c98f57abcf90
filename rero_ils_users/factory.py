"""Application factory: defaults, then ``INVENIO_*`` environment, then ``config``."""

import os

from flask import Flask

from . import config as defaults
from .accounts import lockout, passwords
from .ext import ReroIlsUsers
from .records import fastjson
from .settings import SettingError, from_text

ENV_PREFIX = "INVENIO_"
# Flask-Security's name for one of our rules: set from ours, never on its own
DERIVED = {"SECURITY_PASSWORD_LENGTH_MIN": "PASSWORD_MIN_LENGTH"}
# what invenio-db adds for PostgreSQL only when no engine options are set (ours are)
POSTGRESQL_CONNECT_ARGS = {"options": "-c timezone=UTC"}


def env_config(environ=None):
    """The ``INVENIO_*`` variables of ``environ`` as config keys, each typed like
    its default in ``config.py`` (``settings.from_text``)."""
    environ = os.environ if environ is None else environ
    return {
        k[len(ENV_PREFIX):]: from_text(k, v, getattr(defaults, k[len(ENV_PREFIX):], None))
        for k, v in environ.items()
        if k.startswith(ENV_PREFIX)
    }


def _settle(app):
    """Check the typed settings now (not at the first request that reads one) and
    derive Flask-Security's keys from ours."""
    for key, source in DERIVED.items():
        if key in app.config:
            raise SettingError(f"{key} follows {source}: set {source} instead.")
    _derive_web_settings(app)
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"] or {})
    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgres"):
        options.setdefault("connect_args", POSTGRESQL_CONNECT_ARGS)
    options.setdefault("json_serializer", fastjson.dumps)
    options.setdefault("json_deserializer", fastjson.loads)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    with app.app_context():
        lockout.window()
        lockout.max_attempts()
        passwords.require_special()
        app.config["SECURITY_PASSWORD_LENGTH_MIN"] = passwords.min_length()


def _derive_web_settings(app):
    """``SESSION_COOKIE_SECURE`` follows an https ``SERVER_BASE_URL`` unless set; the Host
    header is checked against ``TRUSTED_HOSTS`` only while links are built from it (no
    ``SERVER_BASE_URL``)."""
    config = app.config
    secure = config.get("SESSION_COOKIE_SECURE")
    if isinstance(secure, str):  # a None default reads "true" as text
        secure = from_text("INVENIO_SESSION_COOKIE_SECURE", secure, False)
    if secure is None:
        secure = (config.get("SERVER_BASE_URL") or "").lower().startswith("https://")
    config["SESSION_COOKIE_SECURE"] = secure
    if config.get("SERVER_BASE_URL"):
        config["TRUSTED_HOSTS"] = None


def create_app(config=None):
    """Build the Flask application."""
    app = Flask("rero_ils_users", instance_relative_config=True)
    app.config.from_object(defaults)
    app.config.update(env_config())
    app.config.update(config or {})
    _settle(app)
    ReroIlsUsers(app)
    return app
