"""Patron searches: the query, filters, facets and sorts of API.md section 3."""

import re
from datetime import date

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


# dates as a desk types them: day.month.year or day/month/year (the local format), or ISO
LOCAL_DATE = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# names as typed: every word the prefix of a word of the first or last name (edge n-grams, folded)
NAME_PREFIX_FIELDS = ["user.last_name.prefix^2", "user.first_name.prefix"]
BARCODE_MAX = 64  # the schema's longest barcode; a longer q begins none (and would overflow a prefix automaton)


def typed_date(q):
    """The ISO date a date-looking ``q`` means (None when it does not look like one).

    A date-looking ``q`` that is no real day (``31.02.1952``) is a 400 naming ``q``."""
    if match := LOCAL_DATE.fullmatch(q):
        day, month, year = match.groups()
    elif match := ISO_DATE.fullmatch(q):
        year, month, day = match.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        raise ValidationError.on("q", f"{q} looks like a date but is no real day (write DD.MM.YYYY, DD/MM/YYYY or YYYY-MM-DD).") from None


def _barcode_clauses(q):
    """Exact barcode first, then the same barcode in another case, then a barcode it begins."""
    folded = q.lower()
    clauses = [
        {"term": {"patron.barcode": {"value": q, "boost": 20}}},
        {"term": {"patron.barcode.folded": {"value": folded, "boost": 15}}},
    ]
    if len(q) <= BARCODE_MAX:
        clauses.append({"prefix": {"patron.barcode.folded": {"value": folded, "boost": 4}}})
    return clauses


def text_query(q):
    """What a librarian types (API.md section 3, docs/api.md "Patron search").

    A date (``21.05.1952``, ``21/05/1952``, ``1952-05-21``) finds the people born
    that day (or a barcode written so). Otherwise, best first: the barcode (exact,
    any case, then as a prefix), the whole last or first name, whole words of the
    names, city, street or blocking note, the first letters of each word of the
    names, then username, email, city, phones, local codes and birth year exactly."""
    born = typed_date(q)
    if born:
        should = [{"term": {"user.birth_date": {"value": born, "boost": 10}}}, *_barcode_clauses(q)[:2]]
        return {"bool": {"should": should, "minimum_should_match": 1}}
    should = [
        *_barcode_clauses(q),
        {"term": {"user.last_name.raw": {"value": q, "boost": 12}}},
        {"term": {"user.first_name.raw": {"value": q, "boost": 8}}},
        {"multi_match": {"query": q, "fields": TEXT_FIELDS, "type": "cross_fields", "operator": "and"}},
        {"multi_match": {"query": q, "fields": NAME_PREFIX_FIELDS, "type": "cross_fields", "operator": "and"}},
    ]
    should += [{"term": {field: {"value": q, "boost": 5}}} for field in KEYWORD_FIELDS]
    if re.fullmatch(r"\d{4}", q):
        should.append({"term": {"user.birth_year": {"value": q, "boost": 2}}})
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
