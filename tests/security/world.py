"""What the security tests share: an empty database, callers, the registration
lookup, logins through the public API, and a snapshot of the whole database
(so that one world built per module can be put back after an attack that
changed something)."""

import redis
from flask import current_app
from invenio_db import db
from sqlalchemy import text

from rero_ils_users.accounts import lockout, tokens
from rero_ils_users.accounts import service as accounts
from rero_ils_users.accounts.models import User
from rero_ils_users.errors import NotFound
from rero_ils_users.patrons.service import patrons
from rero_ils_users.permissions import matrix
from rero_ils_users.permissions.needs import system_identity
from rero_ils_users.users.service import users
from tests.helpers import PASSWORD, login, logout, user_data

SNAPSHOT_PREFIX = "_security_snap_"
# written by reads (a token's last use): not a change an attack could make
VOLATILE_TABLES = {"accounts_api_token"}


# --- the database ---------------------------------------------------------------------------
def empty_database():
    """No rows and the default matrix (the module's indexes are new: the ``search`` fixture)."""
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    matrix.load_defaults()
    db.session.commit()


def _tables():
    return [t.name for t in db.metadata.sorted_tables]


def take_snapshot():
    """Copy every table (the database as the world left it)."""
    db.session.commit()
    for name in _tables():
        db.session.execute(text(f'DROP TABLE IF EXISTS "{SNAPSHOT_PREFIX}{name}"'))
        db.session.execute(text(f'CREATE TABLE "{SNAPSHOT_PREFIX}{name}" AS SELECT * FROM "{name}"'))
    db.session.commit()


def restore_snapshot():
    """Every table as it was at ``take_snapshot`` (the search index is not put back)."""
    db.session.rollback()
    names = _tables()
    for name in reversed(names):
        db.session.execute(text(f'DELETE FROM "{name}"'))
    for name in names:
        db.session.execute(text(f'INSERT INTO "{name}" SELECT * FROM "{SNAPSHOT_PREFIX}{name}"'))
    db.session.commit()
    db.session.expire_all()
    matrix.drop_cache()


def drop_snapshot():
    db.session.rollback()
    for name in _tables():
        db.session.execute(text(f'DROP TABLE IF EXISTS "{SNAPSHOT_PREFIX}{name}"'))
    db.session.commit()


def fingerprint():
    """``{table: digest of its rows}`` of every table that an attack could change."""
    db.session.commit()  # see what the requests committed, not this session's cache
    names = [n for n in _tables() if n not in VOLATILE_TABLES]
    query = " UNION ALL ".join(
        f"SELECT '{n}' AS name, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM \"{n}\" t"
        for n in names
    )
    return dict(db.session.execute(text(query)).all())


def changed_tables(before, after):
    return sorted(name for name in before if before[name] != after.get(name))


# --- people -----------------------------------------------------------------------------------
def account_user(username, roles, email=None):
    """An account made with the CLI (account-level roles, no personal data)."""
    account = accounts.create_account(username, PASSWORD, email=email, roles=list(roles))
    db.session.commit()
    return account.id


def add_account_role(user_id, role):
    """Give an existing person an account-level role (as the CLI does)."""
    account = db.session.get(User, user_id)
    account.roles = list(account.roles) + [accounts.role_named(role)]
    db.session.commit()


def api_token(user_id, name="security"):
    token = tokens.create(db.session.get(User, user_id), name)
    db.session.commit()
    return token


def username_of(user_id):
    db.session.expire_all()
    return db.session.get(User, user_id).username


def account_row(user_id):
    """``(username, email, password hash)`` in the database."""
    db.session.expire_all()
    account = db.session.get(User, user_id)
    return (account.username, account.email, account.password) if account else None


def patron_row(pid):
    """``(user_id, organisation, roles, libraries)`` of a patron record in the database, or None."""
    db.session.expire_all()
    try:
        record = patrons.get(system_identity(), pid)
    except NotFound:  # deleted
        return None
    return (
        record["user_id"],
        record["organisation"]["pid"],
        sorted(record["roles"]),
        sorted(lib["pid"] for lib in record.get("libraries", [])),
    )


def user_body(user_id):
    """What a client sends back in ``PUT /api/users/<id>`` (the personal data as read)."""
    return dict(users.read(system_identity(), user_id)["metadata"])


def record_body(pid):
    """What a client sends back in ``PUT /api/patrons/<pid>`` (the record as read)."""
    return dict(patrons.read(system_identity(), pid)["metadata"])


def act_as(client, user_id):
    """The test client's session is ``user_id``'s (None: anonymous)."""
    logout(client)
    if user_id is not None:
        login(client, user_id)


def forget_failed_logins():
    client = redis.Redis.from_url(current_app.config["LOGIN_REDIS_URL"])
    for key in client.scan_iter(f"{lockout.key_prefix()}:login:*"):  # not the sessions beside them
        client.delete(key)


def logs_in(app, login_name, password=PASSWORD):
    """Does ``POST /api/login`` accept these credentials? (a client of its own)"""
    forget_failed_logins()
    with app.test_client() as other:
        res = other.post("/api/login", json={"login": login_name, "password": password})
    return res.status_code == 200


def register_user(client, staff_id, **fields):
    """``POST /api/users/`` as ``staff_id`` (the desk's first step): the new user id."""
    act_as(client, staff_id)
    res = client.post("/api/users/", json=user_data(**fields))
    assert res.status_code == 201, res.get_json()
    return res.get_json()["id"]


def lookup(client, caller_id, q):
    """The registration lookup as ``caller_id``: the response."""
    act_as(client, caller_id)
    return client.get("/api/users/", query_string={"q": q})


def registration_token(client, caller_id, email):
    """The ``metadata.registration_token`` of the lookup hit for ``email`` seen by ``caller_id``
    (None when the hit carries none)."""
    res = lookup(client, caller_id, f"email:{email}")
    hits = res.get_json()["hits"]["hits"] if res.status_code == 200 else []
    return hits[0]["metadata"].get("registration_token") if hits else None


def unknown_user_id():
    """A user id nobody has."""
    db.session.expire_all()
    return (db.session.query(db.func.max(User.id)).scalar() or 0) + 100000
