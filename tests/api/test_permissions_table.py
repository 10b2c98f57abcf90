"""Role x endpoint x scope, as a table.

For every caller (each record role alone, combinations, account roles, anonymous),
every implemented endpoint and verb (organisations, libraries, patron_types, users,
patrons: list/read/create/update/delete), own organisation vs other organisation,
own library vs other library: the expected status is DERIVED from
``permissions/data/matrix.json`` (which roles grant which action) plus the scoping
rules of API.md section 5, written here independently of ``policy.py``.

Each caller's run also checks, cell for cell, that the UI's buttons
(``GET /api/permissions/<resource>/<pid>``) and the person's explanation
(``GET /api/patrons/<pid>/permissions``) agree with what the endpoints did.
"""

from dataclasses import dataclass, field
from itertools import count

import pytest

from rero_ils_users.libraries.service import libraries
from rero_ils_users.organisations.service import organisations
from rero_ils_users.patron_types.service import patron_types
from rero_ils_users.patrons.service import patrons
from rero_ils_users.permissions import matrix
from rero_ils_users.permissions.needs import ANONYMOUS, system_identity
from rero_ils_users.permissions_api import service as permissions
from rero_ils_users.users.service import users
from tests.helpers import (
    login,
    logout,
    make_account,
    make_library,
    make_org,
    make_patron_type,
    make_person,
    make_user,
    record_data,
    ref,
    user_data,
)

GRANTS = matrix.default_grants()  # read from data/matrix.json
PRO = {
    "pro_full_permissions", "pro_library_administrator", "pro_read_only", "pro_catalog_manager",
    "pro_circulation_manager", "pro_user_manager", "pro_acquisition_manager", "pro_entity_manager",
    "pro_statistic_manager",
}
NETWORK = {"any_user", "authenticated_user", "admin", "monitoring", "document_importer", "superuser"}
RECORD_ROLES = PRO | {"patron"}
# API.md section 5: who may assign roles
ASSIGN = {
    "pro_full_permissions": RECORD_ROLES,
    "pro_library_administrator": {"patron", "pro_read_only", "pro_circulation_manager", "pro_catalog_manager",
                                  "pro_user_manager", "pro_acquisition_manager"},
    "pro_user_manager": {"patron"},
}
OK, SUCCESS = "ok", {200, 201, 204}
_n = count()

CALLERS = {
    "anonymous": {},
    "patron": {"record": ["patron"]},
    **{role: {"record": [role]} for role in sorted(PRO)},
    "read+catalog+circulation+users": {
        "record": ["pro_read_only", "pro_catalog_manager", "pro_circulation_manager", "pro_user_manager"]
    },
    "patron+library_administrator": {"record": ["patron", "pro_library_administrator"]},
    "catalog+acquisition": {"record": ["pro_catalog_manager", "pro_acquisition_manager"]},
    "admin": {"account": ["admin"]},
    "superuser": {"account": ["superuser"]},
    "monitoring": {"account": ["monitoring"]},
}


# --- the oracle: matrix.json + the contract's scoping rules ------------------------------
@dataclass
class Caller:
    name: str
    user_id: int | None = None
    record_roles: set = field(default_factory=set)
    account_roles: set = field(default_factory=set)
    org: str | None = None  # organisation of the professional record
    patron_org: str | None = None
    libs: set = field(default_factory=set)
    pid: str | None = None  # their own patron record

    @property
    def roles(self):
        system = {"any_user"} if self.user_id is None else {"any_user", "authenticated_user"}
        return system | self.record_roles | self.account_roles

    @property
    def su(self):
        return "superuser" in self.account_roles

    @property
    def network(self):
        return bool(self.account_roles & {"admin", "superuser"})

    def assignable(self):
        if self.su:
            return RECORD_ROLES
        return set().union(*(ASSIGN.get(r, set()) for r in self.record_roles))


@dataclass
class T:
    """A target record as the contract sees it."""

    org: str | None = None
    libs: frozenset = frozenset()
    owner: int | None = None
    professional: bool = False


def granting(c, action):
    return {r for r in c.roles if action in GRANTS.get(r, ())}


