"""The one table of the API's messages: each English message the services write,
with its stable machine ``code`` and, through the catalogues, its translations.

The services keep writing plain English (``errors.py`` knows nothing of languages);
``rest.py`` renders every error through ``localized``: the message is matched
against the templates below (``%(name)s`` stands for an interpolated value, put
back as it was into the translation), translated into the request's language and
given its code. A message no template matches stays as written, with the default
code of its error. ``tests/unit/test_i18n_messages.py`` fails when a service raises a
message this table does not know, and ``tests/unit/test_i18n_catalogues.py`` when a
template lacks a translation.

The message constants of API.md (``INVALID_USER_OR_PASSWORD``, ``TOO_MANY_ATTEMPTS``,
``ACCOUNT_EXPIRED``) are machine words, never translated: they are not in the table."""

import re
from datetime import date
from functools import cache

from babel.lists import format_list
from flask_babel import format_date, format_number, get_locale, get_translations, gettext, pgettext


def N_(text):  # noqa: N802  (gettext's name for "mark for extraction, translate later")
    return text


def NC_(context, text):  # noqa: N802  (the same for a word in a context: extracted as pgettext's)
    return text


def NN_(singular, plural):  # noqa: N802  (the same for a plural pair: extracted as ngettext's)
    return singular, plural


