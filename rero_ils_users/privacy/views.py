"""REST routes of privacy (thin): the audit of a person or a patron record, the own export."""

from flask import Blueprint, request

from ..rest import identity, page_args, search_response
from . import (
    erasure,  # noqa: F401  (connects the erasure to the record deletions)
    service,
)

blueprint = Blueprint("privacy", __name__)


@blueprint.get("/api/users/<int:user_id>/audit")
def person_audit(user_id):
    page, size = page_args()
    return search_response(service.person_audit(identity(), user_id, page, size), page, size)


@blueprint.get("/api/patrons/<pid>/audit")
def record_audit(pid):
    page, size = page_args()
    return search_response(service.record_audit(identity(), pid, page, size), page, size)


@blueprint.get("/api/users/me/export")
def export():
    data = service.export(identity())
    headers = {}
    if request.args.get("download") in ("1", "true"):
        headers["Content-Disposition"] = f'attachment; filename="my-data-{data["user"]["id"]}.json"'
    return data, 200, headers
