"""Dossier status (national catalogue, docs/domain.md §2) and the one declared transition table."""

from __future__ import annotations

from enum import IntEnum

from engine.errors import Conflict


class Status(IntEnum):
    """Status codes used when syncing with the National Public Service Portal."""

    NEW = 1  # Mới đăng ký
    RECEIVED = 2  # Được tiếp nhận
    NOT_RECEIVED = 3  # Không được tiếp nhận
    PROCESSING = 4  # Đang xử lý
    SUPPLEMENT = 5  # Yêu cầu bổ sung giấy tờ
    PAYMENT = 6  # Yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWN = 7  # Công dân yêu cầu rút hồ sơ
    STOPPED = 8  # Dừng xử lý
    DONE = 9  # Đã xử lý xong
    RETURNED = 10  # Đã trả kết quả

    @property
    def label(self) -> str:
        """Vietnamese name from the catalogue."""
        return LABELS[self][0]

    @property
    def label_en(self) -> str:
        """English name."""
        return LABELS[self][1]

    @property
    def is_final(self) -> bool:
        """No transition leaves this status."""
        return not TRANSITIONS[self]


LABELS: dict[Status, tuple[str, str]] = {
    Status.NEW: ("Mới đăng ký", "Filed, not yet received"),
    Status.RECEIVED: ("Được tiếp nhận", "Received"),
    Status.NOT_RECEIVED: ("Không được tiếp nhận", "Refused at reception"),
    Status.PROCESSING: ("Đang xử lý", "Being processed"),
    Status.SUPPLEMENT: ("Yêu cầu bổ sung giấy tờ", "Waiting for a supplement"),
    Status.PAYMENT: ("Yêu cầu thực hiện nghĩa vụ tài chính", "Waiting for payment"),
    Status.WITHDRAWN: ("Công dân yêu cầu rút hồ sơ", "Withdrawn by the citizen"),
    Status.STOPPED: ("Dừng xử lý", "Processing stopped"),
    Status.DONE: ("Đã xử lý xong", "Result ready"),
    Status.RETURNED: ("Đã trả kết quả", "Result returned"),
}

# The only place where allowed status changes are declared. 4 → 4 is a hand-over to the next step.
# "Any non-final → 7": a citizen may withdraw until a result exists (9 already holds a result).
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.RECEIVED, Status.NOT_RECEIVED, Status.SUPPLEMENT, Status.WITHDRAWN}),
    Status.RECEIVED: frozenset({Status.PROCESSING, Status.WITHDRAWN}),
    Status.NOT_RECEIVED: frozenset(),
    Status.PROCESSING: frozenset(
        {
            Status.PROCESSING,
            Status.SUPPLEMENT,
            Status.PAYMENT,
            Status.STOPPED,
            Status.DONE,
            Status.WITHDRAWN,
        }
    ),
    Status.SUPPLEMENT: frozenset({Status.PROCESSING, Status.STOPPED, Status.WITHDRAWN}),
    Status.PAYMENT: frozenset({Status.PROCESSING, Status.WITHDRAWN}),
    Status.WITHDRAWN: frozenset(),
    Status.STOPPED: frozenset(),
    Status.DONE: frozenset({Status.RETURNED}),
    Status.RETURNED: frozenset(),
}

# While in these statuses the citizen holds the dossier, so a `pause` clock stops.
CITIZEN_HOLDS = frozenset({Status.SUPPLEMENT, Status.PAYMENT})
OPEN = frozenset({Status.NEW, Status.RECEIVED, Status.PROCESSING, Status.SUPPLEMENT, Status.PAYMENT})
FINISHED = frozenset({Status.DONE, Status.RETURNED})


def can_transition(current: Status, target: Status) -> bool:
    """True when the table allows current → target."""
    return target in TRANSITIONS[current]


def check_transition(current: Status, target: Status) -> None:
    """Raise Conflict unless the table allows current → target."""
    if not can_transition(current, target):
        raise Conflict(
            f"Không thể chuyển hồ sơ từ trạng thái «{current.label}» sang «{target.label}».",
            f"A dossier cannot go from '{current.label_en}' to '{target.label_en}'.",
            code="StatusTransitionRefused",
        )
