"""REST routes of users (thin)."""

from flask import Blueprint, request

from ..permissions.needs import records_of
from ..records.views import identity
from ..rest import if_match, json_body, record_response
from .api import UserRecord
from .service import users

blueprint = Blueprint("users", __name__, url_prefix="/api/users")


def _patrons_of(user_id):
    return [
        {"pid": r.pid, "organisation": {"pid": r.organisation_pid}, "roles": sorted(r.roles)}
        for r in records_of(user_id)
    ]


@blueprint.get("/")
def lookup():
    account = users.lookup(identity(), request.args.get("q"))
    hits = []
    if account is not None:
        record = UserRecord.get_by_user_id(account.id)
        hits.append(users.envelope(record, {"patrons": _patrons_of(account.id)}))
    return {
        "hits": {"total": {"value": len(hits), "relation": "eq"}, "hits": hits},
        "aggregations": {},
        "links": {"self": request.url},
    }


@blueprint.post("/")
def create():
    record, generated = users.create(identity(), json_body())
    extra = {"generated_password": generated} if generated else None
    return record_response(users.envelope(record), 201, extra)


@blueprint.get("/<int:user_id>")
def read(user_id):
    return record_response(users.read(identity(), user_id))


@blueprint.put("/<int:user_id>")
def update(user_id):
    record = users.update(identity(), user_id, json_body(), revision=if_match())
    return record_response(users.envelope(record))


@blueprint.delete("/<int:user_id>")
def delete(user_id):
    users.delete(identity(), user_id, revision=if_match())
    return "", 204
