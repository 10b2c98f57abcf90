"""orjson for the JSON columns and the search client (records/fastjson.py): what the
standard library encoded before is still encoded, the same way once read back."""

import json
from datetime import date

from rero_ils_users.records import fastjson


def test_what_orjson_refuses_falls_back_to_the_standard_library():
    for value in ({"n": 2**70}, {1: "a"}):
        assert json.loads(fastjson.dumps(value)) == json.loads(json.dumps(value))


def test_documents_read_back_as_written():
    document = {"name": "Zoë Müller", "roles": ["patron"], "n": 1.5, "nested": {"ok": True, "none": None}}
    assert fastjson.loads(fastjson.dumps(document)) == document


def test_the_search_serializer_keeps_its_own_defaults():
    serializer = fastjson.SearchSerializer()
    assert json.loads(serializer.dumps({"day": date(2026, 12, 3), "big": 2**70})) == {"day": "2026-12-03", "big": 2**70}
    assert serializer.dumps('{"raw": 1}') == '{"raw": 1}'
    assert serializer.loads('{"a": [1]}') == {"a": [1]}
