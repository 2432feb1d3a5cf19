"""Identity numbers (docs/domain.md §8): structure, agreement with the declared birth date and sex, CMND."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine.dossier.applicant import check_applicant
from engine.errors import InvalidInput
from engine.forms import validate_against
from engine.residents.identity import compose, identity_problem, legacy_accepted, parse

TODAY = date(2026, 3, 2)
LENGTH = "Số định danh cá nhân phải gồm đúng 12 chữ số."
YEAR = "Số định danh cá nhân không khớp với năm sinh (chữ số thứ 4 đến 6 ghi thế kỷ và năm sinh)."
SEX = "Số định danh cá nhân không khớp với giới tính (chữ số thứ 4: số chẵn là nam, số lẻ là nữ)."
LEGACY_EXPIRED = (
    "Số chứng minh nhân dân 9 chữ số chỉ có giá trị đến hết ngày 31/12/2024 (Luật Căn cước 2023, "
    "Điều 46); vui lòng nhập số định danh cá nhân 12 chữ số."
)


def message(number: str, **kwargs: Any) -> str | None:
    problem = identity_problem(number, today=kwargs.pop("today", TODAY), **kwargs)
    return problem.message if problem else None


class TestDigits:
    def test_a_hanoi_man_born_in_1988(self) -> None:
        parsed = parse("001088012345")

        assert parsed is not None
        assert (parsed.province_code, parsed.birth_year, parsed.sex, parsed.serial) == (
            "001",
            1988,
            "Nam",
            "012345",
        )

    def test_a_saigon_woman_born_in_2005(self) -> None:
        parsed = parse("079305001234")

        assert parsed is not None
        assert (parsed.province_code, parsed.birth_year, parsed.sex) == ("079", 2005, "Nữ")

    @pytest.mark.parametrize(
        ("sex", "born", "expected"),
        [
            ("Nam", date(1999, 12, 31), "092099"),
            ("Nữ", date(1999, 1, 1), "092199"),
            ("Nam", date(2000, 1, 1), "092200"),
            ("Nữ", date(2024, 6, 1), "092324"),
        ],
    )
    def test_compose_writes_century_sex_and_year(self, sex: str, born: date, expected: str) -> None:
        number = compose("092", sex, born, "123456")

        assert number[:6] == expected
        assert identity_problem(number, today=TODAY, born=born, sex=sex) is None

    def test_an_unknown_province_code_alone_is_no_reason_to_refuse(self) -> None:
        assert message("999088012345", born=date(1988, 5, 14), sex="Nam") is None


class TestProblems:
    @pytest.mark.parametrize(
        "number", ["00108801234", "0010880123456", "00108801234A", "001 088 012 345", ""]
    )
    def test_a_number_that_is_not_twelve_digits(self, number: str) -> None:
        assert message(number) == LENGTH

    def test_a_birth_year_other_than_the_declared_one(self) -> None:
        assert message("001088012345", born=date(1989, 5, 14)) == YEAR

    def test_the_right_year_in_the_wrong_century(self) -> None:
        assert message("001288012345", born=date(1988, 5, 14)) == YEAR

    def test_a_woman_with_a_man_s_digit(self) -> None:
        assert message("001088012345", born=date(1988, 5, 14), sex="Nữ") == SEX

    def test_a_year_of_birth_in_the_future_without_a_declared_date(self) -> None:
        error = identity_problem("001430012345", today=TODAY)

        assert error is not None
        assert error.message == (
            "Số định danh cá nhân không hợp lệ: chữ số thứ 4 đến 6 ghi năm sinh 2130, sau năm hiện tại."
        )
        assert "2130" in error.message_en

    def test_this_year_is_not_the_future(self) -> None:
        assert message("001326012345") is None


class TestLegacyCmnd:
    def test_valid_until_the_end_of_2024(self) -> None:
        assert legacy_accepted(date(2024, 12, 31))
        assert not legacy_accepted(date(2025, 1, 1))

    def test_refused_as_an_identity_paper_since_2025(self) -> None:
        assert message("012345678") == LEGACY_EXPIRED

    def test_taken_where_the_law_still_allows_it(self) -> None:
        assert message("012345678", legacy=True) is None

    def test_the_length_message_names_the_legacy_form_where_it_is_taken(self) -> None:
        assert message("0123456", legacy=True) == (
            "Số định danh cá nhân phải gồm đúng 12 chữ số (hoặc 9 chữ số với CMND cũ)."
        )


class TestApplicant:
    def test_the_applicant_s_number_agrees_with_their_birth_date_and_sex(self) -> None:
        raw = {"full_name": "Nguyễn Văn An", "identity_number": "001088012345", "date_of_birth": "1988-05-14"}

        _, errors = check_applicant({**raw, "sex": "Nữ"}, TODAY)

        assert {k: v.message for k, v in errors.items()} == {"applicant.identity_number": SEX}
        assert errors["applicant.identity_number"].message_en.startswith("The personal identification number")

    def test_a_cmnd_identified_an_applicant_in_2024(self) -> None:
        _, errors = check_applicant(
            {"full_name": "Nguyễn Văn An", "identity_number": "012345678"}, date(2024, 12, 31)
        )

        assert errors == {}

    def test_a_cmnd_no_longer_identifies_an_applicant_in_2026(self) -> None:
        _, errors = check_applicant({"full_name": "Nguyễn Văn An", "identity_number": "012345678"}, TODAY)

        assert errors["applicant.identity_number"].message == LEGACY_EXPIRED


OLD_PAPER_FORM: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Giấy tờ cũ",
    "type": "object",
    "properties": {
        "owner_number": {
            "title": "Số giấy tờ tùy thân ghi trên Giấy chứng nhận",
            "type": "string",
            "pattern": "^([0-9]{12}|[0-9]{9})$",
            "x-identity": {"birth_field": "owner_born", "legacy": True},
        },
        "owner_born": {"title": "Năm sinh", "type": "string", "format": "date"},
    },
}


class TestFormsTakeTheLegacyNumberWhereDeclared:
    def test_a_number_copied_from_an_old_land_certificate(self) -> None:
        validate_against(
            OLD_PAPER_FORM, {"owner_number": "012345678", "owner_born": "1960-01-01"}, today=TODAY
        )

    def test_a_twelve_digit_number_is_still_checked_against_the_birth_date(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            validate_against(
                OLD_PAPER_FORM, {"owner_number": "001060012345", "owner_born": "1961-01-01"}, today=TODAY
            )

        assert caught.value.fields["owner_number"].message == YEAR

    def test_neither_length_is_refused_with_both_named(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            validate_against(OLD_PAPER_FORM, {"owner_number": "0123"}, today=TODAY)

        assert caught.value.fields["owner_number"].message == (
            "Số định danh cá nhân phải gồm đúng 12 chữ số (hoặc 9 chữ số với CMND cũ)."
        )
