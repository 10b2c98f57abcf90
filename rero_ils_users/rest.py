"""HTTP plumbing shared by every resource: the caller's identity, domain errors ->
status codes (the one table), record and search responses with their paging links,
ETag/If-Match, paging parameters, the input checks every request goes through.
Services never read the request: this does."""

import logging
from urllib.parse import quote, unquote_plus

import opensearchpy
import redis
import sqlalchemy.exc
from flask import Blueprint, current_app, g, jsonify, request
from invenio_db import db
from werkzeug.exceptions import HTTPException, InternalServerError, RequestURITooLarge, SecurityError
from werkzeug.routing import RequestRedirect

from . import errors, inputs
from .errors import FieldError, ValidationError
from .i18n import messages
from .permissions.needs import person_of
from .records import audit, refs
from .records.search import parse_bool
from .records.uow import UnitOfWork

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
    errors.Unavailable: 503,
}
RETRY_AFTER = "5"  # seconds a client waits after a 503 (Retry-After)

# What a dependency that does not answer raises -> (service, message of the 503).
# TransportError covers OpenSearch answering 502/503/504 itself (e.g. no shard left).
OUTAGES = (
    (opensearchpy.ConnectionError, "search", "The search index is unavailable; try again in a moment."),
    (opensearchpy.TransportError, "search", "The search index is unavailable; try again in a moment."),
    (redis.exceptions.ConnectionError, "redis", "Login and sessions are unavailable (Redis does not answer); try again in a moment."),
    (redis.exceptions.TimeoutError, "redis", "Login and sessions are unavailable (Redis does not answer); try again in a moment."),
    (sqlalchemy.exc.OperationalError, "database", "The database is unavailable; try again in a moment."),
    (sqlalchemy.exc.InterfaceError, "database", "The database is unavailable; try again in a moment."),
)
OUTAGE_TYPES = tuple({cls for cls, _, _ in OUTAGES})


def outage(exc):
    """``exc`` as an ``Unavailable`` when it says a dependency is down, else None."""
    if isinstance(exc, errors.Unavailable):
        return exc
    if isinstance(exc, opensearchpy.TransportError) and not isinstance(exc, opensearchpy.ConnectionError):
        if exc.status_code not in (502, 503, 504):
            return None
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and not isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError):
        return None
    for cls, service, message in OUTAGES:
        if isinstance(exc, cls):
            return errors.Unavailable(message, service=service)
    return None


def status_of(exc):
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_response(status, message, field_errors=None, headers=None):
    """The contract's error JSON, in the request's language (``i18n/messages.py``): the
    message and each entry's message translated, each entry with its machine ``code``."""
    body = {"status": status, "message": messages.translate(message)}
    if field_errors:
        body["errors"] = [messages.entry(e, status) for e in field_errors]
    return jsonify(body), status, headers or {}


def http_error_response(exc):
    """An HTTP exception as the contract's JSON error, keeping its headers (``Allow`` of a
    405, ``Location`` of a redirect)."""
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    message = exc.description or exc.name
    if isinstance(exc, RequestRedirect):
        headers.append(("Location", exc.new_url))
        message = f"Moved permanently to {exc.new_url}"
    return error_response(exc.code, errors.shorten(message, errors.MAX_MESSAGE_LENGTH), headers=headers)


def identity():
    """The caller's identity (Flask-Principal), passed explicitly to services."""
    return g.identity


def _public_base_url():
    """Where links of this response point: the configured public URL, else this request's
    host (one of ``TRUSTED_HOSTS``: ``check_request`` refused the others)."""
    refs.set_request_base_url(request.host_url)


def _check_host():
    """Without ``SERVER_BASE_URL`` links and mails are built from the Host header: Flask
    refuses a host outside ``TRUSTED_HOSTS`` (``routing_exception``); say so, naming it."""
    if isinstance(request.routing_exception, SecurityError):
        host = inputs.printable(request.environ.get("HTTP_HOST", ""))
        raise ValidationError.on(
            "Host", f"The Host header {errors.shorten(host, 100)!r} is not one of this server's TRUSTED_HOSTS."
        )


def _is_api():
    return request.path == "/api" or request.path.startswith("/api/")


