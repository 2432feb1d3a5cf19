"""Happy flows over HTTP: file online, receive, appraise, approve, return; public tracking; counter filing."""

from __future__ import annotations

import re

from tests.builders import (
    AN,
    APPROVE,
    BINH,
    LEADER,
    OFFICER,
    PROPOSE_APPROVE,
    RETURN_AT_COUNTER,
    SPECIALIST,
    Api,
    birth_filing,
    ok,
    statuses,
)

CODE = re.compile(r"^H29\.12\.3-260302-\d{4}$")
VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.I)


class TestFileOnline:
    def test_citizen_files_online_and_gets_a_dossier_code(self, api: Api) -> None:
        response = api.file(AN)

        assert response.status_code == 201, response.text
        dossier = response.json()
        assert dossier["code"] == "H29.12.3-260302-0001"
        assert CODE.match(dossier["code"])
        assert dossier["status"] == {"code": 1, "label": "Mới đăng ký", "label_en": "Filed, not yet received"}
        assert dossier["deadline"]["state"] == "not_started"
        assert [t["step"] for t in dossier["tasks"]] == ["reception"]

    def test_the_next_dossier_of_the_day_takes_the_next_number(self, api: Api) -> None:
        first = api.filed(AN)
        second = api.filed(AN)

        assert first.endswith("-0001")
        assert second == "H29.12.3-260302-0002"

    def test_the_citizen_reads_their_dossier_back(self, api: Api) -> None:
        code = api.filed(AN)

        detail = api.dossier(code, AN)

        assert detail["applicant"]["full_name"] == "Nguyễn Văn An"
        assert detail["procedure"]["name"] == "Đăng ký thường trú"
        assert detail["agency"]["name"] == "UBND phường Ba Đình"


class TestReceive:
    def test_accepting_starts_the_seven_working_day_clock(self, api: Api) -> None:
        code = api.filed(AN)
        api.at("2026-03-02T09:30")

        dossier = ok(api.receive(code, OFFICER))

        assert dossier["status"]["code"] == 4
        assert dossier["status"]["label"] == "Đang xử lý"
        deadline = dossier["deadline"]
        assert deadline["received_at"] == "2026-03-02T09:30:00+07:00"
        assert deadline["due_at"] == "2026-03-11T09:30:00+07:00"
        assert deadline["original_due_at"] == "2026-03-11T09:30:00+07:00"
        assert deadline["state"] == "on_track"
        assert deadline["legal"] == "7 ngày làm việc"
        assert all(VIETNAMESE.search(line) for line in deadline["explanation"]), deadline["explanation"]
        assert any("11/03/2026" in line for line in deadline["explanation"])
        assert [s["reason"] for s in deadline["skipped"]] == ["Thứ Bảy", "Chủ nhật"]
        assert [(t["step"], t["role"]) for t in dossier["tasks"]] == [("appraisal", "specialist")]
        assert dossier["current_holder"] == "Chuyên viên — UBND phường Ba Đình"

    def test_the_citizen_sees_the_same_appointment(self, api: Api) -> None:
        code = api.received(at="2026-03-02T09:30")

        assert api.dossier(code, AN)["deadline"]["due_at"] == "2026-03-11T09:30:00+07:00"


