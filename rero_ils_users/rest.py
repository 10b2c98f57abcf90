"""HTTP plumbing shared by every resource: domain errors -> status codes (the one
table), record and search envelopes, ETag/If-Match, paging parameters."""

import logging

from flask import current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from . import errors
from .errors import FieldError, ValidationError

log = logging.getLogger(__name__)

STATUS = {
    errors.ValidationError: 400,
    errors.InvalidCredentials: 400,
    errors.NotAuthenticated: 401,
    errors.PermissionDenied: 403,
    errors.AccountExpired: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.StaleRevision: 412,
    errors.TooManyAttempts: 429,
}


def status_of(exc):
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_response(status, message, field_errors=None):
    body = {"status": status, "message": message}
    if field_errors:
        body["errors"] = [e.to_dict() for e in field_errors]
    return jsonify(body), status


def register_error_handlers(app):
    @app.errorhandler(errors.DomainError)
    def _domain(exc):
        return error_response(status_of(exc), exc.message, exc.errors)

    @app.errorhandler(HTTPException)
    def _http(exc):
        if not request.path.startswith("/api"):
            return exc
        return error_response(exc.code, exc.description or exc.name)


# --- request parsing ---------------------------------------------------------------
def json_body():
    """The request's JSON object, or a 400 naming the body."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError.on("(body)", "A JSON object is required.")
    return data


def if_match():
    """The revision of ``If-Match`` (``"3"`` or ``W/"3"``), or None."""
    value = request.headers.get("If-Match")
    if not value or value.strip() == "*":
        return None
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    try:
        return int(value.strip('"'))
    except ValueError:
        raise ValidationError.on("If-Match", "Must be a revision number such as \"3\".")


def int_arg(name, default, minimum=1, maximum=None):
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError.on(name, "Must be an integer.")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum else f"at least {minimum}"
        raise ValidationError.on(name, f"Must be {bound}.")
    return value


def page_args():
    """``(page, size)`` of the request, bounded as the contract says."""
    size = int_arg("size", 10, 1, current_app.config["SEARCH_MAX_SIZE"])
    page = int_arg("page", 1)
    if page * size > 10000:
        raise ValidationError(
            errors=[FieldError("page", "Deep paging past 10000 results is not possible; narrow the search.")]
        )
    return page, size


def bool_arg(name):
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise ValidationError.on(name, "Must be true or false.")


# --- responses ---------------------------------------------------------------------
def record_response(envelope, status=200, extra=None):
    body = dict(envelope)
    if extra:
        body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.headers["ETag"] = f'"{envelope["revision"]}"'
    return response
