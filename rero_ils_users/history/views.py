"""REST routes of the circulation history (thin: parse, call the service, render)."""

from urllib.parse import urlencode

from flask import Blueprint, jsonify, request

from ..records.views import identity
from ..rest import json_body, page_args, record_response
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
    links = {"self": _page_url(page, size)}
    if page * size < total:
        links["next"] = _page_url(page + 1, size)
    if page > 1:
        links["prev"] = _page_url(page - 1, size)
    return {
        "hits": {"total": {"value": total, "relation": "eq"}, "hits": [history.envelope(e) for e in entries]},
        "aggregations": {},
        "links": links,
    }


@blueprint.get("/<int:entry_id>")
def read(pid, entry_id):
    return record_response(history.envelope(history.read(identity(), pid, entry_id)))


def _page_url(page, size):
    query = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in ("page", "size")}
    query.update(page=page, size=size)
    return f"{request.base_url}?{urlencode(query, doseq=True)}"
