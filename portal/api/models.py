"""Response models of the JSON API and the errors each route documents (the typed OpenAPI, issue 11).

Every model keeps the fields it does not name (`extra="allow"`): the model types what clients rely on and
the OpenAPI document says so, without dropping a field a route adds later. Errors share one shape,
`ErrorOut` — `{error, message, message_en, fields}` — whatever raised them (a domain rule, a bad parameter,
the request guard's 413, an unknown route).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# ---- errors -----------------------------------------------------------------------------------------------


class FieldErrorOut(BaseModel):
    """One field's problem, Vietnamese first."""

    message: str
    message_en: str


class ErrorOut(BaseModel):
    """Every error the API answers, whatever its status."""

    model_config = ConfigDict(json_schema_extra={"additionalProperties": False})

    error: str = Field(description="Mã lỗi, ví dụ InvalidInput, NotFound, Conflict")
    message: str = Field(description="Thông điệp tiếng Việt")
    message_en: str = Field(description="The message in English")
    fields: dict[str, FieldErrorOut] = Field(description="Lỗi theo trường (đường dẫn trường → thông điệp)")


WHY = {
    401: "Chưa đăng nhập hoặc mã thông báo không hợp lệ (Unauthenticated)",
    403: "Không có quyền (Forbidden)",
    404: "Không tìm thấy, hoặc người gọi không được xem (NotFound)",
    405: "Phương thức không được hỗ trợ; `Allow` liệt kê các phương thức của đường dẫn",
    409: "Không phù hợp với trạng thái hiện tại (Conflict)",
    413: "Nội dung gửi lên quá lớn (PayloadTooLarge)",
    422: "Dữ liệu chưa hợp lệ; `fields` chỉ ra trường (InvalidInput)",
    429: "Quá nhiều yêu cầu; chờ `Retry-After` giây (TooManyRequests)",
    503: "Dịch vụ phụ thuộc chưa sẵn sàng hoặc kịch bản vượt ngân sách; không có gì thay đổi, thử lại sau",
}
RETRY_AFTER = {"Retry-After": {"description": "Số giây nên chờ", "schema": {"type": "integer", "minimum": 0}}}
ALLOW = {"Allow": {"description": "Các phương thức của đường dẫn", "schema": {"type": "string"}}}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route for the error statuses it can answer, each with `ErrorOut`."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        entry: dict[str, Any] = {"model": ErrorOut, "description": WHY[code]}
        if code in (429, 503):
            entry["headers"] = RETRY_AFTER
        if code == 405:  # noqa: PLR2004
            entry["headers"] = ALLOW
        out[code] = entry
    return out


# The statuses by kind of route (every route also answers 422 for a bad parameter).
PUBLIC = errors(422)
READ = errors(401, 403, 404, 422)
WRITE = errors(401, 403, 404, 409, 413, 422, 503)


# ---- shared pieces ----------------------------------------------------------------------------------------


class Open(BaseModel):
    """A model that keeps the fields it does not name."""

    model_config = ConfigDict(extra="allow")


class StatusOut(Open):
    code: int = Field(ge=1, le=10, description="Mã trạng thái hồ sơ (1–10)")
    label: str
    label_en: str


class CodeName(Open):
    code: str
    name: str | None


# ---- dossiers ---------------------------------------------------------------------------------------------


class DossierSummary(Open):
    id: int
    code: str
    procedure: str
    agency: str
    channel: str
    status: StatusOut
    applicant_name: str | None
    current_step: str | None
    filed_at: str | None
    received_at: str | None
    due_at: str | None
    version: int


class TaskBrief(Open):
    id: str
    title: str | None
    step: str | None
    role: str | None
    assignee: str | None
    ready_at: str | None
    due_at: str | None
    decisions: list[str]


class DocumentOut(Open):
    id: int
    kind: str
    title: str
    number: int | None
    year: int | None
    issued_at: str | None
    issued_by: str | None
    status: str
    content_hash: str | None
    sha256: str | None
    size: int | None
    href: str


class ProcedureRef(Open):
    code: str
    name: str
    version: int