def _request_target():
    """The URL as the client sent it (path and query string, still percent-encoded
    when the server tells it)."""
    environ = request.environ
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    if query and "?" not in target:
        target = f"{target}?{query}"
    return target


def check_request():
    """The first thing every request does: the URL length limit (414), JSON instead
    of HTML for a slash redirect on /api, no NUL in query-string parameters or path
    segments (400 naming them), a trusted Host. Bodies are checked where read (``json_body``)."""
    _check_host()
    if len(_request_target()) > current_app.config["MAX_URL_LENGTH"]:
        raise RequestURITooLarge(f"The URL is longer than {current_app.config['MAX_URL_LENGTH']} characters.")
    routing = request.routing_exception
    if isinstance(routing, RequestRedirect) and _is_api():
        return http_error_response(routing)  # Flask answers routing redirects itself, as HTML
    inputs.check_text(request.args.items(multi=True))
    inputs.check_text((request.view_args or {}).items())


def request_actor():
    """Who a write of this request is audited as: the caller and the organisation they act for."""
    person = person_of(g.get("identity"))
    return {"user_id": person.user_id, "organisation": person.organisation_pid}


def _begin_acting():
    g.audit_token = audit.begin_acting(request_actor)


def _end_acting(exc=None):
    token = g.pop("audit_token", None)
    if token is not None:
        audit.end_acting(token)


def register_error_handlers(app):
    app.before_request_funcs.setdefault(None, []).insert(0, _begin_acting)
    app.before_request_funcs[None].insert(1, check_request)
    app.before_request(_public_base_url)
    app.teardown_request(_end_acting)
    # registered after InvenioDB's, so it runs first (Flask runs teardowns in reverse)
    app.teardown_appcontext(close_session)

    @app.errorhandler(errors.DomainError)
    def _domain(exc):
        headers = getattr(exc, "headers", None)
        if headers is None and isinstance(exc, errors.Unavailable):
            headers = {"Retry-After": RETRY_AFTER}
        return error_response(status_of(exc), exc.message, exc.errors, headers=headers)

    def _outage(exc):
        unavailable = outage(exc)
        if unavailable is None:
            raise exc
        return _unavailable(unavailable, exc)

    for cls in OUTAGE_TYPES:
        app.register_error_handler(cls, _outage)

    @app.errorhandler(InternalServerError)
    def _internal(exc):
        """Also what fails outside the view (opening a session in Redis)."""
        unavailable = outage(exc.original_exception) if exc.original_exception else None
        if unavailable is not None:
            return _unavailable(unavailable, exc.original_exception)
        if not _is_api():
            return exc
        return http_error_response(exc)

    @app.errorhandler(HTTPException)
    def _http(exc):
        if not _is_api():
            return exc
        return http_error_response(exc)


def close_session(exc=None):
    """End the request's session. Its connection may have died after the answer was made
    (the database restarting): rolling it back then fails, and without this the answer
    already made would become a 500. SQLAlchemy has invalidated that connection; the
    pool opens a fresh one for the next request."""
    try:
        db.session.remove()
    except sqlalchemy.exc.SQLAlchemyError as error:
        log.warning("database connection lost at the end of a request: %s", str(error)[:300])
        db.session.registry.clear()


def _unavailable(unavailable, cause):
    log.warning("%s unavailable: %s: %s", unavailable.service, type(cause).__name__, str(cause)[:300])
    if unavailable.service == "database":
        close_session()  # the connection is gone: the next request takes a fresh one
    return error_response(503, unavailable.message, headers={"Retry-After": RETRY_AFTER})


# --- request parsing ---------------------------------------------------------------
def json_body():
    """The request's JSON object, or a 400 naming the body (or the JSON path of a bad
    value); a body over ``MAX_CONTENT_LENGTH`` is a 413."""
    if not request.is_json:
        raise ValidationError.on(inputs.BODY, "A JSON object is required.")
    data = inputs.parse_json(request.get_data(cache=True), current_app.config["MAX_JSON_DEPTH"])
    if not isinstance(data, dict):
        raise ValidationError.on(inputs.BODY, "A JSON object is required.")
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


def dry_run():
    """``?dry_run=true`` of a write: check it, keep nothing (docs/api.md)."""
    return bool(parse_bool("dry_run", request.args.get("dry_run")))