# (code, English template): the code names the problem, the same in every language
MESSAGES = (
    # --- input of every request (rest.py, inputs.py) -----------------------------------
    ("json_object_required", N_("A JSON object is required.")),
    ("json_invalid", N_("Not valid JSON: %(detail)s")),
    ("json_too_deep", N_("The JSON is nested deeper than %(depth)s levels.")),
    ("number_too_large", N_("The number is too large.")),
    ("nul_character", N_("Must not contain a NUL character (\\u0000).")),
    ("invalid_unicode", N_("Must be valid Unicode text (a lone surrogate such as \\ud800 is not).")),
    ("untrusted_host", N_("The Host header %(host)s is not one of this server's TRUSTED_HOSTS.")),
    ("url_too_long", N_("The URL is longer than %(maximum)s characters.")),
    ("revision_invalid", N_('Must be a revision number such as "3".')),
    ("integer_required", N_("Must be an integer.")),
    ("out_of_range", N_("Must be between %(minimum)s and %(maximum)s.")),
    ("too_small", N_("Must be at least %(minimum)s.")),
    ("too_large", N_("Must be at most %(maximum)s.")),
    ("paging_too_deep", N_("Deep paging past 10000 results is not possible; narrow the search.")),
    ("boolean_required", N_("Must be true or false.")),
    ("query_invalid", N_(
        "Not a valid search query: check brackets and quotes, and put a backslash before special "
        'characters such as : / \\ ( ) [ ] { } " ~ ^ ! ?'
    )),
    ("date_query_invalid", N_(
        "%(query)s looks like a date but is no real day (write DD.MM.YYYY, DD/MM/YYYY or YYYY-MM-DD)."
    )),
    ("reference_invalid", N_("Must be a reference to /api/%(resource)s/<pid>.")),
    # --- JSON schemas (records/schemas.py, jsonschemas/) --------------------------------
    ("required", N_("Missing data for required field.")),
    ("unknown_field", N_("Unknown field.")),
    ("not_in_choices", N_("Must be one of: %(choices)s.")),
    ("format_invalid", N_("Not a valid %(format)s.")),
    ("type_invalid", N_("Must be of type %(type)s.")),
    ("empty", N_("%(value)s should be non-empty.")),
    ("too_short", N_("%(value)s is too short.")),
    ("too_long", N_("%(value)s is too long.")),
    ("not_unique", N_("%(value)s has non-unique elements.")),
    ("pattern_mismatch", N_("%(value)s does not match %(pattern)s.")),
    ("below_minimum", N_("%(value)s is less than the minimum of %(minimum)s.")),
    ("no_schema_matches", N_("%(value)s is not valid under any of the given schemas.")),
    ("username_invalid", N_("3-255 characters: letters A-Z, digits, '_' or '-'.")),
    ("username_invalid", N_("3 to 255 characters among A-Z, a-z, 0-9, _ and -.")),
    ("date_invalid", N_("A real date written YYYY-MM-DD.")),
    ("country_invalid", N_("An ISO 3166-1 alpha-2 code in lower case, e.g. 'ch'.")),
    ("country_unknown", N_("Unknown ISO 3166-1 alpha-2 country code.")),
    ("phone_invalid", N_("'+' then digits, e.g. +41261234567.")),
    ("code_invalid", N_("1-64 letters, digits, '_' or '-'.")),
    ("barcode_length", N_("6-64 characters.")),
    # --- generic errors (errors.py) -----------------------------------------------------
    ("error", N_("Error.")),
    ("validation_error", N_("Validation error.")),
    ("not_authenticated", N_("Authentication required.")),
    ("permission_denied", N_("You are not allowed to do this.")),
    ("not_found", N_("Not found.")),
    ("conflict", N_("Conflict with existing data.")),
    ("stale_revision", N_("The record was changed since you read it.")),
    ("rate_limited", N_("Too many requests; try again later.")),
    ("unavailable", N_("A service this request needs is unavailable; try again in a moment.")),
    ("search_unavailable", N_("The search index is unavailable; try again in a moment.")),
    ("redis_unavailable", N_("Login and sessions are unavailable (Redis does not answer); try again in a moment.")),
    ("database_unavailable", N_("The database is unavailable; try again in a moment.")),
    ("sessions_unavailable", N_(
        "Sessions are unavailable (Redis does not answer); try again in a moment, or use an API token."
    )),
    ("token_invalid", N_("Invalid or revoked API token.")),
    ("csrf_missing", N_("The CSRF token is missing.")),
    ("csrf_invalid", N_("The CSRF token is invalid.")),
    ("csrf_expired", N_("The CSRF token has expired.")),
    ("csrf_session_missing", N_("The CSRF session token is missing.")),
    ("csrf_mismatch", N_("The CSRF tokens do not match.")),
    # --- werkzeug's descriptions of HTTP errors -----------------------------------------
    ("url_not_found", N_(
        "The requested URL was not found on the server. If you entered the URL manually please check "
        "your spelling and try again."
    )),
    ("method_not_allowed", N_("The method is not allowed for the requested URL.")),
    ("body_too_large", N_("The data value transmitted exceeds the capacity limit.")),
    ("moved", N_("Moved permanently to %(url)s")),
    ("internal_error", N_(
        "The server encountered an internal error and was unable to complete your request. Either the "
        "server is overloaded or there is an error in the application."
    )),
    # --- accounts and passwords ---------------------------------------------------------
    ("password_not_string", N_("The password must be a string.")),
    ("password_too_short", N_("The password must be at least %(minimum)s characters long.")),
    ("password_too_long", N_("The password must be at most %(maximum)s characters long.")),
    ("password_no_lowercase", N_("The password must contain a lower case character.")),
    ("password_no_uppercase", N_("The password must contain an upper case character.")),
    ("password_no_digit", N_("The password must contain a number.")),
    ("password_no_special", N_("The password must contain a special character.")),
    ("password_breached", N_("This password is on a list of leaked passwords: choose another one.")),
    ("password_check_unavailable", N_(
        "The list of leaked passwords cannot be checked just now; try again in a moment."
    )),
    ("password_too_simple", N_("The password is too easy to guess: choose a longer or less common one.")),
    ("password_required", N_("A new password is required.")),
    ("staff_only", N_("Only staff may generate passwords.")),
    ("string_required", N_("A string of 1 to %(maximum)s characters is required.")),
    ("reset_link_invalid", N_("The reset link is invalid, expired or already used.")),
    ("username_taken", N_("The username %(username)s is already taken.")),
    ("username_taken", N_("This username is already taken.")),
    ("email_taken", N_("The email %(email)s is already used.")),
    ("email_taken", N_("This email is already used by another user.")),
    ("email_invalid", N_("Not a valid email address: %(detail)s")),
    ("role_not_account_level", N_("Not account-level role(s): %(roles)s.")),
    ("token_name_required", N_("A token name of 1 to 255 characters is required.")),
    ("token_name_taken", N_("User %(username)s already has an active token named %(name)s.")),
    ("token_name_or_id_required", N_("Give the token's name or id.")),
    ("token_not_found", N_("No such active token.")),
    ("exports_rate_limited", N_("Too many exports of your data; try again later.")),
    # --- users ---------------------------------------------------------------------------
    ("not_in_future", N_("Must not be in the future.")),
    ("year_before_1900", N_("The year must be 1900 or later.")),
    ("field_locked", N_("You cannot change this field yourself; ask your library.")),
    ("current_password_required", N_(
        "Your current password is required to change your password, email or username."
    )),
    ("current_password_wrong", N_("The current password is wrong.")),
    ("no_such_user", N_("No such user.")),
    # --- organisations, libraries, patron types -----------------------------------------
    ("no_such_organisation", N_("No such organisation.")),
    ("organisation_fixed", N_("The organisation of a record never changes.")),
    ("organisation_code_taken", N_("An organisation with this code exists already.")),
    ("library_code_taken", N_("A library with this code exists already in the organisation.")),
    ("in_use", N_("The record is still used by %(what)s.")),
    ("in_use", N_("The library is still referenced by %(what)s.")),
    ("in_use", N_("The organisation still has %(what)s.")),
    ("in_use", N_("The patron type is still used by %(what)s.")),
    # --- patrons -------------------------------------------------------------------------
    ("barcode_taken", N_("This barcode is already used in the organisation.")),
    ("already_registered", N_("This person already has a patron record in this organisation.")),
    ("professional_elsewhere", N_("This person already has a professional record in another organisation.")),
    ("user_fixed", N_("The user of a patron record never changes.")),
    ("organisation_fixed", N_("The organisation of a patron record never changes.")),
    ("library_not_in_organisation", N_("Not a library of the patron's organisation.")),
    ("library_not_in_organisation", N_("Must be a library of the patron's organisation.")),
    ("libraries_required", N_("Professional roles require at least one affiliation library.")),
    ("patron_data_required", N_("Patron data is required with the patron role.")),
    ("patron_type_not_in_organisation", N_("Not a patron type of the patron's organisation.")),
    ("email_channel_only", N_("Only allowed with the email communication channel.")),
    ("email_channel_needs_email", N_("The email channel needs a user email or an additional communication email.")),
    ("blocked_note_required", N_("A note is required when the patron is blocked.")),
    ("duplicate_note_type", N_("At most one note of each type.")),
    ("roles_not_manageable", N_("Unable to manage role(s): %(roles)s")),
    ("libraries_not_manageable", N_(
        "Unable to add library(ies): %(libraries)s; only their own staff or pro_full_permissions may."
    )),
    ("last_full_librarian", N_("The organisation must keep at least one pro_full_permissions patron.")),
    ("account_change_denied", N_(
        "You may not change the password, email or username of someone whose roles you cannot manage in every organisation."
    )),
    ("name_required", N_("Give at least a first or a last name.")),
    ("no_patron_account", N_("You have no patron account.")),
    # the circulation check's messages (its reasons are the codes)
    ("not_patron", N_("This person is not a patron of the organisation.")),
    ("blocked", N_("The patron is blocked: %(note)s")),
    ("expired", N_("The patron's account expired on %(date)s.")),
    # --- history -------------------------------------------------------------------------
    ("datetime_invalid", N_("Must be an ISO datetime, e.g. 2026-11-23T10:15:00+01:00.")),
    # --- permissions ---------------------------------------------------------------------
    ("action_required", N_("An action is required.")),
    ("unknown_action", N_("Unknown action %(action)s.")),
    ("unknown_role", N_("Unknown role %(role)s.")),
    ("superuser_has_everything", N_("superuser is allowed everything.")),
    ("deny_has_no_effect", N_("A superuser is allowed everything: a deny would have no effect.")),
    ("network_action", N_("%(action)s on the whole network needs the admin or superuser role.")),
    ("unknown_resource", N_("No resource %(resource)s.")),
    # --- answers that are no errors (accounts/views.py) ---------------------------------
    ("valid_password", N_("Valid password")),
    ("logged_out", N_("Logged out")),
    ("password_changed", N_("Password changed")),
    ("reset_link_sent", N_("If this address belongs to an account, a link to reset its password has been sent.")),
    ("language_saved", N_("Language saved.")),
)

