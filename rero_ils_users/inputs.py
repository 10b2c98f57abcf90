"""Input cleaning shared by every request: JSON bodies parsed with bounded nesting
and no NaN/Infinity, and no NUL character (PostgreSQL refuses it in text) nor lone
surrogate (``"\\ud800"``: no UTF-8 for it) in any string or key of a body, in a
query-string parameter or in a path segment.

Errors name what was wrong as the schema errors do: the dotted JSON path of a
body's field (``patron.barcode.0``), or the parameter's name."""

import json
import math

from .errors import FieldError, ValidationError

BODY = "(body)"
NUL = "\x00"
NUL_MESSAGE = "Must not contain a NUL character (\\u0000)."
SURROGATE_MESSAGE = "Must be valid Unicode text (a lone surrogate such as \\ud800 is not)."
# integers PostgreSQL can hold (bigint); a bigger one is refused naming its field
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def text_problem(text):
    """Why ``text`` cannot be stored, or None."""
    if NUL in text:
        return NUL_MESSAGE
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE_MESSAGE
    return None


def printable(name):
    """A key or parameter name fit for an error message (NULs and surrogates spelled out)."""
    return str(name).encode("utf-8", "backslashreplace").decode("utf-8").replace(NUL, "\\u0000")


def path_name(path):
    """``("patron", "barcode", 0)`` -> ``"patron.barcode.0"``; the empty path is the body."""
    return ".".join(printable(p) for p in path) or BODY


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw, max_depth):
    """The JSON document of ``raw`` (bytes), checked by ``check_json``; 400 naming the body
    when it is not UTF-8 JSON or nests too deep for the parser itself."""
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except RecursionError:
        raise ValidationError.on(BODY, f"The JSON is nested deeper than {max_depth} levels.") from None
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
        raise ValidationError.on(BODY, f"Not valid JSON: {exc}") from None
    check_json(data, max_depth)
    return data


def check_json(data, max_depth):
    """Raise ``ValidationError`` when ``data`` nests deeper than ``max_depth`` containers,
    or naming every string or key holding a NUL or a lone surrogate and every number
    beyond 64 bits.

    Walks without recursion, so any depth is answered."""
    errors = []
    stack = [((), data, 1)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > max_depth:
                raise ValidationError.on(BODY, f"The JSON is nested deeper than {max_depth} levels.")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            children = []
            for key, item in items:
                problem = text_problem(key) if isinstance(key, str) else None
                if problem:
                    errors.append(FieldError(path_name(path + (key,)), problem))
                else:
                    children.append((path + (key,), item, depth + 1))
            stack.extend(reversed(children))  # popped in document order
        elif isinstance(value, str):
            problem = text_problem(value)
            if problem:
                errors.append(FieldError(path_name(path), problem))
        elif isinstance(value, bool):
            continue
        elif (isinstance(value, int) and not INT_MIN <= value <= INT_MAX) or (
            isinstance(value, float) and not math.isfinite(value)  # 1e400 parses as infinity
        ):
            errors.append(FieldError(path_name(path), "The number is too large."))
    if errors:
        raise ValidationError(errors=errors)


def check_text(named_values):
    """Raise ``ValidationError`` naming each ``(name, value)`` whose name or value cannot
    be stored as text (query-string parameters, path segments)."""
    errors = []
    for name, value in named_values:
        problem = text_problem(str(name)) or (text_problem(value) if isinstance(value, str) else None)
        if problem:
            errors.append(FieldError(printable(name), problem))
    if errors:
        raise ValidationError(errors=errors)