def checked_only(write):
    """``write(uow)`` in a unit of work that is rolled back, never committed: every check
    of the write answers as it would (permission, revision, validation, and the database's
    unique constraints, flushed), nothing is kept, indexed or mailed; 204 when it would pass."""
    uow = UnitOfWork()
    try:
        write(uow)
        db.session.flush()
    finally:
        uow.rollback()
    return "", 204


def int_arg(name, default, minimum=1, maximum=None):
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError.on(name, "Must be an integer.")
    if value < minimum or (maximum is not None and value > maximum):
        if maximum is not None:
            raise ValidationError.on(name, f"Must be between {minimum} and {maximum}.")
        raise ValidationError.on(name, f"Must be at least {minimum}.")
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


# --- responses ---------------------------------------------------------------------
def record_response(envelope, status=200, extra=None):
    body = dict(envelope)
    if extra:
        body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.headers["ETag"] = f'"{envelope["revision"]}"'
    return response


# what may stay as it is in a query string: unreserved, sub-delims but "&" and "+"
# (they separate and encode), "=", ":", "@", "/", "?" and "%" (already encoded)
QUERY_SAFE = "-._~!$'()*,;=:@/?%"


def _query_parts():
    """The request's query string as sent, split at "&": each part still encoded as the
    client wrote it (a character that must not appear raw is percent-encoded)."""
    raw = request.query_string.decode("latin-1")
    return [quote(part.encode("latin-1"), safe=QUERY_SAFE + "+") for part in raw.split("&") if part]


def _self_url(query_parts):
    url = f"{refs.base_url()}{quote(request.path, safe='/')}"
    return f"{url}?{'&'.join(query_parts)}" if query_parts else url


def _page_url(page, size):
    """This search at another page: the other parameters kept as sent."""
    kept = [part for part in _query_parts() if unquote_plus(part.split("=", 1)[0]) not in ("page", "size")]
    return _self_url(kept + [f"page={page}", f"size={size}"])


def list_response(hits, total, page=None, size=None, aggregations=None):
    """The contract's search envelope. With ``page``/``size``: self/next/prev links.

    Links use the public base URL and repeat the query string as sent, so following
    one gives the same search."""
    total = total if isinstance(total, dict) else {"value": total, "relation": "eq"}
    if page is None:
        links = {"self": _self_url(_query_parts())}
    else:
        links = {"self": _page_url(page, size)}
        if page * size < total["value"]:
            links["next"] = _page_url(page + 1, size)
        if page > 1:
            links["prev"] = _page_url(page - 1, size)
    return {"hits": {"total": total, "hits": hits}, "aggregations": aggregations or {}, "links": links}


def search_response(result, page, size):
    """``list_response`` of a service's ``SearchResult``."""
    return list_response(result.hits, result.total, page, size, result.aggregations)


# --- the routes of a record service -------------------------------------------------
def crud_blueprint(name, resource, service, import_name=__name__):
    """``/api/<resource>/`` search+create and ``/api/<resource>/<pid>`` get/put/delete.

    ``service.search(identity, args, page, size)`` answers the listing; other
    routes of the resource may be added to the returned blueprint.
    """
    bp = Blueprint(name, import_name)
    base = f"/api/{resource}"

    @bp.get(f"{base}/")
    def list_records():
        page, size = page_args()
        return search_response(service.search(identity(), request.args, page, size), page, size)

    @bp.post(f"{base}/")
    def create():
        record = service.create(identity(), json_body())
        return record_response(service.envelope(identity(), record), 201)

    @bp.get(f"{base}/<pid>")
    def read(pid):
        return record_response(service.read(identity(), pid))

    @bp.put(f"{base}/<pid>")
    def update(pid):
        if dry_run():
            data, revision = json_body(), if_match()
            return checked_only(lambda uow: service.update(identity(), pid, data, revision=revision, uow=uow))
        record = service.update(identity(), pid, json_body(), revision=if_match())
        return record_response(service.envelope(identity(), record))

    @bp.delete(f"{base}/<pid>")
    def delete(pid):
        service.delete(identity(), pid, revision=if_match())
        return "", 204

    return bp
