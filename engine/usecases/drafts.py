"""Filing drafts (hồ sơ nháp): a citizen's e-form saved at every step, resumed later, filed once.

A draft belongs to the verified identity number of the citizen who started it (the token's subject only when
the account has none), so the same person signed in through another identity provider finds it again. Only
the owner reads, changes, files or deletes it; anyone else gets NotFound. Use cases here never commit: the
caller owns the unit of work (`begin_filing` and `file_draft` take the transaction factory because a
population-database lookup must run between two units, see engine/usecases/residents.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import col, func, select

from engine.actor import Actor, Role
from engine.catalog import current_form, current_version, definition_of
from engine.dossier.applicant import FIELDS
from engine.errors import Conflict, DomainError, FieldError, Forbidden, InvalidInput, NotFound
from engine.procedure import ProcedureDefinition
from engine.residents.prefill import filer
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.store.models import AgencyRow, DossierRow, DraftRow
from engine.usecases.dossiers import FileDossier, file_dossier, plan_filing
from engine.usecases.residents import Transaction, audited_lookup, prefill_form
from engine.usecases.uploads import new_id, owned, owned_uploads, owned_where, owner_columns

T = TypeVar("T")

DRAFT_CAP = 20  # open drafts per owner
FORM_BYTES = 64 * 1024  # the e-form of a draft, as JSON
TEXT_LIMIT = 5000  # any one text answer; the schema's own maxLength is checked again at filing
STEP_LIMIT = 40


def _not_found(draft_id: str) -> NotFound:
    return NotFound(
        "Không tìm thấy hồ sơ nháp (có thể đã được nộp hoặc xoá).",
        "The draft was not found (it may have been filed or deleted).",
        code="DraftNotFound",
    )


def _require_citizen(actor: Actor) -> None:
    if not actor.has(Role.CITIZEN):
        raise Forbidden("Chỉ công dân lưu hồ sơ nháp.", "Only citizens keep filing drafts.")


def _owned_query(actor: Actor) -> Any:
    return select(DraftRow).where(owned_where(DraftRow.owner_subject, DraftRow.owner_identity_number, actor))


def start_draft(
    services: Services, uow: UnitOfWork, actor: Actor, procedure: str, agency: str | None = None
) -> DraftRow:
    """Open a new, empty draft of a procedure's filing for the signed-in citizen (at most DRAFT_CAP)."""
    _require_citizen(actor)
    definition = definition_of(current_version(uow, procedure))
    count = uow.session.exec(
        select(func.count())
        .select_from(DraftRow)
        .where(owned_where(DraftRow.owner_subject, DraftRow.owner_identity_number, actor))
    ).one()
    if count >= DRAFT_CAP:
        raise Conflict(
            f"Bạn đã có {DRAFT_CAP} hồ sơ nháp; vui lòng nộp hoặc xoá bớt trước khi tạo hồ sơ mới.",
            f"You already have {DRAFT_CAP} drafts; file or delete some before starting another.",
            code="DraftLimit",
        )
    now = services.clock.now()
    subject, number = owner_columns(actor)
    draft = DraftRow(
        id=new_id(),
        owner_subject=subject,
        owner_identity_number=number,
        procedure_code=definition.code,
        created_at=now,
        updated_at=now,
    )
    if agency is not None:
        draft.agency_code = _check_agency(uow, agency)
    uow.session.add(draft)
    uow.flush()
    return draft


def get_draft(uow: UnitOfWork, actor: Actor, draft_id: str, *, lock: bool = False) -> DraftRow:
    """The actor's own draft; NotFound for anyone else's or a missing one."""
    query = select(DraftRow).where(DraftRow.id == draft_id[:64])
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    draft = uow.session.exec(query).first()
    if draft is None or not owned(actor, draft.owner_subject, draft.owner_identity_number):
        raise _not_found(draft_id)
    return draft


def list_drafts(uow: UnitOfWork, actor: Actor, limit: int = DRAFT_CAP) -> list[DraftRow]:
    """The signed-in citizen's drafts, last changed first (for "Hồ sơ của tôi"); empty for anyone else.

    Bounded by DRAFT_CAP, the most drafts one owner can hold.
    """
    if not actor.has(Role.CITIZEN):
        return []
    query = _owned_query(actor).order_by(col(DraftRow.updated_at).desc(), col(DraftRow.id))
    return list(uow.session.exec(query.limit(max(1, min(limit, DRAFT_CAP)))).all())