# The counted things a message names, as ``errors.counted`` writes them in English
# ("1 library", "3 patron records"): a placeholder of ``COUNTED_VALUES`` holding such
# counts (one, or several joined by ", ") is written with the plural of the request's
# language, its numbers as the language writes them, the list joined as it joins lists.
COUNTS = (
    NN_("%(num)s patron type", "%(num)s patron types"),
    NN_("%(num)s library", "%(num)s libraries"),
    NN_("%(num)s patron record", "%(num)s patron records"),
)
COUNTED_VALUES = {"what"}
# placeholders holding a schema's word (the JSON type, the format checked): in a context of
# their own, so that "string" or "date" is never confused with the same word elsewhere
TERMS = {
    "type": ("json type", (
        NC_("json type", "string"), NC_("json type", "integer"), NC_("json type", "number"),
        NC_("json type", "boolean"), NC_("json type", "object"), NC_("json type", "array"),
        NC_("json type", "null"),
    )),
    "format": ("json format", (NC_("json format", "email"), NC_("json format", "date"))),
}
# placeholders holding email_validator's explanation (English): the known ones translated,
# an unknown one dropped from a sentence in another language (SHORT)
EXPLAINED_VALUES = {"detail"}
EMAIL_DETAILS = (
    N_("An email address must have an @-sign."),
    N_("There must be something after the @-sign."),
    N_("There must be something before the @-sign."),
    N_("The part after the @-sign is not valid. It should have a period."),
    N_("The part after the @-sign is not valid. It is not within a valid top-level domain."),
    N_("The part after the @-sign is a special-use or reserved name that cannot be used with email."),
    N_("An email address cannot have two periods in a row."),
    N_("An email address cannot start with a period."),
    N_("An email address cannot end with a period."),
    N_("An email address cannot have a hyphen immediately after the @-sign."),
    N_("A bracketed IP address after the @-sign is not allowed here."),
    N_("The email address contains invalid characters before the @-sign: %(chars)s."),
    N_("The part after the @-sign contains invalid characters: %(chars)s."),
    N_("The email address contains unsafe characters: %(chars)s."),
)
# a sentence without its English explanation, for a language that has no translation of it
SHORT = {"email_invalid": N_("Not a valid email address.")}
# placeholders holding an ISO date (YYYY-MM-DD), written as the language writes dates
DATE_VALUES = {"date"}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# the default code of an entry no template matches, by status
DEFAULT_CODES = {409: "conflict"}
DEFAULT_CODE = "invalid"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _pattern(template):
    """``template`` as a regular expression: its text literally, each placeholder a group."""
    out, last = [], 0
    for match in PLACEHOLDER.finditer(template):
        out.append(re.escape(template[last : match.start()]))
        out.append(f"(?P<{match.group(1)}>.*?)")
        last = match.end()
    out.append(re.escape(template[last:]))
    return re.compile("".join(out), re.DOTALL)


