"""Administrators' BPMN check (/quan-tri/so-do): upload or paste a diagram, see MotCua's bpmnlint problems.

The problems come from the server (integrations/bpmnlint runs the bundled linter in Node), so the page works
without JavaScript; with it, the same textarea becomes the bpmn-js modeler with the MotCua properties group
and live lint overlays (portal/assets/modeler.js, the `bpmn_editor` macro of components/bpmn_editor.html).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData, UploadFile

from engine.actor import Actor, Role
from engine.errors import Unavailable
from engine.upload import UploadTooLarge
from integrations.bpmnlint import (
    MAX_BYTES,
    BpmnRefused,
    BpmnTooLarge,
    LinterUnavailable,
    LintProblem,
    lint_bpmn,
)
from portal.web import CsrfForm, FormErrors, render, require

router = APIRouter(include_in_schema=False)
log = logging.getLogger("motcua.portal")

Admin = Annotated[Actor, Depends(require(Role.ADMIN))]
PATH = "/quan-tri/so-do"
BODY_LIMIT = 2 * MAX_BYTES + 64 * 1024  # the file and the textarea at their cap, plus the form's other fields


async def body_limit(request: Request) -> None:
    """Refuse (413, the error page) a body too large for a diagram before anything is read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > BODY_LIMIT:
        raise UploadTooLarge(MAX_BYTES)


BodyLimit = Annotated[None, Depends(body_limit)]


def _page(
    request: Request,
    xml: str = "",
    problems: list[LintProblem] | None = None,
    *,
    errors: FormErrors | None = None,
    checked: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    problems = problems or []
    context = {
        "xml": xml,
        "problems": problems,
        "errors": errors or FormErrors({}),
        "checked": checked,
        "error_count": sum(1 for p in problems if p.severity == "error"),
        "warning_count": sum(1 for p in problems if p.severity != "error"),
        "max_kib": MAX_BYTES // 1024,
    }
    return render(request, "admin_bpmn/check.html", context, status_code=status_code)


@router.get(PATH, response_class=HTMLResponse)
def bpmn_check_form(request: Request, actor: Admin) -> HTMLResponse:
    """The empty form: a file to upload or XML to paste."""
    return _page(request)


def _uploaded(form: FormData) -> UploadFile | None:
    file = form.get("bpmn_file")
    return file if isinstance(file, UploadFile) and file.filename else None


def _posted_xml(form: FormData) -> bytes:
    """The diagram posted: the uploaded file when there is one, else the textarea (at most MAX_BYTES)."""
    file = _uploaded(form)
    if file is not None:
        data = file.file.read(MAX_BYTES + 1)
    else:
        text = form.get("bpmn_xml")
        data = text.encode("utf-8") if isinstance(text, str) else b""
    if len(data) > MAX_BYTES:
        raise BpmnTooLarge()
    if not data.strip():
        raise BpmnRefused(
            "Hãy chọn tệp .bpmn hoặc dán XML của sơ đồ.", "Choose a .bpmn file or paste the diagram's XML."
        )
    return data


@router.post(PATH, response_class=HTMLResponse)
def bpmn_check(request: Request, _limit: BodyLimit, actor: Admin, form: CsrfForm) -> HTMLResponse:
    """Lint the posted diagram and show its problems next to it (the XML stays in the textarea)."""
    field = "bpmn_file" if _uploaded(form) is not None else "bpmn_xml"
    data = b""
    try:
        data = _posted_xml(form)
        problems = lint_bpmn(data)
    except LinterUnavailable as exc:
        log.error("bpmnlint unavailable: %s", exc)
        raise Unavailable(
            "Chưa kiểm tra được sơ đồ: bộ kiểm tra BPMN chưa sẵn sàng trên máy chủ.",
            "The diagram cannot be checked: the BPMN linter is not available on the server.",
        ) from None
    except BpmnRefused as refused:
        text = data.decode("utf-8", "replace") if len(data) <= MAX_BYTES else ""
        errors = FormErrors.one(field, refused.message_vi, refused.message_en)
        status = 413 if isinstance(refused, BpmnTooLarge) else 422
        return _page(request, text, errors=errors, status_code=status)
    return _page(request, data.decode("utf-8", "replace"), problems, checked=True)
