"""Escalation, as a table (issue 10).

For every write endpoint, every field that grants power (roles, libraries,
organisation, user_id, password, email, username, denies, grants) and every
kind of caller (each professional role, a patron, another organisation's system
librarian, a person registered in two organisations, an API token holder,
anonymous), an attempt to gain a right the caller did not hold before must be
refused (4xx) and change nothing: the database is the same row for row, the
victim still logs in with the old password through ``POST /api/login``, the
target record keeps its roles and libraries, and the caller's
``GET /api/permissions/me`` is what it was.

Which attempts are gains is DERIVED here, independently of ``policy.py``, from
``permissions/data/matrix.json`` (which role grants which action) and the rules
of API.md sections 2, 3 and 5: an attempt the rules allow is not a case.

The world is built once per module (data in ``PEOPLE``); an attempt that did
change something is undone by putting the database snapshot back.
"""

from dataclasses import dataclass, field
from functools import partial
from itertools import product

import pytest

from rero_ils_users.patrons.service import patrons
from rero_ils_users.permissions import matrix
from rero_ils_users.permissions.needs import system_identity
from tests.helpers import (
    PASSWORD,
    make_library,
    make_org,
    make_patron_type,
    make_user,
    patron_data,
    record_data,
    ref,
    user_data,
)
from tests.security.world import (
    account_row,
    account_user,
    act_as,
    api_token,
    changed_tables,
    drop_snapshot,
    empty_database,
    fingerprint,
    logs_in,
    patron_row,
    record_body,
    register_user,
    registration_token,
    restore_snapshot,
    take_snapshot,
    unknown_user_id,
    user_body,
)

GRANTS = matrix.default_grants()  # data/matrix.json
FULL = "pro_full_permissions"
PRO = (
    FULL, "pro_library_administrator", "pro_read_only", "pro_catalog_manager", "pro_circulation_manager",
    "pro_user_manager", "pro_acquisition_manager", "pro_entity_manager", "pro_statistic_manager",
)
RECORD_ROLES = ("patron",) + PRO
# API.md section 5: who may assign roles
ASSIGN = {
    FULL: set(RECORD_ROLES),
    "pro_library_administrator": {"patron", "pro_read_only", "pro_circulation_manager", "pro_catalog_manager",
                                  "pro_user_manager", "pro_acquisition_manager"},
    "pro_user_manager": {"patron"},
}
# the roles that give power over other people (what an attacker adds)
POWER_ROLES = (FULL, "pro_library_administrator", "pro_user_manager", "patron")
WRITES = ("create", "update", "delete")


# --- the world, as data -----------------------------------------------------------------------
@dataclass(frozen=True)
class Rec:
    """One patron record: its organisation, roles and affiliation libraries."""

    org: str
    roles: tuple
    libs: tuple = ()

    @property
    def professional(self):
        return bool(set(self.roles) & set(PRO))


LIBRARIES = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B"}  # a3: nobody's library
FIRST_LIBRARY = {"A": "a1", "B": "b1"}
OTHER_LIBRARY = {"A": "a2", "B": "b2"}
OTHER_ORG = {"A": "B", "B": "A"}
PRO_CALLERS = tuple(f"c_{role}" for role in PRO)
PEOPLE = {
    # callers: each professional role alone, in organisation A, library a1
    **{f"c_{role}": (Rec("A", (role,), ("a1",)),) for role in PRO},
    "c_patron": (Rec("A", ("patron",)),),
    "full_b": (Rec("B", (FULL,), ("b1",)),),  # another organisation's system librarian
    "two_orgs": (Rec("B", ("pro_user_manager",), ("b1",)), Rec("A", ("patron",))),  # registered in A and B
    # victims
    "full_a": (Rec("A", (FULL,), ("a1",)),),  # A's system librarian
    "colleague_a1": (Rec("A", ("pro_read_only",), ("a1",)),),
    "staff_a2": (Rec("A", ("pro_read_only",), ("a2",)),),
    "patron_a": (Rec("A", ("patron",)),),
    "patron_b": (Rec("B", ("patron",)),),
    "patron_b2": (Rec("B", ("patron",)),),
    "patron_ab": (Rec("A", ("patron",)), Rec("B", ("patron",))),
    "lib_a_patron_b": (Rec("A", ("pro_circulation_manager",), ("a1",)), Rec("B", ("patron",))),
    "fresh_a": (),  # registered by A's desk (POST /api/users/), no record yet
    "fresh_b": (),
}
CREATED_BY = {"fresh_a": "full_a", "fresh_b": "full_b"}
ACCOUNTS = {"admin": ("admin",), "importer": ("document_importer",)}  # made with the CLI
CALLERS = PRO_CALLERS + ("c_patron", "full_b", "two_orgs", "importer", "anonymous")
# per-user denies of the world: (set by, on whom, action); ptrn-access (the menu) guards no endpoint
DENIES = (("admin", f"c_{FULL}", "ptrn-access"), (f"c_{FULL}", "lib_a_patron_b", "ptrn-access"))
EXTRA_EMAIL = "patron-a.extra@elsewhere.example.org"  # patron_a's additional communication email