def expect(c, action, t=None):
    """OK, or the status a refusal must answer."""
    if not c.su and not granting(c, action):
        return 401 if c.user_id is None else 403
    if t is None or c.su:
        return OK
    roles = granting(c, action)
    if roles & NETWORK:
        return OK
    if roles & PRO and t.org == c.org:
        verb = action.rsplit("-", 1)[1]
        if verb in ("create", "update", "delete") and t.professional:
            if "pro_full_permissions" not in c.record_roles and not (c.libs & t.libs):
                return 403
        return OK
    if "patron" in roles and t.owner is not None and t.owner == c.user_id and t.org == c.patron_org:
        return OK
    return 404


def then(result, status):
    """The success (or conflict) status once the permission check passed."""
    return status if result == OK else result


# --- the world -------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def fresh(clean_module):
    """Not the per-test ``clean`` of tests/api/conftest.py: the world is built once
    for the module, on tables and indexes emptied once."""


@pytest.fixture(scope="module")
def world(app, clean_module):
    """Organisation A (libraries a1, a2), B (b1), a few people; built once per module."""
    a, b = make_org("tbla"), make_org("tblb")
    w = {"a": a, "b": b, "a1": make_library(a, "a1"), "a2": make_library(a, "a2"), "b1": make_library(b, "b1")}
    w["ptype_a"], w["ptype_b"] = make_patron_type(a), make_patron_type(b)
    w["patron_a"] = make_person(a, ["patron"], ptype=w["ptype_a"])
    w["patron_b"] = make_person(b, ["patron"], ptype=w["ptype_b"])
    w["pro_a1"] = make_person(a, ["pro_read_only"], libraries=[w["a1"]])
    w["pro_a2"] = make_person(a, ["pro_read_only"], libraries=[w["a2"]])
    w["full_a"] = make_person(a, ["pro_full_permissions"], libraries=[w["a1"]])
    w["full_b"] = make_person(b, ["pro_full_permissions"], libraries=[w["b1"]])
    w["no_record"] = make_user(steward=a)  # created by organisation a, not registered yet
    return w


def make_caller(world, name, spec):
    c = Caller(name)
    if "record" in spec:
        roles = spec["record"]
        pro = bool(set(roles) & PRO)
        c.user_id, c.pid = make_person(
            world["a"], roles, libraries=[world["a1"]] if pro else (), ptype=world["ptype_a"] if "patron" in roles else None
        )
        c.record_roles = set(roles)
        c.org = world["a"] if pro else None
        c.patron_org = world["a"] if "patron" in roles else None
        c.libs = {world["a1"]} if pro else set()
    elif "account" in spec:
        c.user_id, c.account_roles = make_account(*spec["account"]), set(spec["account"])
    return c


# --- cells --------------------------------------------------------------------------------------
@dataclass
class Cell:
    resource: str
    verb: str
    label: str
    action: str | None  # the action the explanation line must agree on (None: not one action)
    expected: object
    method: str
    url: str
    body: dict | None = None
    buttons: tuple | None = None  # (resource, pid) whose buttons must agree


def metadata(envelope):
    return envelope["metadata"]


def org_cells(w, c):
    a, b = w["a"], w["b"]
    victim = make_org(f"v{next(_n)}")
    own = T(org=a)
    yield Cell("organisations", "list", "-", "org-search", then(expect(c, "org-search"), 200), "GET", "/api/organisations/?size=1000")
    for label, pid, t in (("own org", a, own), ("other org", b, T(org=b))):
        yield Cell("organisations", "read", label, "org-read", then(expect(c, "org-read", t), 200), "GET",
                   f"/api/organisations/{pid}", buttons=("organisations", pid))
        body = metadata(organisations.read(system_identity(), pid))
        yield Cell("organisations", "update", label, "org-update", then(expect(c, "org-update", t), 200), "PUT",
                   f"/api/organisations/{pid}", body, buttons=("organisations", pid))
    code = f"n{next(_n)}"
    yield Cell("organisations", "create", "-", "org-create", then(expect(c, "org-create", T()), 201), "POST",
               "/api/organisations/", {"name": f"New {code}", "code": code})
    yield Cell("organisations", "delete", "own org (has libraries)", "org-delete",
               then(expect(c, "org-delete", own), 409), "DELETE", f"/api/organisations/{a}", buttons=("organisations", a))
    yield Cell("organisations", "delete", "other org (empty)", "org-delete",
               then(expect(c, "org-delete", T(org=victim)), 204), "DELETE", f"/api/organisations/{victim}",
               buttons=("organisations", victim))


