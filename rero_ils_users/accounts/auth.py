"""How a request is authenticated: the session cookie (Flask-Security), or an API
token in ``Authorization: Bearer``; CSRF for session calls that change data;
where sessions live: in Redis (``SESSION_REDIS_URL``, keys under the installation's
prefix), so that a logout or a password change ends them for real; the cookie only
carries the session id, which changes at login.

A session names its account by ``fs_uniquifier``: a new password rotates it
(``service.set_password``), which ends every session of the account at once;
``follow_own_password_change`` keeps the session of the person who changed it."""

import logging

import redis
from flask import current_app, g, request, session
from flask_login import current_user
from flask_security.decorators import handle_csrf
from flask_security.utils import get_request_attr, set_request_attr
from flask_session import Session

from ..errors import NotAuthenticated, Unavailable
from ..permissions import matrix
from ..permissions.roles import DOCUMENT_IMPORTER
from . import caller, lockout

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
# authentication state Flask-Login, Flask-Security, Flask-WTF and we keep in ``g``
REQUEST_STATE = ("_login_user", "fs_authn_via", "fs_paa", "csrf_valid", "bearer_rejected", "identity")
# endpoints a caller may reach without the session's CSRF token: they act on
# credentials sent in the body, not on the session's authority
CSRF_EXEMPT = set()
SESSIONS_DOWN = "rero_ils_users.sessions_down"  # environ key: the session store did not answer
SESSIONS_DOWN_MESSAGE = "Sessions are unavailable (Redis does not answer); try again in a moment, or use an API token."
log = logging.getLogger(__name__)


def csrf_exempt(view):
    CSRF_EXEMPT.add(view)
    return view


def bearer_token():
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def via_token():
    """Was this request authenticated by an API token (not a session)?"""
    return get_request_attr("fs_authn_via") == "token"


def token_only(user):
    """A document importer's token: the identity gets that role only (API.md section 5)."""
    return via_token() and DOCUMENT_IMPORTER in user.role_names


def _load_from_bearer(req):
    """Flask-Login request loader (called when the session has no user)."""
    token = bearer_token()
    if token is None:
        return None
    user = caller.by_token(token)
    if user is None:
        g.bearer_rejected = True
        return None
    set_request_attr("fs_authn_via", "token")
    return user


def _forget_previous_request():
    """``g`` lives as long as the app context: one per request in production, but
    a test (or a shared outer context) may run many requests in one; the caller
    must never inherit the previous request's user, token or CSRF verdict."""
    for name in REQUEST_STATE + (current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"),):
        g.pop(name, None)
    caller.forget_request()
    matrix.forget_version()


def _load_from_session(uniquifier):
    """Flask-Login user loader (Flask-Security's, through ``caller``: one query, the
    identity cached behind its stamp)."""
    user = caller.by_uniquifier(uniquifier, current_app.extensions["rero-datastore"].find_user)
    if user is None:
        return None
    set_request_attr("fs_authn_via", "session")
    set_request_attr("fs_paa", session.get("fs_paa", 0))
    return user


def _guard():
    """Refuse bad tokens outright; a session that could not be read is a 503 (a token
    still works); enforce CSRF on session calls that change data."""
    if request.environ.get(SESSIONS_DOWN) and bearer_token() is None:
        raise Unavailable(SESSIONS_DOWN_MESSAGE, service="redis")
    authenticated = current_user.is_authenticated  # runs the loaders
    if g.get("bearer_rejected"):
        raise NotAuthenticated("Invalid or revoked API token.")
    if request.method in SAFE_METHODS or not request.path.startswith("/api/"):
        return
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view in CSRF_EXEMPT or not authenticated:
        return
    if get_request_attr("fs_authn_via") == "session":
        handle_csrf("session")  # CSRFError (400) without a valid X-CSRF-Token


def new_session_id():
    """Give the current session a new id and drop the old one from the store (login,
    password change: an id seen before can never act for the account)."""
    regenerate = getattr(current_app.session_interface, "regenerate", None)
    if regenerate is not None:
        regenerate(session)


def end_session():
    """Forget the session entirely: its stored data and the cookie."""
    session.clear()


def follow_own_password_change(user_id):
    """After a successful request that set ``user_id``'s password: when the caller is
    that person in a session, their session follows the new ``fs_uniquifier`` (under a
    new id) instead of ending with the others."""
    if get_request_attr("fs_authn_via") != "session" or not current_user.is_authenticated:
        return
    if current_user.id == user_id and session.get("_user_id") != current_user.fs_uniquifier:
        session["_user_id"] = current_user.fs_uniquifier
        new_session_id()


def init_sessions(app):
    """Server-side sessions in Redis (``SESSION_REDIS_URL``); an empty value falls back
    to Flask's signed cookie, which a logout cannot revoke (not recommended)."""
    url = app.config.get("SESSION_REDIS_URL")
    if not url:
        return
    with app.app_context():
        prefix = f"{lockout.key_prefix()}:session:"
    app.config.setdefault("SESSION_TYPE", "redis")
    app.config.setdefault("SESSION_KEY_PREFIX", prefix)
    app.config["SESSION_REDIS"] = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    Session(app)
    app.session_interface = TolerantSessions(app.session_interface)


class TolerantSessions:
    """Flask-Session's Redis interface, but Redis down fails no request by itself: the
    request gets an empty session marked ``SESSIONS_DOWN`` (``_guard`` answers 503
    unless an API token authenticates it), and a session that cannot be saved is logged."""

    def __init__(self, interface):
        self._interface = interface

    def __getattr__(self, name):
        return getattr(self._interface, name)

    def open_session(self, app, req):
        try:
            return self._interface.open_session(app, req)
        except redis.exceptions.RedisError as exc:
            req.environ[SESSIONS_DOWN] = f"{type(exc).__name__}: {exc}"
            return self._interface.session_class(sid=self._interface._generate_sid(self._interface.sid_length))

    def save_session(self, app, session, response):
        if request.environ.get(SESSIONS_DOWN):
            return None
        try:
            return self._interface.save_session(app, session, response)
        except redis.exceptions.RedisError as exc:
            log.warning("session not saved, Redis does not answer: %s", exc)
            return None


def init_app(app):
    """Call after ``Security(app, ...)``: it owns the login manager we extend."""
    app.login_manager.user_loader(_load_from_session)
    app.login_manager.request_loader(_load_from_bearer)
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_previous_request)
    app.before_request(_guard)
    init_sessions(app)
