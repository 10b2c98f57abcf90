"""Every ``/api`` route, written in full: its parameters, body, answers and who may
call it. ``tests/openapi/test_document.py`` fails when this table and the routes of
the app differ (a path or a method missing on either side).

Errors every operation may answer are added by ``document.py`` (400 bad input or a
missing CSRF token, 401 an invalid API token, 414 an over-long URL, 503 a service it needs down; 413 for a body,
404 for a path with parameters); the table lists the others."""

from ..permissions.roles import ALL_ROLES
from .schemas import ref

# who may call: security requirements (OpenAPI: any one of them)
PUBLIC = [{}, {"bearerToken": []}, {"sessionCookie": []}]
PUBLIC_WRITE = PUBLIC  # acts on credentials sent in the body: no CSRF token needed
READ = [{"bearerToken": []}, {"sessionCookie": []}]
WRITE = [{"bearerToken": []}, {"sessionCookie": [], "csrfToken": []}]


def param(name, schema, where="query", description=None, required=None, **extra):
    spec = {"name": name, "in": where, "schema": schema, **extra}
    if where == "path" or required:
        spec["required"] = True
    if description:
        spec["description"] = description
    return spec


STRING = {"type": "string"}
PID = param("pid", {"type": "string", "pattern": "^[0-9]+$"}, "path", "The record's pid (digits); any other value is an unknown record (404).")
USER_ID = param("user_id", {"type": "integer", "minimum": 0}, "path", "The user's id.")
SEARCH = [
    param("q", STRING, description="A query string (OpenSearch syntax); a syntax error is a 400 naming q."),
    param("page", {"type": "integer", "minimum": 1, "default": 1}, description="1-based; page x size at most 10000."),
    param("size", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10}),
]
IF_MATCH = param(
    "If-Match",
    {"type": "string", "pattern": '^(\\*|(W/)?"[0-9]+")$'},
    "header",
    'The revision read (its ETag, "3" or W/"3"): a stale one answers 412 and changes nothing.',
)
DRY_RUN = param(
    "dry_run", {"type": "boolean", "default": False},
    description="true: every check of the write (permission, revision, fields, uniqueness), nothing kept; 204 when it would pass.",
)
CHECKED = {"204": {"description": "With dry_run=true: the write would pass; nothing was kept."}}
ETAG = {"ETag": {"$ref": "#/components/headers/ETag"}}


def json_answer(description, schema, headers=None):
    answer = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        answer["headers"] = headers
    return answer


def record(component, description="The record.", status="200"):
    return {status: json_answer(description, ref(f"{component}Record"), ETAG)}


def body(schema, description=None):
    spec = {"required": True, "content": {"application/json": {"schema": schema}}}
    if description:
        spec["description"] = description
    return spec


def operation(op_id, tag, summary, responses, errors=(), params=(), request=None, security=READ, description=None):
    spec = {
        "operationId": op_id,
        "tags": [tag],
        "summary": summary,
        "security": security,
        "parameters": list(params),
        "responses": dict(responses),
        "x-errors": list(errors),  # turned into error responses by document.py
    }
    if description:
        spec["description"] = description
    if request is not None:
        spec["requestBody"] = request
    return spec


def crud(resource, component, tag, who, search_params=(), create_errors=(409,), create_body=None):
    """The five routes of ``rest.crud_blueprint``."""
    base = f"/api/{resource}"
    name = component[0].upper() + component[1:]
    create_body = create_body or ref(component)
    return {
        f"{base}/": {
            "get": operation(f"search{name}s", tag, f"Search {tag} ({who})", {"200": json_answer("The hits.", ref(f"{component}Search"))}, (403,), SEARCH + list(search_params)),
            "post": operation(f"create{name}", tag, f"Create ({who})", record(component, "Created.", "201"), (403,) + tuple(create_errors), request=body(create_body), security=WRITE),
        },
        f"{base}/{{pid}}": {
            "get": operation(f"read{name}", tag, "Read", record(component), (403,), [PID]),
            "put": operation(
                f"update{name}", tag, "Replace the whole record (read-only fields sent back are ignored)",
                {**record(component, "Updated."), **CHECKED}, (403, 409, 412), [PID, IF_MATCH, DRY_RUN], body(create_body), WRITE,
            ),
            "delete": operation(
                f"delete{name}", tag, "Delete (409 while something still uses it)", {"204": {"description": "Deleted."}},
                (403, 409, 412), [PID, IF_MATCH], security=WRITE,
            ),
        },
    }


def _list_param(name, description):
    return param(name, {"type": "array", "items": STRING}, description=description, style="form", explode=True)


