"""Every setting the README documents is set through ``INVENIO_<KEY>`` and used.

The list comes from the README's configuration table: a newly documented setting
without a check here (or without environment support) fails. Apps are built
without touching a service, except the lockout test, which counts failures in
the Redis database of this test run (``INVENIO_LOGIN_REDIS_URL``).
"""

import base64
import hashlib
import hmac
import re
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask.sessions import SecureCookieSessionInterface
from flask_security.utils import get_hmac
from invenio_db import db
from passlib.hash import pbkdf2_sha512
from sqlalchemy import event
from sqlalchemy.exc import ProgrammingError

from rero_ils_users import config as defaults
from rero_ils_users import i18n
from rero_ils_users.accounts import caller, lockout, passwords
from rero_ils_users.accounts.passwords import checked_password, policy_errors
from rero_ils_users.clock import zone
from rero_ils_users.errors import TooManyAttempts, ValidationError
from rero_ils_users.factory import create_app, env_config
from rero_ils_users.history.service import cutoff
from rero_ils_users.importing import cli as importing_cli
from rero_ils_users.jobs import lock as job_lock
from rero_ils_users.jobs import purge_audit
from rero_ils_users.privacy import erasure, ratelimit
from rero_ils_users.records import ping
from rero_ils_users.records.refs import base_url
from rero_ils_users.records.search import current_search
from rero_ils_users.settings import SettingError

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def documented_settings():
    """The ``INVENIO_<KEY>`` keys of the README's configuration table, in order."""
    section = (ROOT / "README.md").read_text().split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `INVENIO_")]
    return [key for row in rows for key in re.findall(r"`INVENIO_([A-Z0-9_]+)`", row.split("|")[1])]


DOCUMENTED = documented_settings()


def redis_kwargs(client):
    kwargs = client.connection_pool.connection_kwargs
    return kwargs["host"], kwargs["port"], kwargs["db"]


def uses_database(app):
    url = db.engine.url
    assert (url.host, url.port, url.database) == ("db.example.org", 5433, "ils")


def uses_search_hosts(app):
    hosts = [{"host": "search-a", "port": 9201}, {"host": "search-b", "port": 9202}]
    assert current_search.client.transport.hosts == hosts


def uses_index_prefix(app):
    assert current_search.alias("patrons") == "site2-patrons"


def uses_broker(app):
    assert app.extensions["celery"].conf.broker_url == "amqp://guest:guest@mq.example.org:5672//"


def runs_tasks_eagerly(app):
    assert app.extensions["celery"].conf.task_always_eager is True


def uses_mail_server(app):
    assert app.extensions["mail"].server == "smtp.example.org"


def uses_mail_port(app):
    assert app.extensions["mail"].port == 2525


def uses_mail_sender(app):
    assert app.extensions["mail"].default_sender == "Library <library@example.org>"


def signs_with_secret_key(app):
    assert app.secret_key == "20260101"  # digits stay text: an int would break signing
    signer = SecureCookieSessionInterface().get_signing_serializer(app)  # as CSRF and reset tokens
    assert signer.loads(signer.dumps({"a": 1})) == {"a": 1}


def hashes_with_salt(app):
    expected = base64.b64encode(hmac.new(b"31415926", b"Secret123", hashlib.sha512).digest())
    assert get_hmac("Secret123") == expected


def imports_in_batches_of(app):
    # read by the import command (importing/cli.py, tests/api/test_import_bulk.py): a number
    assert app.config["IMPORT_BATCH_SIZE"] == 50


def imports_with_processes(app):
    # read by the import command (importing/cli.py): how many writer processes
    with app.app_context():
        assert importing_cli._jobs() == 3


def verifies_legacy_hashes_with(app):
    signed = base64.b64encode(hmac.new(b"their-salt", b"Secret123", hashlib.sha512).digest())
    user = type("Account", (), {"password": pbkdf2_sha512.hash(signed)})()
    assert passwords.verify_and_update("Secret123", user) and user.password.startswith("$argon2")


def links_to_base_url(app):
    with app.test_request_context(base_url="http://elsewhere.test"):
        assert base_url() == "https://bib.example.org"


def secure_cookies(app):
    assert app.session_interface.get_cookie_secure(app) is True


def trusts_hosts(app):
    # enforced while SERVER_BASE_URL is unset (the environment of this check)
    client = app.test_client()
    assert client.get("/api/", headers={"Host": "bib.example.org:8443"}).status_code == 200
    assert client.get("/api/", headers={"Host": "localhost"}).status_code == 400


def sends_csp(app):
    assert app.test_client().get("/api/").headers["Content-Security-Policy"] == "default-src 'none'"


def sends_referrer_policy(app):
    assert app.test_client().get("/api/").headers["Referrer-Policy"] == "no-referrer"


def sessions_in_redis(app):
    assert redis_kwargs(app.session_interface.client) == ("sessions.example.org", 6380, 2)


def counts_logins_in_redis(app):
    assert redis_kwargs(lockout._redis()) == ("login.example.org", 6381, 3)


def locks_jobs_in_redis(app):
    assert redis_kwargs(job_lock._client()) == ("jobs.example.org", 6382, 5)


def uses_time_zone(app):
    assert zone() == ZoneInfo("America/New_York")


def uses_min_length(app):
    assert policy_errors("Abc12") == ["The password must be at least 6 characters long."]
    assert checked_password("Abcd12") == "Abcd12"  # Flask-Security's own check follows (its default is 8)
    assert app.config["SECURITY_PASSWORD_LENGTH_MIN"] == 6


def requires_special(app):
    assert policy_errors("Secret123") == ["The password must contain a special character."]


def reminds_days_before(app):
    # read by the expiry job (jobs/expire.py, tests/jobs): a number of days, not text
    assert app.config["PATRON_EXPIRY_REMINDER_DAYS"] == 45


def purges_after_months(app):
    assert cutoff("2026-08-31") == datetime(2026, 5, 31, tzinfo=zone())


def registration_tokens_last(app):
    # read when a registration token is checked (users/service.py, tests/security): seconds
    assert app.config["REGISTRATION_TOKEN_MAX_AGE"] == 60


def limits_attempts(app):
    assert lockout.max_attempts() == 3


def locks_out_for(app):
    assert lockout.window() == 900


def purges_audit_after_months(app):
    assert purge_audit.cutoff("2026-08-31") == datetime(2026, 2, 28, tzinfo=zone())


def keeps_orphans_for(app):
    assert erasure.retention() == timedelta(days=7)


def limits_exports(app):
    from limits import parse

    assert parse(app.config["EXPORT_RATE_LIMIT"]) == parse("2 per minute")


def counts_rate_limits_in_redis(app):
    assert redis_kwargs(ratelimit._limiter().storage.storage) == ("limits.example.org", 6383, 4)


def creates_indexes_with_replicas(app):
    assert current_search.replicas == 2
    assert current_search.with_replicas({"settings": {"index": {"number_of_shards": 1}}})["settings"]["index"] == {
        "number_of_shards": 1,
        "number_of_replicas": 2,
    }


def drains_the_queue_on_write(app):
    assert app.config["INDEX_QUEUE_DRAIN_ON_WRITE"] == 50


def uses_engine_options(app):
    assert db.engine.pool._pre_ping is False and db.engine.pool.size() == 3
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"options": "-c timezone=UTC"}


def plans_the_caller_query_each_time(app):
    # accounts/caller.py: the plain statement, nothing prepared on the connection
    sent = []
    with app.app_context():
        listen = lambda conn, cursor, statement, *args: sent.append(statement)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            caller._query(caller.USER, {"key": -1, "organisation": None})
        except ProgrammingError:  # this test's database has no tables: the statement is what counts
            pass
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
            db.session.rollback()
    assert len(sent) == 1 and sent[0].startswith("SELECT accounts_user.id"), sent


def pings_connections_idle_for(app):
    # records/ping.py: a connection back in the pool for less than 5 s is lent unpinged
    with app.app_context():
        pinged = []
        real = db.engine.dialect.do_ping
        db.engine.dialect.do_ping = lambda connection: pinged.append(connection) or real(connection)
        try:
            for _ in range(2):
                with db.engine.connect() as connection:
                    connection.exec_driver_sql("SELECT 1")
            assert pinged == []
            for back, expected in ((2, 0), (5.5, 1)):  # idle 2 s: not pinged (1 s would be); 5.5 s: pinged
                for record in list(db.engine.pool._pool.queue):
                    record.info[ping.IDLE_SINCE] -= back
                with db.engine.connect() as connection:
                    connection.exec_driver_sql("SELECT 1")
                assert len(pinged) == expected
        finally:
            db.engine.dialect.do_ping = real


def offers_languages(app):
    with app.test_request_context("/", headers={"Accept-Language": "it, de;q=0.5"}):
        assert i18n.languages() == ["fr", "de"] and i18n.current_language() == "de"  # no Italian offered


def defaults_to_language(app):
    with app.test_request_context("/api/", headers={"Accept-Language": "es"}):
        assert i18n.current_language() == "fr"


# documented key -> (environment text, check in the built app's context)
CHECKS = {
    "SQLALCHEMY_DATABASE_URI": ("postgresql+psycopg2://u:p@db.example.org:5433/ils", uses_database),
    "SEARCH_HOSTS": ("['http://search-a:9201', 'http://search-b:9202']", uses_search_hosts),
    "SEARCH_INDEX_PREFIX": ("site2-", uses_index_prefix),
    "CELERY_BROKER_URL": ("amqp://guest:guest@mq.example.org:5672//", uses_broker),
    "CELERY_TASK_ALWAYS_EAGER": ("true", runs_tasks_eagerly),
    "MAIL_SERVER": ("smtp.example.org", uses_mail_server),
    "MAIL_PORT": ("2525", uses_mail_port),
    "MAIL_DEFAULT_SENDER": ("Library <library@example.org>", uses_mail_sender),
    "SECRET_KEY": ("20260101", signs_with_secret_key),
    "SECURITY_PASSWORD_SALT": ("31415926", hashes_with_salt),
    "SERVER_BASE_URL": ("https://bib.example.org/", links_to_base_url),
    "SESSION_COOKIE_SECURE": ("True", secure_cookies),
    "SESSION_REDIS_URL": ("redis://sessions.example.org:6380/2", sessions_in_redis),
    "TRUSTED_HOSTS": ("bib.example.org, .example.net", trusts_hosts),
    "CONTENT_SECURITY_POLICY": ("default-src 'none'", sends_csp),
    "REFERRER_POLICY": ("no-referrer", sends_referrer_policy),
    "LOGIN_REDIS_URL": ("redis://login.example.org:6381/3", counts_logins_in_redis),
    "LOGIN_MAX_ATTEMPTS": ("3", limits_attempts),
    "LOGIN_LOCKOUT": ("900", locks_out_for),
    "REGISTRATION_TOKEN_MAX_AGE": ("60", registration_tokens_last),
    "JOBS_LOCK_REDIS_URL": ("redis://jobs.example.org:6382/5", locks_jobs_in_redis),
    "TIME_ZONE": ("America/New_York", uses_time_zone),
    "PASSWORD_MIN_LENGTH": ("6", uses_min_length),
    "PASSWORD_REQUIRE_SPECIAL": ("true", requires_special),
    "PATRON_EXPIRY_REMINDER_DAYS": ("45", reminds_days_before),
    "HISTORY_MAX_AGE_MONTHS": ("3", purges_after_months),
    "AUDIT_MAX_AGE_MONTHS": ("6", purges_audit_after_months),
    "ORPHAN_RETENTION_DAYS": ("7", keeps_orphans_for),
    "EXPORT_RATE_LIMIT": ("2 per minute", limits_exports),
    "RATE_LIMIT_REDIS_URL": ("redis://limits.example.org:6383/4", counts_rate_limits_in_redis),
    "SEARCH_NUMBER_OF_REPLICAS": ("2", creates_indexes_with_replicas),
    "INDEX_QUEUE_DRAIN_ON_WRITE": ("50", drains_the_queue_on_write),
    "SQLALCHEMY_ENGINE_OPTIONS": ("{'pool_pre_ping': False, 'pool_size': 3}", uses_engine_options),
    "DB_PREPARED_STATEMENTS": ("False", plans_the_caller_query_each_time),
    "DB_PING_IDLE_SECONDS": ("5", pings_connections_idle_for),
    "IMPORT_BATCH_SIZE": ("50", imports_in_batches_of),
    "IMPORT_JOBS": ("3", imports_with_processes),
    "LEGACY_PASSWORD_SALT": ("their-salt", verifies_legacy_hashes_with),
    "I18N_LANGUAGES": ("fr, de", offers_languages),
    "I18N_DEFAULT": ("fr", defaults_to_language),
}


def test_the_readme_documents_settings():
    assert len(DOCUMENTED) >= 20 and len(set(DOCUMENTED)) == len(DOCUMENTED)


@pytest.mark.parametrize("key", DOCUMENTED)
def test_documented_setting_is_used_from_the_environment(key, monkeypatch):
    assert key in CHECKS, f"INVENIO_{key} is documented in README.md but has no check here"
    assert hasattr(defaults, key), f"{key} is documented but has no default in config.py"
    text, check = CHECKS[key]
    monkeypatch.setenv(f"INVENIO_{key}", text)
    app = create_app()
    with app.app_context():
        check(app)


def test_every_check_is_of_a_documented_setting():
    assert sorted(set(CHECKS) - set(DOCUMENTED)) == []


def test_docs_name_only_settings_of_the_table():
    mentioned = {key for page in DOCS for key in re.findall(r"INVENIO_([A-Z][A-Z0-9_]*)", page.read_text())}
    assert sorted(mentioned - set(DOCUMENTED)) == []


def test_lockout_from_the_environment_locks_for_that_long(monkeypatch):
    """The bug of issue 9: ``INVENIO_LOGIN_LOCKOUT=900`` broke the first failed login."""
    monkeypatch.setenv("INVENIO_LOGIN_LOCKOUT", "900")
    monkeypatch.setenv("INVENIO_LOGIN_MAX_ATTEMPTS", "2")
    app = create_app()
    login = f"env-{uuid.uuid4().hex}"
    with app.app_context():
        try:
            assert lockout.fail(login) is False
            assert lockout.fail(login) is True
            with pytest.raises(TooManyAttempts):
                lockout.check(login)
            assert lockout.locked_until(login) == pytest.approx(time.time() + 900, abs=5)
        finally:
            lockout.reset(login)


# --- how an environment text becomes a value (factory.env_config) ---------------

def as_text(value):
    """How a default is written in the environment."""
    if isinstance(value, str):
        return value
    if isinstance(value, timedelta):
        return str(int(value.total_seconds()))
    return repr(value)


# its schedules are celery crontabs, no Python literal: from the environment, a
# dict whose schedules are seconds (what Celery also accepts)
NOT_LITERAL = {"CELERY_BEAT_SCHEDULE"}


@pytest.mark.parametrize("key", sorted(k for k in vars(defaults) if k.isupper() and k not in NOT_LITERAL))
def test_every_default_can_be_written_in_the_environment(key):
    default = getattr(defaults, key)
    assert env_config({f"INVENIO_{key}": as_text(default)}) == {key: default}


@pytest.mark.parametrize(
    "key, text, value",
    [
        ("SECRET_KEY", "123456", "123456"),
        ("SECRET_KEY", "'quoted'", "quoted"),
        ("SEARCH_INDEX_PREFIX", "None", "None"),
        ("PASSWORD_REQUIRE_SPECIAL", "false", False),
        ("PASSWORD_REQUIRE_SPECIAL", "Yes", True),
        ("PASSWORD_REQUIRE_SPECIAL", "0", False),
        ("LOGIN_LOCKOUT", "90.5", timedelta(seconds=90.5)),
        ("MONITORING_TIMEOUT", "2", 2.0),
        ("SEARCH_HOSTS", "http://a:9200, http://b:9200", ["http://a:9200", "http://b:9200"]),
        ("SESSION_REDIS_URL", "redis://h:6379/2", "redis://h:6379/2"),
        ("WTF_CSRF_TIME_LIMIT", "3600", 3600),
        ("TESTING", "True", True),  # not in config.py: a Python literal
    ],
)
def test_environment_text_takes_the_type_of_the_default(key, text, value):
    assert env_config({f"INVENIO_{key}": text}) == {key: value}
    assert type(env_config({f"INVENIO_{key}": text})[key]) is type(value)


@pytest.mark.parametrize(
    "key, text",
    [
        ("LOGIN_LOCKOUT", "15 minutes"),
        ("LOGIN_LOCKOUT", "0"),
        ("LOGIN_LOCKOUT", "True"),
        ("LOGIN_MAX_ATTEMPTS", "five"),
        ("MAIL_PORT", "25.5"),
        ("PASSWORD_REQUIRE_SPECIAL", "maybe"),
        ("SECURITY_EMAIL_VALIDATOR_ARGS", "check_deliverability"),
    ],
)
def test_a_wrong_environment_value_is_refused_by_name(key, text):
    with pytest.raises(SettingError, match=f"INVENIO_{key}"):
        env_config({f"INVENIO_{key}": text})


@pytest.mark.parametrize(
    "config, message",
    [
        ({"LOGIN_LOCKOUT": "900"}, "LOGIN_LOCKOUT"),
        ({"LOGIN_MAX_ATTEMPTS": 0}, "LOGIN_MAX_ATTEMPTS"),
        ({"PASSWORD_MIN_LENGTH": "8"}, "PASSWORD_MIN_LENGTH"),
        ({"PASSWORD_MIN_LENGTH": 300}, "PASSWORD_MIN_LENGTH"),
        ({"PASSWORD_REQUIRE_SPECIAL": "False"}, "PASSWORD_REQUIRE_SPECIAL"),
        ({"SECURITY_PASSWORD_LENGTH_MIN": 10}, "set PASSWORD_MIN_LENGTH instead"),
        ({"SESSION_COOKIE_SECURE": "maybe"}, "SESSION_COOKIE_SECURE"),
    ],
)
def test_a_wrong_python_setting_stops_the_app_at_start(config, message):
    with pytest.raises(SettingError, match=message):
        create_app(config)


def test_python_config_keeps_timedelta_and_accepts_seconds():
    for value in (timedelta(minutes=2), 120):
        app = create_app({"LOGIN_LOCKOUT": value})
        with app.app_context():
            assert lockout.window() == 120


def test_password_min_length_is_the_one_rule(monkeypatch):
    monkeypatch.setenv("INVENIO_PASSWORD_MIN_LENGTH", "12")
    app = create_app()
    with app.app_context():
        assert app.config["SECURITY_PASSWORD_LENGTH_MIN"] == 12
        with pytest.raises(ValidationError, match="at least 12"):
            checked_password("Abcdefgh123")
        assert checked_password("Abcdefgh1234") == "Abcdefgh1234"


def test_pooled_connections_are_pinged_by_default():
    """A connection that died with a database restart is replaced before use: the one
    idle for more than a second (records/ping.py), not every one (SQLAlchemy's pre-ping)."""
    app = create_app()
    with app.app_context():
        assert ping.LIMITS[db.engine] == 1.0 and db.engine.pool._pre_ping is False
