"""The paper checklist at reception (kiểm tra thành phần hồ sơ) and the decisions that follow from it.

For each paper of the procedure's published list the one-stop officer records what was handed in: the
original, a certified copy, a plain copy, or nothing. A paper is deficient when it is required and missing, or
handed in as a weaker kind than the procedure asks for (a plain copy where a certified copy is required).
Every deficient paper needs a note saying why: that note is what Mẫu 02 prints.

From the checklist: "accept" only when nothing is deficient; "supplement" only when something is (Mẫu 02 lists
exactly the deficient papers, once and completely); "refuse" always, with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.errors import FieldError, InvalidInput
from engine.procedure import Paper

ORIGINAL = "original"
CERTIFIED_COPY = "certified_copy"
PHOTOCOPY = "photocopy"
MISSING = "missing"
RECEIVED = (ORIGINAL, CERTIFIED_COPY, PHOTOCOPY)
CHOICES = (*RECEIVED, MISSING)

CHOICE_LABELS = {
    ORIGINAL: ("Bản chính", "Original"),
    CERTIFIED_COPY: ("Bản sao có chứng thực", "Certified copy"),
    PHOTOCOPY: ("Bản sao", "Copy"),
    MISSING: ("Chưa nộp", "Missing"),
}

# How strong a kind of paper is: an original serves wherever a copy is asked for, not the other way round.
_RANK = {ORIGINAL: 3, CERTIFIED_COPY: 2, PHOTOCOPY: 1}

ACCEPT = "accept"
SUPPLEMENT = "supplement"
REFUSE = "refuse"
DECISIONS = (ACCEPT, SUPPLEMENT, REFUSE)

NOTE_MAX = 1000


@dataclass(frozen=True)
class PaperCheck:
    """What the officer recorded for one paper: the kind handed in (or `missing`), and a note."""

    received: str | None = None
    note: str = ""


@dataclass(frozen=True)
class CheckedPaper:
    """One paper of the procedure's list as checked."""

    paper: Paper
    received: str | None
    note: str

    @property
    def handed_in(self) -> bool:
        """A paper (of any kind) is in the dossier."""
        return self.received in RECEIVED

    @property
    def deficient(self) -> bool:
        """Required and missing, or handed in as a weaker kind than the procedure asks for."""
        if self.received == MISSING:
            return self.paper.required
        if self.received in _RANK:
            return _RANK[self.received] < _RANK.get(self.paper.copies, 1)
        return False


@dataclass
class ChecklistVerdict:
    """The checklist held against the procedure's list: its problems, and what may be decided from it."""

    items: list[CheckedPaper]
    errors: dict[str, FieldError] = field(default_factory=dict)

    @property
    def deficient(self) -> list[CheckedPaper]:
        """The papers to supplement, in the procedure's order."""
        return [item for item in self.items if item.deficient]

    @property
    def decisions(self) -> tuple[str, ...]:
        """The decisions the checklist allows (refusing is always possible, with a reason)."""
        if self.errors:
            return (REFUSE,)
        return (SUPPLEMENT, REFUSE) if self.deficient else (ACCEPT, REFUSE)

    def missing_papers(self) -> list[dict[str, str]]:
        """Mẫu 02's numbered list: each deficient paper by name, and why."""
        return [{"paper": item.paper.name, "reason": item.note} for item in self.deficient]

    def handed_in(self) -> list[dict[str, Any]]:
        """The papers in the dossier, as `dossier.papers` keeps them (key, kind, count, note)."""
        papers = []
        for item in self.items:
            if not item.handed_in:
                continue
            entry: dict[str, Any] = {
                "key": item.paper.key,
                "copies": item.received,
                "count": item.paper.count,
            }
            if item.note:
                entry["note"] = item.note
            papers.append(entry)
        return papers


def field_name(key: str, part: str) -> str:
    """The field an error of one checklist row is reported on, e.g. `checklist.ct01.received`."""
    return f"checklist.{key}.{part}"


