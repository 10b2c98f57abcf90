"""REST routes of users (thin)."""

from flask import Blueprint, request

from ..accounts.auth import follow_own_password_change
from ..rest import checked_only, dry_run, identity, if_match, json_body, list_response, record_response
from .service import users

blueprint = Blueprint("users", __name__, url_prefix="/api/users")


@blueprint.get("/")
def lookup():
    hits = users.registration_lookup(identity(), request.args.get("q"))
    return list_response(hits, len(hits))


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
    data = json_body()
    if dry_run():  # the password's change of sessions is not done either
        revision = if_match()
        return checked_only(lambda uow: users.update(identity(), user_id, data, revision=revision, uow=uow))
    record = users.update(identity(), user_id, data, revision=if_match())
    if data.get("password") is not None:
        follow_own_password_change(user_id)
    return record_response(users.envelope(record))


@blueprint.delete("/<int:user_id>")
def delete(user_id):
    users.delete(identity(), user_id, revision=if_match())
    return "", 204
