"""REST routes of patrons (thin): CRUD and search, me, circulation, recipients, duplicates."""

from flask import request

from ..i18n.messages import translate
from ..rest import crud_blueprint, identity, list_response, page_args, search_response
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
