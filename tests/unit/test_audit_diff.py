"""The audit's diff of a create (records/audit.py) gives what the general comparison gives."""

from rero_ils_users.records.audit import diff


def test_a_create_lists_every_set_field_as_the_general_comparison_does():
    document = {
        "pid": "7", "$schema": "x", "first_name": "Zoë", "email": None, "roles": ["patron"], "keep_history": False,
        "patron": {"barcode": ["B1"], "blocked": False, "note": None}, "notes": [{"type": "staff_note", "content": "n"}],
        "password": "secret", "empty": {},
    }
    created = diff(None, document)
    assert created == diff({}, document)
    assert list(created) == sorted(created)
    assert created["first_name"] == {"before": None, "after": "Zoë"}
    assert "email" not in created and "password" not in created
