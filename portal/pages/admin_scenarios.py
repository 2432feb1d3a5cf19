"""The workshop's scenario editor on the draft page (section «Kịch bản kiểm thử», #kich-ban).

Plain forms (CSRF like the other draft forms, no JavaScript needed): save one scenario's JSON (and its file
name), add one as a copy of another, delete one. Each handler parses the form, calls
engine/usecases/workshop_scenarios.py, then runs every check like the other editors of a draft; a refused
post re-renders the draft page with the error next to its field and in the summary (422, 413 when too large,
409 when the draft is closed).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from engine.actor import Actor
from engine.errors import Conflict, InvalidInput
from engine.store.db import UnitOfWork
from engine.usecases import workshop_scenarios as scenarios
from portal.api.deps import ContainerDep
from portal.errors import status_of
from portal.pages.admin_procedures import (
    BASE,
    TEXT_CAP,
    Admin,
    ScenarioForm,
    draft_page,
    posted_text,
    posted_token,
    run_check,
)
from portal.web import CsrfForm, FormErrors
from portal.wiring import Container

router = APIRouter(include_in_schema=False)


def _done(draft_id: int, done: str, file: str | None = None) -> RedirectResponse:
    shown = f"kich-ban={quote(file)}&" if file else ""
    return RedirectResponse(f"{BASE}/nhap/{draft_id}?{shown}xong={done}#kich-ban", status_code=303)


def _edit(  # noqa: PLR0913 — the request's parts, what was typed, the edit and the notice after it
    request: Request,
    c: Container,
    actor: Actor,
    draft_id: int,
    typed: ScenarioForm | None,
    edit: Callable[[UnitOfWork], str | None],
    done: str,
) -> Response:
    """Run one edit in its transaction, then the check; a refusal re-renders the page with what was typed.
    `edit` returns the scenario to open after it (None: none)."""
    try:
        with c.transaction() as uow:
            file = edit(uow)
    except (InvalidInput, Conflict) as exc:
        return draft_page(
            request, c, actor, draft_id, errors=FormErrors.of(exc), scenario=typed, status_code=status_of(exc)
        )
    run_check(c, actor, draft_id)
    return _done(draft_id, done, file)


@router.post(BASE + "/nhap/{draft_id}/kich-ban", response_class=HTMLResponse, response_model=None)
def scenario_save(
    request: Request, c: ContainerDep, actor: Admin, draft_id: int, posted: CsrfForm
) -> Response:
    """Save one scenario as typed (renamed when its file name changed), then check the draft."""
    typed = ScenarioForm(
        original=posted_text(posted, "original", 100),
        name=posted_text(posted, "scenario_name", 100),
        text=posted_text(posted, "scenario_json", TEXT_CAP),
    )
    now = c.services.clock.now()
    return _edit(
        request,
        c,
        actor,
        draft_id,
        typed,
        lambda uow: scenarios.save_scenario(
            uow, actor, draft_id, typed.original, typed.name, typed.text, now, posted_token(posted)
        ),
        "kich-ban",
    )


@router.post(BASE + "/nhap/{draft_id}/kich-ban/them", response_class=HTMLResponse, response_model=None)
def scenario_add(
    request: Request, c: ContainerDep, actor: Admin, draft_id: int, posted: CsrfForm
) -> Response:
    """Add a scenario, a copy of a chosen one (or a skeleton), then check the draft and open it to edit."""
    typed = ScenarioForm(
        source=posted_text(posted, "scenario_source", 100),
        new_name=posted_text(posted, "scenario_new_name", 100),
    )
    now = c.services.clock.now()
    return _edit(
        request,
        c,
        actor,
        draft_id,
        typed,
        lambda uow: scenarios.add_scenario(uow, actor, draft_id, typed.source, typed.new_name, now),
        "kich-ban-them",
    )


@router.post(BASE + "/nhap/{draft_id}/kich-ban/xoa", response_class=HTMLResponse, response_model=None)
def scenario_delete(
    request: Request, c: ContainerDep, actor: Admin, draft_id: int, posted: CsrfForm
) -> Response:
    """Delete one scenario (never the last), then check the draft."""
    file, now = posted_text(posted, "file", 100), c.services.clock.now()

    def delete(uow: UnitOfWork) -> None:
        scenarios.delete_scenario(uow, actor, draft_id, file, now)

    return _edit(request, c, actor, draft_id, None, delete, "kich-ban-xoa")
