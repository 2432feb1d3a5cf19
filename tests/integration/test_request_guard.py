"""Bodies an attacker or a fuzzer sends: refused in the error shape, nothing written; text stored as NFC."""

from __future__ import annotations

import unicodedata

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from engine.store.models import DossierRow
from portal.wiring import Container
from tests.builders import AN, Api, residence_filing


def dossier_count(container: Container) -> int:
    with container.transaction() as uow:
        return int(uow.session.exec(select(func.count()).select_from(DossierRow)).one()[0])


def error_shape(body: dict[str, object]) -> None:
    assert set(body) == {"error", "message", "message_en", "fields"}


def test_a_nul_byte_in_a_text_field_is_refused_on_that_field(api: Api, container: Container) -> None:
    code = api.filed()

    refused = api.post(f"/dossiers/{code}/withdraw", AN, {"reason": "Rút\x00hồ sơ"})

    assert refused.status_code == 422
    error_shape(refused.json())
    assert "reason" in refused.json()["fields"]
    assert "NUL" in refused.json()["fields"]["reason"]["message_en"]
    assert api.dossier(code, AN)["status"]["code"] == 1


def test_a_lone_surrogate_is_refused(api: Api, container: Container) -> None:
    before = dossier_count(container)
    body = '{"procedure": "1.004222", "agency": "H29.12.3", "applicant": {"full_name": "\\ud800"}}'

    refused = api.client.post(
        "/api/v1/dossiers",
        content=body.encode(),
        headers={**api.auth(AN), "content-type": "application/json"},
    )

    assert refused.status_code == 422
    assert "applicant.full_name" in refused.json()["fields"]
    assert dossier_count(container) == before


def test_deeply_nested_json_and_bytes_that_are_not_utf8_answer_in_the_error_shape(client: TestClient) -> None:
    deep = "[" * 10_000 + "]" * 10_000
    nested = client.post("/api/v1/dossiers", content=deep, headers={"content-type": "application/json"})
    assert nested.status_code == 422
    error_shape(nested.json())
    assert "lồng nhau quá sâu" in nested.json()["message"]

    garbage = client.post(
        "/api/v1/dossiers", content=b'{"a": "\xff\xfe"}', headers={"content-type": "application/json"}
    )
    assert garbage.status_code == 422
    error_shape(garbage.json())
    assert garbage.json()["message_en"] == "The request body is not valid UTF-8."


def test_a_body_over_its_cap_is_413_before_the_app_reads_it(api: Api, container: Container) -> None:
    before = dossier_count(container)
    huge = '{"reason": "' + "x" * (2 * 1024 * 1024) + '"}'

    refused = api.client.post(
        "/api/v1/dossiers", content=huge, headers={**api.auth(AN), "content-type": "application/json"}
    )

    assert refused.status_code == 413
    error_shape(refused.json())
    assert "quá lớn" in refused.json()["message"]
    assert dossier_count(container) == before


def test_text_typed_in_nfd_is_stored_as_nfc(api: Api) -> None:
    filing = residence_filing()
    nfd_name = unicodedata.normalize("NFD", "Nguyễn Văn An")
    filing["form"]["applicant"]["full_name"] = nfd_name
    filing["form"]["applicant"]["sex"] = unicodedata.normalize("NFD", filing["form"]["applicant"]["sex"])

    code = api.filed(body=filing)

    detail = api.dossier(code, AN)
    assert detail["form"]["applicant"]["full_name"] == unicodedata.normalize("NFC", "Nguyễn Văn An")
    assert detail["form"]["applicant"]["full_name"] != nfd_name
