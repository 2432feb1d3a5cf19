"""Due-date simulation and version moves over HTTP (/quan-tri/thu-tuc/{code}/mo-phong, …/chuyen-phien-ban)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import select

from engine.store.models import DossierRow
from portal.wiring import Container
from tests.builders import AN, BIRTH, OFFICER, PROPOSE_APPROVE, RESIDENCE, SPECIALIST, Api
from tests.integration.test_versioned_eform import publish_occupation
from tests.portal.conftest import Browse, csrf_of
from tests.versions import LONGER_AND_RENAMED, publish_edited, restore_versions

__all__ = ["restore_versions"]

ADMIN = "quantri"
SIMULATE = f"/quan-tri/thu-tuc/{RESIDENCE}/mo-phong"
MOVE = f"/quan-tri/thu-tuc/{RESIDENCE}/chuyen-phien-ban"
PREVIEW = f"{MOVE}?tu=1&den=2&cach=keep"
NOTE = "Áp dụng quy trình mới theo Quyết định 123/QĐ-UBND"


def field_errors(html: str) -> list[str]:
    """The ids the error summary links to."""
    return re.findall(r'<li><a href="#(f-[^"]+)"', html)


def dossier_id(container: Container, code: str) -> int:
    with container.transaction() as uow:
        row = uow.session.exec(select(DossierRow).where(DossierRow.code == code)).one()
        assert row.id is not None
        return row.id


class TestAccess:
    @pytest.mark.parametrize("path", [SIMULATE, MOVE])
    def test_only_administrators(self, browse: Browse, path: str) -> None:
        anonymous = browse().get(path, follow_redirects=False)
        assert anonymous.status_code == 303
        assert browse(OFFICER).get(path).status_code == 403
        assert browse(AN).get(path).status_code == 403
        assert browse(ADMIN).get(path).status_code == 200

    def test_an_unknown_procedure_is_404(self, browse: Browse) -> None:
        assert browse(ADMIN).get("/quan-tri/thu-tuc/9.999999/mo-phong").status_code == 404

    @pytest.mark.parametrize("path", [f"{SIMULATE}/kich-ban", MOVE])
    def test_posts_need_the_csrf_token_and_an_administrator(self, browse: Browse, path: str) -> None:
        admin = browse(ADMIN)
        assert admin.post(path, data={"tu": "1"}, follow_redirects=False).status_code == 403
        officer = browse(OFFICER)
        token = csrf_of(officer.get("/mot-cua"))
        assert officer.post(path, data={"csrf": token, "tu": "1"}).status_code == 403


class TestSimulation:
    def test_tet_2026_shows_the_appointment_and_each_step(self, browse: Browse) -> None:
        page = browse(ADMIN).get(SIMULATE, params={"ngay": "13/02/2026", "gio": "10:00"})
        assert page.status_code == 200
        assert re.search(r'id="happy-due">[^<]*<strong>10:00 03/03/2026</strong>', page.text)
        assert re.search(r'id="supplement-due">[^<]*<strong>17:00 09/03/2026</strong>', page.text)
        assert "Tết Nguyên Đán" in page.text
        # Appraisal: once on the happy path, twice (interrupted, then again) with the supplement.
        assert page.text.count('data-step="appraisal"') == 3

    def test_in_english(self, browse: Browse) -> None:
        page = browse(ADMIN).get(SIMULATE, params={"ngay": "13/02/2026", "gio": "10:00", "lang": "en"})
        assert page.status_code == 200
        assert "Simulate the due dates" in page.text
        assert "Appointment:" in page.text

    def test_bad_input_is_named_next_to_each_field(self, browse: Browse) -> None:
        page = browse(ADMIN).get(
            SIMULATE,
            params={"ngay": "30/02/2026", "gio": "24:61", "bo-sung-sau": "x", "so-ngay-bo-sung": "5"},
        )
        assert page.status_code == 422
        assert field_errors(page.text) == ["f-day", "f-clock_time", "f-ask_after_hours"]
        assert 'id="f-day-error"' in page.text
        assert 'id="result"' not in page.text

    def test_an_unknown_version_is_a_field_error(self, browse: Browse) -> None:
        page = browse(ADMIN).get(SIMULATE, params={"ngay": "13/02/2026", "gio": "10:00", "phien-ban": "9"})
        assert page.status_code == 422
        assert field_errors(page.text) == ["f-version"]

    def test_the_scenarios_run_from_the_page(self, browse: Browse) -> None:
        admin = browse(ADMIN)
        url = f"/quan-tri/thu-tuc/{BIRTH}/mo-phong"
        done = admin.post(f"{url}/kich-ban", data={"csrf": csrf_of(admin.get(url))})
        assert done.status_code == 200
        assert done.text.count('data-passed="yes"') == 2
        assert 'data-passed="no"' not in done.text


class TestMove:
    def test_dry_run_then_apply_one(
        self, api: Api, browse: Browse, container: Container, restore_versions: None, tmp_path: Path
    ) -> None:
        moving = api.received(at="2026-03-02T09:30")
        stuck = api.received(at="2026-03-02T10:00")
        api.complete_step(stuck, "appraisal", SPECIALIST, PROPOSE_APPROVE)
        publish_edited(container, tmp_path, LONGER_AND_RENAMED)
        admin = browse(ADMIN)

        preview = admin.get(PREVIEW)
        assert preview.status_code == 200
        assert f'data-code="{moving}"' in preview.text
        assert f'data-code="{stuck}"' in preview.text
        assert "Task_Approval" in preview.text  # the refusal's reason
        assert "Câu trả lời chưa khớp biểu mẫu mới" not in preview.text  # same e-form, answers fit

        done = admin.post(
            MOVE,
            data={
                "csrf": csrf_of(preview),
                "tu": "1",
                "den": "2",
                "cach": "keep",
                "ghi-chu": NOTE,
                "mot": str(dossier_id(container, moving)),
            },
        )
        assert done.status_code == 200
        assert re.search(rf'id="moved">{moving}<', done.text)
        # The moved dossier left the list of version 1; the refused one stays.
        assert f'data-code="{moving}"' not in done.text.split('id="history"')[0]
        assert f'data-code="{stuck}"' in done.text
        # The citizen's page shows the move on the timeline.
        citizen = browse(AN).get(f"/ho-so/{moving}")
        assert "Chuyển sang phiên bản 2 của quy trình" in citizen.text
        assert NOTE not in citizen.text  # the administrator's note is for staff

    def test_the_dry_run_warns_of_answers_the_new_e_form_lacks(
        self, api: Api, browse: Browse, container: Container, restore_versions: None
    ) -> None:
        code = api.received(at="2026-03-02T09:30")
        publish_occupation(container)
        admin = browse(ADMIN)

        page = admin.get(PREVIEW)
        assert page.status_code == 200
        row = re.search(rf'data-code="{code}".*?</tr>', page.text, re.S)
        assert row is not None
        assert "Câu trả lời chưa khớp biểu mẫu mới" in row.group(0)
        assert "Vui lòng nhập «Nghề nghiệp»." in row.group(0)
        assert f'name="mot" value="{dossier_id(container, code)}"' in row.group(0)  # still movable

        english = admin.get(PREVIEW + "&lang=en").text
        assert "«Nghề nghiệp» is required." in english
        assert "The answers do not match the new e-form" in english

    def test_the_note_and_a_choice_are_required(
        self, api: Api, browse: Browse, container: Container, restore_versions: None, tmp_path: Path
    ) -> None:
        code = api.received(at="2026-03-02T09:30")
        publish_edited(container, tmp_path, LONGER_AND_RENAMED)
        admin = browse(ADMIN)
        token = csrf_of(admin.get(PREVIEW))
        base = {"csrf": token, "tu": "1", "den": "2", "cach": "keep"}

        no_note = admin.post(MOVE, data={**base, "ghi-chu": "", "hoso": str(dossier_id(container, code))})
        assert no_note.status_code == 422
        assert field_errors(no_note.text) == ["f-note"]

        nothing = admin.post(MOVE, data={**base, "ghi-chu": NOTE, "pham-vi": "chon"})
        assert nothing.status_code == 422
        assert field_errors(nothing.text) == ["f-dossiers"]

        same = admin.post(MOVE, data={**base, "den": "1", "ghi-chu": NOTE, "pham-vi": "tat-ca"})
        assert same.status_code == 422
        assert field_errors(same.text) == ["f-to_version"]
        assert api.dossier(code)["procedure"]["version"] == 1

    def test_a_bad_preview_choice_is_a_field_error(self, browse: Browse) -> None:
        page = browse(ADMIN).get(MOVE, params={"tu": "1", "den": "1", "cach": "keep"})
        assert page.status_code == 422
        assert field_errors(page.text) == ["f-to_version"]


class TestAMovedDossier:
    def test_its_task_page_and_the_counter_mark_the_answers_the_new_e_form_lacks(
        self, api: Api, browse: Browse, container: Container, restore_versions: None
    ) -> None:
        code = api.received(at="2026-03-02T09:30")
        untouched = api.received(at="2026-03-02T10:00")
        publish_occupation(container)
        admin = browse(ADMIN)
        preview = admin.get(PREVIEW)
        data = {"csrf": csrf_of(preview), "tu": "1", "den": "2", "cach": "keep", "ghi-chu": NOTE}
        assert admin.post(MOVE, data={**data, "mot": str(dossier_id(container, code))}).status_code == 200

        task = browse(SPECIALIST).get(f"/cong-viec/{api.task_id(code, 'appraisal')}")
        assert task.status_code == 200
        assert 'id="answers-gaps"' in task.text
        assert "Vui lòng nhập «Nghề nghiệp»." in task.text.split('id="answers"')[1]
        counter = browse(OFFICER).get(f"/mot-cua/{code}")
        assert 'id="answers-gaps"' in counter.text
        english = browse(OFFICER).get(f"/mot-cua/{code}", params={"lang": "en"})
        assert "This dossier was moved to a new version of the process." in english.text

        # A dossier left on version 1 is shown with its own e-form and no warning.
        other = browse(SPECIALIST).get(f"/cong-viec/{api.task_id(untouched, 'appraisal')}")
        assert 'id="answers-gaps"' not in other.text
        assert "Nghề nghiệp" not in other.text
