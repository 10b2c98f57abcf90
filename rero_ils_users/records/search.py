"""OpenSearch: the client, index management behind prefixed aliases, searching."""

import json
from dataclasses import dataclass, field

from flask import current_app
from opensearchpy import OpenSearch
from werkzeug.local import LocalProxy

from ..errors import ValidationError
from ..paths import mappings_dir


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
        self.client = OpenSearch(hosts=app.config["SEARCH_HOSTS"], timeout=app.config["SEARCH_TIMEOUT"])

    def alias(self, resource):
        return f"{self.prefix}{resource}"

    def definitions(self):
        """``(alias, index name, body)`` for every mapping file."""
        for path in sorted(mappings_dir().glob("*/*.json")):
            resource = path.parent.name
            yield self.alias(resource), f"{self.prefix}{resource}-{path.stem}", json.loads(path.read_text())

    def create(self, resources=None):
        """Create missing indexes and their aliases; returns the names created."""
        created = []
        for alias, index, body in self.definitions():
            if resources and alias[len(self.prefix):] not in resources:
                continue
            if not self.client.indices.exists(index=index):
                self.client.indices.create(index=index, body={**self.with_replicas(body), "aliases": {alias: {}}})
                created.append(index)
        return created

    def with_replicas(self, body):
        """``body`` of a mapping file with ``SEARCH_NUMBER_OF_REPLICAS`` replicas."""
        settings = body.get("settings", {})
        index = {**settings.get("index", {}), "number_of_replicas": self.replicas}
        return {**body, "settings": {**settings, "index": index}}

    def delete(self, resources=None):
        for alias, index, _ in self.definitions():
            if resources and alias[len(self.prefix):] not in resources:
                continue
            self.client.indices.delete(index=index, ignore_unavailable=True)

    def refresh(self, resource=None):
        target = self.alias(resource) if resource else f"{self.prefix}*"
        self.client.indices.refresh(index=target)

    def search(self, resource, body, **params):
        return self.client.search(index=self.alias(resource), body=body, **params)


current_search = LocalProxy(lambda: current_app.extensions["rero-search"])
