"""JSON for the database's JSON columns and the search client, with orjson.

orjson encodes and decodes several times faster than the standard library, which the
import and every write spend much of their time in (docs/performance.md). It refuses a
few things the standard library takes (integers beyond 64 bits, keys that are not
strings): those fall back to ``json``, so nothing that was stored before is refused now."""

import json

import orjson
from opensearchpy.serializer import JSONSerializer


def dumps(value):
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError: a value only the standard library encodes
        return json.dumps(value)


loads = orjson.loads


class SearchSerializer(JSONSerializer):
    """opensearch-py's serializer with orjson's speed (its own ``default`` for the rest)."""

    def dumps(self, data):
        if isinstance(data, str):
            return data
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            return super().dumps(data)

    def loads(self, s):
        return orjson.loads(s)