def library_cells(w, c):
    a, b = w["a"], w["b"]
    yield Cell("libraries", "list", "-", "lib-search", then(expect(c, "lib-search"), 200), "GET", "/api/libraries/?size=1000")
    targets = (("own library", w["a1"], a), ("other library, own org", w["a2"], a), ("other org", w["b1"], b))
    for label, pid, org in targets:
        t = T(org=org, libs=frozenset({pid}), professional=True)
        yield Cell("libraries", "read", label, "lib-read", then(expect(c, "lib-read", t), 200), "GET",
                   f"/api/libraries/{pid}", buttons=("libraries", pid))
        body = metadata(libraries.read(system_identity(), pid))
        yield Cell("libraries", "update", label, "lib-update", then(expect(c, "lib-update", t), 200), "PUT",
                   f"/api/libraries/{pid}", body, buttons=("libraries", pid))
    for label, org in (("own org", a), ("other org", b)):
        code = f"c{next(_n)}"
        body = {"name": code, "code": code, "email": f"{code}@library.example.org", "organisation": ref("organisations", org)}
        yield Cell("libraries", "create", label, "lib-create", then(expect(c, "lib-create", T(org=org)), 201), "POST",
                   "/api/libraries/", body)
    yield Cell("libraries", "delete", "own library (referenced)", "lib-delete",
               then(expect(c, "lib-delete", T(org=a, libs=frozenset({w["a1"]}), professional=True)), 409), "DELETE",
               f"/api/libraries/{w['a1']}", buttons=("libraries", w["a1"]))
    for label, org in (("other library, own org (unused)", a), ("other org (unused)", b)):
        victim = make_library(org, f"d{next(_n)}")
        t = T(org=org, libs=frozenset({victim}), professional=True)
        yield Cell("libraries", "delete", label, "lib-delete", then(expect(c, "lib-delete", t), 204), "DELETE",
                   f"/api/libraries/{victim}", buttons=("libraries", victim))


def patron_type_cells(w, c):
    a, b = w["a"], w["b"]
    yield Cell("patron_types", "list", "-", "ptty-search", then(expect(c, "ptty-search"), 200), "GET", "/api/patron_types/?size=1000")
    for label, pid, org in (("own org", w["ptype_a"], a), ("other org", w["ptype_b"], b)):
        t = T(org=org)
        yield Cell("patron_types", "read", label, "ptty-read", then(expect(c, "ptty-read", t), 200), "GET",
                   f"/api/patron_types/{pid}", buttons=("patron_types", pid))
        body = metadata(patron_types.read(system_identity(), pid))
        yield Cell("patron_types", "update", label, "ptty-update", then(expect(c, "ptty-update", t), 200), "PUT",
                   f"/api/patron_types/{pid}", body, buttons=("patron_types", pid))
        yield Cell("patron_types", "create", label, "ptty-create", then(expect(c, "ptty-create", t), 201), "POST",
                   "/api/patron_types/", {"name": "New", "organisation": ref("organisations", org)})
        victim = make_patron_type(org, name="Unused")
        yield Cell("patron_types", "delete", f"{label} (unused)", "ptty-delete", then(expect(c, "ptty-delete", t), 204),
                   "DELETE", f"/api/patron_types/{victim}", buttons=("patron_types", victim))
    yield Cell("patron_types", "delete", "own org (used)", "ptty-delete", then(expect(c, "ptty-delete", T(org=a)), 409),
               "DELETE", f"/api/patron_types/{w['ptype_a']}", buttons=("patron_types", w["ptype_a"]))


