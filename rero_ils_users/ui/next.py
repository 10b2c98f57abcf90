"""Where the login page may send the caller once logged in (``?next=``): a path of this
site, nothing else. Checked on the server (``ui/views.py``) and again by the page
script (``static/pages/login.js``, the same rules).

Refused, at every level of percent-decoding: anything not starting with exactly one
``/`` (``//evil.example``, ``https://evil.example``, `` /x``), a backslash (``/\\evil``:
browsers read it as ``/``), a control character (``/%09/evil.example``: browsers drop
tabs and newlines, leaving ``//evil.example``), a scheme or a host."""

import unicodedata
from urllib.parse import unquote, urlsplit

MAX_LENGTH = 2000
MAX_DECODINGS = 5  # "%25255C" and deeper are refused rather than followed


def _safe_layer(text):
    if not text.startswith("/") or text.startswith("//") or "\\" in text:
        return False
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in text):
        return False
    parts = urlsplit(text)
    return not parts.scheme and not parts.netloc


def same_site_path(value):
    """``value`` (as given) when it is a path of this site, else None."""
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH:
        return None
    layer = value
    for _ in range(MAX_DECODINGS):
        if not _safe_layer(layer):
            return None
        decoded = unquote(layer)
        if decoded == layer:
            return value
        layer = decoded
    return None
