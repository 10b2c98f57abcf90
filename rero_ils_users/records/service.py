"""The behaviour shared by record services: permission, validation, revision
checks, envelopes, search. Every method takes the caller's identity explicitly."""

from contextlib import contextmanager

from invenio_db import db
from opensearchpy import RequestError
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..errors import Conflict, StaleRevision, ValidationError
from ..permissions import policy
from . import schemas
from .refs import ref_url
from .search import SearchResult, current_search
from .uow import unit_of_work

READ_ONLY_FIELDS = ("pid", "$schema")
# what OpenSearch answers (400) for a query string it cannot parse or run
QUERY_ERRORS = {
    "query_shard_exception",
    "parse_exception",
    "query_parsing_exception",
    "too_many_clauses",
    "too_complex_to_determinize_exception",
}
QUERY_SYNTAX_MESSAGE = (
    "Not a valid search query: check brackets and quotes, and put a backslash before "
    'special characters such as : / \\ ( ) [ ] { } " ~ ^ ! ?'
)


@contextmanager
def conflicts_as_409(conflicts):
    """Run the block in a savepoint and flush; a unique-constraint violation named
    in ``conflicts`` becomes a 409 (the database decides races, not a prior check).

    ``conflicts`` maps a constraint (or index) name to ``(field, message)``.
    """
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError as exc:
        text = str(exc.orig)
        for name, (field, message) in conflicts.items():
            if name in text:
                raise Conflict.on(field, message) from None
        raise


def check_revision(record, expected):
    if expected is not None and expected != record.revision:
        raise StaleRevision()


class RecordService:
    """Create/read/update/delete/search of one record class."""

    record_cls = None
    action = None  # action shortcut, e.g. "org"
    conflicts = {}

    # --- hooks a resource overrides ----------------------------------------------
    def target(self, record):
        return policy.Target(organisation_pid=record.get("organisation", {}).get("pid"))

    def load(self, identity, data, record=None):
        """Client JSON -> stored form; raise ``ValidationError`` naming fields."""
        stored = {k: v for k, v in data.items() if k not in READ_ONLY_FIELDS}
        schemas.validate(self.record_cls.schema, stored)
        return stored

    def dump(self, identity, record):
        return {k: v for k, v in record.items() if k != "$schema"}

    def columns(self, stored):
        """Extra model columns written with the record (uniqueness keys)."""
        return {}

    # functions ``pid -> "what still uses it" or None`` that other resources
    # register (they import this one, not the reverse); any answer refuses a delete
    reference_checks = ()
    in_use_message = "The record is still used by {}."

    def in_use(self, pid):
        """Why ``pid`` cannot be deleted (what still references it), or None."""
        reasons = [reason for reason in (check(pid) for check in self.reference_checks) if reason]
        return self.in_use_message.format(", ".join(reasons)) if reasons else None

    def check_create(self, identity, stored):
        """Hook: refuse a new record beyond the action and scope checks (raise a DomainError)."""

    def check_update(self, identity, record, stored):
        """Hook: refuse a change of ``record`` into ``stored`` (raise a DomainError)."""

    def after_write(self, record):
        """Hook: write side rows of ``record`` (uniqueness tables) in the same savepoint."""

    def before_delete(self, identity, record, uow):
        """Raise ``Conflict`` when something still references ``record``."""
        message = self.in_use(record.pid)
        if message:
            raise Conflict(message)

    def search_filters(self, identity):
        return []

    # --- operations ----------------------------------------------------------------
    def get(self, identity, pid, for_update=False):
        record = self.record_cls.get_by_pid(pid, for_update=for_update)
        policy.require(identity, f"{self.action}-read", self.target(record))
        return record

    def read(self, identity, pid):
        return self.envelope(identity, self.get(identity, pid))

    @unit_of_work
    def create(self, identity, data, uow=None):
        policy.require(identity, f"{self.action}-create")
        stored = self.load(identity, data)
        policy.require(identity, f"{self.action}-create", self.target(stored))
        self.check_create(identity, stored)
        with conflicts_as_409(self.conflicts):
            record = self.record_cls.create(stored, **self.columns(stored))
            self.after_write(record)
        uow.index(record)
        return record

    def get_for_update(self, identity, pid, revision=None):
        """``update``'s first checks: the record, locked, that the caller may update
        (403 lacking the action, before any 404), at ``revision`` (412 otherwise)."""
        policy.require(identity, f"{self.action}-update")  # lacking the action: 403 before any 404
        record = self.get(identity, pid, for_update=True)
        policy.require(identity, f"{self.action}-update", self.target(record))
        check_revision(record, revision)
        return record

    @unit_of_work
    def update(self, identity, pid, data, revision=None, uow=None):
        record = self.get_for_update(identity, pid, revision)
        stored = self.load(identity, data, record)
        stored["pid"] = record.pid
        stored["$schema"] = record["$schema"]
        policy.require(identity, f"{self.action}-update", self.target(stored))
        self.check_update(identity, record, stored)
        record.clear()
        record.update(stored)
        with conflicts_as_409(self.conflicts):
            record.commit(**self.columns(stored))
            self.after_write(record)
        uow.index(record)
        return record

    @unit_of_work
    def delete(self, identity, pid, revision=None, uow=None):
        policy.require(identity, f"{self.action}-delete")  # lacking the action: 403 before any 404
        record = self.get(identity, pid, for_update=True)
        policy.require(identity, f"{self.action}-delete", self.target(record))
        check_revision(record, revision)
        self.before_delete(identity, record, uow)
        uow.unindex(record)
        record.delete()

    def search(self, identity, args, page=1, size=10):
        """``GET /api/<resource>/?q=``: ``args`` are the request's parameters (a MultiDict)."""
        policy.require(identity, f"{self.action}-search")
        query = args.get("q")
        must = {"query_string": {"query": query, "default_operator": "AND"}} if query else {"match_all": {}}
        return self.run_search(identity, must, [], page, size)

    def run_search(self, identity, query, filters, page, size, sort=None, aggs=None):
        """The one place a service searches: ``query`` within the caller's scope, hits rendered."""
        body = {
            "query": {"bool": {"must": [query], "filter": list(self.search_filters(identity)) + list(filters)}},
            "from": (page - 1) * size,
            "size": size,
            "track_total_hits": True,
            "sort": sort or [{"_score": "desc"}, {"pid": {"order": "asc", "unmapped_type": "keyword"}}],
        }
        if aggs:
            body["aggs"] = aggs
        try:
            response = current_search.search(self.record_cls.resource, body)
        except RequestError as exc:
            if not _is_query_error(exc):
                raise
            raise ValidationError.on("q", QUERY_SYNTAX_MESSAGE) from None
        response = self.normalise(response)
        return search_result(self.record_cls.resource, response, lambda source: self.dump_hit(identity, source))

    def normalise(self, response):
        """Hook: reshape a raw OpenSearch response before its hits are rendered."""
        return response

    def dump_hit(self, identity, source):
        """A search hit's stored document -> metadata (``dump`` of a stored record by default)."""
        return self.dump(identity, source)

    # --- rendering -----------------------------------------------------------------
    def envelope(self, identity, record):
        return envelope(record.resource, record.pid, self.dump(identity, record), record.revision, record.created, record.updated)