def patron_cells(w, c):
    a, b = w["a"], w["b"]
    yield Cell("patrons", "list", "-", "ptrn-search", then(expect(c, "ptrn-search"), 200), "GET", "/api/patrons/?size=1000")
    targets = [
        ("patron, own org", w["patron_a"], T(org=a, owner=w["patron_a"][0])),
        ("librarian, own library", w["pro_a1"], T(a, frozenset({w["a1"]}), w["pro_a1"][0], True)),
        ("librarian, other library", w["pro_a2"], T(a, frozenset({w["a2"]}), w["pro_a2"][0], True)),
        ("patron, other org", w["patron_b"], T(org=b, owner=w["patron_b"][0])),
    ]
    if c.pid:
        targets.append(("themself", (c.user_id, c.pid), T(a, frozenset(c.libs), c.user_id, bool(c.record_roles & PRO))))
    for label, (_, pid), t in targets:
        yield Cell("patrons", "read", label, "ptrn-read", then(expect(c, "ptrn-read", t), 200), "GET",
                   f"/api/patrons/{pid}", buttons=("patrons", pid))
        body = metadata(patrons.read(system_identity(), pid))
        yield Cell("patrons", "update", label, "ptrn-update", then(expect(c, "ptrn-update", t), 200), "PUT",
                   f"/api/patrons/{pid}", body, buttons=("patrons", pid))
    # create: (label, organisation, roles, libraries)
    creations = [
        ("patron, own org", a, ["patron"], []),
        ("librarian, own library", a, ["pro_read_only"], [w["a1"]]),
        ("librarian, other library", a, ["pro_read_only"], [w["a2"]]),
        ("full librarian, own library", a, ["pro_full_permissions"], [w["a1"]]),
        ("patron, other org", b, ["patron"], []),
    ]
    for label, org, roles, libs in creations:
        t = T(org, frozenset(libs), None, bool(set(roles) & PRO))
        result = expect(c, "ptrn-create", t)
        if result == OK and not set(roles) <= c.assignable():
            result = 400  # "Unable to manage role(s)"
        ptype = w["ptype_a"] if org == a else w["ptype_b"]
        body = record_data(make_user(steward=org), org, roles, libs, ptype if "patron" in roles else None)
        yield Cell("patrons", "create", label, "ptrn-create", then(result, 201), "POST", "/api/patrons/", body)
    for label, org, roles, libs in creations[:3] + creations[4:]:
        ptype = w["ptype_a"] if org == a else w["ptype_b"]
        owner, victim = make_person(org, roles, libraries=libs, ptype=ptype if "patron" in roles else None)
        t = T(org, frozenset(libs), owner, bool(set(roles) & PRO))
        result = expect(c, "ptrn-delete", t)
        if result == OK and not set(roles) <= c.assignable():
            result = 403  # the caller must be able to manage every role of the record
        yield Cell("patrons", "delete", label, "ptrn-delete", then(result, 204), "DELETE", f"/api/patrons/{victim}",
                   buttons=("patrons", victim))


def user_access(c, verb, user_id, records, steward=None):
    """API.md section 2: self, network roles, staff over one of the person's records;
    for a person with no record, the staff allowed to create patrons of the
    organisation that created them (issue 10: no longer anyone allowed to)."""
    if c.user_id is not None and (c.network or c.user_id == user_id):
        return OK
    if not records:
        allowed = expect(c, "ptrn-create")
        return allowed if allowed != OK or (steward and c.org == steward) else 404
    if any(expect(c, f"ptrn-{verb}", t) == OK for t in records):
        return OK
    refused = expect(c, f"ptrn-{verb}")
    return refused if refused != OK else 404


def user_cells(w, c):
    a, b = w["a"], w["b"]
    yield Cell("users", "list", "lookup", None, then(expect(c, "ptrn-create"), 200), "GET", "/api/users/?q=nobody@example.org")
    targets = [
        ("person with a record in own org", w["patron_a"][0], [T(org=a, owner=w["patron_a"][0])]),
        ("person with a record in other org", w["patron_b"][0], [T(org=b, owner=w["patron_b"][0])]),
        ("person with no record", w["no_record"], []),
    ]
    stewards = {w["no_record"]: a}
    if c.pid:  # (accounts made with the CLI have no personal data to read)
        targets.append(("themself", c.user_id, [T(a, frozenset(c.libs), c.user_id, bool(c.record_roles & PRO))]))
    for label, user_id, records in targets:
        yield Cell("users", "read", label, None, then(user_access(c, "read", user_id, records, stewards.get(user_id)), 200), "GET",
                   f"/api/users/{user_id}", buttons=("users", user_id))
        body = metadata(users.read(system_identity(), user_id))
        yield Cell("users", "update", label, None, then(user_access(c, "update", user_id, records, stewards.get(user_id)), 200), "PUT",
                   f"/api/users/{user_id}", body, buttons=("users", user_id))
    yield Cell("users", "create", "-", None, then(expect(c, "ptrn-create"), 201), "POST", "/api/users/", user_data())
    erase = OK if c.network else (401 if c.user_id is None else 403)
    victim = make_user()
    yield Cell("users", "delete", "person with no record", None, then(erase, 204), "DELETE", f"/api/users/{victim}",
               buttons=("users", victim))
    yield Cell("users", "delete", "person with a record", None, then(erase, 409), "DELETE",
               f"/api/users/{w['patron_a'][0]}", buttons=("users", w["patron_a"][0]))


