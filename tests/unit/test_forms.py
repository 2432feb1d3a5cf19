"""E-form schemas in forms/ and their validation with per-field Vietnamese messages (engine/forms.py)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.clock import FixedClock
from engine.errors import InvalidInput, NotFound
from engine.forms import ROOT_KEY, FormRegistry, check_schema, validate_against

REPO = Path(__file__).resolve().parents[2]
FORMS = REPO / "forms"
FIXTURES = REPO / "tests" / "fixtures" / "forms"
TODAY = date(2026, 11, 21)

ALL_FORMS = [
    "birth-registration",
    "permanent-residence",
    "tasks/appraisal",
    "tasks/approval",
    "tasks/reception",
    "tasks/return",
    "tasks/supplement",
]

ID_MESSAGE = "Số định danh cá nhân phải gồm đúng 12 chữ số."


@pytest.fixture(scope="module")
def registry() -> FormRegistry:
    return FormRegistry(FORMS, clock=FixedClock(datetime(2026, 11, 21, 9, 0)))


def sample(name: str) -> dict[str, Any]:
    """A fresh copy of the valid sample payload for a form."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def errors_of(registry: FormRegistry, name: str, data: object) -> dict[str, str]:
    """Field path → Vietnamese message, for a payload that must be rejected."""
    with pytest.raises(InvalidInput) as caught:
        registry.validate(name, data)
    assert caught.value.code == "FormInvalid"
    return {path: error.message for path, error in caught.value.fields.items()}


