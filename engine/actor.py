"""Who is acting: an explicit subject passed into every use case."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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
    agencies: frozenset[str] = field(default_factory=frozenset)  # every agency group (supervisors: several)

    def has(self, role: Role) -> bool:
        """True when the actor holds that realm role."""
        return role in self.roles

    @property
    def is_staff(self) -> bool:
        """Officer, specialist or leader of an agency."""
        return bool(self.roles & STAFF_ROLES) and self.agency is not None

    @property
    def supervised(self) -> frozenset[str]:
        """The agencies whose dossiers and statistics a supervisor reads (empty for everyone else)."""
        if not self.has(Role.SUPERVISOR):
            return frozenset()
        return self.agencies | ({self.agency} if self.agency else frozenset())

    @property
    def display(self) -> str:
        """Name to show in logs and timelines."""
        return self.full_name or self.username


SYSTEM = Actor(subject="system", username="system", full_name="Hệ thống MotCua")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def actor_from_claims(claims: Mapping[str, Any]) -> Actor:
    """The same Actor from a development token, a Keycloak access token or a browser session.

    Claims: `sub`, `preferred_username`, `name` (or Vietnamese order `family_name given_name`),
    `realm_access.roles`, `agency` and `agencies` (from the agency groups), `identity_number`.
    Unknown roles are ignored. Staff work for exactly one agency: a token naming several agencies gives no
    working agency (supervisors still read all of them).
    """
    realm_access = claims.get("realm_access")
    names = realm_access.get("roles", []) if isinstance(realm_access, Mapping) else []
    roles = frozenset(Role(r) for r in names if isinstance(r, str) and r in Role._value2member_map_)
    listed = claims.get("agencies")
    agencies = (
        frozenset(a for a in listed if isinstance(a, str) and a) if isinstance(listed, list) else frozenset()
    )
    agency = _text(claims.get("agency"))
    if agency:
        agencies |= {agency}
    if len(agencies) > 1:
        agency = None
    elif agencies:
        agency = next(iter(agencies))
    family, given = _text(claims.get("family_name")), _text(claims.get("given_name"))
    full_name = f"{family} {given}" if family and given else _text(claims.get("name"))
    return Actor(
        subject=str(claims["sub"]),
        username=_text(claims.get("preferred_username")) or str(claims["sub"]),
        roles=roles,
        agency=agency,
        identity_number=_text(claims.get("identity_number")),
        full_name=full_name,
        agencies=agencies,
    )
