"""Text has a length by meaning (engine/limits.py), the OpenAPI says what the server enforces, every error is
in the project's shape: each case written as the bad input, asserting the status, the shape and that nothing
changed."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import Response

from engine import limits
from portal.api.models import ErrorOut
from portal.app import create_app
from portal.wiring import Container
from tests.builders import AN, OFFICER, Api, error, residence_filing, row_counts

SHAPE = {"error", "message", "message_en", "fields"}


def shaped(response: Response, status: int, field: str | None = None) -> dict[str, Any]:
    body = error(response, status)
    assert set(body) == SHAPE, body
    ErrorOut.model_validate(body)
    if field is not None:
        assert field in body["fields"], body
    return body


class TestTextLengths:
    def test_a_withdrawal_reason_over_its_limit_is_422_and_the_dossier_stays(
        self, api: Api, container: Container
    ) -> None:
        code = api.filed()
        rows = row_counts(container)

        response = api.post(f"/dossiers/{code}/withdraw", AN, {"reason": "x" * (limits.REASON + 1)})

        body = shaped(response, 422, "reason")
        assert str(limits.REASON) in body["fields"]["reason"]["message"]
        assert row_counts(container) == rows
        assert api.dossier(code, AN)["status"]["code"] == 1

    def test_an_extension_reason_of_100000_characters_is_422(self, api: Api, container: Container) -> None:
        code = api.received()
        rows = row_counts(container)
        body = {"reason": "chậm " * 20_000, "new_due_at": "2026-03-20T16:00:00+07:00"}

        response = api.post(f"/dossiers/{code}/extension", "lanhdao.badinh", body)

        shaped(response, 422, "reason")
        assert row_counts(container) == rows

    @pytest.mark.parametrize(
        ("field", "limit"),
        [("address", limits.ADDRESS), ("full_name", limits.NAME), ("email", limits.EMAIL)],
    )
    def test_an_applicant_field_over_its_limit_files_nothing(
        self, api: Api, container: Container, field: str, limit: int
    ) -> None:
        filing = residence_filing()
        filing["applicant"][field] = "a" * (limit + 1)
        rows = row_counts(container)

        response = api.post("/dossiers", AN, filing)

        said = shaped(response, 422, f"applicant.{field}")["fields"][f"applicant.{field}"]
        assert said["message"] == f"Quá dài: tối đa {limit} ký tự (đã nhập {limit + 1})."
        assert said["message_en"] == f"Too long: at most {limit} characters ({limit + 1} given)."
        assert row_counts(container) == rows

    def test_a_note_on_an_ioc_acknowledgement_over_its_limit_is_422(self, api: Api) -> None:
        response = api.post(
            "/ioc/events/00000000-0000-4000-8000-000000000000/ack", "ioc.hanoi", {"note": "n" * 2001}
        )

        shaped(response, 422, "note")

    def test_any_text_longer_than_any_text_may_be_is_refused_by_the_guard(
        self, api: Api, container: Container
    ) -> None:
        filing = residence_filing()
        filing["form"]["reason"] = "y" * (limits.TEXT + 1)
        rows = row_counts(container)

        response = api.post("/dossiers", AN, filing)

        shaped(response, 422, "form.reason")
        assert row_counts(container) == rows

    def test_the_engine_refuses_the_same_reason_for_every_caller(self) -> None:
        assert limits.check_lengths({"reason": ("r" * limits.REASON, limits.REASON)}) == {}
        problems = limits.check_lengths({"reason": ("r" * (limits.REASON + 1), limits.REASON)})
        assert (
            problems["reason"].message_en
            == f"Too long: at most {limits.REASON} characters ({limits.REASON + 1} given)."
        )


class TestParametersAndBodies:
    @pytest.mark.parametrize(
        ("path", "field"),
        [
            ("/dossiers/not-a-code", "code"),
            ("/dossiers/H29.12.3-260302-0001%00", "code"),
            ("/procedures/" + "1" * 36, "code"),
            ("/agencies/h29/register/2026", "agency"),
        ],
    )
    def test_a_malformed_path_parameter_is_422_on_it(self, api: Api, path: str, field: str) -> None:
        shaped(api.get(path, OFFICER), 422, field)

    def test_a_multipart_body_with_too_many_parts_is_422_not_a_bare_400(
        self, api: Api, container: Container
    ) -> None:
        files = {f"f{i}": (f"{i}.txt", b"x", "text/plain") for i in range(7)}
        rows = row_counts(container)

        response = api.client.post("/api/v1/uploads", files=files, headers=api.auth(AN))

        shaped(response, 422, "file")
        assert row_counts(container) == rows

    def test_a_bad_idempotency_key_is_named_by_the_header(self, api: Api) -> None:
        response = api.client.post(
            "/api/v1/dossiers",
            json=residence_filing(),
            headers={**api.auth(AN), "Idempotency-Key": "k" * 101},
        )

        shaped(response, 422, "Idempotency-Key")


class TestMethodNotAllowed:
    def test_405_lists_every_method_of_the_path_in_allow(self, api: Api) -> None:
        response = api.client.put("/api/v1/verify?ma=H29.12.3-260302-0001&h=" + "0" * 64)

        body = shaped(response, 405)
        assert body["error"] == "MethodNotAllowed"
        assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}

    def test_405_on_a_dossier_lists_get(self, api: Api) -> None:
        response = api.client.delete("/api/v1/dossiers/H29.12.3-260302-0001", headers=api.auth(AN))

        shaped(response, 405)
        assert set(response.headers["allow"].split(", ")) == {"GET"}


class TestOpenApi:
    @pytest.fixture
    def spec(self, container: Container) -> dict[str, Any]:
        schema: dict[str, Any] = create_app(container.settings, container).openapi()
        return schema

    def test_every_operation_types_its_success_and_its_errors(self, spec: dict[str, Any]) -> None:
        untyped = []
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                responses = operation["responses"]
                success = next(code for code in responses if code.startswith("2"))
                content = responses[success].get("content", {})
                if not any(media.get("schema") for media in content.values()):
                    untyped.append(f"{method.upper()} {path} {success}")
                for code, answer in responses.items():
                    if code.startswith("4"):
                        ref = answer["content"]["application/json"]["schema"]["$ref"]
                        assert ref.endswith("/ErrorOut"), (path, code)
        assert untyped == []

    def test_writes_document_their_errors_and_the_idempotency_key_pattern(self, spec: dict[str, Any]) -> None:
        withdraw = spec["paths"]["/api/v1/dossiers/{code}/withdraw"]["post"]

        assert {"401", "403", "404", "409", "413", "422"} <= set(withdraw["responses"])
        key = next(p for p in withdraw["parameters"] if p["name"] == "Idempotency-Key")
        assert key["schema"]["pattern"] == "^[!-~]{1,100}$"
        code = next(p for p in withdraw["parameters"] if p["name"] == "code")
        assert code["schema"]["pattern"].startswith("^[0-9A-Z]+")

    def test_verify_states_the_parameter_forms_the_server_checks(self, spec: dict[str, Any]) -> None:
        params = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/verify"]["get"]["parameters"]}

        assert params["h"]["pattern"] == "^[0-9a-fA-F]{64}$"
        assert params["ma"]["maxLength"] == limits.DOSSIER_CODE
        assert "pattern" in params["ma"]

    def test_limits_and_ids_are_bounded_in_the_schema(self, spec: dict[str, Any]) -> None:
        params = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/dossiers"]["get"]["parameters"]}

        assert params["limit"]["minimum"] == 1
        assert params["limit"]["maximum"] == 200
        before = params["before_id"]["anyOf"][0]
        assert before["maximum"] == 2**31 - 1


class TestWholeFileBodies:
    def test_a_pdf_sent_whole_to_verify_may_be_larger_than_a_json_body(self, api: Api) -> None:
        code = api.received()
        receipt = api.dossier(code)["documents"][0]
        query = f"ma={code}&h={receipt['content_hash']}"

        response = api.client.post(
            f"/api/v1/verify?{query}",
            content=b"%PDF" + b"0" * (2 * 1024 * 1024),
            headers={"content-type": "application/pdf"},
        )

        assert response.status_code == 200, response.text
        assert response.json()["file"]["match"] is False

    def test_a_json_body_over_its_cap_is_413_and_files_nothing(self, api: Api, container: Container) -> None:
        filing = residence_filing()
        filing["form"]["padding"] = ["p" * 1000] * 1100
        rows = row_counts(container)

        shaped(api.post("/dossiers", AN, filing), 413)
        assert row_counts(container) == rows
