"""Domain errors: what a page shows as a message and the API returns as {"error": {...}}.

Each error carries a stable machine `code` and a human `message`; the class says which HTTP
status it maps to, in one place (`status`).
"""


class DomainError(Exception):
    status = 400
    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field

    def __str__(self) -> str:
        return self.message


class InvalidInput(DomainError):
    """The request itself is wrong: a missing comment, a negative amount, a removed link line."""

    status = 400
    default_code = "invalid"


class NotAllowed(DomainError):
    """The actor may see the object but may not do this to it."""

    status = 403
    default_code = "forbidden"


class NotFound(DomainError):
    """The object does not exist, or the actor may not see it: the two are indistinguishable."""

    status = 404
    default_code = "not_found"


class Conflict(DomainError):
    """The object's state does not allow this now (an order already taken, completed, ...)."""

    status = 409
    default_code = "conflict"


class Throttled(DomainError):
    """Too many attempts (failed logins): try again after `retry_after` seconds."""

    status = 429
    default_code = "throttled"

    def __init__(self, message: str, *, retry_after: int, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class TooLarge(DomainError):
    """An upload over the size limit."""

    status = 413
    default_code = "too_large"
