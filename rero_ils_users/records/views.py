"""Thin REST routes for a record service: parse, call, render."""

from flask import Blueprint, g, request

from ..rest import if_match, json_body, page_args, record_response
from .service import search_envelope


def identity():
    """The caller's identity (Flask-Principal), passed explicitly to services."""
    return g.identity


def crud_blueprint(name, resource, service, search=None):
    """``/api/<resource>/`` list+create and ``/api/<resource>/<pid>`` get/put/delete.

    ``search(identity, page, size) -> envelope`` replaces the default listing.
    """
    bp = Blueprint(name, __name__, url_prefix=f"/api/{resource}")

    @bp.get("/")
    def list_records():
        page, size = page_args()
        if search:
            return search(identity(), page, size)
        response = service.search(identity(), query=request.args.get("q"), page=page, size=size)
        return search_envelope(
            resource, response, lambda src: service.dump(identity(), src), page, size, request.base_url, request.args.to_dict(flat=False)
        )

    @bp.post("/")
    def create():
        record = service.create(identity(), json_body())
        return record_response(service.envelope(identity(), record), 201)

    @bp.get("/<pid>")
    def read(pid):
        return record_response(service.read(identity(), pid))

    @bp.put("/<pid>")
    def update(pid):
        record = service.update(identity(), pid, json_body(), revision=if_match())
        return record_response(service.envelope(identity(), record))

    @bp.delete("/<pid>")
    def delete(pid):
        service.delete(identity(), pid, revision=if_match())
        return "", 204

    return bp
