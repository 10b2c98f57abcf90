"""Patron searches: the query, filters, facets and sorts of API.md section 3."""

import re

from .. import clock
from ..errors import ValidationError
from ..organisations.service import organisation_filter
from ..records.search import parse_bool

TEXT_FIELDS = [
    "user.last_name^3",
    "user.first_name^3",
    "user.city",
    "user.street",
    "patron.blocked_note",
]
KEYWORD_FIELDS = [
    "user.username",
    "user.email",
    "user.city.folded",
    "user.home_phone",
    "user.business_phone",
    "user.mobile_phone",
    "user.other_phone",
    "local_codes.folded",
    "patron.additional_communication_email",
]
SORTS = {
    "name": [{"sort_name": "asc"}],
    "-created": [{"_created": "desc"}],
    "expiration_date": [{"patron.expiration_date": {"order": "asc", "missing": "_last"}}],
}


def text_query(q):
    """Names, username, email, barcode (ranked highest), birth date or year, city, phones, local codes."""
    should = [
        {"term": {"patron.barcode": {"value": q, "boost": 20}}},
        {"multi_match": {"query": q, "fields": TEXT_FIELDS, "type": "cross_fields", "operator": "and"}},
    ]
    should += [{"term": {field: {"value": q, "boost": 5}}} for field in KEYWORD_FIELDS]
    if re.fullmatch(r"\d{4}", q):
        should.append({"term": {"user.birth_year": {"value": q, "boost": 2}}})
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", q):
        should.append({"match": {"user.birth_date_text": {"query": q, "boost": 2}}})
    return {"bool": {"should": should, "minimum_should_match": 1}}


def _expired(value):
    today = clock.today().isoformat()
    expired = {"range": {"patron.expiration_date": {"lte": today}}}
    return expired if value else {"bool": {"must_not": [expired]}}


def filters(identity, args):
    """Search filters from the request's arguments (``args`` a MultiDict)."""
    result = organisation_filter(identity, requested=args.get("organisation") or None, personal_data=True)
    for arg, field in (
        ("roles", "roles"),
        ("patron_type", "patron.type.pid"),
        ("library", "libraries.pid"),
        ("city", "user.city.raw"),
        ("local_codes", "local_codes"),
        ("barcode", "patron.barcode"),
    ):
        values = [v for v in args.getlist(arg) if v]
        if values:
            result.append({"terms": {field: values}})
    blocked = parse_bool("blocked", args.get("blocked"))
    if blocked is not None:
        result.append({"term": {"patron.blocked": True}} if blocked else {"bool": {"must_not": [{"term": {"patron.blocked": True}}]}})
    expired = parse_bool("expired", args.get("expired"))
    if expired is not None:
        result.append(_expired(expired))
    return result


def aggregations():
    return {
        "roles": {"terms": {"field": "roles", "size": 20}},
        "patron_type": {"terms": {"field": "patron.type.pid", "size": 50}},
        "library": {"terms": {"field": "libraries.pid", "size": 100}},
        "city": {"terms": {"field": "user.city.raw", "size": 50}},
        "blocked": {"terms": {"field": "patron.blocked", "size": 2}},
        "local_codes": {"terms": {"field": "local_codes", "size": 50}},
        "expired": {"filters": {"filters": {"true": _expired(True), "false": _expired(False)}}},
    }


def sort(value):
    if not value:
        return None
    if value not in SORTS:
        raise ValidationError.on("sort", f"Must be one of: {', '.join(SORTS)}.")
    return SORTS[value] + [{"pid": "asc"}]


def normalise_aggregations(response):
    """``filters`` buckets come as a dict: turn them into the contract's list."""
    expired = response.get("aggregations", {}).get("expired")
    if expired and isinstance(expired.get("buckets"), dict):
        expired["buckets"] = [
            {"key": key, "doc_count": bucket["doc_count"]} for key, bucket in expired["buckets"].items()
        ]
    return response


def duplicates_query(first_name, last_name, birth_date):
    """Likely duplicates: tolerant to case, accents and one-letter typos; same birth date first."""
    must = []
    for field, value in (("user.first_name", first_name), ("user.last_name", last_name)):
        if value:
            must.append({"match": {field: {"query": value, "fuzziness": 1, "operator": "and"}}})
    should = []
    if birth_date:
        should.append({"term": {"user.birth_date": {"value": birth_date, "boost": 10}}})
    return {"bool": {"must": must or [{"match_none": {}}], "should": should}}