def changed(name: str, change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = sample(name)
    change(data)
    return data


class TestRegistry:
    def test_lists_every_form_including_task_forms(self, registry: FormRegistry) -> None:
        assert registry.names() == ALL_FORMS

    def test_procedures_name_forms_that_exist(self, registry: FormRegistry) -> None:
        for procedure in (REPO / "processes").glob("*/procedure.yaml"):
            form = next(
                line.split(":", 1)[1].split("#")[0].strip()
                for line in procedure.read_text(encoding="utf-8").splitlines()
                if line.startswith("form:")
            )
            assert form in registry.names(), procedure

    def test_schema_is_a_copy_that_callers_cannot_corrupt(self, registry: FormRegistry) -> None:
        schema = registry.schema("permanent-residence")
        schema["properties"].clear()
        assert registry.schema("permanent-residence")["properties"]
        assert registry.schema("permanent-residence")["title"].startswith("Tờ khai thay đổi thông tin cư trú")

    def test_validate_returns_a_deep_copy(self, registry: FormRegistry) -> None:
        data = sample("permanent-residence")
        result = registry.validate("permanent-residence", data)
        assert result == data
        assert result is not data
        assert result["members"] is not data["members"]

    @pytest.mark.parametrize(
        "name", ["marriage", "tasks/unknown", "../pyproject", "tasks/../tasks/return", ""]
    )
    def test_unknown_form_is_not_found(self, registry: FormRegistry, name: str) -> None:
        with pytest.raises(NotFound) as caught:
            registry.schema(name)
        assert caught.value.code == "FormNotFound"
        assert caught.value.message == f"Không tìm thấy biểu mẫu «{name}»."
        assert caught.value.message_en == f"Form '{name}' was not found."

    def test_validating_against_an_unknown_form_is_not_found(self, registry: FormRegistry) -> None:
        with pytest.raises(NotFound):
            registry.validate("marriage", {})

    def test_missing_root_has_no_forms(self, tmp_path: Path) -> None:
        assert FormRegistry(tmp_path / "nowhere").names() == []


class TestValidPayloads:
    @pytest.mark.parametrize("name", ALL_FORMS)
    def test_sample_fixture_passes(self, registry: FormRegistry, name: str) -> None:
        assert registry.validate(name, sample(name)) == sample(name)

    @pytest.mark.parametrize(
        ("name", "data"),
        [
            ("tasks/reception", {"decision": "accept"}),
            ("tasks/reception", {"decision": "accept", "note": "", "refusal_reason": ""}),
            ("tasks/reception", {"decision": "refuse", "refusal_reason": "Thủ tục không thuộc thẩm quyền."}),
            ("tasks/supplement", {}),
            ("tasks/appraisal", {"decision": "propose_refuse", "opinion": "Chỗ ở không hợp pháp."}),
            (
                "tasks/appraisal",
                {
                    "decision": "supplement",
                    "opinion": "Cần bổ sung.",
                    "missing_papers": [{"paper": "Ý kiến của chủ hộ", "reason": "Thiếu chữ ký."}],
                },
            ),
            ("tasks/approval", {"decision": "approve"}),
            ("tasks/return", {"method": "counter"}),
            ("tasks/return", {"method": "online", "note": "Gửi kết quả điện tử vào kho dữ liệu VNeID."}),
        ],
    )
    def test_task_variants_pass(self, registry: FormRegistry, name: str, data: dict[str, Any]) -> None:
        registry.validate(name, data)

    def test_birth_registration_without_father(self, registry: FormRegistry) -> None:
        data = changed("birth-registration", lambda d: d.pop("father"))
        registry.validate("birth-registration", data)

    def test_permanent_residence_without_optional_fields(self, registry: FormRegistry) -> None:
        data = sample("permanent-residence")
        del data["members"], data["applicant"]["email"]
        data["residence_proof_kind"] = "Khai thác từ CSDL"
        registry.validate("permanent-residence", data)

    def test_phone_with_country_code(self, registry: FormRegistry) -> None:
        data = changed("permanent-residence", lambda d: d["applicant"].update(phone="+84912345678"))
        registry.validate("permanent-residence", data)

    def test_child_born_today(self, registry: FormRegistry) -> None:
        data = changed("birth-registration", lambda d: d["child"].update(date_of_birth=TODAY.isoformat()))
        registry.validate("birth-registration", data)

    def test_woman_born_in_the_21st_century(self, registry: FormRegistry) -> None:
        member = {
            "full_name": "Nguyễn Ngọc Hân",
            "date_of_birth": "2005-12-30",
            "sex": "Nữ",
            "identity_number": "079305001234",
            "relation_to_head": "Cháu",
        }
        registry.validate(
            "permanent-residence", changed("permanent-residence", lambda d: d["members"].append(member))
        )


# (form, change, field path, Vietnamese message)
FIELD_CASES: list[tuple[str, Callable[[dict[str, Any]], object], str, str]] = [
    (
        "permanent-residence",
        lambda d: d["applicant"].pop("full_name"),
        "applicant.full_name",
        "Vui lòng nhập «Họ và tên».",
    ),
    (
        "permanent-residence",
        lambda d: d["applicant"].update(full_name=""),
        "applicant.full_name",
        "Vui lòng nhập «Họ và tên».",
    ),
    (
        "permanent-residence",
        lambda d: d["applicant"].update(full_name="Nguyễn " * 20),
        "applicant.full_name",
        "«Họ và tên» không được dài quá 100 ký tự.",
    ),
    (
        "permanent-residence",
        lambda d: d["applicant"].update(identity_number="00108801234"),
        "applicant.identity_number",
        ID_MESSAGE,
    ),
    (
        "permanent-residence",
        lambda d: d["applicant"].update(identity_number="0010880123456"),
        "applicant.identity_number",
        ID_MESSAGE,
    ),
    (
        "permanent-residence",
        lambda d: d["applicant"].update(identity_number="00108801234A"),
        "applicant.identity_number",
        ID_MESSAGE,
    ),
    (
        "permanent-residence",
        lambda d: d.update(household_head_identity_number="123"),
        "household_head_identity_number",
        ID_MESSAGE,
    ),
    (
        "birth-registration",
        lambda d: d["mother"].update(identity_number="001 194 012 876"),
        "mother.identity_number",
        ID_MESSAGE,
    ),
    (
        "permanent-residence",
        lambda d: d["applicant"].update(date_of_birth="1988-02-30"),
        "applicant.date_of_birth",
        "«Ngày sinh» phải là ngày hợp lệ (yyyy-mm-dd).",
    ),
    (
        "permanent-residence",
        lambda d: d["applicant"].update(date_of_birth="14/05/1988"),
        "applicant.date_of_birth",
        "«Ngày sinh» phải là ngày hợp lệ (yyyy-mm-dd).",
    ),
    (
        "permanent-residence",
        lambda d: d["members"][1].update(date_of_birth="2016-3-21"),
        "members[1].date_of_birth",
        "«Ngày sinh» phải là ngày hợp lệ (yyyy-mm-dd).",
    ),
    (
        "permanent-residence",
        lambda d: d["applicant"].update(email="nguyenvanan.example.vn"),
        "applicant.email",
        "«Thư điện tử (email)» phải là địa chỉ email hợp lệ.",
    ),
    (
        "birth-registration",
        lambda d: d["declarant"].update(email="huy@"),
        "declarant.email",
        "«Thư điện tử (email)» phải là địa chỉ email hợp lệ.",
    ),
    (
        "permanent-residence",
        lambda d: d.update(ghi_chu="x"),
        "ghi_chu",
        "Trường «ghi_chu» không có trong biểu mẫu.",
    ),
    (
        "permanent-residence",
        lambda d: d["members"][0].update(nickname="Mai"),
        "members[0].nickname",
        "Trường «nickname» không có trong biểu mẫu.",
    ),
    (
        "permanent-residence",
        lambda d: d["members"][0].pop("full_name"),
        "members[0].full_name",
        "Vui lòng nhập «Họ và tên».",
    ),
    (
        "permanent-residence",
        lambda d: d["applicant"].update(sex="nam"),
        "applicant.sex",
        "«Giới tính» phải là một trong các giá trị: «Nam», «Nữ».",
    ),
    (
        "permanent-residence",
        lambda d: d.update(residence_proof_kind="Sổ hộ khẩu"),
        "residence_proof_kind",
        "«Giấy tờ chứng minh chỗ ở hợp pháp» phải là một trong các giá trị: "
        "«Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở», «Giấy phép xây dựng», "
        "«Hợp đồng mua bán nhà ở», «Văn bản tặng cho, thừa kế nhà ở», "
        "«Hợp đồng cho thuê, cho mượn, cho ở nhờ chỗ ở», "
        "«Văn bản xác nhận của Ủy ban nhân dân cấp xã về nhà ở, đất ở», «Khai thác từ CSDL».",
    ),
    (
        "permanent-residence",
        lambda d: d.update(reason=42),
        "reason",
        "«Nội dung đề nghị» phải là chuỗi ký tự.",
    ),
    (
        "permanent-residence",
        lambda d: d.update(members={"full_name": "Trần Thị Mai"}),
        "members",
        "«Thành viên cùng thay đổi nơi thường trú» phải là danh sách.",
    ),
    (
        "permanent-residence",
        lambda d: d["applicant"].update(phone="0212345678"),
        "applicant.phone",
        "Số điện thoại di động không hợp lệ (10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09).",
    ),
    (
        "permanent-residence",
        lambda d: d["new_address"].update(province_code="Hà Nội"),
        "new_address.province_code",
        "Vui lòng chọn tỉnh, thành phố trong danh sách.",
    ),
    (
        "birth-registration",
        lambda d: d["child"].update(date_of_birth="2026-11-22"),
        "child.date_of_birth",
        "«Ngày sinh» không được sau ngày hôm nay.",
    ),
    (
        "permanent-residence",
        lambda d: d["applicant"].update(date_of_birth="2027-01-01"),
        "applicant.date_of_birth",
        "«Ngày sinh» không được sau ngày hôm nay.",
    ),
    (
        "permanent-residence",
        lambda d: d["applicant"].update(date_of_birth="1989-05-14"),
        "applicant.identity_number",
        "Số định danh cá nhân không khớp với năm sinh (chữ số thứ 4 đến 6 ghi thế kỷ và năm sinh).",
    ),
    (
        "permanent-residence",
        lambda d: d["members"][1].update(identity_number="001016004567"),
        "members[1].identity_number",
        "Số định danh cá nhân không khớp với năm sinh (chữ số thứ 4 đến 6 ghi thế kỷ và năm sinh).",
    ),
    (
        "permanent-residence",
        lambda d: d["members"][0].update(sex="Nam"),
        "members[0].identity_number",
        "Số định danh cá nhân không khớp với giới tính (chữ số thứ 4: số chẵn là nam, số lẻ là nữ).",
    ),
    (
        "birth-registration",
        lambda d: d["father"].update(identity_number="001292034519"),
        "father.identity_number",
        "Số định danh cá nhân không khớp với năm sinh (chữ số thứ 4 đến 6 ghi thế kỷ và năm sinh).",
    ),
    (
        "birth-registration",
        lambda d: d["mother"].pop("full_name"),
        "mother.full_name",
        "Vui lòng nhập «Họ và tên».",
    ),
    (
        "birth-registration",
        lambda d: d["father"].pop("residence"),
        "father.residence",
        "Vui lòng nhập «Nơi cư trú».",
    ),
    ("birth-registration", lambda d: d.pop("mother"), "mother", "Vui lòng nhập «Mẹ»."),
    (
        "birth-registration",
        lambda d: d["child"].pop("nationality"),
        "child.nationality",
        "Vui lòng nhập «Quốc tịch».",
    ),
]


class TestFieldMessages:
    @pytest.mark.parametrize(
        ("name", "change", "path", "message"),
        FIELD_CASES,
        ids=[f"{case[0]}:{case[2]}:{i}" for i, case in enumerate(FIELD_CASES)],
    )
    def test_bad_value_gets_its_message_at_its_path(
        self,
        registry: FormRegistry,
        name: str,
        change: Callable[[dict[str, Any]], object],
        path: str,
        message: str,
    ) -> None:
        assert errors_of(registry, name, changed(name, change)) == {path: message}

    def test_required_message_in_english_names_the_field_by_title(self, registry: FormRegistry) -> None:
        data = changed("permanent-residence", lambda d: d["applicant"].pop("full_name"))
        with pytest.raises(InvalidInput) as caught:
            registry.validate("permanent-residence", data)
        assert caught.value.fields["applicant.full_name"].message_en == "«Họ và tên» is required."

    def test_identity_agreement_is_not_checked_against_a_future_birth_date(
        self, registry: FormRegistry
    ) -> None:
        data = changed("permanent-residence", lambda d: d["members"][1].update(date_of_birth="2027-03-21"))
        assert errors_of(registry, "permanent-residence", data) == {
            "members[1].date_of_birth": "«Ngày sinh» không được sau ngày hôm nay."
        }

    def test_payload_that_is_not_an_object(self, registry: FormRegistry) -> None:
        assert errors_of(registry, "birth-registration", ["Lê Minh Anh"]) == {
            ROOT_KEY: "«Tờ khai đăng ký khai sinh» phải là nhóm thông tin."
        }


class TestTaskForms:
    @pytest.mark.parametrize(
        ("name", "data", "expected"),
        [
            (
                "tasks/reception",
                {"decision": "supplement"},
                {"missing_papers": "Vui lòng nhập «Giấy tờ cần bổ sung, hoàn thiện»."},
            ),
            (
                "tasks/reception",
                {"decision": "supplement", "missing_papers": []},
                {"missing_papers": "Vui lòng nhập ít nhất một mục cho «Giấy tờ cần bổ sung, hoàn thiện»."},
            ),
            (
                "tasks/reception",
                {"decision": "supplement", "missing_papers": [{"paper": "Tờ khai CT01"}]},
                {"missing_papers[0].reason": "Vui lòng nhập «Lý do cần bổ sung»."},
            ),
            (
                "tasks/reception",
                {"decision": "refuse"},
                {"refusal_reason": "Vui lòng nhập «Lý do từ chối tiếp nhận»."},
            ),
            (
                "tasks/reception",
                {"decision": "refuse", "refusal_reason": ""},
                {"refusal_reason": "Vui lòng nhập «Lý do từ chối tiếp nhận»."},
            ),
            (
                "tasks/reception",
                {},
                {"decision": "Vui lòng nhập «Kết quả kiểm tra hồ sơ»."},
            ),
            (
                "tasks/reception",
                {"decision": "reject"},
                {
                    "decision": "«Kết quả kiểm tra hồ sơ» phải là một trong các giá trị: «Tiếp nhận hồ sơ», "
                    "«Yêu cầu bổ sung, hoàn thiện hồ sơ», «Từ chối tiếp nhận»."
                },
            ),
            (
                "tasks/supplement",
                {"papers": [{"note": "Bản sao có chứng thực"}]},
                {"papers[0].paper": "Vui lòng nhập «Tên giấy tờ»."},
            ),
            (
                "tasks/appraisal",
                {"decision": "propose_approve"},
                {"opinion": "Vui lòng nhập «Ý kiến thẩm định»."},
            ),
            (
                "tasks/appraisal",
                {"decision": "supplement", "opinion": "Thiếu giấy tờ."},
                {"missing_papers": "Vui lòng nhập «Giấy tờ cần bổ sung, hoàn thiện»."},
            ),
            (
                "tasks/approval",
                {"decision": "refuse"},
                {"reason": "Vui lòng nhập «Lý do từ chối»."},
            ),
            (
                "tasks/return",
                {"method": "email"},
                {
                    "method": "«Hình thức trả kết quả» phải là một trong các giá trị: "
                    "«Trực tiếp tại Bộ phận Một cửa», «Qua dịch vụ bưu chính công ích», "
                    "«Trực tuyến (kết quả điện tử)»."
                },
            ),
            (
                "tasks/return",
                {"method": "counter", "signed_by": "Nguyễn Văn An"},
                {"signed_by": "Trường «signed_by» không có trong biểu mẫu."},
            ),
        ],
    )
    def test_task_form_rule(
        self, registry: FormRegistry, name: str, data: dict[str, Any], expected: dict[str, str]
    ) -> None:
        assert errors_of(registry, name, data) == expected

    def test_enum_in_english_lists_the_values(self, registry: FormRegistry) -> None:
        with pytest.raises(InvalidInput) as caught:
            registry.validate("tasks/approval", {"decision": "maybe"})
        assert (
            caught.value.fields["decision"].message_en == "«Quyết định» must be one of: «approve», «refuse»."
        )


class TestMultipleErrors:
    def test_every_error_is_reported_together(self, registry: FormRegistry) -> None:
        data = sample("permanent-residence")
        del data["applicant"]["full_name"], data["reason"]
        data["applicant"]["identity_number"] = "0010880123"
        data["applicant"]["email"] = "an@"
        data["members"][0]["date_of_birth"] = "2026-12-01"
        data["extra"] = True
        assert errors_of(registry, "permanent-residence", data) == {
            "applicant.full_name": "Vui lòng nhập «Họ và tên».",
            "applicant.identity_number": ID_MESSAGE,
            "applicant.email": "«Thư điện tử (email)» phải là địa chỉ email hợp lệ.",
            "reason": "Vui lòng nhập «Nội dung đề nghị».",
            "members[0].date_of_birth": "«Ngày sinh» không được sau ngày hôm nay.",
            "extra": "Trường «extra» không có trong biểu mẫu.",
        }

    def test_error_body(self, registry: FormRegistry) -> None:
        data = changed(
            "birth-registration", lambda d: d["child"].update(full_name="", date_of_birth="2026-02-29")
        )
        with pytest.raises(InvalidInput) as caught:
            registry.validate("birth-registration", data)
        assert caught.value.as_dict() == {
            "error": "FormInvalid",
            "message": "Dữ liệu biểu mẫu chưa hợp lệ.",
            "message_en": "The form data is invalid.",
            "fields": {
                "child.full_name": {
                    "message": "Vui lòng nhập «Họ và tên».",
                    "message_en": "«Họ và tên» is required.",
                },
                "child.date_of_birth": {
                    "message": "«Ngày sinh» phải là ngày hợp lệ (yyyy-mm-dd).",
                    "message_en": "«Ngày sinh» must be a valid date (yyyy-mm-dd).",
                },
            },
        }

    def test_input_is_left_untouched(self, registry: FormRegistry) -> None:
        data = changed("permanent-residence", lambda d: d.update(extra=1))
        before = copy.deepcopy(data)
        with pytest.raises(InvalidInput):
            registry.validate("permanent-residence", data)
        assert data == before


class TestValidateAgainst:
    SCHEMA: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Thử nghiệm",
        "type": "object",
        "properties": {
            "pages": {"title": "Số trang", "type": "integer", "minimum": 1, "maximum": 200},
            "copies": {"title": "Số bản", "type": "integer", "multipleOf": 2},
            "code": {"title": "Mã", "type": "string", "minLength": 3, "x-error": "Mã không hợp lệ."},
            "tags": {"title": "Nhãn", "type": "array", "minItems": 2, "items": {"type": "string"}},
            "born": {"title": "Ngày sinh", "type": "string", "format": "date", "x-not-future": True},
            "untitled_field": {"type": "string", "pattern": "^[A-Z]+$"},
        },
    }

    @pytest.mark.parametrize(
        ("data", "path", "message", "message_en"),
        [
            ({"pages": 0}, "pages", "«Số trang» phải lớn hơn hoặc bằng 1.", "«Số trang» must be at least 1."),
            (
                {"pages": 201},
                "pages",
                "«Số trang» phải nhỏ hơn hoặc bằng 200.",
                "«Số trang» must be at most 200.",
            ),
            ({"pages": "ba"}, "pages", "«Số trang» phải là số nguyên.", "«Số trang» must be an integer."),
            ({"copies": 3}, "copies", "«Số bản» không hợp lệ.", "«Số bản» is invalid."),
            ({"code": "AB"}, "code", "Mã không hợp lệ.", "«Mã» must be at least 3 characters long."),
            ({"tags": ["a"]}, "tags", "«Nhãn» phải có ít nhất 2 mục.", "«Nhãn» needs at least 2 items."),
            (
                {"untitled_field": "abc"},
                "untitled_field",
                "«untitled_field» không đúng định dạng.",
                "«untitled_field» has an invalid format.",
            ),
        ],
    )
    def test_messages(self, data: dict[str, Any], path: str, message: str, message_en: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            validate_against(self.SCHEMA, data, today=TODAY)
        assert {k: (v.message, v.message_en) for k, v in caught.value.fields.items()} == {
            path: (message, message_en)
        }

    def test_future_is_measured_from_the_given_day(self) -> None:
        validate_against(self.SCHEMA, {"born": "2026-11-22"}, today=date(2026, 11, 22))
        with pytest.raises(InvalidInput):
            validate_against(self.SCHEMA, {"born": "2026-11-22"}, today=TODAY)

    def test_defaults_to_the_local_date(self) -> None:
        validate_against(self.SCHEMA, {"born": "2000-01-01"})
        with pytest.raises(InvalidInput):
            validate_against(self.SCHEMA, {"born": "9999-12-31"})


class TestCheckSchema:
    @pytest.mark.parametrize("name", ALL_FORMS)
    def test_every_form_is_a_sound_schema(self, registry: FormRegistry, name: str) -> None:
        assert check_schema(registry.schema(name)) == []

    @pytest.mark.parametrize("path", sorted(FORMS.rglob("*.schema.json")), ids=lambda p: p.name)
    def test_every_file_in_forms_is_listed_and_sound(self, registry: FormRegistry, path: Path) -> None:
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert check_schema(schema) == []
        assert path.relative_to(FORMS).as_posix().removesuffix(".schema.json") in registry.names()

    @pytest.mark.parametrize("name", ALL_FORMS)
    def test_every_property_has_a_vietnamese_title(self, registry: FormRegistry, name: str) -> None:
        def walk(node: dict[str, Any], where: str) -> None:
            for key, prop in node.get("properties", {}).items():
                assert prop.get("title"), f"{where}.{key}"
                walk(prop, f"{where}.{key}")
            if isinstance(node.get("items"), dict):
                walk(node["items"], f"{where}[]")
            for key, sub in node.get("$defs", {}).items():
                walk(sub, f"$defs.{key}")

        schema = registry.schema(name)
        assert schema["title"]
        assert schema["description"]
        walk(schema, name)

    def test_problems_are_reported(self) -> None:
        broken = {
            "title": "",
            "type": "object",
            "required": ["full_name", "ghost"],
            "properties": {
                "full_name": {"type": "strin", "x-ui": {"order": "1"}},
                "code": {"type": "string", "pattern": "(["},
                "sex": {"type": "string", "enum": ["Nam", "Nữ"], "x-ui": {"labels": {"Nam": "Nam"}}},
                "mother": {"$ref": "#/$defs/parent"},
                "born": {"type": "string", "x-registry": 1, "x-not-future": "yes"},
            },
        }
        problems = check_schema(broken)
        expected_fragments = [
            "properties.full_name.type",
            "properties.code.pattern",
            "$schema: must be",
            "title: a form needs a (Vietnamese) title",
            "properties.full_name: x-ui.order must be an integer",
            "properties.sex: x-ui.labels has no label for 'Nữ'",
            "properties.mother: $ref '#/$defs/parent' does not resolve",
            "properties.born: x-registry must be a non-empty string",
            "properties.born: x-not-future must be true or false",
            "(root): required property 'ghost' is not declared",
        ]
        for fragment in expected_fragments:
            assert any(fragment in p for p in problems), (fragment, problems)

    def test_not_an_object(self) -> None:
        assert check_schema([]) == ["the schema must be a JSON object"]


class TestFormsGivenAsText:
    """A version's own e-form (kept by the workshop) is learnt from its text under a key of its content."""

    def own_text(self, title: str) -> str:
        schema = json.loads((FORMS / "permanent-residence.schema.json").read_text(encoding="utf-8"))
        schema["properties"]["occupation"] = {"title": title, "type": "string", "minLength": 1}
        schema["required"] = [*schema["required"], "occupation"]
        return json.dumps(schema, ensure_ascii=False)

    def test_a_learnt_form_validates_under_its_key_and_the_file_in_forms_is_untouched(self) -> None:
        forms = FormRegistry(FORMS, clock=FixedClock(datetime(2026, 11, 21, 9, 0)))
        key = forms.learn("permanent-residence", self.own_text("Nghề nghiệp"))
        assert key.startswith("permanent-residence@")
        assert len(key.split("@")[1]) == 16
        with pytest.raises(InvalidInput) as refused:
            forms.validate(key, {})
        assert refused.value.fields["occupation"].message == "Vui lòng nhập «Nghề nghiệp»."
        assert "occupation" not in forms.schema("permanent-residence")["properties"]
        assert forms.registry_group(key) == forms.registry_group("permanent-residence")

    def test_the_same_text_is_one_key_another_text_another(self) -> None:
        forms = FormRegistry(FORMS)
        first = forms.learn("permanent-residence", self.own_text("Nghề nghiệp"))
        assert forms.learn("permanent-residence", self.own_text("Nghề nghiệp")) == first
        assert forms.learn("permanent-residence", self.own_text("Công việc")) != first

    def test_a_key_never_learnt_is_not_found_and_a_text_that_is_no_object_is_refused(self) -> None:
        forms = FormRegistry(FORMS)
        with pytest.raises(NotFound):
            forms.schema("permanent-residence@0123456789abcdef")
        with pytest.raises(ValueError, match="JSON object"):
            forms.learn("permanent-residence", "[]")
