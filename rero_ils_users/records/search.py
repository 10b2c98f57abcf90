"""OpenSearch: the client, index management behind prefixed aliases, searching."""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from opensearchpy import OpenSearch
from werkzeug.local import LocalProxy

from ..errors import ValidationError
from ..paths import mappings_dir
from .fastjson import SearchSerializer


@dataclass
class SearchResult:
    """What a service's search answers: rendered hits, the total, the facets."""

    hits: list
    total: dict
    aggregations: dict = field(default_factory=dict)


def parse_bool(name, raw):
    """``true``/``false`` (``1``/``0``, ``yes``/``no``) of a parameter, None when absent."""
    if raw in (None, ""):
        return None
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise ValidationError.on(name, "Must be true or false.")


class SearchIndexes:
    """The app's search client and its indexes (``app.extensions['rero-search']``)."""

    def __init__(self, app):
        self.prefix = app.config["SEARCH_INDEX_PREFIX"]
        self.refresh_on_write = app.config["SEARCH_REFRESH"]
        self.replicas = app.config["SEARCH_NUMBER_OF_REPLICAS"]
        self.client = OpenSearch(hosts=app.config["SEARCH_HOSTS"], timeout=app.config["SEARCH_TIMEOUT"], serializer=SearchSerializer())

    def alias(self, resource):
        return f"{self.prefix}{resource}"

    def definitions(self):
        """``(alias, index base name, body)`` for every mapping file.

        The concrete indexes are ``<base>-<generation>`` (see ``new_index``)
        behind the alias, so a reindex can build the next one beside it."""
        for path in sorted(mappings_dir().glob("*/*.json")):
            resource = path.parent.name
            yield self.alias(resource), f"{self.prefix}{resource}-{path.stem}", json.loads(path.read_text())

    def definition(self, resource):
        for alias, base, body in self.definitions():
            if alias == self.alias(resource):
                return alias, base, body
        raise KeyError(resource)

    def _resources(self, resources):
        for alias, base, body in self.definitions():
            if not resources or alias[len(self.prefix):] in resources:
                yield alias, base, body

    def new_index(self, resource, aliased=True, settings=None):
        """Create ``<base>-<UTC timestamp>`` with the resource's mapping; returns its name.

        ``aliased``: behind the alias at once (a fresh installation); a reindex
        builds it unaliased and swaps. ``settings`` override the mapping's."""
        alias, base, body = self.definition(resource)
        name = f"{base}-{datetime.now(UTC):%Y%m%d%H%M%S%f}"
        body = self.with_replicas(body)
        body["settings"]["index"].update(settings or {})
        if aliased:
            body["aliases"] = {alias: {}}
        self.client.indices.create(index=name, body=body)
        return name

    def aliased(self, resource):
        """The concrete indexes the alias points at (one, except in a broken cluster)."""
        alias = self.alias(resource)
        if not self.client.indices.exists_alias(name=alias):
            return []
        return sorted(self.client.indices.get_alias(name=alias))

    def indexes(self, resource):
        """Every concrete index of ``resource``: any mapping version or generation,
        and an index created under the alias's own name (a write to a missing alias)."""
        alias = self.alias(resource)
        own = re.compile(rf"{re.escape(alias)}(-[a-z_]+-v[0-9.]+(-[0-9]+)?)?")
        found = self.client.indices.get(index=f"{alias}*", expand_wildcards="open,closed", allow_no_indices=True)
        return sorted(name for name in found if own.fullmatch(name))

    def create(self, resources=None):
        """Create the missing aliases, each on a new index; returns the index names created."""
        created = []
        for alias, _, _ in self._resources(resources):
            resource = alias[len(self.prefix):]
            if not self.client.indices.exists_alias(name=alias):
                created.append(self.new_index(resource))
        return created

    def with_replicas(self, body):
        """``body`` of a mapping file with ``SEARCH_NUMBER_OF_REPLICAS`` replicas."""
        settings = body.get("settings", {})
        index = {**settings.get("index", {}), "number_of_replicas": self.replicas}
        return {**body, "settings": {**settings, "index": index}}

    def delete(self, resources=None):
        """Delete every index (all generations) of ``resources`` (default: all)."""
        for alias, _, _ in self._resources(resources):
            names = self.indexes(alias[len(self.prefix):])
            if names:
                self.client.indices.delete(index=",".join(names), ignore_unavailable=True)

    def refresh(self, resource=None):
        target = self.alias(resource) if resource else f"{self.prefix}*"
        self.client.indices.refresh(index=target)

    def search(self, resource, body, **params):
        return self.client.search(index=self.alias(resource), body=body, **params)


current_search = LocalProxy(lambda: current_app.extensions["rero-search"])


def renew_client():
    """A new client for the app's indexes: a forked process (the parallel import's
    workers) must not share its parent's connections."""
    indexes = current_app.extensions["rero-search"]
    indexes.client = SearchIndexes(current_app).client
