"""The ACCOUNT_EXPIRED rule on hand-built persons (API.md section 6)."""

from datetime import datetime

from rero_ils_users.accounts.models import User
from rero_ils_users.accounts.service import is_expired
from rero_ils_users.permissions.needs import Person, RecordRoles

MARKED = User(username="pat", expired_at=datetime(2026, 1, 1))


def record(pid, roles, expired=False, org="1"):
    return RecordRoles(pid=pid, organisation_pid=org, roles=frozenset(roles), expired=expired)


def person(*records, account_roles=()):
    return Person(user_id=1, records=tuple(records), account_roles=frozenset(account_roles))


def test_every_patron_record_expired_and_marked_is_refused():
    assert is_expired(MARKED, person(record("1", ["patron"], True)))
    assert is_expired(MARKED, person(record("1", ["patron"], True), record("2", ["patron"], True, org="2")))


def test_not_marked_by_the_job_is_allowed():
    assert not is_expired(User(username="pat"), person(record("1", ["patron"], True)))


def test_one_valid_patron_record_is_enough():
    assert not is_expired(MARKED, person(record("1", ["patron"], True), record("2", ["patron"], False, org="2")))


def test_professional_or_account_roles_keep_the_account_open():
    pro = record("2", ["pro_read_only"], org="2")
    assert not is_expired(MARKED, person(record("1", ["patron"], True), pro))
    assert not is_expired(MARKED, person(record("1", ["patron", "pro_user_manager"], True)))
    assert not is_expired(MARKED, person(record("1", ["patron"], True), account_roles=["monitoring"]))


def test_no_patron_record_is_not_expired():
    assert not is_expired(MARKED, person())
