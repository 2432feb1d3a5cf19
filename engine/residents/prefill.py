"""Pre-fill an e-form from a registry record, and hold a filed form against the registry's answer.

The form's registry group (engine/forms.py `RegistryGroup`) is the object describing the person who files;
each of its `x-registry` properties names the population-database field that fills it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.errors import FieldError
from engine.forms import RegistryGroup
from engine.residents.identity import iso_date
from engine.residents.matching import same_name
from engine.residents.registry import LookupResult, LookupStatus, Resident

SOURCE = "Cơ sở dữ liệu quốc gia về dân cư"


def group_path(group: RegistryGroup, prop: str, prefix: str = "") -> str:
    """Dotted path of a group property, e.g. `form.applicant.full_name`."""
    return ".".join(p for p in (prefix, *group.path, prop) if p)


def filer(group: RegistryGroup, form: object) -> dict[str, Any]:
    """The group's object inside the form data (empty when absent)."""
    node: object = form
    for part in group.path:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


@dataclass(frozen=True)
class Declared:
    """What the filer group declares about the person: the lookup's key and its match criteria."""

    identity_number: str | None
    full_name: str | None
    date_of_birth: date | None


def declared(group: RegistryGroup, form: object) -> Declared:
    """Read the identity number, name and birth date the form gives for the person who files."""
    values = {name: filer(group, form).get(prop) for prop, name in group.fields.items()}
    number, name, born = values.get("identity_number"), values.get("full_name"), values.get("date_of_birth")
    return Declared(
        identity_number=number if isinstance(number, str) and number else None,
        full_name=name.strip() if isinstance(name, str) and name.strip() else None,
        date_of_birth=iso_date(born),
    )


def prefill(
    group: RegistryGroup, form: dict[str, Any] | None, resident: Resident
) -> tuple[dict[str, Any], list[str]]:
    """A copy of `form` with every registry field of the group set from the record; the paths it set."""
    data: dict[str, Any] = copy.deepcopy(form) if isinstance(form, dict) else {}
    node = data
    for part in group.path:
        child = node.get(part)
        node[part] = child = child if isinstance(child, dict) else {}
        node = child
    filled = []
    for prop, name in group.fields.items():
        value = resident.value(name)
        if value is not None:
            node[prop] = value
            filled.append(group_path(group, prop))
    return data, filled


@dataclass
class Verdict:
    """A filed form held against the registry: the fields it confirms, and field errors where it disagrees."""

    verified: list[str] = field(default_factory=list)
    errors: dict[str, FieldError] = field(default_factory=dict)


def judge(group: RegistryGroup, form: object, result: LookupResult, prefix: str = "form") -> Verdict:
    """Compare what the form declares with the registry's answer (the error never reveals the record)."""
    verdict = Verdict()
    key = group.key
    assert key is not None, "a registry group maps identity_number (checked by check_schema)"
    if result.status is LookupStatus.NOT_FOUND:
        verdict.errors[group_path(group, key, prefix)] = FieldError(
            f"Không tìm thấy số định danh cá nhân này trong {SOURCE}. "
            "Vui lòng kiểm tra lại số ghi trên thẻ Căn cước.",
            "This personal identification number is not in the national population database; "
            "check the number on the ID card.",
        )
        return verdict
    values = filer(group, form)
    mismatched = set(result.mismatched)
    for prop, name in group.fields.items():
        if prop not in values:
            continue
        if result.resident is not None and prop == key:
            agrees = values[prop] in (result.resident.identity_number, result.resident.legacy_id_number)
        elif result.resident is not None:
            agrees = _agrees(name, values[prop], result.resident.value(name))
        else:
            agrees = name not in mismatched
        if agrees:
            verdict.verified.append(group_path(group, prop, prefix))
        else:
            title = group.titles.get(prop, prop)
            verdict.errors[group_path(group, prop, prefix)] = FieldError(
                f"{title} không khớp với {SOURCE} đối với số định danh cá nhân đã khai.",
                f"{title} does not match the national population database for the identification number "
                "given.",
            )
    if verdict.errors and result.resident is None:
        verdict.verified = []  # a mismatch confirms nothing
    return verdict


def _agrees(name: str, declared_value: object, registry_value: str | None) -> bool:
    if registry_value is None or not isinstance(declared_value, str):
        return False
    if name.endswith("full_name") or name.endswith("_name"):
        return same_name(declared_value, registry_value)
    return declared_value.strip() == registry_value