# --- the oracle: matrix.json + API.md ---------------------------------------------------------
@dataclass(frozen=True)
class Who:
    name: str
    records: tuple = ()
    account_roles: frozenset = frozenset()

    @property
    def authenticated(self):
        return self.name != "anonymous"

    @property
    def pro(self):
        return next((r for r in self.records if r.professional), None)

    @property
    def org(self):
        return self.pro.org if self.pro else None

    @property
    def pro_roles(self):
        return set(self.pro.roles) if self.pro else set()

    @property
    def libs(self):
        if not self.pro:
            return set()
        if FULL in self.pro.roles:
            return {lib for lib, org in LIBRARIES.items() if org == self.pro.org}
        return set(self.pro.libs)

    @property
    def roles(self):
        system = {"any_user"}
        if self.authenticated and "document_importer" not in self.account_roles:
            system.add("authenticated_user")
        return system | set(self.account_roles) | {r for rec in self.records for r in rec.roles}


WHO = {name: Who(name, PEOPLE.get(name, ()), frozenset(ACCOUNTS.get(name, ()))) for name in CALLERS}
DENIED = {}
for _by, _on, _action in DENIES:
    DENIED.setdefault(_on, set()).add(_action)


def holds(c, action):
    return any(action in GRANTS.get(r, ()) for r in c.roles) and action not in DENIED.get(c.name, ())


def staff_may(c, action, org, libs=(), professional=False):
    """``action`` through a professional role, in the caller's organisation, within
    library scope for writes on professional records and libraries (API.md section 5)."""
    if not holds(c, action) or not any(action in GRANTS.get(r, ()) for r in c.pro_roles) or org != c.org:
        return False
    if action.rsplit("-", 1)[1] in WRITES and professional:
        return FULL in c.pro_roles or bool(c.libs & set(libs))
    return True


def assignable(c):
    return set().union(*(ASSIGN.get(r, set()) for r in c.pro_roles))


def manages(c, rec, action="ptrn-update"):
    """May ``c`` change (or delete) this record, every role of it included?"""
    return staff_may(c, action, rec.org, rec.libs, rec.professional) and set(rec.roles) <= assignable(c)


def may_change_account(c, victim):
    """API.md section 2: password, email and username need the rights over every role of
    every record the person holds, each in its own organisation."""
    if victim in ACCOUNTS:
        return False  # account-level roles: only admin/superuser (no caller here)
    records = PEOPLE[victim]
    if not records:  # a registration in progress: the staff of the organisation that made it
        creator = PEOPLE[CREATED_BY[victim]][0].org
        return staff_may(c, "ptrn-create", creator) and staff_may(c, "ptrn-update", creator)
    return all(manages(c, rec) for rec in records)


def may_deny(c, victim):
    if victim in ACCOUNTS:
        return False
    return any(staff_may(c, "permission-management", rec.org) for rec in PEOPLE[victim])


OPEN, PASS = None, 0  # the contract leaves the status open (any 4xx) / no refusal yet


def gate(c, action, org=None, libs=(), professional=False):
    """The refusal API.md section 1 fixes before any field is read: 401 (not logged in),
    403 (the action is missing altogether, or a professional record or library outside
    the caller's libraries), 404 (outside the caller's organisation); PASS when the
    caller gets past it; OPEN for the token-only importer ("nothing else": no status)."""
    if c.name == "anonymous":
        return 401
    if c.name == "importer":
        return OPEN
    if not holds(c, action):
        return 403
    if org is None:
        return PASS
    if org != c.org:
        return 404
    if action.rsplit("-", 1)[1] in WRITES and professional and not (FULL in c.pro_roles or c.libs & set(libs)):
        return 403  # a professional record or a library outside the caller's libraries
    return PASS


def create_gate(c, org, libs=(), professional=False):
    """``gate`` of a new patron record: outside the caller's organisation, whether the
    scope (404) or the registration rule (alike an unknown user id) answers first is open."""
    refusal = gate(c, "ptrn-create", org, libs, professional)
    return OPEN if refusal == 404 else refusal


def then(refusal, status):
    """The gate's refusal, else the status of the rule the attempt breaks."""
    return status if refusal == PASS else refusal


# --- cases ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    method: str
    url: str
    json: dict | None = None


@dataclass(frozen=True)
class Case:
    route: tuple  # (method, rule) of app.url_map
    caller: str
    what: str
    build: object  # (world, client) -> Request
    victim: str | None = None  # must still log in with the old password
    record: tuple | None = None  # (person, org): that record's row must be unchanged
    status: int | None = OPEN  # the refusal API.md fixes (OPEN: any 4xx)
    harmless: bool = False  # the contract leaves the status open: any non-5xx, but nothing may change
    unknown: object = None  # (world, client) -> Request for an unknown user id: must answer alike
    check: object = None  # (world, outbox, client) -> [problems]

    @property
    def id(self):
        return f"{self.route[0]} {self.route[1]} | {self.caller} | {self.what}"