@cache
def _tables():
    exact, patterns = {}, []
    for code, template in MESSAGES:
        if PLACEHOLDER.search(template):
            patterns.append((code, template, _pattern(template)))
        else:
            exact[template.replace("%%", "%")] = (code, template)
    # the most specific first: "Not a valid email address: %(detail)s" before "Not a valid %(format)s."
    patterns.sort(key=lambda found: -len(PLACEHOLDER.sub("", found[1])))
    return exact, patterns


def match(message):
    """``(code, template, values)`` of an English ``message``, or None when no template fits."""
    if not isinstance(message, str):
        return None
    exact, patterns = _tables()
    if message in exact:
        code, template = exact[message]
        return code, template, {}
    for code, template, pattern in patterns:
        found = pattern.fullmatch(message)
        if found:
            return code, template, found.groupdict()
    return None


@cache
def _count_patterns():
    """``[(regex, singular, plural)]``: each English form of ``COUNTS`` as a regular expression."""
    out = []
    for singular, plural in COUNTS:
        for form in (singular, plural):
            out.append((re.compile(re.escape(form).replace(re.escape("%(num)s"), r"(?P<num>\d+)")), singular, plural))
    return out


def _count(fragment):
    """One English count (``3 libraries``) in the request's language, or None when not one."""
    for pattern, singular, plural in _count_patterns():
        found = pattern.fullmatch(fragment)
        if found:
            number = int(found.group("num"))
            return get_translations().ngettext(singular, plural, number) % {"num": format_number(number)}
    return None


def _counts(value):
    parts = [_count(fragment) for fragment in value.split(", ")]
    if not parts or None in parts:
        return value
    return format_list(parts, locale=get_locale())


def _date(value):
    if not ISO_DATE.fullmatch(value):
        return value
    try:
        return format_date(date.fromisoformat(value), "long")
    except ValueError:
        return value


def _term(name, value):
    context, known = TERMS[name]
    return pgettext(context, value) if value in known else value


@cache
def _detail_patterns():
    return [(template, _pattern(template)) for template in EMAIL_DETAILS]


def _detail(value):
    """email_validator's explanation in the request's language; None when it has none."""
    for template, pattern in _detail_patterns():
        found = pattern.fullmatch(value)
        if found:
            return gettext(template) % found.groupdict() if found.groupdict() else gettext(template)
    return value if str(get_locale()) == "en" else None


def localized_values(values):
    """The values matched out of a message, as a person of the request's language reads
    them; None for a value that cannot be (an English explanation no catalogue knows)."""
    out = dict(values)
    for name, value in values.items():
        if name in COUNTED_VALUES:
            out[name] = _counts(value)
        elif name in DATE_VALUES:
            out[name] = _date(value)
        elif name in TERMS:
            out[name] = _term(name, value)
        elif name in EXPLAINED_VALUES:
            out[name] = _detail(value)
    return out


def translate(message):
    """``message`` in the request's language (as written when the table does not know it)."""
    found = match(message)
    if found is None:
        return message
    code, template, values = found
    try:
        if not values:
            return gettext(template).replace("%%", "%")
        localized = localized_values(values)
        if None in localized.values():
            if code in SHORT:
                return gettext(SHORT[code])
            localized = {name: values[name] if value is None else value for name, value in localized.items()}
        return gettext(template) % localized
    except (KeyError, ValueError, TypeError):  # a broken translation: the English stays readable
        return message


def entry(field_error, status):
    """One ``errors[]`` entry: its field path, its translated message and its code."""
    found = match(field_error.message)
    code = getattr(field_error, "code", None) or (found[0] if found else DEFAULT_CODES.get(status, DEFAULT_CODE))
    return {"field": field_error.field, "message": translate(field_error.message), "code": code}