class DossierOut(Open):
    """Everything the caller may see of one dossier."""

    code: str
    access_key: str = Field(description="Mã tra cứu in cạnh mã hồ sơ")
    procedure: ProcedureRef
    agency: CodeName
    channel: str
    status: StatusOut
    current_step: str | None
    current_holder: str | None
    applicant: dict[str, Any]
    form: dict[str, Any]
    papers: list[dict[str, Any]]
    filed_at: str | None
    finished_at: str | None
    returned_at: str | None
    outcome: str | None
    tasks: list[TaskBrief]
    deadline: dict[str, Any]
    verification: dict[str, Any] | None
    documents: list[DocumentOut]
    version: int


class TrackOut(Open):
    """The public status for the receipt's QR: no personal data."""

    code: str
    procedure: str
    agency: str
    status: StatusOut
    current_step: str | None
    received_at: str | None
    due_at: str | None
    returned_at: str | None


# ---- tasks ------------------------------------------------------------------------------------------------


class TaskDossier(Open):
    code: str
    procedure: str
    applicant_name: str | None
    status: StatusOut
    due_at: str | None


class TaskOut(Open):
    id: str
    title: str | None
    step: str | None
    role: str | None
    lane: str | None
    form: str | None
    decisions: list[str]
    assignee: str | None
    ready_at: str | None
    due_at: str | None
    dossier: TaskDossier


class ClaimOut(Open):
    id: str
    assignee: str | None
    claimed_at: str | None


# ---- catalogue, calendar, identity ------------------------------------------------------------------------


class ProcedureOut(Open):
    code: str
    name: str
    version: int


class ProcedureDetail(ProcedureOut):
    form_schema: dict[str, Any] = Field(description="JSON Schema của tờ khai điện tử")


class SkippedDay(Open):
    date: str
    reason: str


class DueOut(Open):
    received_at: str
    start: str
    start_reason: str
    due: str
    amount: float
    unit: str
    cutoff: str | None
    skipped: list[SkippedDay]
    explanation: list[str]


class MeOut(Open):
    subject: str
    username: str | None
    name: str | None
    roles: list[str]
    agency: str | None
    agencies: list[str]
    identity_number: str | None


class HealthOut(Open):
    status: str
    dependencies: dict[str, Any] = Field(default_factory=dict)


# ---- residents --------------------------------------------------------------------------------------------


class PrefillOut(Open):
    procedure: str
    form: dict[str, Any]
    prefilled: list[str]
    source: str
    request_id: str | None
    looked_up_at: str | None


class LookupOut(Open):
    id: int
    request_id: str | None
    at: str | None
    by: dict[str, Any]
    identity_number: str | None
    dossier: str | None
    procedure: str | None
    purpose: str | None
    outcome: str | None
    reason: str | None


# ---- documents, register, uploads -------------------------------------------------------------------------


class RegisterOut(Open):
    agency: CodeName
    year: int
    entries: list[dict[str, Any]]
    next: int | None = Field(description="`after` của trang sau, hoặc null ở trang cuối")


class FileCheck(Open):
    sha256: str
    match: bool


class VerificationOut(Open):
    found: bool
    code: str
    content_hash: str
    kind: str | None = None
    title: str | None = None
    number: int | None = None
    year: int | None = None
    issued_at: str | None = None
    agency: CodeName | None = None
    procedure: str | None = None
    sha256: str | None = None
    signature: dict[str, Any] | None = None
    file: FileCheck | None = None


class UploadOut(Open):
    id: str
    name: str
    mime: str
    size: int
    created_at: str | None
    href: str


# ---- IOC --------------------------------------------------------------------------------------------------


class FeedOut(Open):
    events: list[dict[str, Any]]
    next: int = Field(ge=0, description="`after` của lần đọc sau")


class AckOut(Open):
    id: str
    seq: int
    acked: dict[str, Any] | None


class SummaryOut(Open):
    generated_at: str | None
    totals: dict[str, int]
    agencies: list[dict[str, Any]]


# ---- media types of the routes that do not answer JSON ----------------------------------------------------

PDF = {200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
             "description": "Tệp PDF"}}  # fmt: skip
PEM = {200: {"content": {"application/x-pem-file": {"schema": {"type": "string"}}},
             "description": "Khóa công khai (PEM)"}}  # fmt: skip
UPLOADED = {
    200: {
        "content": {
            kind: {"schema": {"type": "string", "format": "binary"}}
            for kind in ("application/pdf", "image/jpeg", "image/png")
        },
        "description": "Tệp đã tải lên",
    }
}
