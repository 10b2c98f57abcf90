"""``schemas.fast_valid`` (fastjsonschema) must accept exactly what jsonschema accepts: a
document it passes skips jsonschema altogether (records/schemas.py, issue 12)."""

import random

import pytest

from rero_ils_users.records import schemas

VALID = {
    "users/user-v1.0.0.json": {
        "username": "anna_k-1", "email": "anna@example.org", "first_name": "Anna", "last_name": "Keller",
        "birth_date": "1980-05-17", "gender": "female", "street": "Rue 1", "postal_code": "1700", "city": "Fribourg",
        "country": "ch", "home_phone": "+41261234567", "mobile_phone": "+41791234567", "keep_history": True,
    },
    "patrons/patron-v1.0.0.json": {
        "user_id": 12, "organisation": {"$ref": "https://x.org/api/organisations/1"}, "roles": ["patron", "pro_read_only"],
        "libraries": [{"$ref": "https://x.org/api/libraries/2"}],
        "patron": {
            "barcode": ["CARD0001"], "type": {"$ref": "https://x.org/api/patron_types/3"}, "expiration_date": "2030-01-31",
            "communication_channel": "email", "communication_language": "fre", "blocked": True, "blocked_note": "Lost",
            "additional_communication_email": "parent@example.org",
        },
        "local_codes": ["A1"], "notes": [{"type": "staff_note", "content": "Call"}],
        "second_address": {"street": "Via 2", "city": "Lugano"},
    },
    "libraries/library-v1.0.0.json": {
        "name": "Main", "code": "MAIN", "email": "main@example.org", "organisation": {"$ref": "https://x.org/api/organisations/1"},
    },
    "organisations/organisation-v1.0.0.json": {"name": "Lakes", "code": "lakes"},
    "patron_types/patron_type-v1.0.0.json": {"name": "Adult", "organisation": {"$ref": "https://x.org/api/organisations/1"}},
}
VALUES = [
    None, True, False, 0, 1, -1, 1.5, "", " ", "x", "x\n", "ab", "abc", "A_b-1", "a b", "é" * 3, "a" * 64, "a" * 65, "a" * 256,
    "a" * 321, [], [""], ["x"], ["x", "x"], ["CARD0001", "CARD0002"], {}, {"$ref": "https://x.org/api/a/1"}, {"pid": "1"},
    "2020-02-30", "2020-02-03", "2020-2-3", "03.02.2020", "not an email", "a@b.ch", "anna@example.org\n", "patron",
    "pro_full_permissions", "email", "mail", "ger", "xx", "ch", "+41791234567", "079 123 45 67",
]


def paths(document, prefix=()):
    for key, value in document.items():
        yield (*prefix, key)
        if isinstance(value, dict):
            yield from paths(value, (*prefix, key))


def replaced(document, path, value):
    copy = {**document}
    if len(path) == 1:
        if value is KeyError:
            copy.pop(path[0])
        else:
            copy[path[0]] = value
        return copy
    copy[path[0]] = replaced(document[path[0]], path[1:], value)
    return copy


def agree(path, document):
    slow = not any(True for _ in schemas._validator(path).iter_errors(document))
    assert schemas.fast_valid(path, document) is slow, (path, document)
    return slow


@pytest.mark.parametrize("path", sorted(VALID))
def test_fast_and_full_validation_agree_on_every_mutation(app, path):
    valid = VALID[path]
    assert agree(path, valid), "the sample itself is valid"
    verdicts = []
    for field in paths(valid):
        for value in [*VALUES, KeyError]:
            verdicts.append(agree(path, replaced(valid, field, value)))
        verdicts.append(agree(path, replaced(valid, field[:-1] + ("unknown_field",), "x")))
    rng = random.Random(12)
    fields = list(paths(valid))
    for _ in range(300):  # two fields at once
        document = valid
        for field in rng.sample(fields, 2):
            try:
                document = replaced(document, field, rng.choice(VALUES))
            except (KeyError, TypeError):  # the parent was replaced by a non-object
                pass
        verdicts.append(agree(path, document))
    assert any(verdicts) and not all(verdicts), "both verdicts were exercised"


def test_patterns_keep_the_ecma_end_of_string(app):
    """``$`` is the very end (no final newline), in the compiled validator too."""
    path = "users/user-v1.0.0.json"
    assert schemas.fast_valid(path, {**VALID[path], "username": "anna_k"})
    assert not schemas.fast_valid(path, {**VALID[path], "username": "anna_k\n"})
