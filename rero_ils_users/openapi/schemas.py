"""Schema components: the record schemas of ``jsonschemas/`` (rewritten into
OpenAPI components, never retyped), what requests add to them (write-only fields),
what responses add (read-only fields), the envelopes and the error body of API.md."""

import copy
import json

from ..paths import jsonschemas_dir
from ..permissions.roles import ALL_ROLES, RECORD_ROLES

# component name -> record schema (jsonschemas/...)
RECORD_SCHEMAS = {
    "Ref": "common/ref-v1.0.0.json",
    "Organisation": "organisations/organisation-v1.0.0.json",
    "Library": "libraries/library-v1.0.0.json",
    "PatronType": "patron_types/patron_type-v1.0.0.json",
    "User": "users/user-v1.0.0.json",
    "Patron": "patrons/patron-v1.0.0.json",
    "HistoryEntry": "history/history-v1.0.0.json",
}
REF_TARGETS = {f"../{path}": f"#/components/schemas/{name}" for name, path in RECORD_SCHEMAS.items()}


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _rewritten(node, name):
    """A draft-07 record schema as an OpenAPI 3.1 component (JSON Schema 2020-12):
    references to other files point at their components, ``definitions`` become
    ``$defs`` of the component, the custom ``errorMessage`` becomes the description.
    Only string values are keywords: ``"$ref"`` or ``"$schema"`` mapped to a schema
    are property names (a reference's ``$ref``, a record's ``$schema``)."""
    if isinstance(node, list):
        return [_rewritten(item, name) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("$schema", "$id") and isinstance(value, str):
            continue
        if key == "$ref" and isinstance(value, str):
            if value.startswith("#/definitions/"):
                value = f"#/components/schemas/{name}/$defs/{value[len('#/definitions/'):]}"
            out[key] = REF_TARGETS.get(value, value)
        elif key == "definitions":
            out["$defs"] = _rewritten(value, name)
        elif key == "errorMessage" and isinstance(value, str):
            out.setdefault("description", value)
        else:
            out[key] = _rewritten(value, name)
    return out


def record_schema(name):
    path = jsonschemas_dir() / RECORD_SCHEMAS[name]
    return _rewritten(json.loads(path.read_text(encoding="utf-8")), name)


def extended(schema, properties, required=None, description=None):
    """A copy of ``schema`` (without its ``$defs``: references still point at the
    original) with more ``properties``; ``required`` replaces the required list."""
    result = copy.deepcopy({k: v for k, v in schema.items() if k != "$defs"})
    result["properties"] = {**result.get("properties", {}), **properties}
    if required is not None:
        result["required"] = list(required)
        if not required:
            del result["required"]
    if description:
        result["description"] = description
    return result


# --- shapes of API.md ------------------------------------------------------------------
STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
STRINGS = {"type": "array", "items": STRING}
DATETIME = {"type": "string", "format": "date-time"}


def obj(properties, required=(), additional=False, description=None):
    """An object schema: every property listed in ``required`` (all by default use ``...``)."""
    schema = {"type": "object", "properties": properties, "additionalProperties": additional}
    if required == ...:
        required = tuple(properties)
    if required:
        schema["required"] = list(required)
    if description:
        schema["description"] = description
    return schema


ERROR = obj(
    {
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "message": STRING,
        "errors": {
            "type": "array",
            "items": obj(
                {
                    "field": STRING,
                    "message": {**STRING, "description": "In the language of Accept-Language (en, fr, de, it)."},
                    "code": {
                        "type": "string",
                        "pattern": "^[a-z][a-z0-9_]*$",
                        "description": "What the problem is, the same in every language (e.g. barcode_taken).",
                    },
                },
                ...,
            ),
            "description": "One entry per problem, naming the field by its dotted path (validation errors, conflicts).",
        },
    },
    ("status", "message"),
    description="Every error, whatever its status (API.md section 1).",
)

LINKS = obj({"self": STRING, "next": STRING, "prev": STRING}, ("self",))
AGGREGATIONS = {
    "type": "object",
    "additionalProperties": obj(
        {"buckets": {"type": "array", "items": obj({"key": {"type": ["string", "number"]}, "doc_count": INTEGER}, ...)}},
        ...,
    ),
}


def record_envelope(metadata, id_schema=STRING, extra=None):
    properties = {
        "id": id_schema,
        "metadata": metadata,
        "revision": {"type": "integer", "minimum": 1},
        "created": DATETIME,
        "updated": DATETIME,
        "links": obj({"self": STRING}, ...),
    }
    required = tuple(properties)
    properties.update(extra or {})
    return obj(properties, required)


def search_envelope(hit):
    total = obj({"value": {"type": "integer", "minimum": 0}, "relation": {"enum": ["eq", "gte"]}}, ...)
    return obj(
        {"hits": obj({"total": total, "hits": {"type": "array", "items": hit}}, ...), "aggregations": AGGREGATIONS, "links": LINKS},
        ...,
    )


def _record_components(schemas):
    """Request bodies and response metadata derived from the record schemas."""
    user = schemas["User"]
    password = {"type": "string", "writeOnly": True, "description": "Write only; the password policy applies."}
    schemas["UserBody"] = extended(
        user,
        {"password": password, "current_password": {**password, "description": "Needed to change one's own password, email or username."}},
        description="A user as clients send it: the record and its write-only fields.",
    )
    patrons_of_user = {
        "type": "array",
        "items": obj({"pid": STRING, "organisation": obj({"pid": STRING}, ...), "roles": STRINGS}, ...),
    }
    schemas["UserMetadata"] = extended(
        user,
        {
            "id": INTEGER,
            "patrons": {**patrons_of_user, "description": "Lookup hits only: the person's patron records."},
            "registration_token": {**STRING, "description": "Lookup hits only: registers the person found (POST /api/patrons/)."},
        },
        description="A user as the API answers it (never a password).",
    )
    schemas["PatronUser"] = extended(user, {"id": INTEGER}, required=(), description="The person's personal data, embedded read-only.")
    schemas["PatronBody"] = extended(
        schemas["Patron"],
        {"registration_token": {**STRING, "description": "From the lookup's hit: registers a person known elsewhere."}},
    )
    schemas["RecordRef"] = extended(schemas["Ref"], {"name": STRING}, description="A reference as answered (with pid; named in /api/patrons/me).")
    patron = extended(schemas["Patron"], {"user": ref("PatronUser"), "organisation": ref("RecordRef")})
    inner = patron["properties"]["patron"]
    inner["properties"] = {**inner["properties"], "type": ref("RecordRef"), "expired": BOOLEAN}
    schemas["PatronMetadata"] = patron


RECORDS = {  # envelope component -> (metadata component, id schema)
    "Organisation": ("Organisation", STRING),
    "Library": ("Library", STRING),
    "PatronType": ("PatronType", STRING),
    "User": ("UserMetadata", INTEGER),
    "Patron": ("PatronMetadata", STRING),
    "HistoryEntry": ("HistoryEntry", STRING),
}


LANGUAGE = {"type": ["string", "null"], "description": "The language of the person's pages (en, fr, de, it); null: the browser's."}


def _other_components():
    check = obj({"can": BOOLEAN, "reasons": STRINGS}, ("can",))
    deny = obj({"by": {"type": ["integer", "null"]}, "at": DATETIME, "organisation": {"type": ["string", "null"]}}, ("by", "at"))
    return {
        "Error": ERROR,
        "Message": obj({"message": STRING}, ...),
        "ServiceRoot": obj({"name": STRING, "version": STRING, "links": {"type": "object", "additionalProperties": STRING}}, ...),
        "Credentials": obj({"login": {**STRING, "description": "Username or email."}, "password": STRING}, ...),
        "Session": obj(
            {
                "user": obj(
                    {"id": INTEGER, "username": STRING, "email": {"type": ["string", "null"]}, "roles": STRINGS, "language": LANGUAGE},
                    ...,
                ),
                "csrf_token": {**STRING, "description": "Send it back in X-CSRF-Token with calls that change data."},
                "home": {**STRING, "description": "The UI page of the caller."},
            },
            ...,
        ),
        "EmailBody": obj({"email": STRING}, ...),
        "LanguageBody": obj({"language": LANGUAGE}, ...),
        "LanguageSaved": obj({"language": LANGUAGE, "message": STRING}, ...),
        "ResetBody": obj({"token": STRING, "password": STRING}, ...),
        "PasswordBody": obj({"password": STRING}, ...),
        "GeneratedPassword": obj({"password": STRING}, ...),
        "Health": obj(
            {"status": {"enum": ["up", "down"]}, "checks": {"type": "object", "additionalProperties": {"type": "object"}}}, ...
        ),
        "PermissionsMe": obj({"user_id": INTEGER, "roles": STRINGS, "actions": STRINGS}, ...),
        "PermissionCheck": obj({"action": STRING, "can": BOOLEAN, "organisation": STRING}, ("action", "can")),
        "Matrix": obj(
            {"roles": STRINGS, "actions": STRINGS, "grants": {"type": "object", "additionalProperties": STRINGS}}, ...
        ),
        "Buttons": obj({"read": check, "update": check, "delete": check}, ...),
        "Grant": obj({"role": {"enum": list(ALL_ROLES)}, "action": STRING, "granted": BOOLEAN, "roles": STRINGS}, ...),
        "Deny": obj({"user_id": INTEGER, "action": STRING, "denied": BOOLEAN}, ...),
        "PermissionLine": obj({"action": STRING, "can": BOOLEAN, "roles": STRINGS, "denied_by": {"type": "array", "items": deny}}, ...),
        "AuditEntry": obj(
            {
                "id": INTEGER,
                "at": DATETIME,
                "by": {"type": ["integer", "null"]},
                "operation": {"enum": ["grant", "revoke", "deny", "lift"]},
                "role": {"type": ["string", "null"]},
                "action": STRING,
                "user_id": {"type": ["integer", "null"]},
                "organisations": STRINGS,
                "before": {"type": "object"},
                "after": {"type": "object"},
            },
            ...,
        ),
        "Circulation": obj(
            {"allowed": BOOLEAN, "reasons": {"type": "array", "items": {"enum": ["not_patron", "blocked", "expired"]}}, "messages": STRINGS},
            ...,
        ),
        "Recipients": obj(
            {
                "channel": {"enum": ["email", "mail", None]},
                "recipients": STRINGS,
                "language": {"type": ["string", "null"]},
            },
            ...,
        ),
        "PersonalDataAuditEntry": obj(
            {
                "at": DATETIME,
                "by": {"type": "object", "description": '{"user_id", "organisation"}, {"job": name} or {"cli": command}'},
                "record": obj({"resource": {"enum": ["users", "patrons"]}, "pid": STRING}, ...),
                "operation": {"enum": ["create", "update", "delete", "export"]},
                "changes": {"type": "object", "additionalProperties": {"type": "object"}, "description": "field: {before, after}"},
            },
            ...,
        ),
        "PersonalDataExport": obj(
            {
                "exported_at": DATETIME,
                "user": {"type": "object"},
                "patrons": {"type": "array", "items": {"type": "object"}},
                "history": {"type": "array", "items": {"type": "object"}},
                "audit": {"type": "array", "items": {"type": "object"}},
            },
            ...,
        ),
        "Consistency": obj(
            {
                "resources": {
                    "type": "object",
                    "additionalProperties": obj(
                        {"missing": STRINGS, "extra": STRINGS, "database": INTEGER, "index": INTEGER}, ...
                    ),
                }
            },
            ...,
        ),
        "NotKept": obj({"kept": {"const": False}}, ...),
        "RecordRoles": {"type": "string", "enum": list(RECORD_ROLES)},
    }


def components():
    """Every schema component, keyed by name."""
    schemas = {name: record_schema(name) for name in RECORD_SCHEMAS}
    _record_components(schemas)
    for name, (metadata, id_schema) in RECORDS.items():
        schemas[f"{name}Record"] = record_envelope(ref(metadata), id_schema)
        schemas[f"{name}Search"] = search_envelope(ref(f"{name}Record"))
    schemas["UserCreated"] = record_envelope(
        ref("UserMetadata"), INTEGER, {"generated_password": {**STRING, "description": "Only when no password was sent; shown once."}}
    )
    schemas["PatronWithUserBody"] = obj(
        {
            "user": {**ref("UserBody"), "description": "Exactly what PUT /api/users/<id> takes, for the record's person."},
            "user_revision": {
                "type": "integer", "minimum": 0,
                "description": "The person's revision read (their ETag); a stale one answers 412. Optional, as If-Match is.",
            },
            "patron": {**ref("PatronBody"), "description": "Exactly what PUT /api/patrons/<pid> (POST /api/patrons/) takes."},
        },
        ("user", "patron"),
        description="A patron record and its person's data, saved in one transaction.",
    )
    schemas["PatronWithUser"] = obj({"user": ref("UserRecord"), "patron": ref("PatronRecord")}, ...)
    schemas["HistoryKept"] = record_envelope(ref("HistoryEntry"), STRING, {"kept": {"const": True}})
    schemas["AuditSearch"] = search_envelope(ref("AuditEntry"))
    schemas["PersonalDataAuditSearch"] = search_envelope(
        obj({"id": STRING, "metadata": ref("PersonalDataAuditEntry"), "created": DATETIME}, ...)
    )
    schemas.update(_other_components())
    return schemas
