"""Administrators' pages for agencies and the calendar (/quan-tri/co-quan, /quan-tri/lich) over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlmodel import select

from engine.store.models import AdminChangeRow, AgencyRow, CalendarExceptionRow
from portal.wiring import Container
from tests.builders import BA_DINH, OFFICER, Api, notices
from tests.portal.conftest import Browse, csrf_of, post_form

ADMIN = "quantri"
AGENCY = {
    "code": "H29.12.9",
    "name": "UBND phường Ngọc Hà",
    "level": "commune",
    "parent_code": "",
    "province_code": "01",
    "address": "Số 25 phố Liễu Giai, phường Ngọc Hà, thành phố Hà Nội",
    "phone": "024 3834 0000",
    "office_hours": "07:30-11:30,13:00-17:00",
    "cutoff": "16:00",
    "has_counter": "1",
    "staff_groups": "/agencies/ngoc-ha\n/agencies/ngoc-ha/mot-cua",
}
HOLIDAY = {
    "day": "10/03/2026",
    "kind": "COMPENSATORY_OFF",
    "name": "Nghỉ bù",
    "source": "Công văn 1234/LĐTBXH-CV",
    "scope": "national",
}


@pytest.fixture
def restore_agencies(container: Container) -> Iterator[None]:
    """Agencies are seeded once: put back what a test edits, drop what it adds."""
    with container.transaction() as uow:
        saved = {r.code: r.model_dump() for r in uow.session.exec(select(AgencyRow)).all()}
    yield
    with container.engine.begin() as conn:
        for table in ("deadline_shift", "admin_change", "calendar_exception"):
            conn.execute(text(f"DELETE FROM {table}"))
    with container.transaction() as uow:
        for row in uow.session.exec(select(AgencyRow)).all():
            if row.code not in saved:
                uow.session.delete(row)
            else:
                for key, value in saved[row.code].items():
                    setattr(row, key, value)
                uow.session.add(row)


def field_errors(html: str) -> list[str]:
    """The ids the error summary links to."""
    return re.findall(r'<li><a href="#(f-[^"]+)"', html)


class TestAccess:
    @pytest.mark.parametrize(
        "path", ["/quan-tri/co-quan", "/quan-tri/co-quan/moi", "/quan-tri/lich", "/quan-tri/lich/moi"]
    )
    def test_only_administrators(self, browse: Browse, path: str) -> None:
        anonymous = browse().get(path, follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith(f"/dang-nhap?next={path}")
        assert browse(OFFICER).get(path).status_code == 403
        assert browse(ADMIN).get(path).status_code == 200

    def test_a_post_without_the_csrf_token_is_refused(self, browse: Browse) -> None:
        client = browse(ADMIN)
        refused = client.post("/quan-tri/co-quan/moi", data=AGENCY, follow_redirects=False)
        assert refused.status_code == 403

    def test_an_officer_cannot_post_either(self, browse: Browse) -> None:
        client = browse(OFFICER)
        token = csrf_of(client.get("/ho-so"))
        refused = client.post("/quan-tri/lich/moi", data={"csrf": token, **HOLIDAY}, follow_redirects=False)
        assert refused.status_code == 403


class TestAgencies:
    def test_list_create_and_edit(self, browse: Browse, container: Container, restore_agencies: None) -> None:
        client = browse(ADMIN)
        page = client.get("/quan-tri/co-quan")
        assert 'data-code="H29.12.3"' in page.text
        assert "UBND phường Ba Đình" in page.text

        created = post_form(client, "/quan-tri/co-quan/moi", AGENCY)

        assert created.status_code == 303
        assert created.headers["location"] == "/quan-tri/co-quan?xong=them"
        with container.transaction() as uow:
            row = uow.session.get(AgencyRow, "H29.12.9")
            assert row is not None
            assert (row.cutoff, row.staff_groups, row.has_counter) == (
                "16:00",
                ["/agencies/ngoc-ha", "/agencies/ngoc-ha/mot-cua"],
                True,
            )
        edited = post_form(
            client, "/quan-tri/co-quan/H29.12.9", {**AGENCY, "phone": "024 3834 1111", "has_counter": ""}
        )
        assert edited.headers["location"] == "/quan-tri/co-quan?xong=luu"  # no timing change: saved at once
        form = client.get("/quan-tri/co-quan/H29.12.9").text
        assert 'value="024 3834 1111"' in form
        with container.transaction() as uow:
            kinds = [c.kind for c in uow.session.exec(select(AdminChangeRow)).all()]
        assert kinds == ["agency_create", "agency_edit"]  # who did what is recorded

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"code": "H29 12 9"}, "f-code"),
            ({"code": "H29.12.3"}, "f-code"),  # exists
            ({"name": ""}, "f-name"),
            ({"level": "galaxy"}, "f-level"),
            ({"parent_code": "NO.SUCH"}, "f-parent_code"),
            ({"province_code": "1"}, "f-province_code"),
            ({"phone": "call me"}, "f-phone"),
            ({"office_hours": "13:00-11:00"}, "f-office_hours"),
            ({"office_hours": "07:30-11:30,11:00-17:00"}, "f-office_hours"),
            ({"office_hours": "03:00-11:30"}, "f-office_hours"),
            ({"cutoff": "25:00"}, "f-cutoff"),
            ({"cutoff": "18:00"}, "f-cutoff"),  # after closing
            ({"staff_groups": "agencies without slash"}, "f-staff_groups"),
        ],
    )
    def test_bad_input_is_shown_on_its_field_and_nothing_is_written(
        self, browse: Browse, container: Container, restore_agencies: None, change: dict[str, str], field: str
    ) -> None:
        client = browse(ADMIN)

        refused = post_form(client, "/quan-tri/co-quan/moi", {**AGENCY, **change})

        assert refused.status_code == 422
        assert field in field_errors(refused.text)
        assert f'id="{field}-error"' in refused.text
        with container.transaction() as uow:
            assert uow.session.get(AgencyRow, "H29.12.9") is None

    def test_new_office_hours_go_through_the_dry_run_first(
        self, browse: Browse, api: Api, container: Container, restore_agencies: None
    ) -> None:
        code = api.received(at="2026-03-02T09:30")
        client = browse(ADMIN)
        form = client.get(f"/quan-tri/co-quan/{BA_DINH}").text
        assert 'value="07:30-11:30,13:00-17:00"' in form
        data = {
            **AGENCY,
            "code": BA_DINH,
            "name": "UBND phường Ba Đình",
            "cutoff": "09:00",
            "staff_groups": "/agencies/ba-dinh",
        }

        saved = post_form(client, f"/quan-tri/co-quan/{BA_DINH}", data)

        assert saved.status_code == 303
        assert saved.headers["location"].startswith("/quan-tri/lich/thay-doi/")
        preview = client.get(saved.headers["location"])
        assert f'data-code="{code}"' in preview.text
        assert "09:30 11/03/2026" in preview.text  # old due time
        with container.transaction() as uow:
            agency = uow.session.get(AgencyRow, BA_DINH)
            assert agency is not None
            assert agency.cutoff is None  # not before it is applied


class TestCalendar:
    def test_add_a_holiday_preview_apply_and_the_citizen_is_told(
        self, browse: Browse, api: Api, container: Container, restore_agencies: None
    ) -> None:
        code = api.received(at="2026-03-02T09:30")
        client = browse(ADMIN)

        drafted = post_form(client, "/quan-tri/lich/moi", HOLIDAY)

        assert drafted.status_code == 303
        change_url = drafted.headers["location"]
        preview = client.get(change_url)
        assert f'data-code="{code}"' in preview.text
        assert "09:30 11/03/2026" in preview.text
        assert "09:30 12/03/2026" in preview.text
        with container.transaction() as uow:
            assert (
                uow.session.exec(
                    select(CalendarExceptionRow).where(CalendarExceptionRow.name == "Nghỉ bù")
                ).first()
                is None
            )
        applied = client.post(
            f"{change_url}/ap-dung", data={"csrf": csrf_of(preview)}, follow_redirects=False
        )
        assert applied.status_code == 303
        done = client.get(change_url)
        assert "Đã áp dụng" in done.text
        assert f'data-code="{code}"' in done.text
        assert api.dossier(code)["deadline"]["due_at"] == "2026-03-12T09:30:00+07:00"
        assert ("due_moved", code, "nguyenvanan@example.vn") in notices(container, "email")
        listing = client.get("/quan-tri/lich?nam=2026")
        assert 'data-day="2026-03-10"' in listing.text
        assert "Công văn 1234/LĐTBXH-CV" in listing.text
        # Applying again moves nothing and tells nobody twice.
        client.post(f"{change_url}/ap-dung", data={"csrf": csrf_of(done)}, follow_redirects=False)
        assert notices(container, "email").count(("due_moved", code, "nguyenvanan@example.vn")) == 1

    def test_the_citizen_reads_why_on_their_dossier_page(
        self, browse: Browse, api: Api, container: Container, restore_agencies: None
    ) -> None:
        code = api.received(at="2026-03-02T09:30")
        client = browse(ADMIN)
        change_url = post_form(client, "/quan-tri/lich/moi", HOLIDAY).headers["location"]
        client.post(f"{change_url}/ap-dung", data={"csrf": csrf_of(client.get(change_url))})

        page = browse("nguyenvanan").get(f"/ho-so/{code}")

        assert "Hạn giải quyết dời từ 09:30 ngày 11/03/2026 sang 09:30 ngày 12/03/2026" in page.text
        assert "Công văn 1234/LĐTBXH-CV" in page.text

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"day": "31/02/2026"}, "f-day"),
            ({"day": "tomorrow"}, "f-day"),
            ({"day": "10/03/2040"}, "f-day"),
            ({"kind": ""}, "f-kind"),
            ({"day": "07/03/2026"}, "f-day"),  # Saturday: already a day off
            ({"kind": "MAKEUP_WORKDAY"}, "f-kind"),  # Tuesday: already a working day
            ({"name": ""}, "f-name"),
            ({"source": "x"}, "f-source"),
            ({"scope": ""}, "f-scope"),
            ({"scope": "province", "province_code": "99"}, "f-scope_code"),
            ({"scope": "agency", "agency_code": "NO.SUCH"}, "f-scope_code"),
        ],
    )
    def test_bad_input_is_shown_on_its_field_and_nothing_is_drafted(
        self, browse: Browse, container: Container, change: dict[str, str], field: str
    ) -> None:
        refused = post_form(browse(ADMIN), "/quan-tri/lich/moi", {**HOLIDAY, **change})

        assert refused.status_code == 422
        assert field in field_errors(refused.text)
        with container.transaction() as uow:
            assert uow.session.exec(select(AdminChangeRow)).first() is None

    def test_a_duplicate_day_is_refused(self, browse: Browse, restore_agencies: None) -> None:
        client = browse(ADMIN)
        first = post_form(client, "/quan-tri/lich/moi", HOLIDAY).headers["location"]
        client.post(f"{first}/ap-dung", data={"csrf": csrf_of(client.get(first))})

        again = post_form(client, "/quan-tri/lich/moi", HOLIDAY)

        assert again.status_code == 422
        assert "f-day" in field_errors(again.text)

    def test_edit_and_delete_go_through_their_dry_run_and_a_draft_can_be_cancelled(
        self, browse: Browse, container: Container, restore_agencies: None
    ) -> None:
        client = browse(ADMIN)
        with container.transaction() as uow:
            makeup = uow.session.exec(
                select(CalendarExceptionRow).where(
                    CalendarExceptionRow.name == "Làm bù cho ngày nghỉ 31/08/2026"
                )
            ).one()
        form = client.get(f"/quan-tri/lich/{makeup.id}")
        assert 'value="22/08/2026"' in form.text

        edit = post_form(
            client,
            f"/quan-tri/lich/{makeup.id}",
            {
                "day": "22/08/2026",
                "kind": "MAKEUP_WORKDAY",
                "name": "Làm bù cho ngày nghỉ 31/08/2026",
                "source": "Thông báo hoán đổi ngày làm việc 2026",
                "scope": "national",
            },
        )
        assert edit.status_code == 303
        preview = client.get(edit.headers["location"])
        assert "Không có hồ sơ đang giải quyết nào bị dời hạn" in preview.text
        cancelled = client.post(
            f"{edit.headers['location']}/huy", data={"csrf": csrf_of(preview)}, follow_redirects=False
        )
        assert cancelled.headers["location"] == "/quan-tri/lich?xong=huy"
        deleted = client.post(
            f"/quan-tri/lich/{makeup.id}/xoa", data={"csrf": csrf_of(form)}, follow_redirects=False
        )
        assert deleted.status_code == 303
        with container.transaction() as uow:
            assert uow.session.get(CalendarExceptionRow, makeup.id) is not None  # a draft until applied
        assert client.get("/quan-tri/lich/999999").status_code == 404
        assert client.get("/quan-tri/lich/thay-doi/999999").status_code == 404
