"""Satisfaction rating pages: the applicant's (/ho-so/{code}/danh-gia), the counter tablet's
(/mot-cua/ho-so/{code}/danh-gia) and the supervisors' aggregates (/giam-sat/danh-gia).

Handlers parse the form, call engine/usecases/ratings.py (the same use case as /api/v1/dossiers/{code}/rating)
and render. A second rating re-renders the page with the rating already given (409); bad input re-renders the
form with the errors next to the fields (422).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from engine.actor import Actor, Role
from engine.errors import Conflict, InvalidInput
from engine.usecases import ratings as uc
from engine.usecases import statistics
from engine.usecases.overview import dossier_overview
from portal.api.deps import ContainerDep
from portal.pages.supervise import page_params, percent, read_filters, shown, stats_query
from portal.web import CsrfForm, FormErrors, localized, render, require
from portal.wiring import Container

router = APIRouter(include_in_schema=False)

SignedIn = Annotated[Actor, Depends(require())]
Officer = Annotated[Actor, Depends(require(Role.OFFICER))]
Supervisor = Annotated[Actor, Depends(require(Role.SUPERVISOR, Role.ADMIN))]


def _payload(form: FormData) -> dict[str, Any]:
    def text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    return {
        "overall": text("overall"),
        "indicators": {str(n): text(f"indicator_{n}") for n in uc.PER_DOSSIER},
        "comment": text("comment")[: uc.COMMENT_MAX * 4],  # the use case names the field past its limit
    }


def _page(
    request: Request,
    c: Container,
    actor: Actor,
    code: str,
    *,
    counter: bool,
    errors: FormErrors | None = None,
    posted: dict[str, Any] | None = None,
    notice: dict[str, str] | None = None,
    thanks: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    with c.transaction() as uow:
        state = uc.rating_form(uow, actor, code, "counter" if counter else "online")
        view = dossier_overview(c.services, uow, actor, code)
    values = posted or {
        "overall": "",
        "indicators": {n: str(p["score"]) for n, p in state["prefill"].items()},
        "comment": "",
    }
    context = {
        "d": view,
        "state": state,
        "indicators": [i for i in uc.INDICATORS if i.per == "dossier"],
        "overall_labels": uc.OVERALL,
        "overall_options": [(key, localized(vi, en)) for key, (vi, en) in uc.OVERALL.items()],
        "values": values,
        "counter": counter,
        "action": f"/mot-cua/ho-so/{code}/danh-gia" if counter else f"/ho-so/{code}/danh-gia",
        "back": f"/mot-cua/{code}" if counter else f"/ho-so/{code}",
        "errors": errors or FormErrors({}),
        "notice": notice,
        "thanks": thanks,
        "comment_max": uc.COMMENT_MAX,
    }
    return render(request, "ratings/form.html", context, status_code=status_code)


def _post(
    request: Request, c: Container, actor: Actor, code: str, form: FormData, *, counter: bool
) -> Response:
    payload = _payload(form)
    try:
        with c.transaction() as uow:
            uc.rate(
                uow, actor, code, payload, via="counter" if counter else "online", at=c.services.clock.now()
            )
    except InvalidInput as exc:
        return _page(
            request,
            c,
            actor,
            code,
            counter=counter,
            errors=FormErrors.of(exc),
            posted=payload,
            status_code=422,
        )
    except Conflict as exc:
        notice = {"message": exc.message, "message_en": exc.message_en}
        return _page(request, c, actor, code, counter=counter, notice=notice, status_code=409)
    target = f"/mot-cua/ho-so/{code}/danh-gia" if counter else f"/ho-so/{code}/danh-gia"
    return RedirectResponse(f"{target}?da-gui=1", status_code=303)


@router.get("/ho-so/{code}/danh-gia", response_class=HTMLResponse)
def citizen_form(code: str, request: Request, c: ContainerDep, actor: SignedIn) -> HTMLResponse:
    """The applicant's rating of a returned dossier, indicators 1–4 prefilled from its history."""
    return _page(request, c, actor, code, counter=False, thanks=request.query_params.get("da-gui") == "1")


@router.post("/ho-so/{code}/danh-gia", response_class=HTMLResponse, response_model=None)
def citizen_rate(code: str, request: Request, c: ContainerDep, actor: SignedIn, form: CsrfForm) -> Response:
    """Record the applicant's rating once."""
    return _post(request, c, actor, code, form, counter=False)


@router.get("/mot-cua/ho-so/{code}/danh-gia", response_class=HTMLResponse)
def counter_form(code: str, request: Request, c: ContainerDep, actor: Officer) -> HTMLResponse:
    """The counter tablet: the citizen fills the rating on the officer's device (large touch targets)."""
    return _page(request, c, actor, code, counter=True, thanks=request.query_params.get("da-gui") == "1")


@router.post("/mot-cua/ho-so/{code}/danh-gia", response_class=HTMLResponse, response_model=None)
def counter_rate(code: str, request: Request, c: ContainerDep, actor: Officer, form: CsrfForm) -> Response:
    """Record the rating given at the counter once."""
    return _post(request, c, actor, code, form, counter=True)


@router.get("/giam-sat/danh-gia", response_class=HTMLResponse)
def supervise(request: Request, actor: Supervisor, c: ContainerDep) -> HTMLResponse:
    """Satisfaction per agency and per officer (Art. 15) for the agencies the supervisor reads."""
    filters = read_filters(request)
    with c.transaction() as uow:
        choices = statistics.choices(uow, actor)
        try:
            query = stats_query(c, filters)
            data = uc.summary(uow, actor, query)
        except InvalidInput as exc:
            return render(
                request,
                "ratings/supervise.html",
                {"filters": shown(filters), "choices": choices, "data": None, "errors": FormErrors.of(exc)},
                status_code=422,
            )
    return render(
        request,
        "ratings/supervise.html",
        {
            "filters": shown(filters),
            "choices": choices,
            "data": data,
            "period": (query.start.strftime("%d/%m/%Y"), query.end.strftime("%d/%m/%Y")),
            "back": "/giam-sat?" + urlencode(page_params(query)),
            "indicators": [i for i in uc.INDICATORS if i.per == "dossier"],
            "overall_labels": uc.OVERALL,
            "percent": percent,
            "score": lambda v: "—" if v is None else f"{v:.1f}".replace(".", ","),
        },
    )
