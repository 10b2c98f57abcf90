"""The API's messages go through one table (``i18n/messages.py``): every message the
services write must match one of its templates, or it would reach a French client in
English and without its machine code. The messages are found in the sources (an AST
walk): arguments of ``FieldError``, ``ValidationError.on``/``Conflict.on`` and the domain
errors, the conflict tables, ``default_message``/``in_use_message`` and the module
constants they use, the sentences of the password policy. f-string values are
replaced by a sample to see that a placeholder of the template takes them."""

import ast
from pathlib import Path

import pytest

from rero_ils_users import errors
from rero_ils_users.i18n import messages

PACKAGE = Path(__file__).resolve().parents[2] / "rero_ils_users"
# the import reports rows to the command line, not through the API
SKIPPED = {"importing"}
ERRORS = {name for name, value in vars(errors).items() if isinstance(value, type) and issubclass(value, errors.DomainError)}
CALLS = ERRORS | {"FieldError", "on"}
ATTRIBUTES = {"default_message", "in_use_message"}
SAMPLE = "sample-7"
CONSTANTS = ("INVALID_USER_OR_PASSWORD", "TOO_MANY_ATTEMPTS", "ACCOUNT_EXPIRED")


def _text(node, constants):
    """The message ``node`` writes, f-string values as ``SAMPLE``; None when not knowable."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.replace("{}", SAMPLE)
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else SAMPLE for v in node.values)
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    return None


def _module_constants(tree):
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                found[node.targets[0].id] = node.value.value
    return found


def _messages_of(tree):
    """``[(line, message)]`` written by one module."""
    constants = _module_constants(tree)
    out = []

    def add(node, value):
        text = _text(value, constants)
        if text is not None:
            out.append((node.lineno, text))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in ("FieldError", "on") and len(node.args) > 1:
                add(node, node.args[1])
            elif name in ERRORS and node.args:
                add(node, node.args[0])
            for keyword in node.keywords:
                if keyword.arg == "message" and name in CALLS:
                    add(node, keyword.value)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            name = getattr(target, "id", None) or getattr(target, "attr", None) or ""
            if name in ATTRIBUTES or name.endswith("_MESSAGE") or name.endswith("_INVALID"):
                add(node, node.value)
            # conflict tables: {"constraint": ("field", "message")} and their ("field", "message") parts
            if name.lower() == "conflicts" or (name.startswith("_") and name.isupper()):
                values = node.value.values if isinstance(node.value, ast.Dict) else [node.value]
                for value in values:
                    if isinstance(value, ast.Tuple) and len(value.elts) == 2:
                        add(node, value.elts[1])
        elif isinstance(node, ast.FunctionDef) and node.name in ("policy_errors", "text_problem", "last_full_librarian"):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and getattr(inner.func, "attr", None) == "append" and inner.args:
                    add(inner, inner.args[0])
                elif isinstance(inner, ast.Return) and inner.value is not None:
                    for element in inner.value.elts if isinstance(inner.value, ast.List) else [inner.value]:
                        add(inner, element)
    return out


def written_messages():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if SKIPPED & set(path.relative_to(PACKAGE).parts) or path.parts[-2] == "i18n":
            continue
        for line, text in _messages_of(ast.parse(path.read_text())):
            found.append((f"{path.relative_to(PACKAGE)}:{line}", text))
    return found


def test_the_scan_finds_the_messages():
    """Guards the scan itself: these are written in three different ways."""
    texts = {text for _, text in written_messages()}
    assert "This barcode is already used in the organisation." in texts  # a conflict table
    assert f"The username {SAMPLE} is already taken." in texts  # an f-string
    assert "The reset link is invalid, expired or already used." in texts  # a module constant
    assert "The password must contain a number." in texts  # the policy's sentences
    assert len(texts) > 80


def test_every_message_the_services_write_is_in_the_table():
    unknown = [
        f"{where}: {text!r}"
        for where, text in written_messages()
        if text not in CONSTANTS and text.strip() and messages.match(text) is None
    ]
    assert not unknown, "messages missing from rero_ils_users/i18n/messages.py (add each with its code):\n" + "\n".join(unknown)


def test_a_template_takes_its_values_back():
    code, template, values = messages.match("The username ana_b is already taken.")
    assert (code, values) == ("username_taken", {"username": "ana_b"})
    assert messages.match("Must be between 1 and 1000.")[2] == {"minimum": "1", "maximum": "1000"}
    assert messages.match("Something nobody wrote.") is None


def test_codes_are_snake_case_and_templates_unique():
    templates = [template for _, template in messages.MESSAGES]
    assert len(templates) == len(set(templates))
    for code, _ in messages.MESSAGES:
        assert code.replace("_", "").isalnum() and code == code.lower() and not code.startswith("_"), code


@pytest.mark.parametrize("constant", CONSTANTS)
def test_the_contract_constants_are_not_in_the_table(constant):
    """API.md's message constants are machine words: never matched, so never translated."""
    assert messages.match(constant) is None


def _counted_calls():
    """``[(where, (one, many))]``: what ``errors.counted`` is called with in the sources."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "counted" and len(node.args) == 3:
                one, many = (_text(arg, {}) for arg in node.args[1:])
                found.append((f"{path.relative_to(PACKAGE)}:{node.lineno}", (one, many)))
    return found


def test_every_count_the_services_write_is_in_the_table():
    calls = _counted_calls()
    assert len(calls) >= 4
    known = {(one.replace("%(num)s ", ""), many.replace("%(num)s ", "")) for one, many in messages.COUNTS}
    unknown = [f"{where}: {pair!r}" for where, pair in calls if pair not in known]
    assert not unknown, "counts missing from COUNTS in rero_ils_users/i18n/messages.py:\n" + "\n".join(unknown)


@pytest.mark.parametrize(
    "language, message, expected",
    [
        ("en", "The organisation still has 1234 patron records.", "The organisation still has 1,234 patron records."),
        ("de", "The organisation still has 1234 patron records.", "Die Organisation hat noch 1.234 Benutzerdatensätze."),
        ("fr", "The organisation still has 1 library, 2 patron types.", "L'organisation a encore 1 bibliothèque et 2 types de lecteurs."),
        ("it", "The organisation still has 1 library, 2 patron types.", "L'organizzazione ha ancora 1 biblioteca e 2 tipologie utente."),
        # a value that is no count of the table stays as written
        ("fr", "The organisation still has 3 things.", "L'organisation a encore 3 things."),
    ],
)
def test_counts_are_written_with_the_plural_and_numbers_of_the_language(app, language, message, expected):
    with app.test_request_context("/api/x", headers={"Accept-Language": language}):
        assert messages.translate(message) == expected