USERS = "/api/users/"
USER = "/api/users/<int:user_id>"
PATRONS = "/api/patrons/"
PATRON = "/api/patrons/<pid>"
HISTORY = "/api/patrons/<pid>/history"
LIBS, LIB = "/api/libraries/", "/api/libraries/<pid>"
ORGS, ORG = "/api/organisations/", "/api/organisations/<pid>"
PTTYS, PTTY = "/api/patron_types/", "/api/patron_types/<pid>"
GRANT = "/api/permissions/roles/<role>/actions/<action>"
DENY = "/api/permissions/users/<user_id>/actions/<action>"


# request builders (world, client, ...) -> Request
def put_record(w, client, person, org, change):
    body = record_body(w.pid[person, org])
    change(w, body, org)
    return Request("PUT", f"/api/patrons/{w.pid[person, org]}", body)


def add_role(role):
    def change(w, body, org):
        body["roles"] = sorted(set(body["roles"]) | {role})
        if role in PRO and not body.get("libraries"):
            body["libraries"] = [ref("libraries", w.lib[FIRST_LIBRARY[org]])]
        if role == "patron" and "patron" not in body:
            body["patron"] = patron_data(w.org[org], w.ptype[org])
    return change


def add_library(w, body, org):
    body["libraries"] = body.get("libraries", []) + [ref("libraries", w.lib[OTHER_LIBRARY[org]])]


def move_organisation(w, body, org):
    body["organisation"] = ref("organisations", w.org[OTHER_ORG[org]])


def give_to(caller):
    def change(w, body, org):
        body["user_id"] = w.user.get(caller, w.user["patron_a"])
    return change


def post_record(w, client, person, org, roles, libs=(), token=None):
    user_id = w.user[person] if person else unknown_user_id()
    ptype = w.ptype[org] if "patron" in roles else None
    data = record_data(user_id, w.org[org], roles, [w.lib[lib] for lib in libs], ptype)
    if token is not None:
        data["registration_token"] = token
    return Request("POST", PATRONS, data)


def post_with_token(w, client, person, org, minter, minted_for):
    token = registration_token(client, w.user[minter], w.email[minted_for]) or "no-token-was-issued"
    return post_record(w, client, person, org, ["patron"], token=token)


def put_account(w, client, victim, field_name):
    body = dict(w.user_body[victim])
    if field_name == "password":
        body["password"] = "Taken-Over1"
    elif field_name == "email":
        body["email"] = f"{victim.replace('_', '-')}.taken@evil.example.org"
    else:
        body["username"] = f"{victim}-renamed"
    return Request("PUT", f"/api/users/{w.user[victim]}", body)


def simple(method, url_of, body_of=None):
    def build(w, client):
        return Request(method, url_of(w), body_of(w) if body_of else None)
    return build


def library_body(w, lib, **changes):
    body = {"name": f"Library {lib}", "code": lib, "email": f"{lib}@library.example.org",
            "organisation": ref("organisations", w.org[LIBRARIES[lib]])}
    body.update(changes)
    return body


def history_body(w, org):
    return {"action": "checkout", "date": "2024-01-02T10:00:00+01:00", "item": {"barcode": "I-1", "title": "T"},
            "library": ref("libraries", w.lib[FIRST_LIBRARY[org]])}


def no_mail_to(address):
    def check(w, outbox, client):
        sent = [m for m in outbox if address in m.recipients]
        return [f"a reset mail went to {address}"] if sent else []
    return check


def no_session(w, outbox, client):
    res = client.get("/api/login")
    return [] if res.status_code == 401 else [f"a session was opened: GET /api/login {res.status_code}"]


