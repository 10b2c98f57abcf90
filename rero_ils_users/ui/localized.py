"""What the pages show in the page's language: labels of roles, fields and history
actions, the country list, dates, the rules the checks apply (password policy, lockout
window, read from the same configuration), and the catalogue handed to the page
scripts (their ``t("...")`` and ``tn("...", "...", n)`` strings, extracted from the
scripts themselves, so the server sends exactly what they use)."""

import unicodedata
from datetime import date, datetime
from functools import cache
from pathlib import Path

import pycountry
from babel import Locale
from babel.messages.extract import extract
from flask_babel import format_date, format_datetime, get_translations, gettext

from .. import i18n
from ..accounts import lockout, passwords
from ..i18n.messages import N_

STATIC = Path(__file__).resolve().parent / "static"
# the page scripts' translation functions, as Babel extracts them (babel.cfg says the same)
JS_KEYWORDS = {"t": (1,), "tn": (1, 2)}
JS_OPTIONS = {"parse_template_string": True}  # t() inside `${...}` too

ROLE_LABELS = {
    "patron": N_("patron"),
    "pro_full_permissions": N_("pro: full permissions"),
    "pro_library_administrator": N_("pro: library administrator"),
    "pro_read_only": N_("pro: read only"),
    "pro_catalog_manager": N_("pro: catalog manager"),
    "pro_circulation_manager": N_("pro: circulation"),
    "pro_user_manager": N_("pro: user manager"),
    "pro_acquisition_manager": N_("pro: acquisition manager"),
    "pro_entity_manager": N_("pro: entity manager"),
    "pro_statistic_manager": N_("pro: statistics"),
    "any_user": N_("any user"),
    "authenticated_user": N_("authenticated user"),
    "superuser": N_("superuser"),
    "admin": N_("admin"),
    "monitoring": N_("monitoring"),
    "document_importer": N_("document importer"),
}
FIELD_LABELS = {
    "id": N_("Id"),
    "username": N_("Username"),
    "email": N_("E-mail"),
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "birth_date": N_("Birth date"),
    "gender": N_("Gender"),
    "street": N_("Street"),
    "postal_code": N_("Postal code"),
    "city": N_("City"),
    "country": N_("Country"),
    "home_phone": N_("Home phone"),
    "business_phone": N_("Business phone"),
    "mobile_phone": N_("Mobile phone"),
    "other_phone": N_("Other phone"),
    "keep_history": N_("Keep the circulation history"),
    "barcode": N_("Card number"),
    "type": N_("Patron type"),
    "communication_channel": N_("Communication channel"),
    "communication_language": N_("Communication language"),
    "additional_communication_email": N_("Additional communication e-mail"),
    "expiration_date": N_("Expiry date"),
    "expired": N_("Expired"),
    "blocked": N_("Blocked"),
    "blocked_note": N_("Reason for the block"),
    "libraries": N_("Affiliation libraries"),
    "second_address": N_("Second address"),
    "local_codes": N_("Local codes"),
}
# what the audit of personal data says was done, to which kind of record (privacy/)
AUDIT_LABELS = {
    "create": N_("Created"),
    "update": N_("Changed"),
    "delete": N_("Deleted"),
    "export": N_("Exported"),
    "users": N_("Personal data"),
    "patrons": N_("Patron record"),
}
HISTORY_ACTIONS = {
    "checkout": N_("Checkout"),
    "checkin": N_("Checkin"),
    "renewal": N_("Renewal"),
    "request": N_("Request"),
}


def role_label(role):
    return gettext(ROLE_LABELS[role]) if role in ROLE_LABELS else role


def field_label(key):
    return gettext(FIELD_LABELS[key]) if key in FIELD_LABELS else key


def audit_label(word):
    return gettext(AUDIT_LABELS[word]) if word in AUDIT_LABELS else word


def history_action(action):
    return gettext(HISTORY_ACTIONS[action]) if action in HISTORY_ACTIONS else action


def password_rule():
    """The password policy as the checks apply it (``accounts/passwords.py``)."""
    minimum = passwords.min_length()
    if passwords.require_special():
        return gettext(
            "At least %(minimum)s characters, with a lowercase letter, an uppercase letter, a digit "
            "and a character that is neither a letter nor a digit.",
            minimum=minimum,
        )
    return gettext("At least %(minimum)s characters, with a lowercase letter, an uppercase letter and a digit.", minimum=minimum)


def lockout_minutes():
    """How long a login stays locked after too many failures (``LOGIN_LOCKOUT``), in minutes."""
    return max(1, round(lockout.window() / 60))


def _sort_key(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


@cache
def _countries(language):
    names = Locale.parse(language).territories
    pairs = [(c.alpha_2.lower(), names.get(c.alpha_2, c.name)) for c in pycountry.countries]
    return tuple(sorted(pairs, key=lambda pair: _sort_key(pair[1])))


def countries():
    """``(code, name)`` of the ISO 3166-1 countries, named and sorted in the page's language."""
    return _countries(i18n.current_language())


def _parse(value, kind):
    if isinstance(value, kind):
        return value
    try:
        return (date if kind is date else datetime).fromisoformat(str(value))
    except ValueError:
        return None


def local_date(value):
    """``YYYY-MM-DD`` as the page's language writes a date (as it was when unreadable)."""
    parsed = _parse(value, date) if value else None
    return format_date(parsed, "medium") if parsed else (value or "")


def local_datetime(value):
    parsed = _parse(value, datetime) if value else None
    return format_datetime(parsed, "medium") if parsed else (value or "")


@cache
def js_messages():
    """The strings of the page scripts: ``msgid`` or ``(singular, plural)``."""
    found = []
    for path in sorted(STATIC.rglob("*.js")):
        with path.open("rb") as stream:
            found += [message for _, message, _, _ in extract("javascript", stream, keywords=JS_KEYWORDS, options=JS_OPTIONS)]
    return tuple(dict.fromkeys(found))


def js_catalog():
    """What ``static/common.js`` reads from the page: its strings, role labels, the rules."""
    translations = get_translations()
    messages = {}
    for message in js_messages():
        if isinstance(message, tuple):
            singular, plural = message
            messages[singular] = {
                "one": translations.ungettext(singular, plural, 1),
                "other": translations.ungettext(singular, plural, 2),
            }
        else:
            messages[message] = translations.ugettext(message)
    return {
        "lang": i18n.current_language(),
        "messages": messages,
        "roles": {role: role_label(role) for role in ROLE_LABELS},
        "password_rule": password_rule(),
        "lockout_minutes": lockout_minutes(),
    }


def register(blueprint):
    """Filters and context of every page of ``blueprint``."""
    blueprint.add_app_template_filter(role_label, "role_label")
    blueprint.add_app_template_filter(local_date, "local_date")
    blueprint.add_app_template_filter(local_datetime, "local_datetime")

    @blueprint.app_context_processor
    def _context():  # functions: only the pages that show them pay for them
        return {
            "field_label": field_label,
            "history_action": history_action,
            "audit_label": audit_label,
            "js_catalog": js_catalog,
            "password_rule": password_rule,
            "lockout_minutes": lockout_minutes,
            "countries": countries,
        }
