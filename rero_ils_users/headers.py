"""Security headers on every response (API, pages, static files and errors alike):
the Content-Security-Policy (setting ``CONTENT_SECURITY_POLICY``; the UI has no inline
script or style), no MIME sniffing, no framing, and the referrer policy
(``REFERRER_POLICY``)."""

from flask import current_app

FIXED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def _add_headers(response):
    config = current_app.config
    headers = {**FIXED, "Referrer-Policy": config["REFERRER_POLICY"]}
    if config.get("CONTENT_SECURITY_POLICY"):
        headers["Content-Security-Policy"] = config["CONTENT_SECURITY_POLICY"]
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app):
    app.after_request(_add_headers)
