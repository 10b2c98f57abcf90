"""REST routes of patrons (thin): CRUD and search, the record with its person's data in one
write, me, circulation, recipients, duplicates."""

from flask import jsonify, request

from ..accounts.auth import follow_own_password_change
from ..i18n.messages import translate
from ..rest import checked_only, crud_blueprint, dry_run, identity, if_match, json_body, list_response, page_args, search_response
from ..users.service import users
from . import with_user
from .service import patrons

blueprint = crud_blueprint("patrons", "patrons", patrons, __name__)


@blueprint.get("/api/patrons/me")
def patron_account():
    hits = patrons.account(identity())
    return list_response(hits, len(hits))


@blueprint.get("/api/patrons/<pid>/circulation")
def circulation(pid):
    """``reasons`` are machine words; ``messages`` in the caller's language (Accept-Language)."""
    answer = patrons.circulation(identity(), pid, request.args.get("action", ""))
    return {**answer, "messages": [translate(message) for message in answer["messages"]]}


@blueprint.get("/api/patrons/<pid>/notification_recipients")
def notification_recipients(pid):
    return patrons.notification_recipients(identity(), pid)


# a search of patron records, under /api/users/ because it answers "is this person known?"
@blueprint.get("/api/users/duplicates")
def duplicates():
    page, size = page_args()
    return search_response(patrons.duplicates(identity(), request.args, page, size), page, size)


def _saved_together(person, record, data, status):
    """``{"user": <user envelope>, "patron": <record envelope>}``, the record's ETag."""
    if isinstance(data["user"], dict) and data["user"].get("password") is not None:
        follow_own_password_change(person.user_id)
    response = jsonify({"user": users.envelope(person), "patron": patrons.envelope(identity(), record)})
    response.status_code = status
    response.headers["ETag"] = f'"{record.revision}"'
    return response


@blueprint.put("/api/patrons/<pid>/with_user")
def update_with_user(pid):
    """The edit page's one Save: personal data and record in one transaction (docs/api.md)."""
    data, revision = json_body(), if_match()
    if dry_run():
        return checked_only(lambda uow: with_user.update(identity(), pid, data, revision=revision, uow=uow))
    person, record = with_user.update(identity(), pid, data, revision=revision)
    return _saved_together(person, record, data, 200)


@blueprint.post("/api/patrons/with_user")
def create_with_user():
    """A registration that also updates the person's data, in one transaction (docs/api.md)."""
    data = json_body()
    person, record = with_user.create(identity(), data)
    return _saved_together(person, record, data, 201)
