"""Who calls, in one query a request: the account (by API token or by the session's
``fs_uniquifier``) together with a *stamp* of everything its identity depends on,
read from the committed database state on every request.

The stamp is the account row itself (active, expiry, password rotation through
``fs_uniquifier``...), its account roles, the id, version and row version (``xmin``)
of each of its patron records (roles, libraries, dates), its per-user denies, the library pids of the
organisation of a ``pro_full_permissions`` record, the matrix version, and today's
date (a record expires at midnight). Nothing has to remember to bump it: any grant,
deny, role, record, matrix or account change, through the API, the CLI, a job or
raw SQL, changes the stamp, and the very next request rebuilds the identity.

The identity (``needs.Person`` and its needs) is cached per process under the
caller's key (a token digest or a uniquifier) with the stamp it was built after;
the account object is built from the row just read, never from the cache. A
revoked token or an unknown uniquifier finds no row: no caller.

PostgreSQL only (``string_agg``, ``xmin``); on SQLite (the quick local run) every
request loads everything as before.

The query is a server-side prepared statement (``PREPARE`` once per connection, then
``EXECUTE``): planning it was about 60% of its cost. ``DB_PREPARED_STATEMENTS = False``
turns that off, for a connection pooler that hands each transaction to another server
connection (PgBouncer in transaction mode), where a prepared name would be unknown.
At the start of a request it runs in autocommit on a connection it gives back at once:
one round trip, and a request that reads nothing else opens no transaction at all.
"""

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app, g
from invenio_db import db
from sqlalchemy import Text, bindparam, cast, column, func, literal, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import make_transient_to_detached

from .. import clock
from ..permissions import matrix, needs
from ..permissions.models import MatrixVersion, UserDeny
from ..permissions.roles import PRO_FULL
from ..records.sessions import close_connection
from . import tokens
from .models import ApiToken, Role, User, user_roles

CACHE_SIZE = 10_000  # callers remembered per process (least recently used dropped)
REQUEST_KEY = "rero_caller"  # g: (cache key, stamp) of this request's caller
TOKEN, SESSION, USER = "token", "session", "user"
PARAMETERS = ("key", "organisation")  # the query's parameters, in the prepared statement's order
PREPARED = "rero_caller_prepared"  # connection info: the kinds prepared on that connection


@dataclass(frozen=True)
class Entry:
    stamp: tuple
    token_only: bool
    person: needs.Person
    provides: frozenset


class _Cache:
    entries = OrderedDict()
    lock = threading.Lock()
    statements = {}

    @classmethod
    def get(cls, key):
        with cls.lock:
            entry = cls.entries.get(key)
            if entry is not None:
                cls.entries.move_to_end(key)
            return entry

    @classmethod
    def put(cls, key, entry):
        with cls.lock:
            cls.entries[key] = entry
            cls.entries.move_to_end(key)
            while len(cls.entries) > CACHE_SIZE:
                cls.entries.popitem(last=False)

    @classmethod
    def drop(cls, key):
        with cls.lock:
            cls.entries.pop(key, None)


def clear():
    """Forget every cached identity of this process (tests, benchmarks)."""
    with _Cache.lock:
        _Cache.entries.clear()


def _supported():
    return db.engine.dialect.name == "postgresql"


def _statement(kind):
    """The one query of a request (built once per kind; SQLAlchemy caches its compiled form)."""
    if kind in _Cache.statements:
        return _Cache.statements[kind]
    users = User.__table__
    role = Role.__table__
    roles = (
        select(func.json_agg(aggregate_order_by(func.json_build_array(role.c.id, role.c.name, role.c.description, role.c.permissions), role.c.id)))
        .select_from(user_roles.join(role, role.c.id == user_roles.c.role_id))
        .where(user_roles.c.user_id == users.c.id)
        .scalar_subquery()
    )
    deny = UserDeny.__table__
    denies = (
        select(
            func.string_agg(
                deny.c.action + "|" + deny.c.organisation_pid + "|" + cast(deny.c.created, Text),
                aggregate_order_by(literal(","), deny.c.action, deny.c.organisation_pid),
            )
        )
        .where(deny.c.user_id == users.c.id)
        .scalar_subquery()
    )
    version = select(MatrixVersion.__table__.c.version).where(MatrixVersion.__table__.c.id == 1).scalar_subquery()
    records, libraries = needs.stamp_parts(users.c.id, bindparam("organisation", type_=Text))
    columns = [
        *users.c,
        roles.label("stamp_roles"),
        denies.label("stamp_denies"),
        records.label("stamp_records"),
        libraries.label("stamp_libraries"),
        version.label("stamp_matrix"),
    ]
    if kind == TOKEN:
        token = ApiToken.__table__
        statement = (
            select(*columns)
            .select_from(users.join(token, token.c.user_id == users.c.id))
            .where(token.c.token_hash == bindparam("key"), token.c.revoked_at.is_(None))
        )
    elif kind == SESSION:
        statement = select(*columns).where(users.c.fs_uniquifier == bindparam("key"))
    else:
        statement = select(*columns).where(users.c.id == bindparam("key"))
    _Cache.statements[kind] = statement
    return statement


