"""The public catalogue of procedures (danh mục thủ tục hành chính): search, filters, one procedure's page.

Search ignores case and Vietnamese diacritics ("dang ky thuong tru" finds "Đăng ký thường trú").
The filter runs in memory over the current version of every procedure: a province publishes a few hundred
procedures at most, and `CATALOGUE_LIMIT` bounds what one request reads. Past that, the folded name belongs
in an indexed column and the filter in SQL.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select

from engine.actor import Role
from engine.catalog import current_version, current_versions, definition_of, ensure_spec
from engine.procedure import ProcedureDefinition
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.store.models import AgencyRow
from engine.tally import cells
from engine.usecases.progress import ROLE_LABELS

# At most this many current procedure versions are read per request (see the module docstring).
CATALOGUE_LIMIT = 1000


def fold(text: str) -> str:
    """Lower case without diacritics, spaces collapsed: "Đăng  ký" → "dang ky".

    NFD splits "ă", "ư", "ế"… into a base letter and combining marks; "đ" is a letter of its own
    (no decomposition), so it is mapped to "d" by hand.
    """
    text = text.replace("đ", "d").replace("Đ", "D")
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


@dataclass(frozen=True)
class Option:
    """One choice of a filter: the value sent in the URL and its label."""

    value: str
    label: str


@dataclass(frozen=True)
class CatalogueQuery:
    """What the visitor asked: free text, receiving agency code, field (lĩnh vực) name; all optional."""

    text: str = ""
    agency: str = ""
    field: str = ""

    @property
    def is_empty(self) -> bool:
        """No search and no filter: the whole catalogue."""
        return not (self.text.strip() or self.agency or self.field)


@dataclass
class Catalogue:
    """The procedures that match, with the filters' choices."""

    query: CatalogueQuery
    procedures: list[dict[str, Any]]
    agencies: list[Option] = field(default_factory=list)
    fields: list[Option] = field(default_factory=list)
    total: int = 0  # procedures in the catalogue, before searching


def _receives(agency: AgencyRow, definition: ProcedureDefinition) -> bool:
    """An agency receives a procedure when it has a one-stop counter at the procedure's level (cấp)."""
    level = definition.raw.get("level")
    return agency.has_counter and (level is None or agency.level == level)


def _agencies(uow: UnitOfWork) -> list[AgencyRow]:
    rows = uow.session.exec(
        select(AgencyRow).where(col(AgencyRow.has_counter).is_(True)).order_by(AgencyRow.name)
    ).all()
    return list(rows)


def _haystack(definition: ProcedureDefinition) -> str:
    field_name = str(definition.raw.get("field") or "")
    return fold(" ".join((definition.name, definition.name_en, definition.code, field_name)))


def search_catalogue(uow: UnitOfWork, query: CatalogueQuery) -> Catalogue:
    """The current procedures matching every word of the text, the agency and the field, by name."""
    definitions = [definition_of(v) for v in current_versions(uow)[:CATALOGUE_LIMIT]]
    agencies = _agencies(uow)
    words = fold(query.text).split()
    agency = next((a for a in agencies if a.code == query.agency), None)
    wanted_field = fold(query.field)
    found = []
    for definition in definitions:
        haystack = _haystack(definition)
        if not all(word in haystack for word in words):
            continue
        if query.agency and (agency is None or not _receives(agency, definition)):
            continue
        if wanted_field and fold(str(definition.raw.get("field") or "")) != wanted_field:
            continue
        found.append(_summary(definition, [a for a in agencies if _receives(a, definition)]))
    found.sort(key=lambda p: fold(p["name"]))
    fields = sorted({str(d.raw["field"]) for d in definitions if d.raw.get("field")}, key=fold)
    return Catalogue(
        query=query,
        procedures=found,
        agencies=[Option(a.code, a.name) for a in agencies],
        fields=[Option(f, f) for f in fields],
        total=len(definitions),
    )


def _summary(definition: ProcedureDefinition, agencies: list[AgencyRow]) -> dict[str, Any]:
    public = definition.public()
    return {
        "code": definition.code,
        "name": definition.name,
        "name_en": definition.name_en,
        "field": public["field"],
        "level": public["level"],
        "deadline": public["deadline"],
        "fee": public["fee"],
        "online_level": public["online_level"],
        "agencies": [{"code": a.code, "name": a.name} for a in agencies],
    }


def most_used(uow: UnitOfWork, limit: int = 6) -> list[dict[str, Any]]:
    """The procedures with the most dossiers in progress, then the rest by name, at most `limit`.

    Reads the open-dossier tally (engine/tally.py), whose cost is its number of cells, not of dossiers.
    """
    counts: Counter[str] = Counter()
    for (_agency, procedure, _state), n in cells(uow).items():
        counts[procedure] += n
    definitions = [definition_of(v) for v in current_versions(uow)[:CATALOGUE_LIMIT]]
    agencies = _agencies(uow)
    ranked = sorted(definitions, key=lambda d: (-counts[d.code], fold(d.name)))
    return [
        {**_summary(d, [a for a in agencies if _receives(a, d)]), "in_progress": counts[d.code]}
        for d in ranked[: max(0, limit)]
    ]


def _steps(services: Services, uow: UnitOfWork, spec_hash: str, definition: ProcedureDefinition) -> list[Any]:
    """The steps with their budgets, in the order procedure.yaml declares them: title, who, working hours."""
    ensure_spec(uow, services.runtime, spec_hash)
    info = services.runtime.spec_info(spec_hash)
    steps = []
    for step, hours in definition.budgets.items():
        task = next((name for name, props in info.user_tasks.items() if props.get("step") == step), None)
        if task is None:
            continue
        role = definition.lanes.get(info.task_lanes.get(task) or "")
        steps.append(
            {
                "step": step,
                "title": info.task_titles.get(task, step),
                "role": role.value if role else None,
                "role_label": ROLE_LABELS.get(role, "") if role else "",
                "hours": hours,
                "days": hours / 8 if hours >= 8 else None,  # budgets are office hours: 8 to a working day
            }
        )
    return steps


def procedure_page(services: Services, uow: UnitOfWork, code: str) -> dict[str, Any]:
    """Everything a citizen reads before filing: deadline, fee, papers, legal basis, steps, agencies, result.

    NotFound (ProcedureNotFound) for a code that is not in the catalogue.
    """
    version = current_version(uow, code)
    definition = definition_of(version)
    public = definition.public()
    return {
        **public,
        "version": version.version,
        "fee": {"amount": definition.fee_amount, **(public["fee"] or {})},
        "steps": _steps(services, uow, version.spec_hash, definition),
        "agencies": [
            {"code": a.code, "name": a.name, "address": a.address, "phone": a.phone}
            for a in _agencies(uow)
            if _receives(a, definition)
        ],
        "citizen_step": Role.CITIZEN in definition.lanes.values(),
    }


def procedure_names(uow: UnitOfWork) -> dict[str, str]:
    """Code → name of every current procedure (for lists that hold only codes, such as drafts)."""
    return {v.code: v.name for v in current_versions(uow)[:CATALOGUE_LIMIT]}
