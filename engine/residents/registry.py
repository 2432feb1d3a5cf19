"""The population-database port: what the engine asks, what it gets back, and how a lookup fails.

Modelled on a lookup through the national data-sharing platform (NDXP/LGSP, docs/domain.md §8): the request
names the person (identity number, optionally full name and date of birth to match), the requesting officer,
the service and a unique request id; the answer is the person's record, "not found", or "does not match".
Adapters live in `integrations/residents/`; an in-process fake lives beside this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Protocol

SEXES = ("Nam", "Nữ")


@dataclass(frozen=True)
class Requester:
    """Who asks (cán bộ or công dân), on whose behalf the platform audits the call."""

    subject: str
    name: str
    role: str
    agency: str | None = None


@dataclass(frozen=True)
class LookupRequest:
    """One lookup; `full_name` and `date_of_birth`, when given, must match or no record comes back."""

    request_id: str
    identity_number: str
    requester: Requester
    service_code: str
    service_name: str
    purpose: str
    full_name: str | None = None
    date_of_birth: date | None = None


@dataclass(frozen=True)
class Address:
    """An address: province and commune (codes and names), the detail, and the district of older records."""

    province_code: str
    province_name: str
    commune_code: str
    commune_name: str
    detail: str
    district_name: str | None = None

    def one_line(self) -> str:
        """The address as Vietnamese documents write it."""
        parts = [self.detail, self.commune_name, self.district_name, self.province_name]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Relative:
    """A parent, spouse or household head as the record names them."""

    full_name: str
    identity_number: str | None = None


@dataclass(frozen=True)
class Resident:
    """A person's record (docs/domain.md §8): the fields the population database returns."""

    identity_number: str
    full_name: str
    sex: str  # "Nam" | "Nữ"
    date_of_birth: date
    ethnicity: str
    religion: str
    nationality: str
    marital_status: str
    birth_registration_place: str
    home_town: str
    permanent_address: Address
    current_address: Address
    relation_to_head: str
    father: Relative | None = None
    mother: Relative | None = None
    spouse: Relative | None = None
    household_head: Relative | None = None
    legacy_id_number: str | None = None  # the 9-digit CMND, when the person had one

    def value(self, name: str) -> str | None:
        """A field by its registry name (`full_name`, `permanent_address.province_code`, `father.full_name`).

        Dates come back as ISO `yyyy-mm-dd`, as the e-forms hold them; unknown names raise KeyError.
        """
        head, _, rest = name.partition(".")
        if head not in _FIELD_NAMES:
            raise KeyError(name)
        value: object = getattr(self, head)
        if rest:
            if value is None:
                return None
            if rest not in _PART_NAMES.get(head, ()):
                raise KeyError(name)
            value = getattr(value, rest)
        if isinstance(value, date):
            return value.isoformat()
        return value if isinstance(value, str) or value is None else str(value)


_ADDRESS_PARTS = ("province_code", "province_name", "commune_code", "commune_name", "detail", "district_name")
_RELATIVE_PARTS = ("full_name", "identity_number")
_PART_NAMES: dict[str, tuple[str, ...]] = {
    "permanent_address": _ADDRESS_PARTS,
    "current_address": _ADDRESS_PARTS,
    "father": _RELATIVE_PARTS,
    "mother": _RELATIVE_PARTS,
    "spouse": _RELATIVE_PARTS,
    "household_head": _RELATIVE_PARTS,
}
_FIELD_NAMES = (
    "identity_number",
    "legacy_id_number",
    "full_name",
    "sex",
    "date_of_birth",
    "ethnicity",
    "religion",
    "nationality",
    "marital_status",
    "birth_registration_place",
    "home_town",
    "relation_to_head",
    *_PART_NAMES,
)
REGISTRY_FIELDS: frozenset[str] = frozenset(
    [n for n in _FIELD_NAMES if n not in _PART_NAMES]
    + [f"{head}.{part}" for head, parts in _PART_NAMES.items() for part in parts]
)
"""Every name an e-form's `x-registry` may use."""


class LookupStatus(StrEnum):
    """What the registry said."""

    FOUND = "found"
    NOT_FOUND = "not_found"  # no person holds that number
    MISMATCH = "mismatch"  # the number exists, but the name or date of birth sent does not match it


@dataclass(frozen=True)
class LookupResult:
    """The registry's answer; `resident` only when found, `mismatched` names what did not match."""

    status: LookupStatus
    resident: Resident | None = None
    mismatched: tuple[str, ...] = ()
    cached: bool = False  # answered from the adapter's short cache (still audited as a lookup)


class UnavailableReason(StrEnum):
    """Why the registry gave no answer."""

    TIMEOUT = "timeout"  # no answer within the time budget (slow or hanging service)
    UNREACHABLE = "unreachable"  # connection refused or reset, DNS, TLS
    SERVER_ERROR = "server_error"  # HTTP 5xx
    MALFORMED = "malformed"  # an answer we cannot read (not JSON, missing or wrong fields)
    REJECTED = "rejected"  # the service refused our credentials or request (HTTP 4xx)
    CIRCUIT_OPEN = "circuit_open"  # too many recent failures: not even tried, to fail fast

    @property
    def label(self) -> str:
        """Vietnamese explanation for officers."""
        return _REASON_LABELS[self]


_REASON_LABELS = {
    UnavailableReason.TIMEOUT: "CSDL dân cư không trả lời trong thời gian cho phép",
    UnavailableReason.UNREACHABLE: "không kết nối được tới CSDL dân cư",
    UnavailableReason.SERVER_ERROR: "CSDL dân cư báo lỗi hệ thống",
    UnavailableReason.MALFORMED: "CSDL dân cư trả về dữ liệu không đọc được",
    UnavailableReason.REJECTED: "CSDL dân cư từ chối yêu cầu (kiểm tra cấu hình kết nối)",
    UnavailableReason.CIRCUIT_OPEN: "tạm ngừng tra cứu do CSDL dân cư lỗi liên tiếp",
}


@dataclass
class RegistryUnavailable(Exception):
    """The registry could not answer; `detail` is for operators and never holds personal data."""

    reason: UnavailableReason
    detail: str = field(default="")

    def __post_init__(self) -> None:
        super().__init__(f"{self.reason.value}: {self.detail}" if self.detail else self.reason.value)


class ResidentRegistry(Protocol):
    """Looks people up in the population database."""

    def lookup(self, request: LookupRequest) -> LookupResult:
        """Answer one lookup, or raise RegistryUnavailable when the registry cannot answer."""
        ...