def _prepared(kind):
    """``(prepare, execute)``: the ``PREPARE`` of a kind's query (its constants inlined,
    its two parameters ``$1``, ``$2``) and the ``EXECUTE`` that returns the same typed
    columns as the query itself."""
    cache_key = ("prepared", kind)
    if cache_key in _Cache.statements:
        return _Cache.statements[cache_key]
    from psycopg2.extensions import adapt

    statement = _statement(kind)
    compiled = statement.compile(dialect=postgresql.psycopg2.dialect())

    def placeholder(match):
        name = match.group(1)
        if name is None:
            return "%"  # a literal % of the pyformat text
        if name in PARAMETERS:
            return f"${PARAMETERS.index(name) + 1}"
        return adapt(compiled.params[name]).getquoted().decode()

    body = re.sub(r"%\((\w+)\)s|%%", placeholder, str(compiled))
    name = f"rero_caller_{kind}"
    key_type = "integer" if kind == USER else "text"
    prepare = f"PREPARE {name} ({key_type}, text) AS {body}"
    execute = text(f"EXECUTE {name}(:key, :organisation)").columns(
        *(column(c.key, c.type) for c in statement.selected_columns)
    )
    _Cache.statements[cache_key] = (prepare, execute)
    return prepare, execute


def _query(kind, params):
    """The row of the kind's query, or None. At the start of a request (no transaction
    open yet) on a connection of its own in autocommit: one round trip, where the session
    would add a BEGIN and, at the request's end, a ROLLBACK, also for a request that reads
    nothing else from the database. Inside a transaction, in it, to see what it wrote."""
    if db.session().in_transaction():
        return _execute(kind, params, db.session.connection()).one_or_none()
    connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        return _execute(kind, params, connection).one_or_none()
    finally:
        close_connection(connection)


def _execute(kind, params, connection):
    """The kind's query: prepared on this connection the first time, then executed."""
    if not current_app.config.get("DB_PREPARED_STATEMENTS", True):
        return connection.execute(_statement(kind), params)
    prepared = connection.connection.info.setdefault(PREPARED, set())
    prepare, execute = _prepared(kind)
    if kind not in prepared:
        # a prepared statement outlives a rollback; a new connection starts without it
        connection.exec_driver_sql(prepare)
        prepared.add(kind)
    return connection.execute(execute, params)


def _account(row):
    """The account as the session would have loaded it, from the row just read."""
    existing = db.session.identity_map.get(db.session.identity_key(User, (row.id,)))
    if existing is not None:
        return existing
    user = User()
    for field in User.__table__.c:
        setattr(user, field.key, getattr(row, field.key))
    held = []
    for role_id, name, description, permissions in row.stamp_roles or ():
        role = Role(id=role_id, name=name, description=description, permissions=permissions)
        make_transient_to_detached(role)
        held.append(role)
    user.roles = held
    make_transient_to_detached(user)
    return db.session.merge(user, load=False)


def _read(kind, key):
    """``(row, stamp)`` of the caller's one query, or ``(None, None)``: no such account."""
    cached = _Cache.get((kind, key))
    organisation = None
    if cached is not None and PRO_FULL in cached.person.pro_roles:
        organisation = cached.person.organisation_pid
    params = {"key": key, "organisation": organisation}
    fresh = not db.session().in_transaction()  # read in autocommit: nothing could be lost
    try:
        row = _query(kind, params)
    except DBAPIError as error:
        if not (fresh and error.connection_invalidated):
            raise
        # a pooled connection died unnoticed (records/ping.py): once more, on a new one
        row = _query(kind, params)
    if row is None:
        _Cache.drop((kind, key))
        return None, None
    matrix.note_version(row.stamp_matrix or 0)
    stamp = (
        tuple(getattr(row, c.key) for c in User.__table__.c),
        str(row.stamp_roles),
        row.stamp_denies,
        row.stamp_records,
        organisation,
        row.stamp_libraries,
        row.stamp_matrix,
        clock.today(),
    )
    return row, stamp


def _load(kind, key):
    row, stamp = _read(kind, key)
    if row is None or not row.active:
        _Cache.drop((kind, key))
        return None
    setattr(g, REQUEST_KEY, ((kind, key), stamp, row.id))
    return _account(row)


def _entry(key, stamp, user_id, role_names, token_only):
    entry = _Cache.get(key) if key is not None else None
    if entry is None or entry.stamp != stamp or entry.token_only != token_only:
        # the stamp was read before any of this: a change in between changes the next stamp
        person = needs.load_person(user_id, role_names, token_only=token_only)
        entry = Entry(stamp=stamp, token_only=token_only, person=person, provides=frozenset(needs.needs_of(person)))
        if key is not None:
            _Cache.put(key, entry)
    return entry


def person_of_user(user_id):
    """The ``needs.Person`` of any account (active or not) by id, or None: no such
    account. Cached behind the same stamp (the explanation of what someone may do)."""
    if not _supported():
        account = db.session.get(User, user_id)
        return needs.load_person(user_id, account.role_names) if account is not None else None
    row, stamp = _read(USER, user_id)
    if row is None:
        return None
    names = {name for _, name, _, _ in row.stamp_roles or ()}
    return _entry((USER, user_id), stamp, user_id, names, False).person


def by_token(token):
    """The active account of a clear API token, or None (unknown, revoked, inactive)."""
    if not token:
        return None
    if not _supported():
        return tokens.user_of(token)
    return _load(TOKEN, tokens.digest(token))


def by_uniquifier(uniquifier, find_user):
    """The active account a session names, or None. ``find_user``: the datastore's
    lookup, for databases without the stamp."""
    if not uniquifier:
        return None
    if not _supported():
        user = find_user(fs_uniquifier=str(uniquifier))
        return user if user and user.active else None
    return _load(SESSION, str(uniquifier))


def provide(identity, user, token_only):
    """Give ``identity`` the person and needs of ``user``: cached when this request's
    stamp equals the one they were built after, else built (and cached) now."""
    key, stamp, user_id = g.get(REQUEST_KEY) or (None, None, None)
    if user_id != user.id:
        key = None
    entry = _entry(key, stamp, user.id, user.role_names, token_only)
    identity.person = entry.person
    identity.provides |= entry.provides
    return identity


def forget_request():
    g.pop(REQUEST_KEY, None)

