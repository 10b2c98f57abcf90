"""Domain errors. They know nothing of HTTP: ``rest.py`` maps them to status codes."""

# an error echoes what the client sent (a value, an unknown key): cut to these lengths
MAX_FIELD_LENGTH = 200
MAX_MESSAGE_LENGTH = 500


def shorten(text, limit):
    """``text`` cut to about ``limit`` characters, saying how long it was."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def counted(count, one, many):
    """``1 library``, ``3 libraries``: a count in English, with its plural; the API's rendering
    writes it in the request's language (``i18n/messages.py``, ``COUNTS``)."""
    return f"{count} {one if count == 1 else many}"


class FieldError:
    """One problem with one field, named by its dotted path (``patron.barcode``).

    ``message`` is English; ``code`` (snake_case) names the problem for clients. Without
    one, the API's rendering finds both its code and its translations in the table of
    ``i18n/messages.py``."""

    __slots__ = ("field", "message", "code")

    def __init__(self, field, message, code=None):
        self.field = None if field is None else shorten(field, MAX_FIELD_LENGTH)  # None: the whole input
        self.message = shorten(message, MAX_MESSAGE_LENGTH)
        self.code = code

    def to_dict(self):
        body = {"field": self.field, "message": self.message}
        if self.code:
            body["code"] = self.code
        return body

    def __repr__(self):
        return f"FieldError({self.field!r}, {self.message!r})"


class DomainError(Exception):
    """Base of every error the services raise on purpose."""

    default_message = "Error."

    def __init__(self, message=None, errors=None):
        self.message = shorten(message or self.default_message, MAX_MESSAGE_LENGTH)
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


class RateLimited(TooManyAttempts):
    """Too many requests of one kind by one person; ``retry_after`` in seconds."""

    default_message = "Too many requests; try again later."

    def __init__(self, message=None, retry_after=None):
        super().__init__(message)
        self.headers = {"Retry-After": str(int(retry_after))} if retry_after else None


class AccountExpired(DomainError):
    default_message = "ACCOUNT_EXPIRED"


class InvalidCredentials(DomainError):
    default_message = "INVALID_USER_OR_PASSWORD"


class Unavailable(DomainError):
    """A service the request needs (database, search index, Redis) does not answer."""

    default_message = "A service this request needs is unavailable; try again in a moment."

    def __init__(self, message=None, service=None):
        super().__init__(message)
        self.service = service
