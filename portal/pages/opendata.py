"""Open data (/du-lieu-mo, public): the datasets, each as CSV and JSON with DCAT-style metadata.

Stable URLs: /du-lieu-mo/catalog.json, /du-lieu-mo/{dataset}.csv, /du-lieu-mo/{dataset}.json,
/du-lieu-mo/{dataset}/metadata.json; `?thang=YYYY-MM` picks a month (422 on the field otherwise). Every file
carries an ETag (hash of its bytes) and a Last-Modified (since when it has those bytes); a matching
If-None-Match is answered 304. The rows come from engine/usecases/opendata.py: aggregates only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC
from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from engine.clock import to_local
from engine.errors import InvalidInput
from engine.usecases import opendata as uc
from portal.api.deps import ContainerDep
from portal.web import FormErrors, render

router = APIRouter(include_in_schema=False)

PREFIX = "/du-lieu-mo"
Month = Annotated[str | None, Query(alias="thang", max_length=20)]


def _bool(value: Any) -> Any:
    return ("true" if value else "false") if isinstance(value, bool) else value


def _csv(table: uc.Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.title for c in table.dataset.columns])
    for row in table.rows:
        writer.writerow(
            ["" if row.get(c.name) is None else _bool(row.get(c.name)) for c in table.dataset.columns]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=False).encode("utf-8")


def _send(
    request: Request, c: ContainerDep, body: bytes, media_type: str, name: str | None = None
) -> Response:
    """The file with its ETag and Last-Modified; 304 when the browser already holds these bytes."""
    etag = hashlib.sha256(body).hexdigest()[:32]
    key = request.url.path + (
        f"?thang={request.query_params.get('thang', '')}" if request.query_params.get("thang") else ""
    )
    with c.transaction() as uow:
        since = uc.release(uow, key, etag, c.services.clock.now())
    headers = {
        "ETag": f'"{etag}"',
        "Last-Modified": format_datetime(since.astimezone(UTC), usegmt=True),
        "Cache-Control": "public, max-age=300",
        "Access-Control-Allow-Origin": "*",
    }
    sent = request.headers.get("if-none-match", "")
    if sent and (
        sent.strip() == "*" or f'"{etag}"' in [t.strip().removeprefix("W/") for t in sent.split(",")]
    ):
        return Response(status_code=304, headers=headers)
    if name:
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(body, media_type=media_type, headers=headers)


def _invalid(exc: InvalidInput) -> JSONResponse:
    return JSONResponse(exc.as_dict(), status_code=422)


def _today(c: ContainerDep) -> Any:
    return to_local(c.services.clock.now()).date()


@router.get("/du-lieu-mo", response_class=HTMLResponse)
def index(request: Request, c: ContainerDep, month: Month = None) -> HTMLResponse:
    """The published datasets with their files, their fields and how they are made."""
    errors = None
    query = f"?thang={month}" if month else ""
    try:
        months = uc.months_of(month, _today(c))
    except InvalidInput as exc:
        errors, months, query = FormErrors.of(exc), uc.months_of(None, _today(c)), ""
    context = {
        "datasets": list(uc.DATASETS.values()),
        "query": query,
        "month": month or "",
        "period": (months[0].strftime("%m/%Y"), months[-1].strftime("%m/%Y")),
        "min_ratings": uc.MIN_RATINGS,
        "licence": uc.LICENCE,
        "errors": errors or FormErrors({}),
    }
    return render(request, "opendata/index.html", context, status_code=422 if errors else 200)


@router.get("/du-lieu-mo/catalog.json")
def catalog(request: Request, c: ContainerDep) -> Response:
    """Every dataset, DCAT-style."""
    return _send(request, c, _json(uc.catalog(PREFIX)), "application/json")


@router.get("/du-lieu-mo/{slug}/metadata.json")
def metadata(slug: str, request: Request, c: ContainerDep) -> Response:
    """One dataset's metadata: titles, licence, period, distributions, typed fields."""
    found = uc.dataset(slug)
    return _send(request, c, _json(uc.metadata(found, f"{PREFIX}/{found.slug}")), "application/json")


@router.get("/du-lieu-mo/{slug}.{fmt}")
def download(slug: str, fmt: str, request: Request, c: ContainerDep, month: Month = None) -> Response:
    """A dataset as CSV (UTF-8 with BOM, Vietnamese headers) or JSON (rows keyed by field name)."""
    if fmt not in ("csv", "json"):
        return Response(status_code=404)
    found = uc.dataset(slug)
    try:
        with c.transaction() as uow:
            table = uc.table(uow, found.slug, month, _today(c))
    except InvalidInput as exc:
        return _invalid(exc)
    suffix = f"-{month}" if month else ""
    if fmt == "csv":
        return _send(request, c, _csv(table), "text/csv; charset=utf-8", f"{found.slug}{suffix}.csv")
    period = (
        {"from": table.period[0].isoformat(), "to": table.period[1].isoformat()} if table.period else None
    )
    body = {
        "dataset": found.slug,
        "title": found.title,
        "period": period,
        "metadata": f"{PREFIX}/{found.slug}/metadata.json",
        "fields": [col.name for col in found.columns],
        "rows": table.rows,
    }
    return _send(request, c, _json(body), "application/json")
