"""The one e-form renderer: a procedure's JSON Schema and x-ui hints → fields a person fills → data."""

from __future__ import annotations

import json
from typing import Any

from engine.errors import FieldError
from portal.eform import Field, Group, Repeater, answers, build, merge, parse, parse_date
from portal.settings import ROOT
from portal.web import FormErrors


def schema(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "forms" / f"{name}.schema.json").read_text(encoding="utf-8"))


def fields_of(nodes: list[Any]) -> dict[str, Field]:
    out: dict[str, Field] = {}
    for node in nodes:
        if isinstance(node, Field):
            out[node.key] = node
        elif isinstance(node, Group):
            out.update(fields_of(node.children))
        elif isinstance(node, Repeater):
            for item in node.items:
                out.update(fields_of(item.children))
    return out


def test_sections_follow_the_groups_and_order_of_the_form() -> None:
    sections = build(schema("permanent-residence"))

    titles = [s.title for s in sections]
    assert titles[0] == "Thông tin người kê khai"
    assert "Thành viên hộ gia đình cùng thay đổi" in titles
    assert sections[0].properties == ["applicant"]


def test_widgets_come_from_the_hints_and_the_types() -> None:
    sections = build(schema("permanent-residence"), {"applicant": {"date_of_birth": "1988-05-04"}})
    fields = fields_of([n for s in sections for n in s.nodes])

    dob = fields["form.applicant.date_of_birth"]
    assert dob.widget == "date"
    assert dob.value == "04/05/1988"  # shown day/month/year
    assert dob.id == "f-form-applicant-date_of_birth"
    assert fields["form.applicant.sex"].widget == "radio"
    assert fields["form.applicant.sex"].options == [("Nam", "Nam"), ("Nữ", "Nữ")]
    assert fields["form.new_address.province_code"].widget == "select"
    assert ("01", "Thành phố Hà Nội") in fields["form.new_address.province_code"].options
    assert fields["form.applicant.full_name"].attrs["maxlength"] == 100
    assert fields["form.applicant.full_name"].required
    assert not fields["form.applicant.email"].required


def test_registry_values_and_engine_errors_land_on_their_fields() -> None:
    errors = FormErrors({"form.applicant.phone": FieldError("Số điện thoại sai.", "Wrong phone.")})
    sections = build(
        schema("permanent-residence"),
        {"applicant": {"full_name": "Nguyễn Văn An"}},
        errors,
        registry={"applicant.full_name"},
    )
    fields = fields_of([n for s in sections for n in s.nodes])

    assert fields["form.applicant.full_name"].registry
    assert fields["form.applicant.phone"].error == FieldError("Số điện thoại sai.", "Wrong phone.")
    assert sections[0].has_errors


def test_a_repeated_group_shows_the_rows_given_and_one_blank_row() -> None:
    data = {"members": [{"full_name": "Trần Thị Mai", "sex": "Nữ"}]}
    sections = build(schema("permanent-residence"), data)
    repeater = next(n for s in sections for n in s.nodes if isinstance(n, Repeater))

    assert len(repeater.items) == 2
    assert fields_of(repeater.items[0].children)["form.members[0].full_name"].value == "Trần Thị Mai"
    assert (
        fields_of(repeater.items[1].children)["form.members[1].full_name"].name == "form.members.1.full_name"
    )
    assert "__INDEX__" in fields_of(repeater.template.children).popitem()[1].name


def test_a_conditional_field_is_asked_only_for_its_answer() -> None:
    sections = build(schema("tasks/appraisal"))
    nodes = {n.key: n for s in sections for n in s.nodes}

    assert nodes["form.missing_papers"].kind == "repeater"
    # The schema's if/then (supplement → missing papers) becomes a show-when on the repeater's section.
    assert any(
        n.show_when == ("form.decision", "supplement") for n in nodes.values() if hasattr(n, "show_when")
    )


def test_a_posted_form_becomes_the_data_the_engine_validates() -> None:
    posted = {
        "form.applicant.full_name": "  Nguyễn Văn An ",
        "form.applicant.date_of_birth": "4/5/1988",
        "form.applicant.sex": "Nam",
        "form.applicant.email": "",
        "form.members.0.full_name": "Trần Thị Mai",
        "form.members.0.date_of_birth": "01/02/2010",
        "form.members.1.full_name": "",
        "form.reason": "Về ở với bố",
    }
    parsed = parse(schema("permanent-residence"), posted)

    assert parsed.errors == {}
    assert parsed.data["applicant"] == {
        "full_name": "Nguyễn Văn An",
        "date_of_birth": "1988-05-04",
        "sex": "Nam",
    }
    assert parsed.data["members"] == [{"full_name": "Trần Thị Mai", "date_of_birth": "2010-02-01"}]
    assert parsed.data["reason"] == "Về ở với bố"


def test_a_date_that_is_no_date_is_an_error_on_its_field_in_both_languages() -> None:
    parsed = parse(schema("permanent-residence"), {"form.applicant.date_of_birth": "31/02/1990"})

    error = parsed.errors["form.applicant.date_of_birth"]
    assert "ngày/tháng/năm" in error.message
    assert "day/month/year" in error.message_en
    assert parse_date("29/02/2024") is not None
    assert parse_date("2024-02-30") is None


def test_one_section_replaces_only_its_own_answers() -> None:
    data = {"applicant": {"full_name": "A"}, "reason": "cũ"}
    parsed = parse(schema("permanent-residence"), {"form.reason": "mới"}, only=["reason"])

    merged = merge(data, parsed.data, ["reason"])

    assert merged == {"applicant": {"full_name": "A"}, "reason": "mới"}


def test_check_your_answers_lists_every_question_with_labels() -> None:
    rows = answers(build(schema("permanent-residence"), {"applicant": {"sex": "Nữ"}}))

    labels = [r["label"] for r in rows]
    assert any(label.endswith("Giới tính") for label in labels)
    assert next(r for r in rows if r["label"].endswith("Giới tính"))["value"] == "Nữ"
