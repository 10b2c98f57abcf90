"""Application factory: defaults, then ``INVENIO_*`` environment, then ``config``."""

import ast
import os

from flask import Flask

from . import config as defaults
from .ext import ReroIlsUsers

ENV_PREFIX = "INVENIO_"


def _parse(value):
    """A Python literal when it is one (``True``, ``5``, ``['a']``), else the string."""
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def env_config(environ=None):
    """The ``INVENIO_*`` variables of ``environ`` as config keys."""
    environ = os.environ if environ is None else environ
    return {k[len(ENV_PREFIX):]: _parse(v) for k, v in environ.items() if k.startswith(ENV_PREFIX)}


def create_app(config=None):
    """Build the Flask application."""
    app = Flask("rero_ils_users", instance_relative_config=True)
    app.config.from_object(defaults)
    app.config.update(env_config())
    app.config.update(config or {})
    ReroIlsUsers(app)
    return app
