"""The OpenAPI 3.1 document: the operations table, its error answers, the schema
components and the two ways to authenticate."""

import copy

from .. import __version__
from .operations import paths
from .schemas import components

ERRORS = {
    400: ("BadRequest", "Bad input (one entry per problem, naming the field), or a session call without its X-CSRF-Token."),
    401: ("Unauthorized", "Not logged in, or an invalid or revoked API token."),
    403: ("Forbidden", "The caller lacks the action altogether (or ACCOUNT_EXPIRED at login)."),
    404: ("NotFound", "Unknown id, or a record outside the caller's scope (its existence does not leak)."),
    409: ("Conflict", "Conflict with existing data: a duplicate username, email, barcode or code; a refused delete."),
    412: ("PreconditionFailed", "If-Match names a stale revision: nothing changed."),
    413: ("PayloadTooLarge", "The body is larger than MAX_CONTENT_LENGTH."),
    414: ("URITooLong", "The URL is longer than MAX_URL_LENGTH."),
    429: ("TooManyRequests", "Too many calls: failed logins for this login name (TOO_MANY_ATTEMPTS), or exports of this person (Retry-After)."),
    503: ("ServiceUnavailable", "A service the answer needs is down."),
}
DESCRIPTION = """The users, patrons and permissions service of a RERO ILS library network.

Authenticate with the session cookie of `POST /api/login` (calls that change data
also send its `csrf_token` in `X-CSRF-Token`) or with an API token
(`Authorization: Bearer <token>`, made with `rero-ils-users tokens create`).

Every error is JSON: `{"status", "message", "errors": [{"field", "message", "code"}]}`; the
messages follow `Accept-Language` (en, fr, de, it), `code` is the same in every language.
Single records carry an `ETag: "<revision>"`; send it back in `If-Match` with PUT
or DELETE to refuse (412) a change made meanwhile."""


def _errors_of(path, method, spec):
    """The error statuses of one operation: its own, plus those every operation may answer."""
    codes = {400, 401, 414, 503, *spec.pop("x-errors")}  # 503: a service the answer needs is down
    if "requestBody" in spec:
        codes.add(413)
    if "{" in path:
        codes.add(404)
    return sorted(codes)


def _security_schemes(config):
    return {
        "sessionCookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": config["SESSION_COOKIE_NAME"],
            "description": "The session of POST /api/login.",
        },
        "csrfToken": {
            "type": "apiKey",
            "in": "header",
            "name": config["SECURITY_CSRF_HEADER"],
            "description": "The csrf_token of POST /api/login or GET /api/login: needed with the session cookie by calls that change data.",
        },
        "bearerToken": {"type": "http", "scheme": "bearer", "description": "An API token (rero-ils-users tokens create); no CSRF token needed."},
    }


def build(config):
    """The whole document for an application configured with ``config``."""
    document_paths = copy.deepcopy(paths(config))
    for path, operations in document_paths.items():
        for method, spec in operations.items():
            for code in _errors_of(path, method, spec):
                spec["responses"].setdefault(str(code), {"$ref": f"#/components/responses/{ERRORS[code][0]}"})
            spec["responses"] = dict(sorted(spec["responses"].items()))
            if not spec["parameters"]:
                del spec["parameters"]
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": config["SERVICE_NAME"],
            "version": __version__,
            "description": DESCRIPTION,
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": "/", "description": "This server."}],
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "tags": [{"name": name} for name in sorted({spec["tags"][0] for ops in document_paths.values() for spec in ops.values()})],
        "paths": document_paths,
        "components": {
            "schemas": components(),
            "responses": {name: {"description": text, "content": error} for name, text in ERRORS.values()},
            "headers": {
                "ETag": {
                    "description": 'The record\'s revision, "3": send it back in If-Match.',
                    "required": True,
                    "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
                }
            },
            "securitySchemes": _security_schemes(config),
        },
    }
