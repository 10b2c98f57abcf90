"""Thin routes of API.md section 6 (login, logout, password reset) and the
password helpers of section 2."""

from flask import Blueprint, jsonify
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..errors import NotAuthenticated, PermissionDenied
from ..i18n.messages import translate
from ..permissions import policy
from ..permissions.needs import person_of
from ..rest import identity, int_arg, json_body
from . import service
from .auth import csrf_exempt
from .passwords import checked_password, generate_password

blueprint = Blueprint("accounts", __name__, url_prefix="/api")


def _session_body(user):
    return jsonify({"user": service.user_dump(user), "csrf_token": generate_csrf(), "home": policy.home_page(identity())})


@blueprint.post("/login")
@csrf_exempt
def login():
    user = service.login(json_body())
    return _session_body(user)


@blueprint.get("/login")
def current_session():
    """The logged-in account and a CSRF token (a reloaded page has lost its copy)."""
    if not current_user.is_authenticated:
        raise NotAuthenticated()
    return _session_body(current_user)


@blueprint.post("/logout")
def logout():
    """Ends the caller's session; a session caller sends X-CSRF-Token (no cross-site logout)."""
    service.logout()
    return jsonify({"message": translate("Logged out")})


@blueprint.post("/password/forgot")
@csrf_exempt
def forgot_password():
    return jsonify({"message": translate(service.forgot(json_body()))})


@blueprint.post("/password/reset")
@csrf_exempt
def reset_password():
    service.reset(json_body())
    return jsonify({"message": translate("Password changed")})


@blueprint.post("/user/password/validate")
@csrf_exempt
def validate_password():
    checked_password(json_body().get("password"))
    return jsonify({"message": translate("Valid password")})


@blueprint.put("/user/language")
def set_language():
    """The language of the caller's pages: kept in their account (in the session when
    anonymous); ``null`` goes back to the browser's."""
    user = current_user if current_user.is_authenticated else None
    language = service.set_language(user, json_body())
    return jsonify({"language": language, "message": translate("Language saved.")})


@blueprint.get("/user/password/generate")
def generate():
    if not person_of(identity()).authenticated:
        raise NotAuthenticated()
    if not policy.is_staff(identity()):
        raise PermissionDenied("Only staff may generate passwords.")
    return jsonify({"password": generate_password(int_arg("length", 12))})
