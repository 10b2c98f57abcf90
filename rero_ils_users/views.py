"""``/api/`` (service description) and the landing page."""

from flask import Blueprint, current_app, jsonify

from . import __version__
from .records.refs import base_url
from .ui.views import landing

blueprint = Blueprint("root", __name__, template_folder="ui/templates")

RESOURCES = ("organisations", "libraries", "patron_types", "users", "patrons")


@blueprint.get("/api/")
def api_root():
    return jsonify(
        {
            "name": current_app.config["SERVICE_NAME"],
            "version": __version__,
            "links": {name: f"{base_url()}/api/{name}/" for name in RESOURCES},
        }
    )


@blueprint.get("/")
def index():
    """The login form, or the caller's home page (the UI decides)."""
    return landing()
