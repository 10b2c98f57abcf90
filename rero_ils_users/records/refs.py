"""References between records: ``{"$ref": "https://<any host>/api/<resource>/<pid>"}``.

Stored as ``{"pid": "<pid>"}``; written back with the server's own base URL."""

from urllib.parse import urlparse

from flask import current_app, g, has_app_context

from ..errors import FieldError


def set_request_base_url(url):
    """The REST layer tells which host this request reached (used when none is configured)."""
    g.request_base_url = url.rstrip("/")


def base_url():
    configured = current_app.config.get("SERVER_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_app_context() and g.get("request_base_url"):
        return g.request_base_url
    return f"https://{current_app.config['JSONSCHEMAS_HOST']}"


def ref_url(resource, pid):
    return f"{base_url()}/api/{resource}/{pid}"


def dump_ref(resource, stored):
    """Public form of a stored reference."""
    return {"$ref": ref_url(resource, stored["pid"]), "pid": stored["pid"]}


def load_ref(value, resource, field):
    """Stored form of a client reference, or a ``FieldError``.

    Only the last two path segments of ``$ref`` are significant.
    """
    if isinstance(value, dict) and isinstance(value.get("$ref"), str):
        parts = [p for p in urlparse(value["$ref"]).path.split("/") if p]
        if len(parts) >= 2 and parts[-2] == resource and parts[-1]:
            return {"pid": parts[-1]}
    return FieldError(field, f"Must be a reference to /api/{resource}/<pid>.")
