"""JSON schemas: registered from ``jsonschemas/`` with invenio-jsonschemas,
compiled once, and turned into field-named validation errors.

``pattern`` follows JSON Schema (ECMA 262) anchors: ``$`` matches at the very end
only, not before a final newline as Python's ``$`` does (``"x_y\n"`` is no username)."""

import copy
import re
from functools import cache

import fastjsonschema
import jsonschema
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from invenio_jsonschemas import current_jsonschemas
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from ..errors import FieldError, ValidationError

_FORMATS = FormatChecker()
MAX_VALUE_IN_MESSAGE = 60  # characters of a refused value quoted back


@cache
def ecma_pattern(pattern):
    """``pattern`` compiled with ECMA 262 semantics of ``$``: every ``$`` outside a
    character class and not escaped becomes ``\\Z`` (the end of the string)."""
    out, in_class, i = [], False, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            char = r"\Z"
        out.append(char)
        i += 1
    return re.compile("".join(out))


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not ecma_pattern(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}.")


_Validator = jsonschema.validators.extend(Draft7Validator, {"pattern": _pattern})


@_FORMATS.checks("email", raises=EmailNotValidError)
def _email(value):
    """An address's syntax (jsonschema's own check is only that it holds an ``@``)."""
    if isinstance(value, str):
        validate_email(value, check_deliverability=False)
    return True


def schema_url(path):
    """The ``$schema`` URL of a schema path such as ``patrons/patron-v1.0.0.json``."""
    return f"https://{current_app.config['JSONSCHEMAS_HOST']}/schemas/{path}"


def _registry():
    """Every registered schema under its URL, so relative ``$ref``s resolve locally."""
    resources = []
    for path in current_jsonschemas.list_schemas():
        schema = {**current_jsonschemas.get_schema(path), "$id": schema_url(path)}
        resources.append((schema_url(path), Resource.from_contents(schema, default_specification=DRAFT7)))
    return Registry().with_resources(resources)


@cache
def _validator(path):
    schema = {**current_jsonschemas.get_schema(path), "$id": schema_url(path)}
    _Validator.check_schema(schema)
    return _Validator(schema, format_checker=_FORMATS, registry=_registry())


def _ecma_patterns(node):
    """A copy of a schema whose ``pattern``s say ``\\Z`` where ECMA 262 means the end."""
    if isinstance(node, dict):
        return {k: ecma_pattern(v).pattern if k == "pattern" and isinstance(v, str) else _ecma_patterns(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_ecma_patterns(v) for v in node]
    return node


def _fetch(url):
    """A registered schema by its URL (the references between our schemas)."""
    prefix = f"https://{current_app.config['JSONSCHEMAS_HOST']}/schemas/"
    if not url.startswith(prefix):
        raise ValueError(f"not a schema of this service: {url}")
    path = url[len(prefix):]
    return _ecma_patterns({**current_jsonschemas.get_schema(path), "$id": url})


@cache
def _fast(path):
    """``path``'s schema compiled by fastjsonschema: the same keywords, patterns and
    format checks as ``_validator``, so a document it accepts is one jsonschema accepts;
    it only answers valid or not (``field_errors`` asks jsonschema for the words)."""
    schema = _fetch(schema_url(path))
    formats = {name: (lambda value, name=name: _FORMATS.conforms(value, name)) for name in ("date", "email")}
    return fastjsonschema.compile(copy.deepcopy(schema), handlers={"https": _fetch}, formats=formats, use_default=False)


def fast_valid(path, data):
    try:
        _fast(path)(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _unknown_keys(error):
    """The keys of an object refused by ``additionalProperties: false``, in its order."""
    known = error.schema.get("properties", {})
    patterns = [ecma_pattern(p) for p in error.schema.get("patternProperties", {})]
    return [k for k in error.instance if k not in known and not any(p.search(k) for p in patterns)]


def _fields(error):
    """``[(field, message)]`` of one schema error."""
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = re.match(r"'([^']+)'", error.message)
        path.append(missing.group(1) if missing else "")
        return [(".".join(path), "Missing data for required field.")]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        unknown = [(".".join(path + [key]), "Unknown field.") for key in _unknown_keys(error)]
        return unknown or [(".".join(path) or "(root)", "Unknown field.")]  # never a silent pass
    return [(".".join(path) or "(root)", _message(error))]


def _quoted(value):
    """``repr(value)``, cut when long (a 100,000-character value is not echoed whole)."""
    text = repr(value)
    if len(text) <= MAX_VALUE_IN_MESSAGE:
        return text
    return f"{text[:MAX_VALUE_IN_MESSAGE]}...' ({len(value) if isinstance(value, str) else len(text)} characters)"


def _message(error):
    custom = error.schema.get("errorMessage") if isinstance(error.schema, dict) else None
    if custom:
        return custom
    if error.validator == "enum":
        return "Must be one of: " + ", ".join(map(str, error.validator_value)) + "."
    if error.validator == "format":
        return f"Not a valid {error.validator_value}."
    if error.validator == "type":
        return f"Must be of type {error.validator_value}."
    message = error.message.replace(repr(error.instance), _quoted(error.instance))
    return message[0].upper() + message[1:] + ("" if message.endswith(".") else ".")


def field_errors(path, data):
    """Every schema violation of ``data`` as ``FieldError`` (empty when valid)."""
    if fast_valid(path, data):
        return []
    errors, seen = [], set()
    for error in sorted(_validator(path).iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        for field, message in _fields(error):
            if (field, message) not in seen:
                seen.add((field, message))
                errors.append(FieldError(field, message))
    return errors


def validate(path, data):
    """Raise ``ValidationError`` naming every bad field of ``data``."""
    errors = field_errors(path, data)
    if errors:
        raise ValidationError(errors=errors)