def save_draft(
    services: Services,
    uow: UnitOfWork,
    actor: Actor,
    draft_id: str,
    *,
    form: dict[str, Any] | None = None,
    papers: dict[str, Any] | None = None,
    agency: str | None = None,
    last_step: str | None = None,
) -> DraftRow:
    """Save what the citizen has entered so far (partial data is fine; it is validated at filing)."""
    draft = get_draft(uow, actor, draft_id, lock=True)
    errors: dict[str, FieldError] = {}
    if form is not None:
        _check_form(form, errors)
        draft.form = form
    if papers is not None:
        definition = definition_of(current_version(uow, draft.procedure_code))
        draft.papers = _check_draft_papers(uow, actor, definition, papers, errors)
    if agency is not None:
        draft.agency_code = _check_agency(uow, agency, errors)
    if last_step is not None:
        if len(last_step) > STEP_LIMIT:
            errors["last_step"] = FieldError("Bước không hợp lệ.", "Invalid step.")
        else:
            draft.last_step = last_step
    if errors:
        raise InvalidInput(
            "Chưa lưu được hồ sơ nháp, vui lòng kiểm tra các trường được đánh dấu.",
            "The draft was not saved; see the marked fields.",
            errors,
        )
    draft.updated_at = services.clock.now()
    uow.session.add(draft)
    uow.flush()
    return draft


def save_step(
    services: Services,
    uow: UnitOfWork,
    actor: Actor,
    draft_id: str,
    *,
    form: dict[str, Any],
    properties: list[str],
    step: str,
) -> tuple[DraftRow, dict[str, FieldError]]:
    """Save one section of the e-form ("Lưu và tiếp tục") and say what is wrong in that section.

    The answers are kept even when some are wrong, so nothing typed is lost; the errors (keyed like the
    engine's, without the `form.` prefix) are those of the section's top-level `properties` only.
    """
    draft = save_draft(services, uow, actor, draft_id, form=form, last_step=step)
    return draft, section_errors(services, uow, draft, properties)


def section_errors(
    services: Services, uow: UnitOfWork, draft: DraftRow, properties: list[str]
) -> dict[str, FieldError]:
    """What filing would say about the draft's answers to these top-level properties (nothing is written)."""
    try:
        services.forms.validate(current_form(uow, services.forms, draft.procedure_code), draft.form)
    except InvalidInput as exc:
        wanted = tuple(properties)
        prefixes = tuple(f"{p}." for p in wanted) + tuple(f"{p}[" for p in wanted)
        return {key: error for key, error in exc.fields.items() if key in wanted or key.startswith(prefixes)}
    return {}


def receiving_agencies(uow: UnitOfWork) -> list[AgencyRow]:
    """Agencies with a one-stop counter, by name: where an online dossier may be filed."""
    query = select(AgencyRow).where(col(AgencyRow.has_counter).is_(True)).order_by(col(AgencyRow.name))
    return list(uow.session.exec(query).all())


def delete_draft(uow: UnitOfWork, actor: Actor, draft_id: str) -> None:
    """Delete the actor's own draft (its uploads stay: they may be reused or referenced elsewhere)."""
    uow.session.delete(get_draft(uow, actor, draft_id, lock=True))
    uow.flush()


def begin_filing(
    services: Services, transaction: Transaction, actor: Actor, procedure: str, agency: str | None = None
) -> tuple[str, DomainError | None]:
    """Start a draft and pre-fill it from the population database; the draft id and why prefill failed.

    A registry that does not answer (or knows nothing) leaves an empty draft the citizen types in.
    """
    with transaction() as uow:
        draft_id = start_draft(services, uow, actor, procedure, agency).id
    try:
        filled = prefill_form(services, transaction, actor, procedure, {})
    except DomainError as exc:  # unavailable, not found, no registry fields, no identity number
        return draft_id, exc
    with transaction() as uow:
        draft = get_draft(uow, actor, draft_id, lock=True)
        draft.form = filled["form"]
        draft.registry_values = {path: _value_at(filled["form"], path) for path in filled["prefilled"]}
        uow.session.add(draft)
    return draft_id, None


def registry_marks(draft: DraftRow) -> set[str]:
    """Dotted paths of the form still holding the value the population database filled in."""
    return {path for path, value in draft.registry_values.items() if _value_at(draft.form, path) == value}


