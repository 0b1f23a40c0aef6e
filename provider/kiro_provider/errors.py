"""The error tree of pulumi-kiro.

Errors are raised where the problem is found (domain, ledger, directory) and translated once at
the edge: a Pulumi check failure or provider error, or a kiroctl exit message. Every message names
the field, the value and what would be valid.
"""

from __future__ import annotations

MAX_SHOWN = 80


def shown(value: object) -> str:
    """``repr(value)`` for an error message, cut short when long: a 10 KB input must not be
    echoed in full into the engine's output and logs."""
    text = repr(value)
    if len(text) <= MAX_SHOWN:
        return text
    return f"{text[:MAX_SHOWN]}... ({len(text)} characters)"


class KiroError(Exception):
    """Base of every error pulumi-kiro raises on purpose."""

    #: A short machine-readable code, stable across releases.
    code = "KiroError"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: The input field the error is about, when there is one (used for check failures).
        self.field = field

    def __str__(self) -> str:
        return self.message


class ValidationError(KiroError):
    """An input is malformed or out of range; nothing was changed."""

    code = "ValidationError"


class NotFoundError(KiroError):
    """A user, group, profile or record that was named does not exist."""

    code = "NotFound"


class ConflictError(KiroError):
    """The operation contradicts the current state (e.g. another owner holds the assignment)."""

    code = "Conflict"


class LedgerError(KiroError):
    """The ledger file is unusable: not a ledger, corrupt, or from a newer release."""

    code = "LedgerError"


class DirectoryError(KiroError):
    """The directory (IAM Identity Center) failed or refused a call."""

    code = "DirectoryError"


class LimitExceededError(KiroError):
    """A limit the caller set was exceeded (``kiroctl cost --max-increase``); ``report`` is what
    was computed, printed before the error."""

    code = "LimitExceeded"

    def __init__(self, message: str, *, field: str | None = None, report: str = "") -> None:
        super().__init__(message, field=field)
        self.report = report
