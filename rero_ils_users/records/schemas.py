"""JSON schemas: registered from ``jsonschemas/`` with invenio-jsonschemas,
compiled once, and turned into field-named validation errors."""

import re
from functools import cache

from flask import current_app
from invenio_jsonschemas import current_jsonschemas
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from ..errors import FieldError, ValidationError

_FORMATS = FormatChecker()


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
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=_FORMATS, registry=_registry())


def _field(error):
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = re.match(r"'([^']+)'", error.message)
        path.append(missing.group(1) if missing else "")
        return ".".join(path), "Missing data for required field."
    if error.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message)
        name = extra[0] if extra else ""
        return ".".join(path + [name]), "Unknown field."
    return ".".join(path) or "(root)", _message(error)


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
    return error.message[0].upper() + error.message[1:] + ("" if error.message.endswith(".") else ".")


def field_errors(path, data):
    """Every schema violation of ``data`` as ``FieldError`` (empty when valid)."""
    errors, seen = [], set()
    for error in sorted(_validator(path).iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        field, message = _field(error)
        if (field, message) not in seen:
            seen.add((field, message))
            errors.append(FieldError(field, message))
    return errors


def validate(path, data):
    """Raise ``ValidationError`` naming every bad field of ``data``."""
    errors = field_errors(path, data)
    if errors:
        raise ValidationError(errors=errors)
