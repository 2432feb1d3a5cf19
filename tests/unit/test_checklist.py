"""The paper checklist at reception → the decisions that follow from it (engine/dossier/checklist.py)."""

from __future__ import annotations

import pytest

from engine.dossier.checklist import (
    ACCEPT,
    CERTIFIED_COPY,
    MISSING,
    ORIGINAL,
    PHOTOCOPY,
    REFUSE,
    SUPPLEMENT,
    PaperCheck,
    judge_checklist,
    reception_payload,
)
from engine.errors import InvalidInput
from engine.procedure import Paper

CT01 = Paper("ct01", "Tờ khai thay đổi thông tin cư trú (mẫu CT01)", copies=ORIGINAL)
PROOF = Paper("residence_proof", "Giấy tờ chứng minh chỗ ở hợp pháp", copies=CERTIFIED_COPY)
CONSENT = Paper("owner_consent", "Ý kiến đồng ý của chủ hộ", copies=ORIGINAL, required=False)
PAPERS = (CT01, PROOF, CONSENT)


def complete() -> dict[str, PaperCheck]:
    return {
        "ct01": PaperCheck(ORIGINAL),
        "residence_proof": PaperCheck(CERTIFIED_COPY),
        "owner_consent": PaperCheck(MISSING),
    }


class TestWhatFollowsFromTheChecklist:
    def test_a_complete_dossier_may_be_accepted_or_refused_but_not_sent_back(self) -> None:
        verdict = judge_checklist(PAPERS, complete())

        assert verdict.errors == {}
        assert verdict.deficient == []
        assert verdict.decisions == (ACCEPT, REFUSE)

    def test_a_stronger_kind_than_asked_for_is_fine(self) -> None:
        answers = complete() | {"residence_proof": PaperCheck(ORIGINAL)}

        assert judge_checklist(PAPERS, answers).decisions == (ACCEPT, REFUSE)

    def test_a_missing_required_paper_leaves_only_supplement_or_refuse(self) -> None:
        answers = complete() | {"ct01": PaperCheck(MISSING, "Chưa có tờ khai CT01")}

        verdict = judge_checklist(PAPERS, answers)

        assert [item.paper.key for item in verdict.deficient] == ["ct01"]
        assert verdict.decisions == (SUPPLEMENT, REFUSE)

    def test_a_weaker_kind_than_asked_for_is_deficient(self) -> None:
        answers = complete() | {"residence_proof": PaperCheck(PHOTOCOPY, "Bản sao chưa được chứng thực")}

        verdict = judge_checklist(PAPERS, answers)

        assert [item.paper.key for item in verdict.deficient] == ["residence_proof"]

    def test_a_missing_optional_paper_is_not_deficient(self) -> None:
        verdict = judge_checklist(PAPERS, complete())

        assert not any(item.deficient for item in verdict.items if item.paper.key == "owner_consent")

    def test_a_deficient_paper_needs_a_note(self) -> None:
        answers = complete() | {"ct01": PaperCheck(MISSING, "  ")}

        verdict = judge_checklist(PAPERS, answers)

        assert set(verdict.errors) == {"checklist.ct01.note"}
        assert verdict.decisions == (REFUSE,)

    def test_every_paper_needs_an_answer(self) -> None:
        answers = complete()
        del answers["residence_proof"]

        verdict = judge_checklist(PAPERS, answers)

        assert set(verdict.errors) == {"checklist.residence_proof.received"}

    def test_an_unknown_choice_or_paper_is_an_error(self) -> None:
        answers = complete() | {"ct01": PaperCheck("scan"), "passport": PaperCheck(ORIGINAL)}

        verdict = judge_checklist(PAPERS, answers)

        assert set(verdict.errors) == {"checklist.ct01.received", "checklist.passport.received"}


class TestReceptionPayload:
    def test_accept_records_the_papers_handed_in(self) -> None:
        verdict = judge_checklist(PAPERS, complete())

        payload = reception_payload(verdict, ACCEPT, note="Đủ giấy tờ")

        assert payload == {"decision": "accept", "note": "Đủ giấy tờ"}
        assert verdict.handed_in() == [
            {"key": "ct01", "copies": "original", "count": 1},
            {"key": "residence_proof", "copies": "certified_copy", "count": 1},
        ]

    def test_supplement_lists_exactly_the_deficient_papers_and_why(self) -> None:
        answers = complete() | {
            "ct01": PaperCheck(MISSING, "Chưa có tờ khai CT01"),
            "residence_proof": PaperCheck(PHOTOCOPY, "Bản sao chưa được chứng thực"),
        }

        payload = reception_payload(judge_checklist(PAPERS, answers), SUPPLEMENT)

        assert payload == {
            "decision": "supplement",
            "missing_papers": [
                {"paper": CT01.name, "reason": "Chưa có tờ khai CT01"},
                {"paper": PROOF.name, "reason": "Bản sao chưa được chứng thực"},
            ],
        }

    def test_accept_with_a_missing_paper_is_refused_on_the_decision(self) -> None:
        answers = complete() | {"ct01": PaperCheck(MISSING, "Chưa có tờ khai")}

        with pytest.raises(InvalidInput) as raised:
            reception_payload(judge_checklist(PAPERS, answers), ACCEPT)

        assert set(raised.value.fields) == {"decision"}
        assert CT01.name in raised.value.fields["decision"].message

    def test_supplement_of_a_complete_dossier_is_refused(self) -> None:
        with pytest.raises(InvalidInput) as raised:
            reception_payload(judge_checklist(PAPERS, complete()), SUPPLEMENT)

        assert set(raised.value.fields) == {"decision"}

    def test_refusal_needs_a_reason(self) -> None:
        with pytest.raises(InvalidInput) as raised:
            reception_payload(judge_checklist(PAPERS, complete()), REFUSE, reason="   ")

        assert set(raised.value.fields) == {"refusal_reason"}

    def test_refusal_does_not_need_a_finished_checklist(self) -> None:
        payload = reception_payload(judge_checklist(PAPERS, {}), REFUSE, reason="Không thuộc thẩm quyền")

        assert payload == {"decision": "refuse", "refusal_reason": "Không thuộc thẩm quyền"}

    def test_accept_with_an_unfinished_checklist_reports_the_rows(self) -> None:
        with pytest.raises(InvalidInput) as raised:
            reception_payload(judge_checklist(PAPERS, {}), ACCEPT)

        assert set(raised.value.fields) == {
            "checklist.ct01.received",
            "checklist.residence_proof.received",
            "checklist.owner_consent.received",
        }

    def test_an_unknown_decision(self) -> None:
        with pytest.raises(InvalidInput) as raised:
            reception_payload(judge_checklist(PAPERS, complete()), "approve")

        assert set(raised.value.fields) == {"decision"}