class TestWorkThroughToReturn:
    def test_online_dossier_goes_from_filing_to_returned_result(self, api: Api) -> None:
        code = api.received(at="2026-03-02T09:30")

        api.at("2026-03-04T10:00")
        queue = ok(api.get("/tasks", SPECIALIST))
        mine = [t for t in queue if t["dossier"]["code"] == code]
        assert [t["step"] for t in mine] == ["appraisal"]
        task_id = mine[0]["id"]
        claimed = ok(api.post(f"/tasks/{task_id}/claim", SPECIALIST))
        assert claimed["assignee"] == "Phạm Minh Đức"
        appraised = ok(api.complete(task_id, SPECIALIST, PROPOSE_APPROVE))
        assert appraised["status"]["code"] == 4
        assert [t["step"] for t in appraised["tasks"]] == ["approval"]

        api.at("2026-03-09T10:00")
        leader_queue = [t for t in ok(api.get("/tasks", LEADER)) if t["dossier"]["code"] == code]
        approved = ok(api.complete(leader_queue[0]["id"], LEADER, APPROVE))
        assert approved["status"]["code"] == 9
        assert approved["outcome"] == "approved"
        assert approved["deadline"]["state"] == "early"

        api.at("2026-03-09T10:30")
        returned = api.complete_step(code, "return", OFFICER, RETURN_AT_COUNTER)

        assert returned["status"] == {"code": 10, "label": "Đã trả kết quả", "label_en": "Result returned"}
        assert returned["tasks"] == []
        assert returned["returned_at"] == "2026-03-09T10:30:00+07:00"
        assert returned["deadline"]["state"] == "early"
        assert returned["deadline"]["state_label"] == "Trước hạn"

    def test_timeline_and_handover_log_record_every_step(self, api: Api) -> None:
        code = api.received(at="2026-03-02T09:30")
        api.at("2026-03-04T10:00")
        api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
        api.at("2026-03-09T10:00")  # the approval step's 12 working hours ran out on Thu 05/03
        api.complete_step(code, "approval", LEADER, APPROVE)
        api.at("2026-03-09T10:30")
        api.complete_step(code, "return", OFFICER, RETURN_AT_COUNTER)

        detail = api.dossier(code, AN)

        assert statuses(detail) == [1, 2, 4, 9, 10]
        assert [e["label"] for e in detail["timeline"]] == [
            "Mới đăng ký",
            "Được tiếp nhận",
            "Đang xử lý",
            "Đã xử lý xong",
            "Đã trả kết quả",
        ]
        assert [e["by"] for e in detail["timeline"]] == [
            "Nguyễn Văn An",
            "Lê Thu Hà",
            "Lê Thu Hà",
            "Hoàng Văn Hải",
            "Lê Thu Hà",
        ]
        log = [
            (h["step"], h["finished_by"], h["timeliness"], h["timeliness_label"]) for h in detail["handovers"]
        ]
        assert log == [
            ("reception", "Lê Thu Hà", "on_time", "Đúng hạn"),
            ("appraisal", "Phạm Minh Đức", "early", "Trước hạn"),
            ("approval", "Hoàng Văn Hải", "late", "Quá hạn"),
            ("return", "Lê Thu Hà", "early", "Trước hạn"),
        ]
        assert [(h["giver"], h["receiver"]) for h in detail["handovers"][1:3]] == [
            ("Lê Thu Hà", "Chuyên viên — UBND phường Ba Đình"),
            ("Phạm Minh Đức", "Lãnh đạo — UBND phường Ba Đình"),
        ]


class TestPublicTracking:
    def test_anyone_tracks_a_dossier_by_code_without_personal_data(self, api: Api) -> None:
        code = api.received(at="2026-03-02T09:30")

        response = api.track(code)

        tracked = ok(response)
        assert tracked["code"] == code
        assert tracked["status"]["label"] == "Đang xử lý"
        assert tracked["procedure"] == "Đăng ký thường trú"
        assert tracked["due_at"] == "2026-03-11T09:30:00+07:00"
        text = response.text
        for personal in ("Nguyễn Văn An", "001088012345", "0912345678", "nguyenvanan@", "Đội Cấn", "Bình"):
            assert personal not in text, personal
        assert not {"applicant", "applicant_name", "form", "papers", "timeline", "handovers"} & set(tracked)

    def test_tracking_an_unknown_code_is_a_vietnamese_404(self, api: Api) -> None:
        response = api.get("/track/H29.12.3-260302-9999")

        assert response.status_code == 404
        assert response.json()["error"] == "DossierNotFound"
        assert "Không tìm thấy hồ sơ" in response.json()["message"]


class TestFileAtCounter:
    def test_officer_files_for_a_walk_in_citizen_and_it_is_received_at_once(self, api: Api) -> None:
        response = api.file(OFFICER, birth_filing())

        assert response.status_code == 201, response.text
        dossier = response.json()
        assert dossier["channel"] == "counter"
        assert dossier["status"]["code"] == 4
        assert statuses(dossier) == [1, 2, 4]
        assert dossier["deadline"]["received_at"] == "2026-03-02T09:00:00+07:00"
        assert dossier["deadline"]["due_at"] == "2026-03-02T17:00:00+07:00"  # same day
        assert [t["step"] for t in dossier["tasks"]] == ["appraisal"]
        assert dossier["handovers"][0]["finished_by"] == "Lê Thu Hà"

    def test_a_counter_dossier_is_listed_for_the_agency_not_for_other_citizens(self, api: Api) -> None:
        code = api.filed(OFFICER, birth_filing())

        assert code in [d["code"] for d in ok(api.get("/dossiers", OFFICER))]
        assert code not in [d["code"] for d in ok(api.get("/dossiers", BINH))]
