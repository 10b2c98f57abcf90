"""``GET /api/openapi.json``: the description, for anyone (no login, no CSRF token)."""

from flask import Blueprint, current_app, jsonify

from .document import build

blueprint = Blueprint("openapi", __name__)


@blueprint.get("/api/openapi.json")
def openapi():
    """Built once per application (it depends on its configuration only)."""
    document = current_app.extensions.get("rero-openapi")
    if document is None:
        document = current_app.extensions["rero-openapi"] = build(current_app.config)
    return jsonify(document)