def judge_checklist(papers: Sequence[Paper], answers: Mapping[str, PaperCheck]) -> ChecklistVerdict:
    """Hold the officer's answers against the procedure's papers; every paper needs an answer."""
    items: list[CheckedPaper] = []
    errors: dict[str, FieldError] = {}
    for paper in papers:
        answer = answers.get(paper.key, PaperCheck())
        note = answer.note.strip()
        item = CheckedPaper(paper, answer.received, note)
        items.append(item)
        if answer.received not in CHOICES:
            errors[field_name(paper.key, "received")] = FieldError(
                f"Chọn tình trạng của giấy tờ «{paper.name}»: bản chính, bản sao có chứng thực, bản sao "
                "hoặc chưa nộp.",
                f"Choose what was handed in for '{paper.key}': original, certified copy, copy or missing.",
            )
        elif item.deficient and not note:
            errors[field_name(paper.key, "note")] = FieldError(
                "Ghi rõ lý do cần bổ sung, hoàn thiện giấy tờ này (in trên Phiếu yêu cầu bổ sung).",
                "Say why this paper must be supplied or completed (printed on the supplement request).",
            )
        if len(note) > NOTE_MAX:
            errors[field_name(paper.key, "note")] = FieldError(
                f"Ghi chú quá dài (tối đa {NOTE_MAX} ký tự).", f"The note is too long ({NOTE_MAX} at most)."
            )
    known = {p.key for p in papers}
    for key in sorted(set(answers) - known):
        errors[field_name(key, "received")] = FieldError(
            "Giấy tờ không có trong thành phần hồ sơ của thủ tục.", "Paper is not in the procedure's list."
        )
    return ChecklistVerdict(items, errors)


def reception_payload(
    verdict: ChecklistVerdict, decision: str, *, reason: str = "", note: str = ""
) -> dict[str, Any]:
    """The reception task's data (forms/tasks/reception.schema.json) for a decision the checklist allows.

    Raises InvalidInput, field by field, when the decision does not follow from the checklist.
    """
    reason, note = reason.strip(), note.strip()
    errors: dict[str, FieldError] = {}
    if decision not in DECISIONS:
        errors["decision"] = FieldError(
            "Chọn kết quả kiểm tra: tiếp nhận, yêu cầu bổ sung hoặc từ chối tiếp nhận.",
            "Choose accept, request a supplement or refuse.",
        )
    elif decision == REFUSE:
        if not reason:
            errors["refusal_reason"] = FieldError(
                "Vui lòng nêu rõ lý do từ chối tiếp nhận (in trên Mẫu 03).",
                "A reason for refusing is required (printed on form 03).",
            )
    else:
        errors.update(verdict.errors)
        if not verdict.errors and decision not in verdict.decisions:
            errors["decision"] = _not_allowed(decision, verdict)
    if errors:
        raise InvalidInput(
            "Kết quả kiểm tra hồ sơ chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu.",
            "The reception check is invalid; see the marked fields.",
            errors,
            code="ChecklistInvalid",
        )
    payload: dict[str, Any] = {"decision": decision}
    if note:
        payload["note"] = note
    if decision == SUPPLEMENT:
        payload["missing_papers"] = verdict.missing_papers()
    if decision == REFUSE:
        payload["refusal_reason"] = reason
    return payload


def _not_allowed(decision: str, verdict: ChecklistVerdict) -> FieldError:
    if decision == ACCEPT:
        names = ", ".join(f"«{item.paper.name}»" for item in verdict.deficient)
        return FieldError(
            f"Chưa thể tiếp nhận: còn thiếu hoặc chưa đúng giấy tờ {names}. "
            "Yêu cầu bổ sung hoặc từ chối tiếp nhận.",
            "Cannot accept: required papers are missing or of the wrong kind; "
            "ask for a supplement or refuse.",
        )
    return FieldError(
        "Hồ sơ đã đủ giấy tờ theo danh mục: không có gì để yêu cầu bổ sung.",
        "Every paper is in order: there is nothing to ask for.",
    )
