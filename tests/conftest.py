"""Fixtures shared by every test. API, job and UI tests run against the real
PostgreSQL, OpenSearch and Redis started by ``scripts/services``."""

import os

import pytest
import redis
from invenio_db import db as _db

from rero_ils_users.accounts import lockout
from rero_ils_users.factory import create_app as _create_app
from rero_ils_users.permissions import matrix
from rero_ils_users.records.search import current_search
from tests.smtp import start_sink


def pytest_configure(config):
    """The fixtures drop tables and empty indexes: refuse to run on the configuration's
    defaults (the production database, every index of an unprefixed OpenSearch)."""
    if not os.environ.get("INVENIO_SQLALCHEMY_DATABASE_URI") or not os.environ.get("INVENIO_SEARCH_INDEX_PREFIX"):
        pytest.exit(
            "Set INVENIO_SQLALCHEMY_DATABASE_URI and INVENIO_SEARCH_INDEX_PREFIX (scripts/test does): "
            "the tests drop tables and empty indexes, never of the default installation.",
            returncode=2,
        )


@pytest.fixture(scope="module")
def create_app():
    return lambda **config: _create_app(config)


@pytest.fixture(scope="module")
def app_config():
    """Only what tests need on top of the environment (``INVENIO_*`` from scripts/test)."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SEARCH_REFRESH": True,
        "SERVER_BASE_URL": "https://ils.example.org",
        # session logins of tests.helpers.login send no X-CSRF-Token; CSRF is enforced
        # and tested in tests/api/test_accounts_csrf.py (which turns it back on)
        "WTF_CSRF_ENABLED": False,
        # still argon2, with the cheapest parameters: a login costs ~1 ms instead of ~0.4 s
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {"argon2__rounds": 1, "argon2__memory_cost": 1024, "argon2__parallelism": 1},
        "CELERY_RESULT_BACKEND": os.environ.get("INVENIO_CELERY_BROKER_URL", "redis://127.0.0.1:6379/1"),
    }


@pytest.fixture(scope="module")
def database(appctx):
    """pytest-invenio's ``database``, but first dropping what an interrupted run left: a
    table of an older schema would survive ``create_all`` and fail every test."""
    from sqlalchemy_utils.functions import create_database, database_exists

    url = _db.engine.url.render_as_string(hide_password=False)
    if not database_exists(url):
        create_database(url)
    if _db.engine.name == "postgresql":
        from sqlalchemy.ext.compiler import compiles
        from sqlalchemy.schema import CreateTable

        @compiles(CreateTable)
        def _unlogged(element, compiler, **kwargs):
            return compiler.visit_create_table(element).replace("CREATE TABLE ", "CREATE UNLOGGED TABLE ")

    _db.drop_all()
    _db.create_all()
    yield _db
    _db.session.remove()
    _db.drop_all()


@pytest.fixture(scope="module")
def search(appctx):
    """Our own indexes (pytest-invenio's fixture wants invenio-search)."""
    current_search.delete()
    current_search.create()
    yield current_search
    current_search.delete()


def _truncate():
    """Empty every table (DELETE beats TRUNCATE on small PostgreSQL tables)."""
    for table in reversed(_db.metadata.sorted_tables):
        _db.session.execute(table.delete())
    _db.session.commit()


def _empty_everything():
    """Empty tables and indexes, then the default matrix.

    Pid counters are not reset: a pid is never reused, as in production (the
    index keeps versioned tombstones of deleted documents for a while)."""
    _db.session.rollback()
    _truncate()
    current_search.client.delete_by_query(
        index=f"{current_search.prefix}*", body={"query": {"match_all": {}}}, refresh=True, conflicts="proceed"
    )
    matrix.load_defaults()
    _db.session.commit()


@pytest.fixture()
def clean(app):
    """Each test starts alike: empty tables and indexes, the default matrix.
    Every API and job test has it (the ``fresh`` fixtures of tests/api and tests/jobs)."""
    _empty_everything()
    yield
    _db.session.rollback()


@pytest.fixture(scope="module")
def clean_module(app):
    """``clean`` once for a whole module, for data that is built once per module
    (tests/api/test_permissions_table.py)."""
    _empty_everything()
    yield
    _db.session.rollback()


@pytest.fixture(scope="module")
def smtp():
    """A real SMTP sink on loopback for the module (point MAIL_PORT at ``smtp.port``)."""
    sink, controller = start_sink()
    yield sink
    controller.stop()


@pytest.fixture()
def no_lockouts(app):
    """Forget every failed login attempt, rate-limit count and session of this
    installation (``*_REDIS_URL`` of the test run; the prefix keeps other installations' keys)."""
    for url in {app.config["RATE_LIMIT_REDIS_URL"], app.config["LOGIN_REDIS_URL"]}:
        other = redis.Redis.from_url(url)
        for key in other.scan_iter(f"{lockout.key_prefix()}:*"):
            other.delete(key)
    client = redis.Redis.from_url(app.config["LOGIN_REDIS_URL"])
    yield client
