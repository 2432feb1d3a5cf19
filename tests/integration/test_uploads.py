"""Uploaded papers over HTTP: typed by content, capped, images without EXIF; served only to those who may."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from engine.clock import FixedClock
from engine.upload import sniff
from engine.usecases import uploads as uploads_uc
from portal.wiring import Container
from tests.builders import (
    AN,
    ASK_SUPPLEMENT,
    BINH,
    OFFICER,
    OFFICER_HK,
    SPECIALIST,
    SPECIALIST_HK,
    SUPERVISOR,
    Api,
    error,
    ok,
    residence_filing,
)
from tests.upload_builders import exe, jpeg, pdf, png, post_upload, read_exif

Auth = Callable[[str], dict[str, str]]


def uploaded(
    client: TestClient, auth: Auth, user: str = AN, data: bytes | None = None, name: str = "a.pdf"
) -> str:
    """Upload a file as `user` (a PDF by default); its id."""
    response = post_upload(client, auth(user), data if data is not None else pdf(), name)
    assert response.status_code == 201, response.text
    upload_id: str = response.json()["id"]
    return upload_id


def filed_with(api: Api, upload_id: str, user: str = AN) -> str:
    """An online residence dossier whose proof of residence is the upload."""
    body = residence_filing(
        papers=[{"key": "ct01", "count": 1}, {"key": "residence_proof", "count": 1, "uploads": [upload_id]}]
    )
    return api.filed(user, body)


class TestTheTypeComesFromTheContent:
    def test_a_png_named_pdf_is_stored_and_served_as_png(self, client: TestClient, auth: Auth) -> None:
        response = post_upload(client, auth(AN), png(), "giay-to-nha.pdf", "application/pdf")

        body = ok(response)
        assert response.status_code == 201
        assert body["mime"] == "image/png"
        assert body["name"] == "giay-to-nha.png"
        served = client.get(body["href"], headers=auth(AN))
        assert served.headers["content-type"] == "image/png"
        assert served.headers["content-disposition"].startswith("inline;"), "an image opens in the tab"
        assert sniff(served.content) == "image/png"

    def test_a_program_renamed_pdf_is_refused(self, client: TestClient, auth: Auth) -> None:
        body = error(post_upload(client, auth(AN), exe(), "hop-dong.pdf"), 422, "UploadType")

        assert "PDF, JPEG hoặc PNG" in body["fields"]["file"]["message"]

    def test_an_empty_file_is_refused(self, client: TestClient, auth: Auth) -> None:
        error(post_upload(client, auth(AN), b"", "rong.pdf"), 422, "UploadInvalid")

    def test_a_pdf_keeps_its_bytes_and_a_safe_name(self, client: TestClient, auth: Auth) -> None:
        body = ok(post_upload(client, auth(AN), pdf(), "../../etc/Hợp đồng <thuê> nhà.PDF"))

        assert body["name"] == "Hợp đồng _thuê_ nhà.pdf"
        assert client.get(body["href"], headers=auth(AN)).content == pdf()


class TestTheSizeLimit:
    def test_a_file_over_the_limit_is_413_with_a_field_error(
        self, client: TestClient, auth: Auth, container: Container
    ) -> None:
        container.services.upload_max_bytes = 4096

        body = error(post_upload(client, auth(AN), pdf(padding=5000), "lon.pdf"), 413, "UploadTooLarge")

        assert "MB" in body["fields"]["file"]["message"]

    def test_a_file_at_the_limit_is_kept(self, client: TestClient, auth: Auth, container: Container) -> None:
        container.services.upload_max_bytes = 4096
        data = pdf()
        data += b"%" * (4096 - len(data))

        assert ok(post_upload(client, auth(AN), data, "vua.pdf"))["size"] == 4096


class TestImagesAreReEncoded:
    def test_a_photo_loses_its_gps_and_camera_exif(self, client: TestClient, auth: Auth) -> None:
        original = jpeg()
        assert read_exif(original), "the test photo carries EXIF"

        body = ok(post_upload(client, auth(AN), original, "anh-chup.jpg", "image/jpeg"))
        served = client.get(body["href"], headers=auth(AN)).content

        assert read_exif(served) == {}
        assert served != original
        with Image.open(__import__("io").BytesIO(served)) as image:
            assert image.size == (64, 48)

    def test_a_png_loses_its_exif_chunk(self, client: TestClient, auth: Auth) -> None:
        body = ok(post_upload(client, auth(AN), png(), "scan.png", "image/png"))

        assert read_exif(client.get(body["href"], headers=auth(AN)).content) == {}

    def test_a_broken_image_is_refused(self, client: TestClient, auth: Auth) -> None:
        error(post_upload(client, auth(AN), png()[:40], "hong.png", "image/png"), 422, "UploadInvalid")


class TestTheStore:
    def test_the_file_is_stored_by_its_hash_outside_the_web_root(
        self, client: TestClient, auth: Auth, container: Container
    ) -> None:
        ok(post_upload(client, auth(AN), pdf(), "a.pdf"))

        digest = hashlib.sha256(pdf()).hexdigest()
        stored = container.settings.data_dir / "uploads" / digest[:2] / digest
        assert stored.read_bytes() == pdf()
        assert not list(stored.parent.glob(".incoming-*")), "no temporary file is left behind"

    def test_two_uploads_of_the_same_bytes_are_two_ids_and_one_file(
        self, client: TestClient, auth: Auth, container: Container
    ) -> None:
        first, second = uploaded(client, auth), uploaded(client, auth)

        assert first != second
        assert len(list((container.settings.data_dir / "uploads").rglob("*"))) == 2  # one folder, one file


class TestTheDailyCap:
    def test_past_the_cap_uploads_are_refused_until_a_day_has_passed(
        self, client: TestClient, auth: Auth, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(uploads_uc, "DAILY_CAP", 2)
        uploaded(client, auth)
        uploaded(client, auth)

        error(post_upload(client, auth(AN), pdf(), "a.pdf"), 409, "UploadLimit")
        assert post_upload(client, auth(BINH), pdf(), "a.pdf").status_code == 201, "the cap is per owner"
        clock.advance(timedelta(days=1, minutes=1))
        assert post_upload(client, auth(AN), pdf(), "a.pdf").status_code == 201


class TestWhoMayUpload:
    def test_a_specialist_may_not_upload(self, client: TestClient, auth: Auth) -> None:
        error(post_upload(client, auth(SPECIALIST), pdf(), "a.pdf"), 403)

    def test_anonymous_is_401(self, client: TestClient) -> None:
        assert post_upload(client, {}, pdf(), "a.pdf").status_code == 401

    def test_a_request_without_a_file_is_a_field_error(self, client: TestClient, auth: Auth) -> None:
        body = error(client.post("/api/v1/uploads", headers=auth(AN), data={"x": "y"}), 422)

        assert "file" in body["fields"]


class TestWhoMayDownload:
    def test_the_uploader_gets_it_with_headers_that_keep_the_browser_safe(
        self, client: TestClient, auth: Auth
    ) -> None:
        upload_id = uploaded(client, auth, name="Giấy xác nhận.pdf")

        response = client.get(f"/api/v1/uploads/{upload_id}", headers=auth(AN))

        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"].startswith("sandbox")
        assert response.headers["content-disposition"].startswith("attachment;"), "a PDF is downloaded"
        assert (
            "filename*=UTF-8''Gi%E1%BA%A5y%20x%C3%A1c%20nh%E1%BA%ADn.pdf"
            in response.headers["content-disposition"]
        )

    def test_another_citizen_gets_404(self, client: TestClient, auth: Auth) -> None:
        upload_id = uploaded(client, auth)

        error(client.get(f"/api/v1/uploads/{upload_id}", headers=auth(BINH)), 404, "UploadNotFound")

    def test_an_unknown_id_is_the_same_404(self, client: TestClient, auth: Auth) -> None:
        error(client.get("/api/v1/uploads/khong-co-tep-nay-1234", headers=auth(AN)), 404, "UploadNotFound")

    def test_staff_read_it_only_once_a_dossier_of_their_agency_references_it(
        self, api: Api, client: TestClient, auth: Auth
    ) -> None:
        upload_id = uploaded(client, auth)
        assert client.get(f"/api/v1/uploads/{upload_id}", headers=auth(OFFICER)).status_code == 404

        filed_with(api, upload_id)

        for user in (OFFICER, SPECIALIST):
            assert client.get(f"/api/v1/uploads/{upload_id}", headers=auth(user)).status_code == 200, user

    def test_staff_of_another_agency_and_supervisors_get_404(
        self, api: Api, client: TestClient, auth: Auth
    ) -> None:
        upload_id = uploaded(client, auth)
        filed_with(api, upload_id)

        for user in (OFFICER_HK, SPECIALIST_HK, SUPERVISOR):
            error(client.get(f"/api/v1/uploads/{upload_id}", headers=auth(user)), 404)


class TestPapersReferenceUploads:
    def test_the_dossier_lists_the_files_of_each_paper(
        self, api: Api, client: TestClient, auth: Auth
    ) -> None:
        upload_id = uploaded(client, auth)

        code = filed_with(api, upload_id)

        papers = {p["key"]: p for p in api.dossier(code, AN)["papers"]}
        assert papers["residence_proof"]["uploads"] == [upload_id]
        assert "uploads" not in papers["ct01"]

    def test_a_file_uploaded_by_someone_else_is_refused_and_nothing_is_filed(
        self, api: Api, client: TestClient, auth: Auth
    ) -> None:
        theirs = uploaded(client, auth, user=BINH)
        body = residence_filing(papers=[{"key": "residence_proof", "uploads": [theirs]}])

        refused = error(api.file(AN, body), 422, "DossierInvalid")

        assert "papers[0].uploads" in refused["fields"]
        assert ok(api.get("/dossiers", AN)) == []
        assert client.get(f"/api/v1/uploads/{theirs}", headers=auth(OFFICER)).status_code == 404

    def test_filing_without_uploads_still_works_as_before(self, api: Api) -> None:
        code = api.filed()

        assert [p["key"] for p in api.dossier(code, AN)["papers"]] == ["ct01", "residence_proof"]

    def test_a_supplement_hands_in_a_file_the_officer_can_open(
        self, api: Api, client: TestClient, auth: Auth
    ) -> None:
        code = api.received(at="2026-03-02T09:30")
        api.at("2026-03-03T09:30")
        api.complete_step(code, "appraisal", SPECIALIST, ASK_SUPPLEMENT)
        upload_id = uploaded(client, auth, data=jpeg(), name="hop-dong.jpg")

        api.at("2026-03-04T09:30")
        supply = {"note": "Hợp đồng mới", "papers": [{"paper": "Hợp đồng thuê nhà", "uploads": [upload_id]}]}
        detail = ok(api.post(f"/dossiers/{code}/supplement", AN, supply))

        assert detail["status"]["code"] == 4
        assert client.get(f"/api/v1/uploads/{upload_id}", headers=auth(SPECIALIST)).status_code == 200

    def test_a_supplement_with_someone_elses_file_is_refused(
        self, api: Api, client: TestClient, auth: Auth
    ) -> None:
        code = api.received(at="2026-03-02T09:30")
        api.at("2026-03-03T09:30")
        api.complete_step(code, "appraisal", SPECIALIST, ASK_SUPPLEMENT)
        theirs = uploaded(client, auth, user=BINH)

        supply = {"papers": [{"paper": "Hợp đồng thuê nhà", "uploads": [theirs]}]}
        body = error(api.post(f"/dossiers/{code}/supplement", AN, supply), 422)

        assert "papers[0].uploads" in body["fields"]
        assert api.dossier(code, AN)["status"]["code"] == 5
