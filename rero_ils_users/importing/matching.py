"""Which known person a row names, and whether it says anything new about them: the
decisions the row-by-row path (batches.py) and the set-based check of a re-run
(bulk.py) share."""

from ..errors import ValidationError

# the personal data a matched row must agree with, per the column it was matched on
SAME_PERSON = {
    "username": ("first_name", "last_name", "birth_date", "email"),
    "email": ("first_name", "last_name", "birth_date"),
}
NOT_STORED = ("pid", "$schema")


def casefold(value):
    return str(value).casefold()


def plain(record):
    """A stored document without its bookkeeping keys."""
    return {k: v for k, v in record.items() if k not in NOT_STORED}


def check_same_person(column, known, user):
    """Refuse a row matched on ``column`` whose personal data say it is someone else."""
    differs = [f for f in SAME_PERSON[column] if f in user and casefold(user[f]) != casefold(known.get(f, ""))]
    if differs:
        raise ValidationError.on(column, f"This {column} belongs to someone else ({', '.join(differs)} differ).")


def merged_personal_data(known, user):
    """The person's personal data with the row's applied (fields it lacks are kept; the
    account's spelling of username and email when only the case differs)."""
    current = plain(known)
    merged = {**current, **user}
    for name in ("username", "email"):
        if isinstance(merged.get(name), str) and casefold(merged[name]) == casefold(current.get(name, "")):
            merged[name] = current[name]
    return merged


def gets_a_password(account, stored_password):
    """A password is only given to someone who has none."""
    return account.password is None and stored_password is not None