def _is_query_error(exc):
    """Did OpenSearch refuse the search for its query (the user's ``q``), not for our body?"""
    error = exc.info.get("error") if isinstance(exc.info, dict) else None
    causes = error.get("root_cause", []) if isinstance(error, dict) else []
    return exc.status_code == 400 and bool(causes) and all(c.get("type") in QUERY_ERRORS for c in causes)


def envelope(resource, pid, metadata, revision, created, updated):
    return {
        "id": pid,
        "metadata": metadata,
        "revision": revision,
        "created": clock.iso(created) if not isinstance(created, str) else created,
        "updated": clock.iso(updated) if not isinstance(updated, str) else updated,
        "links": {"self": ref_url(resource, pid)},
    }


def search_result(resource, response, dump):
    """A ``SearchResult`` from an OpenSearch response; ``dump(source) -> metadata``
    renders each hit's stored document."""
    hits = []
    for hit in response["hits"]["hits"]:
        source = hit["_source"]
        meta = {k: source.pop(k, None) for k in ("_created", "_updated", "_revision")}
        hits.append(envelope(resource, hit["_id"], dump(source), meta["_revision"], meta["_created"], meta["_updated"]))
    total = response["hits"]["total"]
    aggregations = {}
    for name, agg in (response.get("aggregations") or {}).items():
        agg = agg.get(name, agg)  # filtered/nested aggregations wrap the terms one
        aggregations[name] = {
            "buckets": [{"key": _key(b), "doc_count": b["doc_count"]} for b in agg.get("buckets", [])]
        }
    return SearchResult(hits=hits, total=total, aggregations=aggregations)


def _key(bucket):
    if "key_as_string" in bucket and bucket["key_as_string"] in ("true", "false"):
        return bucket["key_as_string"]
    key = bucket["key"]
    if isinstance(key, bool):
        return "true" if key else "false"
    return key