def patron_cases():
    for c in CALLERS:
        who = WHO[c]
        for rec in PEOPLE.get(c, ()):
            # the caller's own record is visible to them: a refusal there is not a 404
            own = gate(who, "ptrn-update", rec.org, rec.libs, rec.professional)
            own = OPEN if own == 404 else own
            for role in POWER_ROLES:
                # adding a role one may assign is no gain (what one may assign does not change)
                may = role in assignable(who) and staff_may(who, "ptrn-update", rec.org, rec.libs, rec.professional)
                if role in rec.roles or may:
                    continue
                yield Case(("PUT", PATRON), c, f"own {rec.org} record + role {role}",
                           partial(put_record, person=c, org=rec.org, change=add_role(role)), record=(c, rec.org),
                           status=then(own, 400))
            if rec.professional and FULL not in rec.roles:
                yield Case(("PUT", PATRON), c, f"own {rec.org} record + library {OTHER_LIBRARY[rec.org]}",
                           partial(put_record, person=c, org=rec.org, change=add_library), record=(c, rec.org),
                           status=then(own, OPEN))
            yield Case(("PUT", PATRON), c, f"own {rec.org} record moved to {OTHER_ORG[rec.org]}",
                       partial(put_record, person=c, org=rec.org, change=move_organisation), record=(c, rec.org),
                       status=then(own, 400))
        colleague = PEOPLE["colleague_a1"][0]
        to_colleague = gate(who, "ptrn-update", "A", colleague.libs, True)
        for role in POWER_ROLES:
            if not (role in assignable(who) and staff_may(who, "ptrn-update", "A", colleague.libs, True)):
                yield Case(("PUT", PATRON), c, f"colleague in a1 + role {role}",
                           partial(put_record, person="colleague_a1", org="A", change=add_role(role)),
                           record=("colleague_a1", "A"), status=then(to_colleague, 400))
            new = Rec("A", (role,), ("a1",))
            if not (role in assignable(who) and staff_may(who, "ptrn-create", "A", new.libs, new.professional)):
                yield Case(("POST", PATRONS), c, f"new record of a registration in progress in A with role {role}",
                           partial(post_record, person="fresh_a", org="A", roles=[role], libs=["a1"]),
                           status=then(create_gate(who, "A", new.libs, new.professional), 400))
        if who.org != "A" or FULL not in who.pro_roles:
            yield Case(("PUT", PATRON), c, "colleague in a1 + library a2",
                       partial(put_record, person="colleague_a1", org="A", change=add_library),
                       record=("colleague_a1", "A"), status=then(to_colleague, OPEN))
            yield Case(("POST", PATRONS), c, "new pro_read_only record with libraries a1 and a2",
                       partial(post_record, person="fresh_a", org="A", roles=["pro_read_only"], libs=["a1", "a2"]),
                       status=then(create_gate(who, "A", ("a1", "a2"), True), OPEN))
        yield Case(("PUT", PATRON), c, "A's system librarian's record given to the caller",
                   partial(put_record, person="full_a", org="A", change=give_to(c)), record=("full_a", "A"),
                   status=then(gate(who, "ptrn-update", "A", ("a1",), True), 400))
        # registering a person who exists elsewhere needs their identifier (the registration token)
        home = who.org or "A"
        if home == "A":
            yield Case(("POST", PATRONS), c, "record in B of a registration in progress in A",
                       partial(post_record, person="fresh_a", org="B", roles=["patron"]),
                       status=then(create_gate(who, "B"), OPEN))
        elsewhere, elsewhere2 = ("patron_b", "patron_b2") if home == "A" else ("patron_a", "colleague_a1")
        fresh_elsewhere = "fresh_b" if home == "A" else "fresh_a"
        for person in (elsewhere, fresh_elsewhere):
            yield Case(("POST", PATRONS), c, f"record in {home} for {person} by bare user_id",
                       partial(post_record, person=person, org=home, roles=["patron"]),
                       unknown=partial(post_record, person=None, org=home, roles=["patron"]),
                       status=then(create_gate(who, home), OPEN))
        if staff_may(who, "ptrn-create", home):
            minters = (f"c_{FULL}", "c_pro_user_manager") if home == "A" else ("full_b", "two_orgs")
            minter = next(m for m in minters if m != c)
            yield Case(("POST", PATRONS), c, f"record for {elsewhere} with a token minted for {minter}",
                       partial(post_with_token, person=elsewhere, org=home, minter=minter, minted_for=elsewhere))
            yield Case(("POST", PATRONS), c, f"record for {elsewhere} with the caller's token for {elsewhere2}",
                       partial(post_with_token, person=elsewhere, org=home, minter=c, minted_for=elsewhere2))
        for person in ("full_a", "staff_a2", "colleague_a1", "patron_b", "lib_a_patron_b"):
            rec = PEOPLE[person][0]
            if not manages(who, rec, "ptrn-delete"):
                # every role of the record must be one the caller may manage (403 otherwise)
                yield Case(("DELETE", PATRON), c, f"delete {person}'s {rec.org} record",
                           simple("DELETE", lambda w, p=person, o=rec.org: f"/api/patrons/{w.pid[p, o]}"),
                           victim=person, record=(person, rec.org),
                           status=then(gate(who, "ptrn-delete", rec.org, rec.libs, rec.professional), 403))


ACCOUNT_VICTIMS = ("full_a", "lib_a_patron_b", "patron_ab", "staff_a2", "patron_b", "fresh_b", "admin")
ACCOUNT_FIELDS = ("password", "email", "username")


def visible(c, victim):
    """API.md section 2: librarians see a person with a record in their organisation (or
    a person without records whom their organisation registered)."""
    if victim in ACCOUNTS:
        return False
    records = PEOPLE[victim] or (Rec(PEOPLE[CREATED_BY[victim]][0].org, ()),)
    return any(rec.org == c.org for rec in records)


