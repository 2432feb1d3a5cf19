"""Who is acting: an explicit subject passed into every use case."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """Realm roles (Keycloak realm roles carry the same names)."""

    CITIZEN = "citizen"
    OFFICER = "officer"  # cán bộ Bộ phận Một cửa
    SPECIALIST = "specialist"  # chuyên viên
    LEADER = "leader"  # lãnh đạo
    SUPERVISOR = "supervisor"  # lãnh đạo giám sát
    ADMIN = "admin"  # quản trị
    IOC = "ioc"  # Trung tâm điều hành đô thị thông minh (a system account: reads the feed and the summary)


STAFF_ROLES = frozenset({Role.OFFICER, Role.SPECIALIST, Role.LEADER})


@dataclass(frozen=True)
class Actor:
    """An authenticated user; the same shape from a dev token or a Keycloak token."""

    subject: str
    username: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    agency: str | None = None
    identity_number: str | None = None
    full_name: str | None = None

    def has(self, role: Role) -> bool:
        """True when the actor holds that realm role."""
        return role in self.roles

    @property
    def is_staff(self) -> bool:
        """Officer, specialist or leader of an agency."""
        return bool(self.roles & STAFF_ROLES) and self.agency is not None

    @property
    def display(self) -> str:
        """Name to show in logs and timelines."""
        return self.full_name or self.username


SYSTEM = Actor(subject="system", username="system", full_name="Hệ thống MotCua")
