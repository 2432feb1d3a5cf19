"""The lookup service's JSON, modelled on the national data-sharing platform; shared by client and simulator.

Request (`POST {base}/cong-dan/tra-cuu`, `Authorization: Bearer <token>`, `X-Request-ID: <maYeuCau>`):
`{"maYeuCau", "soDinhDanh", "hoVaTen"?, "ngaySinh"? (dd/mm/yyyy), "canBo": {"maDinhDanh", "hoTen",
"vaiTro", "maDonVi"?}, "dichVu": {"ma", "ten"}, "mucDich"}`.

Answer (200): `{"maYeuCau", "ketQua": "TIM_THAY" | "KHONG_TIM_THAY" | "KHONG_KHOP", "truongKhongKhop": [...],
"congDan": {...} | null}`; the person's fields are Vietnamese camelCase names, sex is 1 (Nam) or 2 (Nữ),
dates dd/mm/yyyy. Decoding is strict: anything missing or of the wrong type is a `Malformed` answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from engine.residents.registry import (
    Address,
    LookupRequest,
    LookupResult,
    LookupStatus,
    Relative,
    Requester,
    Resident,
)

LOOKUP_PATH = "/cong-dan/tra-cuu"
STATUS_CODES = {
    LookupStatus.FOUND: "TIM_THAY",
    LookupStatus.NOT_FOUND: "KHONG_TIM_THAY",
    LookupStatus.MISMATCH: "KHONG_KHOP",
}
FIELD_CODES = {"full_name": "hoVaTen", "date_of_birth": "ngaySinh"}
SEX_CODES = {"Nam": 1, "Nữ": 2}
_NUMBER = re.compile(r"^([0-9]{12}|[0-9]{9})$")


class Malformed(ValueError):
    """A body that does not follow the format (the message names the field, never its value)."""


def _day(value: date | None) -> str | None:
    return f"{value:%d/%m/%Y}" if value else None


def _parse_day(value: object, where: str) -> date:
    if not isinstance(value, str):
        raise Malformed(f"{where}: expected a dd/mm/yyyy string")
    try:
        return datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError as exc:
        raise Malformed(f"{where}: not a dd/mm/yyyy date") from exc


def _text(data: Mapping[str, Any], key: str, where: str, *, optional: bool = False) -> Any:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise Malformed(f"{where}.{key}: expected a non-empty string")
    return value


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Malformed(f"{where}: expected an object")
    return value


# --- requests ---------------------------------------------------------------------------------------------


def encode_request(request: LookupRequest) -> dict[str, Any]:
    """The request body."""
    who = request.requester
    return {
        "maYeuCau": request.request_id,
        "soDinhDanh": request.identity_number,
        "hoVaTen": request.full_name,
        "ngaySinh": _day(request.date_of_birth),
        "canBo": {"maDinhDanh": who.subject, "hoTen": who.name, "vaiTro": who.role, "maDonVi": who.agency},
        "dichVu": {"ma": request.service_code, "ten": request.service_name},
        "mucDich": request.purpose,
    }


def decode_request(body: object) -> LookupRequest:
    """Read a request body (the simulator's side); Malformed when it does not follow the format."""
    data = _object(body, "body")
    number = _text(data, "soDinhDanh", "body")
    if not _NUMBER.fullmatch(number):
        raise Malformed("body.soDinhDanh: expected 12 digits (or 9 for a legacy ID)")
    who = _object(data.get("canBo"), "body.canBo")
    service = _object(data.get("dichVu"), "body.dichVu")
    born = data.get("ngaySinh")
    return LookupRequest(
        request_id=_text(data, "maYeuCau", "body"),
        identity_number=number,
        requester=Requester(
            subject=_text(who, "maDinhDanh", "body.canBo"),
            name=_text(who, "hoTen", "body.canBo"),
            role=_text(who, "vaiTro", "body.canBo"),
            agency=_text(who, "maDonVi", "body.canBo", optional=True),
        ),
        service_code=_text(service, "ma", "body.dichVu"),
        service_name=_text(service, "ten", "body.dichVu"),
        purpose=_text(data, "mucDich", "body"),
        full_name=_text(data, "hoVaTen", "body", optional=True),
        date_of_birth=_parse_day(born, "body.ngaySinh") if born is not None else None,
    )


# --- answers ----------------------------------------------------------------------------------------------


def _address(a: Address) -> dict[str, Any]:
    return {
        "maTinh": a.province_code,
        "tenTinh": a.province_name,
        "maXa": a.commune_code,
        "tenXa": a.commune_name,
        "tenHuyen": a.district_name,
        "chiTiet": a.detail,
    }


def _relative(r: Relative | None) -> dict[str, Any] | None:
    return None if r is None else {"hoVaTen": r.full_name, "soDinhDanh": r.identity_number}


def encode_resident(r: Resident) -> dict[str, Any]:
    """A person as the service sends them."""
    return {
        "soDinhDanh": r.identity_number,
        "soCMND": r.legacy_id_number,
        "hoVaTen": r.full_name,
        "gioiTinh": SEX_CODES[r.sex],
        "ngaySinh": _day(r.date_of_birth),
        "danToc": r.ethnicity,
        "tonGiao": r.religion,
        "quocTich": r.nationality,
        "tinhTrangHonNhan": r.marital_status,
        "noiDangKyKhaiSinh": r.birth_registration_place,
        "queQuan": r.home_town,
        "thuongTru": _address(r.permanent_address),
        "noiOHienTai": _address(r.current_address),
        "cha": _relative(r.father),
        "me": _relative(r.mother),
        "voChong": _relative(r.spouse),
        "chuHo": _relative(r.household_head),
        "quanHeVoiChuHo": r.relation_to_head,
    }


def encode_result(request_id: str, result: LookupResult) -> dict[str, Any]:
    """The answer body."""
    return {
        "maYeuCau": request_id,
        "ketQua": STATUS_CODES[result.status],
        "truongKhongKhop": [FIELD_CODES[f] for f in result.mismatched],
        "congDan": encode_resident(result.resident) if result.resident else None,
    }


def _decode_address(value: object, where: str) -> Address:
    a = _object(value, where)
    return Address(
        province_code=_text(a, "maTinh", where),
        province_name=_text(a, "tenTinh", where),
        commune_code=_text(a, "maXa", where),
        commune_name=_text(a, "tenXa", where),
        detail=_text(a, "chiTiet", where),
        district_name=_text(a, "tenHuyen", where, optional=True),
    )


def _decode_relative(value: object, where: str) -> Relative | None:
    if value is None:
        return None
    r = _object(value, where)
    return Relative(_text(r, "hoVaTen", where), _text(r, "soDinhDanh", where, optional=True))


def decode_resident(value: object) -> Resident:
    """Read a person (the client's side); Malformed when a field is missing or of the wrong type."""
    where = "congDan"
    p = _object(value, where)
    sex = {code: name for name, code in SEX_CODES.items()}.get(p.get("gioiTinh"))  # type: ignore[arg-type]
    if sex is None:
        raise Malformed(f"{where}.gioiTinh: expected 1 (Nam) or 2 (Nữ)")
    number = _text(p, "soDinhDanh", where)
    if not _NUMBER.fullmatch(number) or len(number) != 12:
        raise Malformed(f"{where}.soDinhDanh: expected 12 digits")
    return Resident(
        identity_number=number,
        legacy_id_number=_text(p, "soCMND", where, optional=True),
        full_name=_text(p, "hoVaTen", where),
        sex=sex,
        date_of_birth=_parse_day(p.get("ngaySinh"), f"{where}.ngaySinh"),
        ethnicity=_text(p, "danToc", where),
        religion=_text(p, "tonGiao", where),
        nationality=_text(p, "quocTich", where),
        marital_status=_text(p, "tinhTrangHonNhan", where),
        birth_registration_place=_text(p, "noiDangKyKhaiSinh", where),
        home_town=_text(p, "queQuan", where),
        permanent_address=_decode_address(p.get("thuongTru"), f"{where}.thuongTru"),
        current_address=_decode_address(p.get("noiOHienTai"), f"{where}.noiOHienTai"),
        relation_to_head=_text(p, "quanHeVoiChuHo", where),
        father=_decode_relative(p.get("cha"), f"{where}.cha"),
        mother=_decode_relative(p.get("me"), f"{where}.me"),
        spouse=_decode_relative(p.get("voChong"), f"{where}.voChong"),
        household_head=_decode_relative(p.get("chuHo"), f"{where}.chuHo"),
    )


def decode_result(body: object, request_id: str) -> LookupResult:
    """Read an answer; Malformed when it is not one, or answers another request."""
    data = _object(body, "body")
    if data.get("maYeuCau") != request_id:
        raise Malformed("body.maYeuCau: the answer is for another request")
    status = {code: s for s, code in STATUS_CODES.items()}.get(data.get("ketQua"))  # type: ignore[arg-type]
    if status is None:
        raise Malformed("body.ketQua: expected TIM_THAY, KHONG_TIM_THAY or KHONG_KHOP")
    if status is LookupStatus.FOUND:
        return LookupResult(status, decode_resident(data.get("congDan")))
    if status is LookupStatus.MISMATCH:
        fields = data.get("truongKhongKhop")
        names = {code: name for name, code in FIELD_CODES.items()}
        if not isinstance(fields, list) or not fields or any(f not in names for f in fields):
            raise Malformed("body.truongKhongKhop: expected a non-empty list of hoVaTen, ngaySinh")
        return LookupResult(status, mismatched=tuple(names[f] for f in fields))
    return LookupResult(status)