def account_refusal(c, victim):
    if victim in ACCOUNTS:
        return OPEN  # a CLI account has no personal data: which check answers first is open
    refusal = gate(c, "ptrn-update")
    if refusal != PASS:
        return refusal
    return OPEN if visible(c, victim) else 404  # visible: refused by the take-over rule, status open


def user_cases():
    for c, victim, name in product(CALLERS, ACCOUNT_VICTIMS, ACCOUNT_FIELDS):
        if c != victim and not may_change_account(WHO[c], victim):
            yield Case(("PUT", USER), c, f"{name} of {victim}", partial(put_account, victim=victim, field_name=name),
                       victim=victim, status=account_refusal(WHO[c], victim))
    for c, name in product(CALLERS, ACCOUNT_FIELDS):
        if c != "anonymous":  # one's own account, without current_password: 400 naming it
            yield Case(("PUT", USER), c, f"own {name} without current_password",
                       partial(put_account, victim=c, field_name=name), victim=None if c in ACCOUNTS else c,
                       status=OPEN if c in ACCOUNTS else 400)
    for c in CALLERS:
        who = WHO[c]
        if not staff_may(who, "ptrn-create", who.org or "A"):
            yield Case(("POST", USERS), c, "create a user", simple("POST", lambda w: USERS, lambda w: user_data()),
                       status=then(gate(who, "ptrn-create"), 403))
        yield Case(("DELETE", USER), c, "erase a registration in progress",
                   simple("DELETE", lambda w: f"/api/users/{w.user['fresh_a']}"),
                   status={"anonymous": 401, "importer": OPEN}.get(c, 403))


def permission_cases():
    for c in CALLERS:
        who = WHO[c]
        network = {"anonymous": 401, "importer": OPEN}.get(c, 403)  # the matrix: admin and superuser only
        # the caller's own role (a patron's when they have none) gets what it lacks
        role = next(iter(sorted(who.pro_roles)), "patron")
        action = "org-create" if holds(who, "permission-management") else "permission-management"
        yield Case(("PUT", GRANT), c, f"grant {role} {action}",
                   simple("PUT", lambda w, r=role, a=action: f"/api/permissions/roles/{r}/actions/{a}"), status=network)
        yield Case(("DELETE", GRANT), c, "revoke patron ptrn-account",
                   simple("DELETE", lambda w: "/api/permissions/roles/patron/actions/ptrn-account"), status=network)
        for victim in ("patron_a", "full_a", "patron_b", "admin"):
            if not may_deny(who, victim):
                yield Case(("PUT", DENY), c, f"deny ptrn-read to {victim}",
                           simple("PUT", lambda w, v=victim: f"/api/permissions/users/{w.user[v]}/actions/ptrn-read"),
                           status=then(gate(who, "permission-management"), 404))
        if c != f"c_{FULL}":  # who set it may lift it
            other_org = staff_may(who, "permission-management", "B")
            yield Case(("DELETE", DENY), c, "lift the deny A set on lib_a_patron_b", simple(
                "DELETE", lambda w: f"/api/permissions/users/{w.user['lib_a_patron_b']}/actions/ptrn-access"),
                harmless=other_org, status=OPEN if other_org else then(gate(who, "permission-management"), 403))
    yield Case(("DELETE", DENY), f"c_{FULL}", "lift the deny admin set on oneself",
               simple("DELETE", lambda w: f"/api/permissions/users/{w.user['c_' + FULL]}/actions/ptrn-access"),
               harmless=True)


