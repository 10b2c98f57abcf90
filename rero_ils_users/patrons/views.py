"""REST routes of patrons (thin): CRUD, search, me, circulation, recipients, duplicates."""

from datetime import date

from flask import Blueprint, request

from ..errors import ValidationError
from ..organisations.api import Organisation
from ..patron_types.api import PatronType
from ..permissions import policy
from ..records.search import current_search
from ..records.service import envelope, search_envelope
from ..records.views import identity
from ..rest import bool_arg, if_match, json_body, page_args, record_response
from . import search
from .api import Patron
from .service import me, patrons

blueprint = Blueprint("patrons", __name__)


def _search(body_query, filters, page, size, sort=None, aggs=None):
    body = {
        "query": {"bool": {"must": [body_query], "filter": filters}},
        "from": (page - 1) * size,
        "size": size,
        "track_total_hits": True,
        "sort": sort or [{"_score": "desc"}, {"pid": "asc"}],
    }
    if aggs:
        body["aggs"] = aggs
    response = search.normalise_aggregations(current_search.search("patrons", body))
    return search_envelope(
        "patrons",
        response,
        lambda src: patrons.dump(identity(), _Stored(src), user=_user_of(src)),
        page,
        size,
        request.base_url,
        request.args.to_dict(flat=False),
    )


class _Stored(dict):
    """A search hit's source, shaped like a stored record for ``dump``."""

    def __init__(self, source):
        super().__init__({k: v for k, v in source.items() if k not in ("user", "sort_name")})


def _user_of(source):
    user = dict(source.get("user") or {})
    user.pop("birth_year", None)
    user.pop("pid", None)
    user["id"] = source.get("user_id")
    return user


@blueprint.get("/api/patrons/")
def list_patrons():
    policy.require(identity(), "ptrn-search")
    page, size = page_args()
    q = (request.args.get("q") or "").strip()
    query = search.text_query(q) if q else {"match_all": {}}
    filters = search.filters(identity(), request.args, bool_arg)
    return _search(query, filters, page, size, search.sort(request.args.get("sort")), search.aggregations())


@blueprint.post("/api/patrons/")
def create():
    record = patrons.create(identity(), json_body())
    return record_response(patrons.envelope(identity(), record), 201)


@blueprint.get("/api/patrons/<pid>")
def read(pid):
    return record_response(patrons.read(identity(), pid))


@blueprint.put("/api/patrons/<pid>")
def update(pid):
    record = patrons.update(identity(), pid, json_body(), revision=if_match())
    return record_response(patrons.envelope(identity(), record))


@blueprint.delete("/api/patrons/<pid>")
def delete(pid):
    patrons.delete(identity(), pid, revision=if_match())
    return "", 204


@blueprint.get("/api/patrons/me")
def patron_account():
    hits = []
    for record in me(identity()):
        data = patrons.dump(identity(), record)
        data["notes"] = [n for n in data.get("notes", []) if n["type"] != "staff_note"]
        data["organisation"]["name"] = Organisation.get_by_pid(record["organisation"]["pid"])["name"]
        data["patron"]["type"]["name"] = PatronType.get_by_pid(record["patron"]["type"]["pid"])["name"]
        hits.append(envelope("patrons", record.pid, data, record.revision, record.created, record.updated))
    return {"hits": {"total": {"value": len(hits), "relation": "eq"}, "hits": hits}, "aggregations": {}, "links": {"self": request.url}}


@blueprint.get("/api/patrons/<pid>/circulation")
def circulation(pid):
    return patrons.circulation(identity(), pid, request.args.get("action", ""))


@blueprint.get("/api/patrons/<pid>/notification_recipients")
def notification_recipients(pid):
    return patrons.notification_recipients(identity(), pid)


@blueprint.get("/api/users/duplicates")
def duplicates():
    policy.require(identity(), "ptrn-search")
    page, size = page_args()
    birth_date = request.args.get("birth_date") or None
    if birth_date:
        try:
            date.fromisoformat(birth_date)
        except ValueError:
            raise ValidationError.on("birth_date", "A real date written YYYY-MM-DD.") from None
    first, last = request.args.get("first_name", "").strip(), request.args.get("last_name", "").strip()
    if not (first or last):
        raise ValidationError.on("last_name", "Give at least a first or a last name.")
    query = search.duplicates_query(first, last, birth_date)
    return _search(query, search.filters(identity(), request.args, bool_arg), page, size)


__all__ = ["blueprint", "Patron"]
