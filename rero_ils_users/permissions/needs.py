"""What an identity is: a ``Person`` (roles, organisation, libraries) and the
Flask-Principal needs derived from it when the identity loads."""

from dataclasses import dataclass, field
from functools import cached_property, partial

from flask_principal import ActionNeed, Identity, Need, RoleNeed, UserNeed
from sqlalchemy import literal

from . import matrix
from .models import UserDeny
from .roles import ANY_USER, AUTHENTICATED_USER, DOCUMENT_IMPORTER, PRO_FULL, SUPERUSER, is_professional

OrganisationNeed = partial(Need, "organisation")
LibraryNeed = partial(Need, "library")


@dataclass(frozen=True)
class RecordRoles:
    """Roles one patron record gives, in its organisation."""

    pid: str
    organisation_pid: str
    roles: frozenset
    library_pids: frozenset = frozenset()
    expired: bool = False


@dataclass(frozen=True)
class Person:
    """Everything the policy knows of the caller (immutable: what is derived from the
    fields is computed once, ``cached_property``)."""

    user_id: int | None = None
    account_roles: frozenset = frozenset()
    records: tuple = ()
    denied: frozenset = frozenset()  # actions denied everywhere (by admin/superuser)
    org_denies: frozenset = frozenset()  # (action, organisation pid): denied in that organisation only
    token_only: bool = False  # identified by an API token of a document importer
    organisation_libraries: frozenset = field(default=frozenset())

    @property
    def authenticated(self):
        return self.user_id is not None

    @cached_property
    def system_roles(self):
        if not self.authenticated or DOCUMENT_IMPORTER in self.account_roles:
            return frozenset({ANY_USER})
        return frozenset({ANY_USER, AUTHENTICATED_USER})

    @cached_property
    def pro_record(self):
        return next((r for r in self.records if is_professional(r.roles)), None)

    @cached_property
    def record_roles(self):
        roles = set()
        for record in self.records:
            roles |= record.roles
        return frozenset(roles)

    @cached_property
    def roles(self):
        return self.system_roles | self.account_roles | self.record_roles

    @cached_property
    def organisation_pid(self):
        pro = self.pro_record
        return pro.organisation_pid if pro else None

    @cached_property
    def library_pids(self):
        pro = self.pro_record
        if pro is None:
            return frozenset()
        if PRO_FULL in pro.roles:
            return self.organisation_libraries | pro.library_pids
        return pro.library_pids

    @cached_property
    def pro_roles(self):
        pro = self.pro_record
        return pro.roles if pro else frozenset()

    def patron_organisations(self):
        return {r.organisation_pid for r in self.records if "patron" in r.roles}

    def denied_in(self, organisation_pid):
        """The actions denied to the person when acting in ``organisation_pid``."""
        return self.denied | {action for action, org in self.org_denies if org == organisation_pid}

    @cached_property
    def home_denied(self):
        """Denied in the person's own context: their professional organisation when they
        have one, else the union of their records (denied only where denied in all)."""
        if self.organisation_pid:
            return self.denied_in(self.organisation_pid)
        organisations = {r.organisation_pid for r in self.records}
        if not organisations:
            return self.denied
        return self.denied | frozenset.intersection(*(frozenset(self.denied_in(o)) for o in organisations))

    def roles_in(self, organisation_pid):
        """The roles the person holds when acting in ``organisation_pid``."""
        held = set(self.system_roles | self.account_roles)
        for record in self.records:
            if record.organisation_pid == organisation_pid:
                held |= record.roles
        return frozenset(held)


ANONYMOUS = Person()

# The patrons module registers the function that lists a user's records.
_providers = {}


def register_record_provider(records_of, organisation_libraries, records_stamp=None, libraries_stamp=None):
    """``records_of(user_id) -> [RecordRoles]``; ``organisation_libraries(org_pid) -> set``;
    ``records_stamp(user_id column)`` and ``libraries_stamp(org_pid parameter)``: SQL scalar
    subqueries that change whenever what the first two return changes (``stamp_parts``)."""
    _providers["records"] = records_of
    _providers["libraries"] = organisation_libraries
    if records_stamp is not None:
        _providers["records_stamp"] = records_stamp
        _providers["libraries_stamp"] = libraries_stamp


def stamp_parts(user_id, organisation_pid):
    """``(records, libraries)``: SQL expressions that change whenever ``records_of(user_id)``
    or ``organisation_libraries(organisation_pid)`` would (``accounts.caller``'s stamp)."""
    if "records_stamp" not in _providers:
        return literal(None), literal(None)
    return _providers["records_stamp"](user_id), _providers["libraries_stamp"](organisation_pid)


def records_of(user_id):
    """The ``RecordRoles`` of a user's patron records (from the registered provider)."""
    return tuple(_providers["records"](user_id)) if "records" in _providers else ()


def load_person(user_id, account_roles=(), token_only=False):
    records = records_of(user_id)
    person = Person(user_id=user_id, account_roles=frozenset(account_roles), records=records, token_only=token_only)
    org = person.organisation_pid
    denied, org_denies = set(), set()
    for deny in UserDeny.query.filter_by(user_id=user_id):
        if deny.organisation_pid:
            org_denies.add((deny.action, deny.organisation_pid))
        else:
            denied.add(deny.action)
    libraries = frozenset(_providers["libraries"](org)) if org and PRO_FULL in person.pro_roles else frozenset()
    return Person(
        user_id=user_id,
        account_roles=person.account_roles,
        records=records,
        denied=frozenset(denied),
        org_denies=frozenset(org_denies),
        token_only=token_only,
        organisation_libraries=libraries,
    )


def needs_of(person):
    """The Flask-Principal needs of ``person`` under the current matrix."""
    result = {RoleNeed(role) for role in person.roles}
    if person.user_id is not None:
        result.add(UserNeed(person.user_id))
    result |= {ActionNeed(action) for action in matrix.actions_of(person.roles) - person.home_denied}
    if person.organisation_pid:
        result.add(OrganisationNeed(person.organisation_pid))
    result |= {LibraryNeed(library) for library in person.library_pids}
    return result


def provide(identity, person):
    """Attach ``person`` and its needs to a Flask-Principal identity."""
    identity.person = person
    identity.provides |= needs_of(person)
    return identity


def person_of(identity):
    """The identity's person. Flask-Principal gives a caller no identity loader
    recognises a bare ``AnonymousIdentity`` without sending ``identity_loaded``:
    such an identity gets the anonymous person and its needs here, once."""
    if identity is None:
        return ANONYMOUS
    person = getattr(identity, "person", None)
    if person is None:
        provide(identity, ANONYMOUS)
        person = ANONYMOUS
    return person


def system_identity():
    """The identity of the CLI and the scheduled jobs: allowed everything."""
    return provide(Identity("system"), Person(account_roles=frozenset({SUPERUSER})))