def reference_cases():
    for c in CALLERS:
        who = WHO[c]
        if not staff_may(who, "lib-update", "A", ("a2",), True):
            yield Case(("PUT", LIB), c, "library a2", simple(
                "PUT", lambda w: f"/api/libraries/{w.lib['a2']}", lambda w: library_body(w, "a2", name="Taken")),
                status=gate(who, "lib-update", "A", ("a2",), True))
        yield Case(("PUT", LIB), c, "library a1 moved to B", simple(
            "PUT", lambda w: f"/api/libraries/{w.lib['a1']}",
            lambda w: library_body(w, "a1", organisation=ref("organisations", w.org["B"]))),
            status=then(gate(who, "lib-update", "A", ("a1",), True), 400))
        if not staff_may(who, "lib-create", "B"):
            yield Case(("POST", LIBS), c, "library in B", simple(
                "POST", lambda w: LIBS, lambda w: {"name": "New", "code": "new", "email": "new@library.example.org",
                                                   "organisation": ref("organisations", w.org["B"])}),
                status=gate(who, "lib-create", "B"))
        if not staff_may(who, "lib-delete", "A", ("a3",), True):
            yield Case(("DELETE", LIB), c, "library a3 (nobody's)",
                       simple("DELETE", lambda w: f"/api/libraries/{w.lib['a3']}"),
                       status=gate(who, "lib-delete", "A", ("a3",), True))
        for org in ("A", "B"):
            if not staff_may(who, "org-update", org):
                yield Case(("PUT", ORG), c, f"organisation {org}", simple(
                    "PUT", lambda w, o=org: f"/api/organisations/{w.org[o]}",
                    lambda w, o=org: {"name": "Taken", "code": f"sec{o.lower()}"}), status=gate(who, "org-update", org))
        yield Case(("POST", ORGS), c, "organisation",
                   simple("POST", lambda w: ORGS, lambda w: {"name": "New", "code": "secnew"}),
                   status=then(gate(who, "org-create"), 403))
        yield Case(("DELETE", ORG), c, "organisation C (empty)",
                   simple("DELETE", lambda w: f"/api/organisations/{w.org['C']}"), status=then(gate(who, "org-delete"), 403))
        if not staff_may(who, "ptty-create", "A"):
            yield Case(("POST", PTTYS), c, "patron type in A", simple(
                "POST", lambda w: PTTYS, lambda w: {"name": "New", "organisation": ref("organisations", w.org["A"])}),
                status=gate(who, "ptty-create", "A"))
        if not staff_may(who, "ptty-update", "B"):
            yield Case(("PUT", PTTY), c, "patron type of B", simple(
                "PUT", lambda w: f"/api/patron_types/{w.ptype['B']}",
                lambda w: {"name": "Taken", "organisation": ref("organisations", w.org["B"])}),
                status=gate(who, "ptty-update", "B"))
        yield Case(("PUT", PTTY), c, "patron type of A moved to B", simple(
            "PUT", lambda w: f"/api/patron_types/{w.ptype['A']}",
            lambda w: {"name": "Standard", "organisation": ref("organisations", w.org["B"])}),
            status=then(gate(who, "ptty-update", "A"), 400))
        if not staff_may(who, "ptty-delete", "B"):
            yield Case(("DELETE", PTTY), c, "unused patron type of B",
                       simple("DELETE", lambda w: f"/api/patron_types/{w.ptype['B-unused']}"),
                       status=gate(who, "ptty-delete", "B"))
        if not staff_may(who, "access-circulation", "A"):
            yield Case(("POST", HISTORY), c, "history of patron_a", simple(
                "POST", lambda w: f"/api/patrons/{w.pid['patron_a', 'A']}/history", lambda w: history_body(w, "A")),
                status=gate(who, "access-circulation", "A"))
        if not staff_may(who, "access-circulation", "B"):
            yield Case(("POST", HISTORY + "/"), c, "history of patron_b", simple(
                "POST", lambda w: f"/api/patrons/{w.pid['patron_b', 'B']}/history/", lambda w: history_body(w, "B")),
                status=gate(who, "access-circulation", "B"))


def account_cases():
    yield Case(("POST", "/api/login"), "anonymous", "importer logs in with its password", simple(
        "POST", lambda w: "/api/login", lambda w: {"login": w.username["importer"], "password": PASSWORD}),
        check=no_session, status=400)
    yield Case(("POST", "/api/login"), "anonymous", "A's system librarian with a wrong password", simple(
        "POST", lambda w: "/api/login", lambda w: {"login": w.username["full_a"], "password": "Wrong-Pass1"}),
        victim="full_a", check=no_session, status=400)
    yield Case(("POST", "/api/password/reset"), "anonymous", "forged token", simple(
        "POST", lambda w: "/api/password/reset", lambda w: {"token": "forged.token.value", "password": "Taken-Over1"}),
        victim="full_a", status=400)
    for c in ("anonymous", "c_patron"):
        yield Case(("POST", "/api/password/forgot"), c, "reset link to patron_a's additional communication email",
                   simple("POST", lambda w: "/api/password/forgot", lambda w: {"email": EXTRA_EMAIL}),
                   victim="patron_a", harmless=True, check=no_mail_to(EXTRA_EMAIL))


# the actions a route exercises: a caller none of whose roles grants one of them is refused
# before any field is looked at, so one attempt per route shows it (the table stays small)
ROUTE_ACTIONS = {
    "/api/patrons/": ("ptrn-create", "ptrn-update", "ptrn-delete"),
    "/api/users/": ("ptrn-create", "ptrn-update"),
    "/api/libraries/": ("lib-create", "lib-update", "lib-delete"),
    "/api/organisations/": ("org-create", "org-update", "org-delete"),
    "/api/patron_types/": ("ptty-create", "ptty-update", "ptty-delete"),
    "/api/permissions/": ("permission-management",),
}


def powerless(case):
    """Is the caller without every action of the route (and the attempt not on their own account)?"""
    if "current_password" in case.what or case.route[1].startswith(("/api/login", "/api/password")):
        return False
    prefix = next((p for p in ROUTE_ACTIONS if case.route[1].startswith(p)), None)
    if prefix is None or "history" in case.route[1]:
        return False
    return not any(holds(WHO[case.caller], action) for action in ROUTE_ACTIONS[prefix])


