"""Answering a supplement request: exactly the items Mẫu 02 asked, each by a text or one's own file."""

from __future__ import annotations

import pytest

from engine.actor import Actor, Role
from engine.errors import Conflict, InvalidInput, NotFound
from engine.usecases.supplements import SupplementAnswer, answer_supplement, supplement_request
from engine.usecases.uploads import store_upload
from portal.wiring import Container
from tests.builders import SPECIALIST, Api
from tests.upload_builders import pdf

AN = Actor("dev:nguyenvanan", "nguyenvanan", frozenset({Role.CITIZEN}), None, "001088012345", "Nguyễn Văn An")
BINH = Actor(
    "dev:tranthibinh", "tranthibinh", frozenset({Role.CITIZEN}), None, "001192004567", "Trần Thị Bình"
)
TWO_ITEMS = {
    "decision": "supplement",
    "opinion": "Thiếu giấy tờ",
    "missing_papers": [
        {"paper": "Hợp đồng thuê nhà có công chứng", "reason": "Bản đã nộp hết hiệu lực"},
        {"paper": "Ý kiến đồng ý của chủ hộ", "reason": "Chưa có chữ ký"},
    ],
}


def asked(api: Api) -> str:
    """A dossier whose appraisal asked for two papers."""
    code = api.received(at="2026-03-02T09:30")
    api.at("2026-03-03T09:30")
    api.complete_step(code, "appraisal", SPECIALIST, TWO_ITEMS)
    return code


def my_upload(c: Container, actor: Actor = AN) -> str:
    """A PDF uploaded by `actor`."""
    with c.transaction() as uow:
        return store_upload(c.services, uow, actor, "hop-dong.pdf", pdf()).id


class TestTheRequest:
    def test_lists_exactly_the_items_of_mau_02_with_their_reasons(
        self, api: Api, container: Container
    ) -> None:
        code = asked(api)

        with container.transaction() as uow:
            request = supplement_request(uow, AN, code)

        assert [(i.paper, i.reason) for i in request.items] == [
            ("Hợp đồng thuê nhà có công chứng", "Bản đã nộp hết hiệu lực"),
            ("Ý kiến đồng ý của chủ hộ", "Chưa có chữ ký"),
        ]
        assert request.document_id is not None

    def test_another_citizen_gets_not_found(self, api: Api, container: Container) -> None:
        code = asked(api)

        with pytest.raises(NotFound), container.transaction() as uow:
            supplement_request(uow, BINH, code)

    def test_a_dossier_not_waiting_is_a_conflict(self, api: Api, container: Container) -> None:
        code = api.received()

        with pytest.raises(Conflict), container.transaction() as uow:
            supplement_request(uow, AN, code)


class TestAnswering:
    def test_a_text_and_a_file_resume_processing(self, api: Api, container: Container) -> None:
        code = asked(api)
        upload_id = my_upload(container)
        answers = [SupplementAnswer(uploads=(upload_id,)), SupplementAnswer(text="Chủ hộ đã ký, nộp bản gốc")]

        with container.transaction() as uow:
            dossier = answer_supplement(container.services, uow, AN, code, answers, note="Đã bổ sung đủ")

        assert dossier.status == 4
        assert api.dossier(code)["status"]["code"] == 4

    def test_an_item_left_empty_is_marked_and_nothing_changes(self, api: Api, container: Container) -> None:
        code = asked(api)

        with pytest.raises(InvalidInput) as caught, container.transaction() as uow:
            answer_supplement(
                container.services, uow, AN, code, [SupplementAnswer(text="Đây"), SupplementAnswer()]
            )

        assert set(caught.value.fields) == {"items[1]"}
        assert api.dossier(code)["status"]["code"] == 5

    def test_someone_elses_file_is_marked_on_its_item(self, api: Api, container: Container) -> None:
        code = asked(api)
        theirs = my_upload(container, BINH)

        with pytest.raises(InvalidInput) as caught, container.transaction() as uow:
            answer_supplement(
                container.services,
                uow,
                AN,
                code,
                [SupplementAnswer(text="Đây"), SupplementAnswer(uploads=(theirs,))],
            )

        assert set(caught.value.fields) == {"items[1]"}
        assert api.dossier(code)["status"]["code"] == 5