RESOURCES = (org_cells, library_cells, patron_type_cells, patron_cells, user_cells)


# --- running a caller's row ---------------------------------------------------------------------
def organisations_of_hits(resource, body):
    orgs = set()
    for hit in body["hits"]["hits"]:
        meta = hit["metadata"]
        orgs.add(hit["id"] if resource == "organisations" else meta["organisation"]["pid"])
    return orgs


def explanation(client, c):
    if c.pid:
        return {line["action"]: line["can"] for line in client.get(f"/api/patrons/{c.pid}/permissions").get_json()}
    person = ANONYMOUS if c.user_id is None else c.user_id
    return {line["action"]: line["can"] for line in permissions.explain(system_identity(), person)}


def buttons_problem(cell, res, read_status, status):
    """The buttons of ``cell.buttons`` (response ``res``) against what the endpoints answered."""
    where = f"{cell.resource} {cell.verb} [{cell.label}]"
    if read_status != 200:
        if res.status_code != read_status:
            return f"{where}: buttons answer {res.status_code}, GET answers {read_status}"
        return None
    if res.status_code != 200:
        return f"{where}: buttons answer {res.status_code}, GET answers 200"
    button = res.get_json()[cell.verb]
    if button["can"] != (status in SUCCESS):
        return f"{where}: button can={button['can']} {button.get('reasons', '')}, endpoint {status}"
    return None


@pytest.mark.parametrize("name", list(CALLERS))
def test_role_endpoint_scope_table(app, client, world, name):
    c = make_caller(world, name, CALLERS[name])
    logout(client)
    if c.user_id is not None:
        login(client, c.user_id)
    problems, outcomes, read_status = [], {}, {}
    for cells in RESOURCES:
        for cell in cells(world, c):
            before = None
            if cell.buttons and cell.verb == "delete":  # the record as it is before the delete
                read_status[cell.buttons] = client.get(f"/api/{cell.buttons[0]}/{cell.buttons[1]}").status_code
                before = client.get(f"/api/permissions/{cell.buttons[0]}/{cell.buttons[1]}")
            res = client.open(cell.url, method=cell.method, json=cell.body)
            status = res.status_code
            if status != cell.expected:
                detail = res.get_json() if status != 204 else ""
                problems.append(f"{cell.resource} {cell.verb} [{cell.label}]: {status} (expected {cell.expected}) {detail}")
            if cell.verb == "read" and cell.buttons:
                read_status[cell.buttons] = status
            if cell.buttons:
                buttons = before or client.get(f"/api/permissions/{cell.buttons[0]}/{cell.buttons[1]}")
                problem = buttons_problem(cell, buttons, read_status[cell.buttons], status)
                if problem:
                    problems.append(problem)
            if cell.verb == "list" and status == 200 and cell.resource != "users":
                seen = organisations_of_hits(cell.resource, res.get_json())
                if not c.network and seen - {world["a"]}:
                    problems.append(f"{cell.resource} list shows other organisations: {sorted(seen)}")
                if c.network and world["b"] not in seen:
                    problems.append(f"{cell.resource} list hides organisation B from a network role")
            if cell.action:
                outcomes.setdefault(cell.action, []).append(status)
    can = explanation(client, c)
    for action, statuses in sorted(outcomes.items()):
        allowed = any(s in SUCCESS | {400, 409} for s in statuses)
        if can[action] != allowed:
            problems.append(f"explanation says {action} can={can[action]}, endpoints answered {statuses}")
        if not can[action] and set(statuses) - {401, 403}:
            problems.append(f"explanation says {action} is refused, endpoints answered {statuses}")
    assert not problems, f"{name}:\n  " + "\n  ".join(problems)

