"""The expired-account rule (API.md section 6), in one place for the login and the
``expire-patrons`` job that marks such accounts."""

from ..permissions.roles import PATRON, is_professional


def all_patron_records_expired(has_account_roles, records):
    """``records``: ``(roles, expired)`` of each of the person's patron records.

    True when the person is a patron somewhere, every patron record is expired,
    and they hold no professional or account-level role."""
    records = list(records)
    if has_account_roles or any(is_professional(roles) for roles, _ in records):
        return False
    patron_records = [expired for roles, expired in records if PATRON in roles]
    return bool(patron_records) and all(patron_records)
