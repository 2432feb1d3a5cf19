"""What a citizen follows: their dossiers page by page with the time left, one dossier's actions."""

from __future__ import annotations

import pytest
from sqlmodel import select

from engine.actor import Actor
from engine.dossier.status import Status
from engine.dossier.timeliness import OpenState
from engine.errors import Conflict, InvalidInput
from engine.store.models import DossierRow
from engine.usecases.dossiers import check_withdrawal, withdraw
from engine.usecases.overview import allowed_actions, dossier_overview, dossier_page
from portal.auth import DevIdentity
from portal.wiring import Container
from tests.builders import AN, ASK_SUPPLEMENT, BINH, OFFICER, SPECIALIST, Api, ok

REASON = {"reason": "Gia đình thay đổi kế hoạch chuyển nhà"}


def actor(container: Container, username: str) -> Actor:
    """The Actor of a demo user, as the portal builds it from their token."""
    identity = DevIdentity(container.settings)
    return identity.verify(identity.issue_demo(username))


class TestMyDossiers:
    def test_newest_first_page_by_page_with_the_time_left(self, api: Api, container: Container) -> None:
        first = api.received()  # received Monday 09:30: 7 working days
        second, third = api.filed(), api.filed()
        api.at("2026-03-04T09:30")  # two working days later

        with container.transaction() as uow:
            page = dossier_page(container.services, uow, actor(container, AN), limit=2)
            rest = dossier_page(container.services, uow, actor(container, AN), before=page.next_before)

        assert [line.code for line in page.lines] == [third, second]
        assert [line.code for line in rest.lines] == [first]
        assert rest.next_before is None
        received = rest.lines[0]
        assert received.procedure == "Đăng ký thường trú"
        assert received.agency == "UBND phường Ba Đình"
        assert received.status["code"] == Status.PROCESSING
        assert received.current_step == "Thẩm định hồ sơ"
        assert received.time_left.state is OpenState.ON_TRACK
        assert received.time_left.amount == 5  # 7 working days less Monday 09:30 → Wednesday 09:30
        assert page.lines[0].time_left.state is OpenState.NOT_STARTED

    def test_overdue_in_working_days(self, api: Api, container: Container) -> None:
        api.received()  # due Wednesday 11/03 09:30
        api.at("2026-03-13T09:30")  # Friday: two working days late

        with container.transaction() as uow:
            line = dossier_page(container.services, uow, actor(container, AN)).lines[0]

        assert line.time_left.state is OpenState.OVERDUE
        assert line.time_left.amount == 2

    def test_another_citizen_sees_none_of_them(self, api: Api, container: Container) -> None:
        api.filed()

        with container.transaction() as uow:
            assert dossier_page(container.services, uow, actor(container, BINH)).lines == []


class TestActions:
    def test_the_owner_may_withdraw_an_open_dossier(self, api: Api, container: Container) -> None:
        code = api.filed()

        with container.transaction() as uow:
            view = dossier_overview(container.services, uow, actor(container, AN), code)

        assert view["actions"].withdraw
        assert not view["actions"].supplement

    def test_asked_for_a_supplement_the_owner_may_supplement(self, api: Api, container: Container) -> None:
        code = api.received()
        api.at("2026-03-03T09:30")
        api.complete_step(code, "appraisal", SPECIALIST, ASK_SUPPLEMENT)

        with container.transaction() as uow:
            view = dossier_overview(container.services, uow, actor(container, AN), code)

        assert view["status_code"] is Status.SUPPLEMENT
        assert view["actions"].supplement
        assert view["actions"].withdraw

    def test_staff_get_no_citizen_action(self, api: Api, container: Container) -> None:
        code = api.filed()

        with container.transaction() as uow:
            view = dossier_overview(container.services, uow, actor(container, OFFICER), code)

        assert not view["actions"].any

    def test_nothing_to_do_once_withdrawn(self, api: Api, container: Container) -> None:
        code = api.filed()
        with container.transaction() as uow:
            withdraw(container.services, uow, actor(container, AN), code, REASON)
            view = dossier_overview(container.services, uow, actor(container, AN), code)

        assert not allowed_actions(actor(container, AN), row_of(container, code)).any
        assert not view["actions"].any


def row_of(container: Container, code: str) -> DossierRow:
    """The dossier row (read in a transaction of its own)."""
    with container.transaction() as uow:
        return uow.session.exec(select(DossierRow).where(DossierRow.code == code)).one()


class TestWithdrawalChecks:
    def test_a_reason_is_required(self, api: Api, container: Container) -> None:
        code = api.filed()

        with container.transaction() as uow, pytest.raises(InvalidInput) as caught:
            check_withdrawal(uow, actor(container, AN), code, {"reason": "  "})

        assert set(caught.value.fields) == {"reason"}

    def test_a_dossier_that_changed_since_the_citizen_confirmed_is_a_conflict(
        self, api: Api, container: Container
    ) -> None:
        code = api.filed()
        seen = api.dossier(code, AN)["version"]
        ok(api.receive(code))

        with container.transaction() as uow, pytest.raises(Conflict) as caught:
            withdraw(
                container.services,
                uow,
                actor(container, AN),
                code,
                REASON,
                expected_version=seen,
            )

        assert caught.value.code == "DossierChanged"
        assert api.dossier(code, AN)["status"]["code"] == 4
