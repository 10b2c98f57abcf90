"""REST routes of the circulation history (thin: parse, call the service, render)."""

from flask import Blueprint, jsonify

from ..rest import identity, json_body, list_response, page_args, record_response
from .service import history

blueprint = Blueprint("history", __name__, url_prefix="/api/patrons/<pid>/history")


@blueprint.post("/")
@blueprint.post("")
def create(pid):
    entry = history.create(identity(), pid, json_body())
    if entry is None:
        response = jsonify({"kept": False})
        response.status_code = 202
        return response
    return record_response(history.envelope(entry), 201, {"kept": True})


@blueprint.get("/")
@blueprint.get("")
def search(pid):
    page, size = page_args()
    total, entries = history.search(identity(), pid, page, size)
    return list_response([history.envelope(e) for e in entries], total, page, size)


@blueprint.get("/<int:entry_id>")
def read(pid, entry_id):
    return record_response(history.envelope(history.read(identity(), pid, entry_id)))

