"""Patron search as the librarian types (issue 14): first letters of names, a barcode
in any case, a birth date in the local format or ISO, exact and prefix matches first."""

import copy

import pytest

from rero_ils_users.records import reindex as reindexing
from rero_ils_users.records.search import current_search
from tests.helpers import make_desk, make_person


@pytest.fixture()
def people(client):
    desk = make_desk(client, ptype=True)
    pids = {}
    for key, user, barcode in (
        ("sandrine", {"last_name": "Chevrolet", "first_name": "Sandrine", "birth_date": "1952-05-21"}, "TL000009"),
        ("marc", {"last_name": "Chevroletti", "first_name": "Marc", "birth_date": "1952-05-12"}, "TL000010"),
        ("paul", {"last_name": "Sandoz", "first_name": "Paul", "birth_date": "1952-12-21"}, "XB000021"),
        ("rene", {"last_name": "Favre", "first_name": "René", "birth_date": "1921-05-05"}, "XB000022"),
    ):
        pids[key] = make_person(desk.org, ["patron"], ptype=desk.ptype, user=user, barcode=barcode)[1]
    return pids


def found(client, q):
    res = client.get("/api/patrons/", query_string={"q": q, "size": 50})
    assert res.status_code == 200, (q, res.data[:300])
    return [h["id"] for h in res.get_json()["hits"]["hits"]]


def test_first_letters_of_a_name_find_it_folded(client, people):
    both = {people["sandrine"], people["marc"]}
    for q in ("chev", "Chevro", "CHÉV", "c"):
        assert both <= set(found(client, q)), q
    assert set(found(client, "chev")) == both
    # the first letters of each word, last and first name in any order
    assert found(client, "chev san") == [people["sandrine"]]
    assert found(client, "Sand Chevr") == [people["sandrine"]]
    assert found(client, "ren fav") == [people["rene"]]
    # a prefix of one name word only: "sand" is the first name of one and the last name of another
    assert set(found(client, "sand")) == {people["sandrine"], people["paul"]}
    assert found(client, "chevx") == []


def test_barcode_in_any_case_and_its_first_characters(client, people):
    assert found(client, "tl000009") == [people["sandrine"]]
    assert found(client, "TL000009") == [people["sandrine"]]
    hits = found(client, "tl0000")
    assert set(hits) == {people["sandrine"], people["marc"]}
    # the exact lookup (barcode=) stays exact, as the uniqueness does (API.md)
    res = client.get("/api/patrons/", query_string={"barcode": "tl000009"})
    assert res.get_json()["hits"]["total"]["value"] == 0


@pytest.mark.parametrize("q", ["21.05.1952", "21/05/1952", "21.5.1952", "1952-05-21"])
def test_a_birth_date_local_or_iso_finds_exactly_that_day(client, people, q):
    # the others share the year, the month or the day: loose token matches found them before
    assert found(client, q) == [people["sandrine"]]


def test_a_date_that_is_no_real_day_is_a_400_naming_q(client, people):
    for q in ("31.02.1952", "1952-13-01"):
        res = client.get("/api/patrons/", query_string={"q": q})
        assert res.status_code == 400, q
        assert [e["field"] for e in res.get_json()["errors"]] == ["q"]


def test_exact_name_ranks_above_a_prefix_only_match(client, people):
    assert found(client, "chevrolet") == [people["sandrine"], people["marc"]]
    assert found(client, "Chevroletti") == [people["marc"]]
    # a whole last name beats a first name that merely begins like it (Sandoz before Sandrine)
    assert found(client, "sandoz")[0] == people["paul"]


def test_other_queries_keep_working(client, people):
    assert found(client, "1952") and set(found(client, "1952")) >= {people["sandrine"], people["marc"], people["paul"]}
    assert people["sandrine"] in found(client, "Fribourg")
    assert found(client, "a:b:c") == []  # the patron search is a text search: no syntax to break
    assert found(client, "x" * 2000) == []  # one long word: no barcode begins so (a prefix query would overflow)
    too_many_terms = " ".join(["a"] * 1100)
    res = client.get("/api/patrons/", query_string={"q": too_many_terms})
    assert res.status_code == 400 and [e["field"] for e in res.get_json()["errors"]] == ["q"]


def test_the_new_mapping_comes_through_the_zero_downtime_reindex(client, people):
    """An installation still serving the previous patron mapping (no prefix, no folded
    barcode) gets the new one by ``reindex patrons``; it served meanwhile."""
    _, _, body = current_search.definition("patrons")
    old_body = copy.deepcopy(body)
    for name in ("first_name", "last_name"):
        old_body["mappings"]["properties"]["user"]["properties"][name]["fields"].pop("prefix")
    old_body["mappings"]["properties"]["patron"]["properties"]["barcode"] = {"type": "keyword"}
    (current,) = current_search.aliased("patrons")
    old = f"{current_search.prefix}patrons-patron-v1.0.0-20260101000000000000"
    client_ = current_search.client
    client_.indices.create(index=old, body=old_body)
    client_.reindex(body={"source": {"index": current}, "dest": {"index": old}}, refresh=True)
    alias = current_search.alias("patrons")
    client_.indices.update_aliases(body={"actions": [
        {"remove": {"index": current, "alias": alias}}, {"add": {"index": old, "alias": alias}}]})
    client_.indices.delete(index=current)
    assert found(client, "chev") == [] and found(client, "Chevrolet") == [people["sandrine"]]

    done = reindexing.reindex("patrons")
    assert done.swapped and done.indexed == 5  # the librarian too
    (served,) = current_search.aliased("patrons")
    assert "-patron-v1.1.0-" in served and current_search.indexes("patrons") == [served]
    assert set(found(client, "chev")) == {people["sandrine"], people["marc"]}
    assert found(client, "tl000009") == [people["sandrine"]]