def compact(cases):
    seen, kept = set(), []
    for case in cases:
        key = (case.route, case.caller)
        if powerless(case):
            if key in seen:
                continue
            seen.add(key)
        kept.append(case)
    return kept


WITH_USER, WITH_USER_NEW = "/api/patrons/<pid>/with_user", "/api/patrons/with_user"


def _named(w, user_id):
    return next((name for name, uid in w.user.items() if uid == user_id), None)


def through_with_user(build, user_change=None):
    """An attempt on ``PUT /api/patrons/<pid>`` or ``POST /api/patrons/`` sent through the
    endpoint that also saves the person's data (``user_change(w, person) -> user part``,
    default: their data as read, unchanged), in one transaction: refused alike."""
    def wrapped(w, client):
        request = build(w, client)
        data = request.json or {}
        person = _named(w, data.get("user_id")) if request.method == "POST" else _named(w, patron_row_user(w, request.url))
        user = user_change(w, person) if user_change else dict(w.user_body.get(person, {}))
        url = f"{request.url}/with_user" if request.method == "PUT" else WITH_USER_NEW
        return Request(request.method, url, {"user": user, "patron": data})
    return wrapped


def patron_row_user(w, url):
    pid = url.rstrip("/").rsplit("/", 1)[-1]
    return next(w.user[name] for (name, _), p in w.pid.items() if p == pid)


def taken_over(field_name):
    def change(w, victim):
        return put_account(w, None, victim, field_name).json
    return change


def with_user_cases():
    for case in [*patron_cases()]:
        if case.route in (("PUT", PATRON), ("POST", PATRONS)):
            route = ("PUT", WITH_USER) if case.route[0] == "PUT" else ("POST", WITH_USER_NEW)
            unknown = through_with_user(case.unknown) if case.unknown else None
            yield Case(route, case.caller, f"{case.what} (with its person's data)", through_with_user(case.build),
                       victim=case.victim, record=case.record, unknown=unknown)
    for c, victim, name in product(CALLERS, ACCOUNT_VICTIMS, ACCOUNT_FIELDS):
        records = PEOPLE.get(victim, ())
        if c != victim and records and not may_change_account(WHO[c], victim):
            org = records[0].org
            build = partial(put_record, person=victim, org=org, change=lambda w, body, org: None)
            yield Case(("PUT", WITH_USER), c, f"{name} of {victim} with their {org} record",
                       through_with_user(build, taken_over(name)), victim=victim, record=(victim, org))
    for c in CALLERS:
        who = WHO[c]
        home = who.org or "A"
        if staff_may(who, "ptrn-create", home):
            elsewhere = "patron_b" if home == "A" else "patron_a"
            if not may_change_account(who, elsewhere):
                # a registration the caller may make, and in the same request the account taken over
                build = partial(post_with_token, person=elsewhere, org=home, minter=c, minted_for=elsewhere)
                yield Case(("POST", WITH_USER_NEW), c, f"register {elsewhere} in {home} and change their email",
                           through_with_user(build, taken_over("email")), victim=elsewhere)


CASES = compact([*patron_cases(), *user_cases(), *permission_cases(), *reference_cases(), *account_cases(),
                 *with_user_cases()])
# write routes that grant nothing to gain: why they have no case
EXEMPT = {
    ("POST", "/api/logout"): "ends the caller's own session; takes no identifier",
    ("POST", "/logout"): "the page's logout form: ends the caller's own session; takes no identifier",
    ("POST", "/api/user/password/validate"): "checks a string against the policy; stores nothing",
    ("PUT", "/api/user/language"): "the caller's own page language (account or session); takes no identifier",
    ("POST", "/language"): "the header's language selector: the caller's own page language; takes no identifier",
}
assert all(case.status != PASS for case in CASES), "a case without the refusal it must get"
ROUTES = {case.route for case in CASES}
TABLE = {route: [case for case in CASES if case.route == route] for route in sorted(ROUTES)}


# --- the world, built once ------------------------------------------------------------------------
@dataclass
class World:
    org: dict = field(default_factory=dict)
    lib: dict = field(default_factory=dict)
    ptype: dict = field(default_factory=dict)
    user: dict = field(default_factory=dict)
    username: dict = field(default_factory=dict)
    email: dict = field(default_factory=dict)
    pid: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)
    user_body: dict = field(default_factory=dict)
    me: dict = field(default_factory=dict)
    token: str = ""
    baseline: dict = field(default_factory=dict)


def _person_fields(name):
    slug = name.replace("_", "-")
    return {"username": f"sec-{slug}", "email": f"{slug}@example.org", "last_name": f"Sec {slug}"}


def _headers(w, caller):
    return {"Authorization": f"Bearer {w.token}"} if caller == "importer" else {}