BOOLEAN_PARAM = {"type": "string", "enum": ["true", "false"]}
PATRON_FILTERS = [
    _list_param("roles", "Records holding one of these roles."),
    _list_param("patron_type", "Patron type pids."),
    _list_param("library", "Affiliation library pids."),
    _list_param("city", "Cities (exact)."),
    _list_param("local_codes", "Local codes."),
    _list_param("barcode", "Exact barcode lookup (the desk scans a card)."),
    param("blocked", BOOLEAN_PARAM),
    param("expired", BOOLEAN_PARAM),
    param("sort", {"type": "string", "enum": ["name", "-created", "expiration_date"]}),
    param("organisation", STRING, description="superuser only: narrow to one organisation."),
]


def records():
    paths = {}
    paths.update(crud("organisations", "Organisation", "organisations", "admin, superuser; staff read"))
    paths.update(crud("libraries", "Library", "libraries", "staff of the organisation, per the matrix"))
    paths.update(crud("patron_types", "PatronType", "patron types", "staff of the organisation, per the matrix"))
    paths.update(crud("patrons", "Patron", "patrons", "ptrn-* actions", PATRON_FILTERS, create_body=ref("PatronBody")))
    paths["/api/patrons/{pid}"]["get"]["summary"] = "Read (staff; the person their own record)"
    return paths


def users():
    who = "the person, or staff of an organisation where they have a patron record"
    return {
        "/api/users/": {
            "get": operation(
                "lookupUser", "users", 'The "already registered?" lookup (ptrn-create): 0 or 1 hit',
                {"200": json_answer("0 or 1 hit, with the person's patron records and a registration_token.", ref("UserSearch"))},
                (403,), [param("q", STRING, description="email:<address>, username:<name> or a bare value; exact, case-insensitive.")],
            ),
            "post": operation(
                "createUser", "users", "Create a person and their account (ptrn-create)",
                {"201": json_answer("Created; generated_password when none was sent.", ref("UserCreated"), ETAG)},
                (403, 409), request=body(ref("UserBody")), security=WRITE,
            ),
        },
        "/api/users/{user_id}": {
            "get": operation("readUser", "users", f"Read ({who})", record("User"), (403,), [USER_ID]),
            "put": operation(
                "updateUser", "users", f"Update ({who}); an absent password is unchanged", {**record("User", "Updated."), **CHECKED},
                (403, 409, 412), [USER_ID, IF_MATCH, DRY_RUN], body(ref("UserBody")), WRITE,
            ),
            "delete": operation(
                "deleteUser", "users", "Erase a person with no patron record left (admin, superuser)",
                {"204": {"description": "Erased."}}, (403, 409, 412), [USER_ID, IF_MATCH], security=WRITE,
            ),
        },
        "/api/users/duplicates": {
            "get": operation(
                "searchDuplicates", "users", "Likely duplicates in the caller's organisation (ptrn-search)",
                {"200": json_answer("Patron records, best first.", ref("PatronSearch"))}, (403,),
                [param("first_name", STRING), param("last_name", STRING), param("birth_date", {"type": "string", "format": "date"})]
                + SEARCH[1:],
            ),
        },
    }


def patron_extras():
    reader = "whoever may read the record (ptrn-read)"
    history_list = operation(
        "searchHistory", "history", "The patron's history, newest first (the person, staff allowed to read patrons)",
        {"200": json_answer("The entries.", ref("HistoryEntrySearch"))}, (403,), [PID] + SEARCH[1:],
    )
    history_create = operation(
        "createHistoryEntry", "history", "Record a circulation event (access-circulation in the organisation)",
        {
            "201": json_answer("Stored: the user keeps their history.", ref("HistoryKept"), ETAG),
            "202": json_answer("Not stored: the user does not keep their history.", ref("NotKept")),
        },
        (403,), [PID], body(ref("HistoryEntry")), WRITE,
    )
    together = "ETag: the record's revision. A refusal of either part keeps nothing; field paths start with user. or patron."
    return {
        "/api/patrons/{pid}/with_user": {
            "put": operation(
                "updatePatronWithUser", "patrons",
                "Replace the record and its person's data in one transaction (each part: the rights of its own PUT)",
                {"200": json_answer("Both saved.", ref("PatronWithUser"), ETAG), **CHECKED},
                (403, 409, 412), [PID, IF_MATCH, DRY_RUN], body(ref("PatronWithUserBody")), WRITE,
                description="The personal data are applied first (the channel rule of API.md acts), then the record. "
                + together,
            ),
        },
        "/api/patrons/with_user": {
            "post": operation(
                "createPatronWithUser", "patrons",
                "Register a person (created record) and update their personal data in one transaction",
                {"201": json_answer("Both saved.", ref("PatronWithUser"), ETAG)},
                (403, 409, 412), request=body(ref("PatronWithUserBody")), security=WRITE,
                description="The record is created first (registration_token of the lookup for a person known elsewhere), "
                "then the person's data are updated as PUT /api/users/<id> would. " + together,
            ),
        },
        "/api/patrons/me": {
            "get": operation(
                "patronAccount", "patrons", "The caller's own patron records (no staff notes)",
                {"200": json_answer("The records holding the patron role.", ref("PatronSearch"))}, (403,),
            ),
        },
        "/api/patrons/{pid}/circulation": {
            "get": operation(
                "circulationCheck", "patrons", f"May the patron check out, renew, request? ({reader})",
                {"200": json_answer("The verdict and its reasons.", ref("Circulation"))}, (403,),
                [PID, param("action", {"type": "string", "enum": ["checkout", "renew", "request"]}, required=True)],
            ),
        },
        "/api/patrons/{pid}/notification_recipients": {
            "get": operation(
                "notificationRecipients", "patrons", f"Where a notice to the patron goes ({reader})",
                {"200": json_answer("Channel, addresses, language.", ref("Recipients"))}, (403,), [PID],
            ),
        },
        "/api/patrons/{pid}/permissions": {
            "get": operation(
                "explainPermissions", "permissions", "What the person may do, and why (the person, staff with ptrn-read)",
                {"200": json_answer("One line per action of the matrix.", {"type": "array", "items": ref("PermissionLine")})},
                (403,), [PID],
            ),
        },
        "/api/patrons/{pid}/history/": {"get": history_list, "post": history_create},
        "/api/patrons/{pid}/history": {
            "get": {**history_list, "operationId": "searchHistoryNoSlash"},
            "post": {**history_create, "operationId": "createHistoryEntryNoSlash"},
        },
        "/api/patrons/{pid}/history/{entry_id}": {
            "get": operation(
                "readHistoryEntry", "history", "One entry", record("HistoryEntry"), (403,),
                [PID, param("entry_id", {"type": "integer", "minimum": 0}, "path")],
            ),
        },
    }


