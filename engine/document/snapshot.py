"""The data each document prints, taken from the records when it is issued (a snapshot, not a live view).

Every value is plain JSON: times are local ISO 8601 strings (Asia/Ho_Chi_Minh), so that the same snapshot
always renders the same PDF and its canonical JSON gives a stable content hash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.clock import to_local
from engine.dossier.timeliness import Timeliness
from engine.procedure import ProcedureDefinition
from engine.store.models import AgencyRow, DossierRow, ExtensionRow, HandoverRow

CHANNELS = {"online": "Trực tuyến", "counter": "Trực tiếp", "postal": "Qua dịch vụ bưu chính công ích"}
RETURN_METHODS = {
    "counter": "Trực tiếp tại Bộ phận Một cửa",
    "postal": "Qua dịch vụ bưu chính công ích",
    "online": "Trực tuyến (kết quả điện tử)",
}
APPLICANT_FIELDS = ("full_name", "identity_number", "date_of_birth", "address", "phone", "email")


def local_iso(moment: datetime | None) -> str | None:
    """Local ISO 8601 with offset, or None."""
    return to_local(moment).isoformat() if moment else None


def agency_view(agency: AgencyRow | None, code: str) -> dict[str, Any]:
    """The issuing agency as its documents name it."""
    return {
        "code": code,
        "name": agency.name if agency else code,
        "address": agency.address if agency else None,
        "phone": agency.phone if agency else None,
    }


def procedure_view(definition: ProcedureDefinition) -> dict[str, Any]:
    """Code, name, legal deadline, legal basis and the result it gives."""
    result = definition.raw.get("result") or {}
    return {
        "code": definition.code,
        "slug": definition.slug,
        "name": definition.name,
        "deadline": definition.deadline.label,
        "legal_basis": list(definition.raw.get("legal_basis") or []),
        "result": result.get("kind"),
        "result_description": result.get("description"),
        "fee": definition.fee_amount,
    }


def dossier_view(dossier: DossierRow) -> dict[str, Any]:
    """The dossier's code, channel and times."""
    return {
        "code": dossier.code,
        "access_key": dossier.access_key,
        "channel": dossier.channel,
        "channel_label": CHANNELS.get(dossier.channel, dossier.channel),
        "filed_at": local_iso(dossier.filed_at),
        "received_at": local_iso(dossier.received_at),
        "due_at": local_iso(dossier.due_at),
        "original_due_at": local_iso(dossier.original_due_at),
        "finished_at": local_iso(dossier.finished_at),
        "returned_at": local_iso(dossier.returned_at),
    }


def applicant_view(dossier: DossierRow) -> dict[str, Any]:
    """The applicant's particulars (every key present, None when not given)."""
    applicant = dossier.applicant or {}
    view: dict[str, Any] = {key: applicant.get(key) for key in APPLICANT_FIELDS}
    view["full_name"] = view["full_name"] or dossier.applicant_name
    return view


def papers_view(dossier: DossierRow, definition: ProcedureDefinition) -> list[dict[str, Any]]:
    """The papers handed in (or, when none were listed, the required ones), with copies and count."""
    known = {p.key: p for p in definition.papers}
    listed = [p for p in dossier.papers if p.get("key") in known]
    if not listed:
        listed = [{"key": p.key} for p in definition.papers if p.required]
    return [
        {
            "name": known[p["key"]].name,
            "copies": p.get("copies") or known[p["key"]].copies,
            "count": int(p.get("count") or known[p["key"]].count),
        }
        for p in listed
    ]


def missing_papers(decision: dict[str, Any]) -> list[dict[str, str]]:
    """The numbered list of Mẫu 02: each paper to supplement and why."""
    items = decision.get("missing_papers") or []
    return [
        {"paper": str(item.get("paper", "")), "reason": str(item.get("reason", ""))}
        for item in items
        if isinstance(item, dict)
    ]


def extension_view(extension: ExtensionRow) -> dict[str, Any]:
    """Old and new appointment, reason and the head who signed (Mẫu 04)."""
    return {
        "old_due_at": local_iso(extension.old_due_at),
        "new_due_at": local_iso(extension.new_due_at),
        "reason": extension.reason,
        "signer": extension.issued_by_name,
    }


def handover_view(row: HandoverRow) -> dict[str, Any]:
    """One line of the control sheet (Mẫu 05)."""
    return {
        "title": row.title,
        "giver": row.giver,
        "receiver": row.receiver,
        "started_at": local_iso(row.started_at),
        "due_at": local_iso(row.due_at),
        "finished_at": local_iso(row.finished_at),
        "finished_by": row.finished_by,
        "timeliness": Timeliness(row.timeliness).label if row.timeliness else None,
        "note": row.note,
    }


def contact_of(agency: AgencyRow | None) -> str | None:
    """How the citizen reaches the one-stop counter."""
    if agency is None:
        return None
    parts = [f"Bộ phận Một cửa — {agency.name}"]
    if agency.address:
        parts.append(agency.address)
    if agency.phone:
        parts.append(f"điện thoại {agency.phone}")
    return ", ".join(parts)
