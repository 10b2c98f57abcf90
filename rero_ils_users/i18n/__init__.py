"""The four languages of the network (Flask-Babel): which one a request gets, and
what the pages need to show it.

A page's language is the logged-in person's choice (``accounts_user.language``, set
with the header's selector or ``PUT /api/user/language``; an anonymous visitor's choice
lives in their session), else the browser's ``Accept-Language``, else ``I18N_DEFAULT``.
An API call's messages follow ``Accept-Language`` first (the page scripts send the
page's language), then the same choice, then the default. Catalogues live in
``translations/`` (``babel.cfg`` says what is extracted; compiled by ``scripts/_lib.sh``
and the package build, see ``compile.py``)."""

import logging
from pathlib import Path

from flask import current_app, g, has_request_context, request, session
from flask_babel import Babel, get_locale
from flask_login import current_user

log = logging.getLogger(__name__)
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
SESSION_KEY = "language"
# each language in its own name, for the selector
NATIVE_NAMES = {"en": "English", "fr": "Français", "de": "Deutsch", "it": "Italiano"}


def languages():
    return list(current_app.config["I18N_LANGUAGES"])


def default_language():
    return current_app.config["I18N_DEFAULT"]


def supported(value):
    """``value`` when it is one of the configured languages, else None."""
    return value if isinstance(value, str) and value in languages() else None


def chosen_language():
    """The language the caller chose (their account's, or their session's), or None."""
    try:
        if current_user and current_user.is_authenticated:
            return supported(getattr(current_user, "language", None))
        return supported(session.get(SESSION_KEY))
    except Exception:  # noqa: BLE001  (sessions down: the error page still needs a language)
        return None


def _browser_language():
    """The first language of ``Accept-Language`` (by quality) we have, its region ignored:
    ``fr-CH, de;q=0.8`` is French (werkzeug's ``best_match`` would take the exact ``de``)."""
    ours = languages()
    for value, quality in request.accept_languages:  # sorted by quality, best first
        primary = value.split("-")[0].split("_")[0].lower()
        if quality > 0 and primary in ours:
            return primary
    return None


def _is_api():
    return request.path == "/api" or request.path.startswith("/api/")


def select_locale():
    if not has_request_context():
        return default_language()
    if _is_api():
        return _browser_language() or chosen_language() or default_language()
    return chosen_language() or _browser_language() or default_language()


def current_language():
    """The request's language code (``en``, ``fr``, ...)."""
    locale = get_locale()
    return locale.language if locale is not None else default_language()


def remember_anonymous(language):
    """An anonymous visitor's choice, kept in their session (None forgets it)."""
    if language is None:
        session.pop(SESSION_KEY, None)
    else:
        session[SESSION_KEY] = language


def _vary(response):
    """Answers depend on Accept-Language: caches must keep one per language."""
    if not (request.endpoint or "").endswith("static"):
        response.vary.add("Accept-Language")
    return response


def _forget_locale(exc=None):
    """Flask-Babel caches the locale in ``g``: an application context that outlives a
    request (a worker's, the tests') must not hand one request's language to the next."""
    g.pop("_flask_babel", None)


def init_app(app):
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["I18N_DEFAULT"])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config.get("TIME_ZONE", "UTC"))
    Babel(app, locale_selector=select_locale)
    uncompiled = [code for code in app.config["I18N_LANGUAGES"] if not (TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo").exists()]
    if uncompiled:  # a checkout that skipped scripts/setup: say why everything is English
        log.warning("no compiled catalogue for %s (run scripts/i18n compile): English instead", ", ".join(uncompiled))
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_locale)
    app.teardown_request(_forget_locale)
    app.after_request(_vary)

    @app.context_processor
    def _languages():
        return {
            "page_language": current_language(),
            "page_languages": [(code, NATIVE_NAMES.get(code, code)) for code in languages()],
        }