def filing_of(services: Services, uow: UnitOfWork, draft: DraftRow) -> FileDossier:
    """The online filing a draft stands for: the applicant taken from the form's filer section."""
    group = services.forms.registry_group(current_form(uow, services.forms, draft.procedure_code))
    person = filer(group, draft.form) if group else {}
    applicant = {k: v for k, v in person.items() if k in FIELDS and v not in (None, "")}
    papers = [{"key": key, "count": 1, "uploads": list(ids)} for key, ids in draft.papers.items() if ids]
    return FileDossier(
        procedure=draft.procedure_code,
        agency=draft.agency_code or "",
        channel="online",
        applicant=applicant,
        form=draft.form,
        papers=papers,
    )


def file_draft(
    services: Services,
    transaction: Transaction,
    actor: Actor,
    draft_id: str,
    view: Callable[[UnitOfWork, DossierRow], T],
) -> T:
    """File the draft online (the filer looked up first, as `file_verified`); the draft is deleted in the
    same unit of work that files the dossier, so a draft is filed at most once.

    Errors about the applicant are named on the form's filer section (`form.applicant.phone`), where the
    citizen typed them.
    """
    with transaction() as uow:
        draft = get_draft(uow, actor, draft_id)
        filer_at = _filer_path(services, uow, draft)
        try:
            plan = plan_filing(services, uow, actor, filing_of(services, uow, draft))
        except InvalidInput as exc:
            raise _on_the_form(exc, filer_at) from exc
    lookup = audited_lookup(services, transaction, plan) if plan else None
    with transaction() as uow:
        draft = get_draft(uow, actor, draft_id, lock=True)
        try:
            dossier = file_dossier(services, uow, actor, filing_of(services, uow, draft), lookup)
        except InvalidInput as exc:
            raise _on_the_form(exc, filer_at) from exc
        uow.session.delete(draft)
        uow.flush()
        return view(uow, dossier)


def _filer_path(services: Services, uow: UnitOfWork, draft: DraftRow) -> str:
    group = services.forms.registry_group(current_form(uow, services.forms, draft.procedure_code))
    return ".".join(("form", *group.path)) if group else "form"


def _on_the_form(exc: InvalidInput, filer_at: str) -> InvalidInput:
    """The draft's applicant is its form's filer section: move `applicant.x` errors there."""
    fields = {
        (f"{filer_at}.{key.removeprefix('applicant.')}" if key.startswith("applicant.") else key): error
        for key, error in exc.fields.items()
    }
    return InvalidInput(exc.message, exc.message_en, fields, code=exc.code)


def _check_agency(uow: UnitOfWork, code: str, errors: dict[str, FieldError] | None = None) -> str:
    agency = uow.session.get(AgencyRow, code[:35])
    if agency is None or not agency.has_counter:
        problem = FieldError(
            "Vui lòng chọn cơ quan tiếp nhận trong danh sách.", "Choose a receiving agency from the list."
        )
        if errors is None:
            raise InvalidInput(problem.message, problem.message_en, {"agency": problem})
        errors["agency"] = problem
    return agency.code if agency else code[:35]


def _check_form(form: object, errors: dict[str, FieldError]) -> None:
    if not isinstance(form, dict):
        errors["form"] = FieldError("Dữ liệu tờ khai không hợp lệ.", "The form data is invalid.")
        return
    if len(json.dumps(form, ensure_ascii=False).encode()) > FORM_BYTES:
        errors["form"] = FieldError("Tờ khai quá dài.", "The form is too long.")
        return
    for path, value in _strings(form, ""):
        if len(value) > TEXT_LIMIT:
            errors[f"form.{path}"] = FieldError(
                f"Nội dung quá dài (tối đa {TEXT_LIMIT} ký tự).",
                f"Too long (at most {TEXT_LIMIT} characters).",
            )


def _strings(node: object, path: str) -> list[tuple[str, str]]:
    if isinstance(node, str):
        return [(path, node)]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in _strings(v, f"{path}.{k}" if path else str(k))]
    if isinstance(node, list):
        return [s for i, v in enumerate(node) for s in _strings(v, f"{path}[{i}]")]
    return []


def _check_draft_papers(
    uow: UnitOfWork,
    actor: Actor,
    definition: ProcedureDefinition,
    papers: dict[str, Any],
    errors: dict[str, FieldError],
) -> dict[str, list[str]]:
    known = {p.key for p in definition.papers}
    clean: dict[str, list[str]] = {}
    for key, ids in papers.items():
        if key not in known:
            errors[f"papers.{str(key)[:40]}"] = FieldError(
                "Giấy tờ không có trong thành phần hồ sơ của thủ tục.",
                "Paper is not in the procedure's list.",
            )
            continue
        clean[key] = [r.id for r in owned_uploads(uow, actor, ids, f"papers.{key}", errors)]
    return clean


def _value_at(form: object, path: str) -> object:
    node = form
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node