def _enter(w, client, caller):
    """The client acts as ``caller`` (a session, the importer's token, or nobody)."""
    act_as(client, w.user.get(caller) if caller not in ("importer", "anonymous") else None)


def _me(w, client, caller):
    res = client.get("/api/permissions/me", headers=_headers(w, caller))
    return res.status_code, res.get_json()


@pytest.fixture(scope="module")
def app_config(app_config):
    # nothing here searches: writes need not wait for the index to refresh
    return {**app_config, "SEARCH_REFRESH": False}


@pytest.fixture(scope="module")
def world(app):
    empty_database()
    w = World()
    w.org = {"A": make_org("seca"), "B": make_org("secb"), "C": make_org("secc")}
    w.lib = {code: make_library(w.org[org], code) for code, org in LIBRARIES.items()}
    w.ptype = {org: make_patron_type(w.org[org]) for org in ("A", "B")}
    w.ptype["B-unused"] = make_patron_type(w.org["B"], "Unused")
    client = app.test_client()
    for name, records in PEOPLE.items():
        if name in CREATED_BY:
            continue
        w.user[name] = make_user(**_person_fields(name))
        for rec in records:
            extra = {"additional_communication_email": EXTRA_EMAIL} if name == "patron_a" else {}
            data = record_data(w.user[name], w.org[rec.org], rec.roles, [w.lib[lib] for lib in rec.libs],
                               w.ptype[rec.org] if "patron" in rec.roles else None, **extra)
            w.pid[name, rec.org] = patrons.create(system_identity(), data).pid
    for name, creator in CREATED_BY.items():
        w.user[name] = register_user(client, w.user[creator], **_person_fields(name))
    for name, roles in ACCOUNTS.items():
        w.user[name] = account_user(f"sec-{name}", roles)
    w.token = api_token(w.user["importer"])
    for by, on, action in DENIES:
        act_as(client, w.user[by])
        res = client.put(f"/api/permissions/users/{w.user[on]}/actions/{action}")
        assert res.status_code == 200, res.get_json()
    for name in w.user:
        row = account_row(w.user[name])
        w.username[name], w.email[name] = row[0], row[1]
        w.user_body[name] = user_body(w.user[name]) if name not in ACCOUNTS else {"username": row[0]}
    w.rows = {key: patron_row(pid) for key, pid in w.pid.items()}
    for c in CALLERS:
        if c != "anonymous":
            _enter(w, client, c)
            w.me[c] = _me(w, client, c)
    take_snapshot()
    w.baseline = fingerprint()
    yield w
    drop_snapshot()


# --- the table ------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_escalation_is_refused_and_changes_nothing(app, client, world, case):
    w = world
    request = case.build(w, client)
    _enter(w, client, case.caller)
    with app.extensions["mail"].record_messages() as outbox:
        res = client.open(request.url, method=request.method, json=request.json, headers=_headers(w, case.caller))
    status = res.status_code
    body = res.get_json(silent=True)
    problems = []
    if status >= 500 or (not case.harmless and not 400 <= status < 500):
        problems.append(f"answered {status} {body}, expected a refusal ({case.status or '4xx'})")
    elif case.status is not None and status != case.status:
        problems.append(f"refused with {status} {body}, API.md says {case.status}")
    if case.unknown is not None:
        unknown = case.unknown(w, client)
        other = client.open(unknown.url, method=unknown.method, json=unknown.json, headers=_headers(w, case.caller))
        if (other.status_code, other.get_json(silent=True)) != (status, body):
            problems.append(f"an unknown user id answers {other.status_code} {other.get_json(silent=True)}, "
                            f"this one {status} {body}")
    if case.check is not None:
        problems += case.check(w, outbox, client)
    changed = changed_tables(w.baseline, fingerprint())
    if changed:
        problems.append(f"the database changed: {', '.join(changed)}")
    if case.record is not None:
        row = patron_row(w.pid[case.record])
        if row != w.rows[case.record]:
            problems.append(f"record {case.record} is now {row}, was {w.rows[case.record]}")
    if case.victim is not None and not logs_in(app, w.username[case.victim]):
        problems.append(f"{case.victim} no longer logs in with the old password")
    if case.caller in w.me and _me(w, client, case.caller) != w.me[case.caller]:
        problems.append(f"the caller's GET /api/permissions/me changed: {_me(w, client, case.caller)} was {w.me[case.caller]}")
    if problems or changed or status < 400:
        restore_snapshot()
    assert not problems, "\n".join(problems)


def test_the_table_covers_every_caller_and_power_field():
    """The table itself: every kind of caller attempts something on every route group."""
    callers = {case.caller for case in CASES}
    assert set(CALLERS) <= callers
    whats = " ".join(case.what for case in CASES)
    for word in ("role", "library", "moved", "given to", "password", "email", "username", "deny", "grant", "token"):
        assert word in whats, word