ROLE = param("role", {"type": "string", "enum": list(ALL_ROLES)}, "path", "A role of the matrix (unknown: 400).")
ACTION = param("action", {"type": "string", "minLength": 1}, "path", "An action such as ptrn-update (unknown: 400).")
DENY_USER = param("user_id", {"type": "integer", "minimum": 0}, "path", "The person's user id.")


def permissions():
    network = "admin, superuser"
    return {
        "/api/permissions/me": {
            "get": operation("myPermissions", "permissions", "The caller's roles and actions (logged in)", {"200": json_answer("Roles and actions.", ref("PermissionsMe"))}),
        },
        "/api/permissions/check": {
            "get": operation(
                "checkPermission", "permissions", "May the caller do this action? (anyone)",
                {"200": json_answer("The verdict.", ref("PermissionCheck"))}, (),
                [param("action", STRING, required=True), param("organisation", STRING, description="Judge in this organisation.")],
                security=PUBLIC,
            ),
        },
        "/api/permissions/matrix": {
            "get": operation("readMatrix", "permissions", "The role -> action matrix (pro_full_permissions, admin, superuser)", {"200": json_answer("The matrix.", ref("Matrix"))}, (403,)),
        },
        "/api/permissions/audit": {
            "get": operation(
                "readAudit", "permissions", "Who changed which grant or deny (admin, superuser; pro_full_permissions: their organisation's denies)",
                {"200": json_answer("Newest first.", ref("AuditSearch"))}, (403,),
                SEARCH[1:]
                + [
                    param("user_id", {"type": "integer", "minimum": 1}),
                    param("role", STRING),
                    param("action", STRING),
                    param("operation", {"type": "string", "enum": ["grant", "revoke", "deny", "lift"]}),
                ],
            ),
        },
        "/api/permissions/{resource}/{pid}": {
            "get": operation(
                "recordButtons", "permissions", "What the caller may do with one record (the UI's buttons)",
                {"200": json_answer("read, update, delete.", ref("Buttons"))}, (403,),
                [param("resource", {"type": "string", "enum": ["organisations", "libraries", "patron_types", "users", "patrons"]}, "path"), PID],
            ),
        },
        "/api/permissions/roles/{role}/actions/{action}": {
            "put": operation("grantAction", "permissions", f"Grant an action to a role, network-wide ({network})", {"200": json_answer("The action's roles now.", ref("Grant"))}, (403,), [ROLE, ACTION], security=WRITE),
            "delete": operation("revokeAction", "permissions", f"Revoke it ({network})", {"204": {"description": "Revoked."}}, (403,), [ROLE, ACTION], security=WRITE),
        },
        "/api/permissions/users/{user_id}/actions/{action}": {
            "put": operation(
                "denyAction", "permissions", "Deny one action to one person (pro_full_permissions of their organisation, admin, superuser)",
                {"200": json_answer("The deny.", ref("Deny"))}, (403, 409), [DENY_USER, ACTION], security=WRITE,
            ),
            "delete": operation("liftDeny", "permissions", "Lift the deny", {"204": {"description": "Lifted."}}, (403,), [DENY_USER, ACTION], security=WRITE),
        },
    }


