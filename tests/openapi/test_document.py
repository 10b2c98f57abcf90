"""GET /api/openapi.json: public, a valid OpenAPI 3.1 document, and the same routes
as the app (every path and method of app.url_map under /api, and nothing else)."""

import json
import re

import pytest
from flask import Flask
from openapi_spec_validator import validate

from rero_ils_users.openapi.document import build
from rero_ils_users.openapi.schemas import RECORD_SCHEMAS
from rero_ils_users.paths import jsonschemas_dir

IGNORED_METHODS = {"HEAD", "OPTIONS"}  # Flask answers them for every route


def api_routes(url_map):
    """``{(METHOD, "/api/patrons/{pid}")}`` of the app's routes under /api."""
    routes = set()
    for rule in url_map.iter_rules():
        if rule.rule == "/api" or rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            routes |= {(method, path) for method in rule.methods - IGNORED_METHODS}
    return routes


def documented_routes(document):
    return {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}


@pytest.fixture(scope="module")
def document(app):
    answer = app.test_client().get("/api/openapi.json")
    assert answer.status_code == 200, answer.data
    return answer.get_json()


def test_public_without_login_nor_csrf(app):
    client = app.test_client()  # no session, no token; CSRF is on in this module
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200
    assert answer.content_type == "application/json"
    assert answer.get_json()["openapi"] == "3.1.0"


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)  # openapi-spec-validator: raises naming the first problem


def test_every_route_of_the_app_is_described(app, document):
    missing = sorted(api_routes(app.url_map) - documented_routes(document))
    assert not missing, f"routes of the app missing from rero_ils_users/openapi/operations.py: {missing}"


def test_the_description_names_only_routes_of_the_app(app, document):
    stale = sorted(documented_routes(document) - api_routes(app.url_map))
    assert not stale, f"operations of the description that the app does not have: {stale}"


def test_the_comparison_sees_a_new_route_and_a_stale_one(app, document):
    """The two checks above can fail: a route added to the app, a path or method
    changed, are reported."""
    other = Flask("other")
    other.url_map = app.url_map.__class__([rule.empty() for rule in app.url_map.iter_rules()])
    other.add_url_rule("/api/patrons/<pid>/loans", "loans", lambda pid: "", methods=["GET"])
    assert api_routes(other.url_map) - documented_routes(document) == {("GET", "/api/patrons/{pid}/loans")}
    renamed = json.loads(json.dumps(document))
    renamed["paths"]["/api/patrons/{id}"] = renamed["paths"].pop("/api/patrons/{pid}")
    del renamed["paths"]["/api/logout"]["post"]
    renamed["paths"]["/api/logout"]["get"] = {"responses": {}}
    assert documented_routes(renamed) - api_routes(app.url_map) == {
        ("GET", "/api/patrons/{id}"), ("PUT", "/api/patrons/{id}"), ("DELETE", "/api/patrons/{id}"), ("GET", "/api/logout"),
    }
    assert api_routes(app.url_map) - documented_routes(renamed) == {
        ("GET", "/api/patrons/{pid}"), ("PUT", "/api/patrons/{pid}"), ("DELETE", "/api/patrons/{pid}"), ("POST", "/api/logout"),
    }


def test_paths_are_written_in_full_with_path_parameters_declared(document):
    for path, operations in document["paths"].items():
        assert path.startswith("/api/"), path
        names = set(re.findall(r"{([^}]+)}", path))
        for method, spec in operations.items():
            declared = {p["name"] for p in spec.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (method, path, declared)


def test_record_bodies_are_the_json_schemas(document):
    """The record schemas are reused, not retyped: every property of each file is in
    its component with the same constraints (references rewritten)."""
    schemas = document["components"]["schemas"]
    for name, path in RECORD_SCHEMAS.items():
        source = json.loads((jsonschemas_dir() / path).read_text())
        component = schemas[name]
        assert set(component["properties"]) == set(source["properties"]), name
        assert component.get("required") == source.get("required"), name
        for prop, spec in source["properties"].items():
            for keyword in ("type", "pattern", "enum", "minLength", "maxLength", "format"):
                assert component["properties"][prop].get(keyword) == spec.get(keyword), (name, prop, keyword)
    assert document["paths"]["/api/libraries/"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Library"
    }


def test_errors_etags_and_security_are_described(document):
    patron = document["paths"]["/api/patrons/{pid}"]
    assert {"400", "401", "403", "404", "409", "412", "413", "414"} <= set(patron["put"]["responses"])
    assert patron["get"]["responses"]["200"]["headers"]["ETag"] == {"$ref": "#/components/headers/ETag"}
    assert "If-Match" in {p["name"] for p in patron["put"]["parameters"]}
    schemes = document["components"]["securitySchemes"]
    assert schemes["sessionCookie"] == {**schemes["sessionCookie"], "type": "apiKey", "in": "cookie"}
    assert schemes["csrfToken"]["name"] == "X-CSRF-Token"
    assert schemes["bearerToken"]["scheme"] == "bearer"
    assert {"sessionCookie": [], "csrfToken": []} in patron["put"]["security"]
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["status", "message"]


def test_the_document_depends_on_configuration_only(app):
    assert build(app.config) == build(app.config)


def test_every_replace_documents_its_dry_run(app, document):
    """Every PUT that takes ``dry_run`` (users and records) says so, with its 204."""
    puts = {path: ops["put"] for path, ops in document["paths"].items() if "put" in ops and "If-Match" in str(ops["put"])}
    checked = [p for p in puts if p.startswith("/api/users/{") or p.count("/") == 3 and p.endswith("{pid}")]
    assert "/api/users/{user_id}" in checked and "/api/patrons/{pid}" in checked
    for path in checked:
        names = [p["name"] for p in puts[path]["parameters"]]
        assert "dry_run" in names and "204" in puts[path]["responses"], path
        res = app.test_client().put(f"{path.split('{')[0]}0?dry_run=true", json={})
        assert res.status_code != 405, path  # the route really takes a PUT
