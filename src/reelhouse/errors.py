"""The project's own error classes; web/errors.py maps them to HTTP answers in one place."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class ReelhouseError(Exception):
    """Base of every error the project raises on purpose."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(ReelhouseError):
    """The caller sent something we cannot accept; ``fields`` maps each bad field to a sentence for a person.

    A field name (or several) instead of a mapping gives each of them the message itself."""

    code = "invalid_input"

    def __init__(self, message: str, fields: Mapping[str, str] | str | Iterable[str] | None = None) -> None:
        super().__init__(message)
        if fields is None:
            fields = {}
        elif isinstance(fields, str):
            fields = {fields: message}
        elif not isinstance(fields, Mapping):
            fields = dict.fromkeys(fields, message)
        self.fields: dict[str, str] = dict(fields)


class NotFound(ReelhouseError):
    """The thing does not exist, or the viewer may not know that it does."""

    code = "not_found"


class AuthenticationRequired(ReelhouseError):
    code = "authentication_required"


class PermissionDenied(ReelhouseError):
    code = "permission_denied"


class Conflict(ReelhouseError):
    code = "conflict"


class TooManyRequests(ReelhouseError):
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(ReelhouseError):
    code = "unavailable"

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConfigError(ReelhouseError):
    """The boot configuration (file or environment) is wrong."""

    code = "config_error"


class DatabaseError(ReelhouseError):
    """The database cannot be used: too new, corrupt, full or unreachable."""

    code = "database_error"


class MediaError(ReelhouseError):
    """A media file could not be read or understood."""

    code = "media_error"
