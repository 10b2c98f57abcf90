"""Domain errors. They know nothing of HTTP: ``rest.py`` maps them to status codes."""


class FieldError:
    """One problem with one field, named by its dotted path (``patron.barcode``)."""

    __slots__ = ("field", "message")

    def __init__(self, field, message):
        self.field = field
        self.message = message

    def to_dict(self):
        return {"field": self.field, "message": self.message}

    def __repr__(self):
        return f"FieldError({self.field!r}, {self.message!r})"


class DomainError(Exception):
    """Base of every error the services raise on purpose."""

    default_message = "Error."

    def __init__(self, message=None, errors=None):
        self.message = message or self.default_message
        self.errors = list(errors or [])
        super().__init__(self.message)


class ValidationError(DomainError):
    default_message = "Validation error."

    @classmethod
    def on(cls, field, message):
        """A validation error on one field."""
        return cls(errors=[FieldError(field, message)])


class NotAuthenticated(DomainError):
    default_message = "Authentication required."


class PermissionDenied(DomainError):
    default_message = "You are not allowed to do this."


class NotFound(DomainError):
    default_message = "Not found."


class Conflict(DomainError):
    default_message = "Conflict with existing data."

    @classmethod
    def on(cls, field, message):
        return cls(message, errors=[FieldError(field, message)])


class StaleRevision(DomainError):
    default_message = "The record was changed since you read it."


class TooManyAttempts(DomainError):
    default_message = "TOO_MANY_ATTEMPTS"


class AccountExpired(DomainError):
    default_message = "ACCOUNT_EXPIRED"


class InvalidCredentials(DomainError):
    default_message = "INVALID_USER_OR_PASSWORD"
