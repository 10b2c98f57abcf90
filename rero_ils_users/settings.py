"""Typed settings: how an ``INVENIO_<KEY>`` text becomes a value, and strict readers.

An environment value takes the type of its default in ``config.py``: text stays
text (``INVENIO_SECRET_KEY=123456`` is the string ``"123456"``), a flag accepts
``True``/``False`` in any case (and yes/no, on/off, 1/0), a number must be one,
a list accepts a Python list or comma-separated text, a duration (a ``timedelta``
default) accepts seconds. A key without a default (or a ``None`` default) is read
as a Python literal when it is one, else as text. Anything else raises
``SettingError`` naming the variable, when the app is built.
"""

import ast
from datetime import timedelta

from flask import current_app

TRUE = ("true", "yes", "on", "1")
FALSE = ("false", "no", "off", "0")


class SettingError(ValueError):
    """A setting has a value of the wrong type or out of range."""


def literal(text):
    """A Python literal when ``text`` is one (``True``, ``5``, ``['a']``), else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def duration(name, value):
    """``value`` as a ``timedelta``: one already, or a number of seconds (more than 0)."""
    if _is_number(value):
        value = timedelta(seconds=value)
    if not isinstance(value, timedelta):
        raise SettingError(f"{name} must be a number of seconds (or a timedelta), not {value!r}.")
    if value <= timedelta(0):
        raise SettingError(f"{name} must be more than 0 seconds, not {value!r}.")
    return value


def _flag(name, text):
    if text.strip().lower() in TRUE:
        return True
    if text.strip().lower() in FALSE:
        return False
    raise SettingError(f"{name} must be True or False, not {text!r}.")


def from_text(name, text, default):
    """The value of the environment variable ``name`` (its ``text``) for a setting
    whose default is ``default``."""
    value = literal(text)
    if default is None:
        return value
    if isinstance(default, str):
        return value if isinstance(value, str) else text
    if isinstance(default, bool):
        return _flag(name, text)
    if isinstance(default, timedelta):
        return duration(name, value)
    if isinstance(default, (int, float)):
        if isinstance(default, float) and _is_number(value):
            return float(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise SettingError(f"{name} must be a whole number, not {text!r}.")
    if isinstance(default, (list, tuple)):
        if isinstance(value, (list, tuple)):
            return list(value)
        return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(default, dict):
        if isinstance(value, dict):
            return value
        raise SettingError(f"{name} must be a Python dict literal, not {text!r}.")
    raise SettingError(f"{name} cannot be set from the environment.")


# --- strict readers (app context) ----------------------------------------------


def seconds(name):
    """A duration setting in seconds (a float)."""
    return duration(name, current_app.config[name]).total_seconds()


def integer(name, minimum=None, maximum=None):
    """A whole-number setting within ``[minimum, maximum]``."""
    value = current_app.config[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise SettingError(f"{name} must be a whole number, not {value!r}.")
    if minimum is not None and value < minimum:
        raise SettingError(f"{name} must be at least {minimum}, not {value!r}.")
    if maximum is not None and value > maximum:
        raise SettingError(f"{name} must be at most {maximum}, not {value!r}.")
    return value


def flag(name):
    """A True/False setting (never a truthy string)."""
    value = current_app.config[name]
    if not isinstance(value, bool):
        raise SettingError(f"{name} must be True or False, not {value!r}.")
    return value
