"""REST routes of API.md section 5 (roles and permissions): parse, call the service, render."""

from flask import Blueprint, jsonify, request

from ..i18n.messages import translate
from ..rest import identity, int_arg, page_args, search_response
from . import service

blueprint = Blueprint("permissions", __name__)


@blueprint.get("/api/permissions/matrix")
def matrix():
    return jsonify(service.matrix(identity()))


@blueprint.get("/api/permissions/me")
def me():
    return jsonify(service.me(identity()))


@blueprint.get("/api/permissions/check")
def check():
    args = request.args
    return jsonify(service.check(identity(), args.get("action", "").strip(), args.get("organisation", "").strip() or None))


@blueprint.get("/api/patrons/<pid>/permissions")
def patron_permissions(pid):
    return jsonify(service.explain_patron(identity(), pid))


@blueprint.get("/api/permissions/<resource>/<pid>")
def record_buttons(resource, pid):
    """The reasons a button is off are shown to the librarian: in the request's language."""
    answer = service.buttons(identity(), resource, pid)
    for verdict in answer.values():
        if "reasons" in verdict:
            verdict["reasons"] = [translate(reason) for reason in verdict["reasons"]]
    return jsonify(answer)


@blueprint.put("/api/permissions/roles/<role>/actions/<action>")
def grant(role, action):
    return jsonify(service.set_grant(identity(), role, action, True))


@blueprint.delete("/api/permissions/roles/<role>/actions/<action>")
def revoke(role, action):
    service.set_grant(identity(), role, action, False)
    return "", 204


@blueprint.put("/api/permissions/users/<user_id>/actions/<action>")
def deny(user_id, action):
    return jsonify(service.set_deny(identity(), user_id, action, True))


@blueprint.delete("/api/permissions/users/<user_id>/actions/<action>")
def lift(user_id, action):
    service.set_deny(identity(), user_id, action, False)
    return "", 204


@blueprint.get("/api/permissions/audit")
def audit():
    page, size = page_args()
    filters = {
        "user_id": int_arg("user_id", None),
        "role": request.args.get("role"),
        "action": request.args.get("action"),
        "operation": request.args.get("operation"),
    }
    return jsonify(search_response(service.audit(identity(), page, size, filters), page, size))
