"""Rules on personal data beyond the JSON schema (real dates, countries, email syntax)."""

from datetime import date

import pycountry
from email_validator import EmailNotValidError, validate_email

from ..errors import FieldError
from ..records import schemas
from .api import UserRecord

REQUIRED_PERSONAL = ("first_name", "last_name", "birth_date")


def email_error(value, field):
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        return FieldError(field, f"Not a valid email address: {exc}")
    return None


def personal_data_errors(data, today, require_personal=True):
    """Every problem of ``data`` (a user's personal data) as field errors."""
    errors = schemas.field_errors(UserRecord.schema, data)
    bad = {e.field for e in errors}
    if require_personal:
        errors += [FieldError(f, "Missing data for required field.") for f in REQUIRED_PERSONAL if f not in data and f not in bad]
    birth = data.get("birth_date")
    if isinstance(birth, str) and "birth_date" not in bad:
        try:
            born = date.fromisoformat(birth)
        except ValueError:
            errors.append(FieldError("birth_date", "A real date written YYYY-MM-DD."))
        else:
            if born > today:
                errors.append(FieldError("birth_date", "Must not be in the future."))
            elif born.year < 1900:
                errors.append(FieldError("birth_date", "The year must be 1900 or later."))
    country = data.get("country")
    if isinstance(country, str) and "country" not in bad and pycountry.countries.get(alpha_2=country.upper()) is None:
        errors.append(FieldError("country", "Unknown ISO 3166-1 alpha-2 country code."))
    # ``email`` itself: the schema's ``format: email`` (records/schemas.py) runs email_error's check
    return errors