def accounts(config):
    message = {"200": json_answer("Done.", ref("Message"))}
    return {
        "/api/login": {
            "post": operation(
                "login", "accounts", "Log in with a username or email (sets the session cookie)",
                {"200": json_answer("The account and the session's CSRF token.", ref("Session"))},
                (403, 429), request=body(ref("Credentials")), security=PUBLIC_WRITE,
                description="400 INVALID_USER_OR_PASSWORD for any wrong pair; 429 TOO_MANY_ATTEMPTS after "
                f"{config['LOGIN_MAX_ATTEMPTS']} failures of one login name; 403 ACCOUNT_EXPIRED.",
            ),
            "get": operation("currentSession", "accounts", "The current session and a fresh CSRF token", {"200": json_answer("The account.", ref("Session"))}),
        },
        "/api/logout": {"post": operation("logout", "accounts", "Log out", message, security=PUBLIC_WRITE)},
        "/api/password/forgot": {
            "post": operation("forgotPassword", "accounts", "Mail a reset link (same answer whether the address exists or not)", message, request=body(ref("EmailBody")), security=PUBLIC_WRITE),
        },
        "/api/password/reset": {
            "post": operation("resetPassword", "accounts", "Set a new password with a reset token", message, request=body(ref("ResetBody")), security=PUBLIC_WRITE),
        },
        "/api/user/password/validate": {
            "post": operation("validatePassword", "accounts", "Does a password satisfy the policy? (400 naming the rule)", message, request=body(ref("PasswordBody")), security=PUBLIC_WRITE),
        },
        "/api/user/language": {
            "put": operation(
                "setLanguage", "accounts", "The language of the caller's pages and messages (kept in the account; anonymous: the session)",
                {"200": json_answer("Saved.", ref("LanguageSaved"))}, request=body(ref("LanguageBody")), security=[{}] + WRITE,
            ),
        },
        "/api/user/password/generate": {
            "get": operation(
                "generatePassword", "accounts", "A password satisfying the policy (staff)", {"200": json_answer("The password.", ref("GeneratedPassword"))},
                (403,), [param("length", {"type": "integer", "minimum": config["PASSWORD_MIN_LENGTH"], "maximum": 255, "default": 12})],
            ),
        },
    }


def service():
    return {
        "/api/": {
            "get": operation("serviceRoot", "service", "Service name, version, links to the resources", {"200": json_answer("The service.", ref("ServiceRoot"))}, security=PUBLIC),
        },
        "/api/openapi.json": {
            "get": operation(
                "openapi", "service", "This description (OpenAPI 3.1)",
                {"200": {"description": "The document.", "content": {"application/json": {"schema": {"type": "object", "required": ["openapi", "paths"]}}}}},
                security=PUBLIC,
            ),
        },
        "/api/monitoring/consistency": {
            "get": operation(
                "consistency", "monitoring", "Database against index, per resource: ids missing from the index, extra in it (monitoring-access; streamed)",
                {"200": json_answer("The differences and both counts.", ref("Consistency"))}, (403, 503),
            ),
        },
        "/api/monitoring/health": {
            "get": operation(
                "health", "monitoring", "Database, index, broker and worker status (monitoring, admin, superuser)",
                {"200": json_answer("Healthy.", ref("Health")), "503": json_answer("Database, index or broker down: the same report.", ref("Health"))},
                (403,),
            ),
        },
    }


def privacy():
    audit = {"200": json_answer("The entries, newest first.", ref("PersonalDataAuditSearch"))}
    who = "admin, superuser, full librarians of an organisation holding the person, the person"
    return {
        "/api/users/{user_id}/audit": {
            "get": operation(
                "personAudit", "privacy", f"Changes to a person's data and records ({who})", audit, (403,), [USER_ID] + SEARCH[1:],
            ),
        },
        "/api/patrons/{pid}/audit": {
            "get": operation("recordAudit", "privacy", f"Changes to one patron record ({who})", audit, (403,), [PID] + SEARCH[1:]),
        },
        "/api/users/me/export": {
            "get": operation(
                "exportMyData", "privacy", "Everything held about the caller, without staff notes (rate-limited, audited)",
                {"200": json_answer("The caller's data.", ref("PersonalDataExport"))}, (403, 429),
                [param("download", {"type": "string"}, description="1 or true: sent as a file (Content-Disposition).")],
            ),
        },
    }


def paths(config):
    """Every path of the API with its operations."""
    result = {}
    for part in (service(), records(), users(), patron_extras(), permissions(), privacy(), accounts(config)):
        for path, operations in part.items():
            result.setdefault(path, {}).update(operations)
    return dict(sorted(result.items()))
