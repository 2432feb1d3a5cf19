"""Domain errors: a code and a Vietnamese message (with English); no HTTP status here.

`portal/` maps each class to an HTTP status once, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    """One field-level problem, in Vietnamese first."""

    message: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        """Render for the JSON error body."""
        return {"message": self.message, "message_en": self.message_en}


@dataclass
class DomainError(Exception):
    """Base of every error the engine raises on purpose."""

    message: str
    message_en: str
    code: str = "DomainError"
    fields: dict[str, FieldError] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message_en)

    def as_dict(self) -> dict[str, object]:
        """Render as the API error body."""
        return {
            "error": self.code,
            "message": self.message,
            "message_en": self.message_en,
            "fields": {k: v.as_dict() for k, v in self.fields.items()},
        }


class NotFound(DomainError):
    """Something named by the caller does not exist (or may not be seen by this actor)."""

    def __init__(self, message: str, message_en: str, code: str = "NotFound") -> None:
        super().__init__(message, message_en, code)


class Conflict(DomainError):
    """The action does not fit the current state (status, version, already claimed).

    `fields` names the field a form should show it on, when one field is the cause (e.g. the new appointment
    of an apology issued too late).
    """

    def __init__(
        self,
        message: str,
        message_en: str,
        code: str = "Conflict",
        fields: dict[str, FieldError] | None = None,
    ) -> None:
        super().__init__(message, message_en, code, fields or {})


class InvalidInput(DomainError):
    """The payload is wrong; `fields` says where."""

    def __init__(
        self,
        message: str,
        message_en: str,
        fields: dict[str, FieldError] | None = None,
        code: str = "InvalidInput",
    ) -> None:
        super().__init__(message, message_en, code, fields or {})


class Forbidden(DomainError):
    """The actor may not do this."""

    def __init__(self, message: str, message_en: str, code: str = "Forbidden") -> None:
        super().__init__(message, message_en, code)


class Unauthenticated(DomainError):
    """No valid identity was presented."""

    def __init__(self, message: str, message_en: str, code: str = "Unauthenticated") -> None:
        super().__init__(message, message_en, code)


def invalid_token(reason_en: str) -> Unauthenticated:
    """401 for a bearer token or session that does not verify; the English part says why (never the token)."""
    return Unauthenticated(
        "Phiên đăng nhập không hợp lệ hoặc đã hết hạn. Vui lòng đăng nhập lại.",
        f"Invalid token: {reason_en}.",
    )


class WorkflowError(DomainError):
    """The BPMN model or its scripts failed; carries the task and the cause."""

    def __init__(self, message: str, message_en: str, code: str = "WorkflowError") -> None:
        super().__init__(message, message_en, code)


class Unavailable(DomainError):
    """A system we depend on (the population database) did not answer; nothing changed, try again later."""

    def __init__(self, message: str, message_en: str, code: str = "Unavailable") -> None:
        super().__init__(message, message_en, code)


class TooManyRequests(DomainError):
    """The caller asked too often (anonymous tracking per client address); `retry_after` seconds to wait."""

    def __init__(
        self, message: str, message_en: str, retry_after: int, code: str = "TooManyRequests"
    ) -> None:
        super().__init__(message, message_en, code)
        self.retry_after = retry_after
