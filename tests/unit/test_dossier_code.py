"""Dossier code `<agency>-YYMMDD-XXXX` (docs/domain.md §3): local filing date, 4+ digit sequence, agency."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from engine.clock import LOCAL_TZ
from engine.dossier.code import filing_day, format_code, is_agency_id, is_dossier_code


def code_filed_at(moment: datetime, sequence: int = 1, agency: str = "H29.12.3") -> str:
    """The code a dossier filed at that moment would carry."""
    return format_code(agency, filing_day(moment), sequence)


class TestFormat:
    def test_code_is_agency_then_local_date_then_four_digit_sequence(self) -> None:
        assert format_code("H29.12.3", date(2026, 3, 2), 1) == "H29.12.3-260302-0001"
        assert format_code("H29.12.3", date(2026, 3, 2), 42) == "H29.12.3-260302-0042"

    @pytest.mark.parametrize(
        ("sequence", "suffix"),
        [(9999, "9999"), (10000, "10000"), (123456, "123456")],
    )
    def test_sequence_grows_past_9999_without_wrapping(self, sequence: int, suffix: str) -> None:
        code = format_code("H29.12.3", date(2026, 3, 2), sequence)
        assert code == f"H29.12.3-260302-{suffix}"
        assert is_dossier_code(code)

    def test_codes_of_consecutive_sequences_stay_distinct_across_9999(self) -> None:
        codes = {format_code("H29.12.3", date(2026, 3, 2), n) for n in range(9990, 10011)}
        assert len(codes) == 21

    def test_a_zero_or_negative_sequence_is_refused(self) -> None:
        with pytest.raises(ValueError, match="start at 1"):
            format_code("H29.12.3", date(2026, 3, 2), 0)

    @pytest.mark.parametrize("agency", ["h29.12.3", "H29 12 3", "H29..12", "", "H29.12.3\n", "A" * 36])
    def test_a_code_is_never_made_for_an_invalid_agency_id(self, agency: str) -> None:
        with pytest.raises(ValueError, match="agency electronic identifier"):
            format_code(agency, date(2026, 3, 2), 1)


class TestLocalFilingDate:
    def test_late_evening_filing_keeps_its_local_date(self) -> None:
        moment = datetime(2026, 3, 1, 23, 30, tzinfo=LOCAL_TZ)
        assert moment.astimezone(UTC) == datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
        assert code_filed_at(moment) == "H29.12.3-260301-0001"

    def test_the_same_moment_given_in_utc_gets_the_same_code(self) -> None:
        assert code_filed_at(datetime(2026, 3, 1, 16, 30, tzinfo=UTC)) == "H29.12.3-260301-0001"

    def test_just_after_local_midnight_is_the_new_day_although_utc_is_still_the_day_before(self) -> None:
        moment = datetime(2026, 3, 1, 0, 30, tzinfo=LOCAL_TZ)
        assert moment.astimezone(UTC).date() == date(2026, 2, 28)
        assert code_filed_at(moment) == "H29.12.3-260301-0001"
        assert code_filed_at(datetime(2026, 2, 28, 17, 30, tzinfo=UTC)) == "H29.12.3-260301-0001"

    def test_one_minute_before_local_midnight_is_still_the_old_day(self) -> None:
        assert code_filed_at(datetime(2026, 2, 28, 16, 59, tzinfo=UTC)) == "H29.12.3-260228-0001"

    def test_year_boundary_uses_the_local_new_year(self) -> None:
        assert code_filed_at(datetime(2025, 12, 31, 17, 0, tzinfo=UTC)) == "H29.12.3-260101-0001"

    def test_a_naive_moment_is_read_as_utc_as_the_database_stores_it(self) -> None:
        assert filing_day(datetime(2026, 2, 28, 17, 30)) == date(2026, 3, 1)


class TestAgencyId:
    @pytest.mark.parametrize("agency", ["H29.12.3", "H29", "000.00.00.H29", "G01.001.002.003", "A" * 35])
    def test_valid_electronic_identifiers(self, agency: str) -> None:
        assert is_agency_id(agency)

    @pytest.mark.parametrize(
        "agency",
        ["", "h29.12.3", "H29.12.", ".H29", "H29..12", "H29-12", "H29 12", "H29.12.3\n", "A" * 36, "Ă29"],
    )
    def test_invalid_electronic_identifiers(self, agency: str) -> None:
        assert not is_agency_id(agency)


class TestRecognise:
    @pytest.mark.parametrize(
        "code", ["H29.12.3-260301-0001", "H29-260301-10000", "000.00.00.H29-251231-0420"]
    )
    def test_codes_are_recognised(self, code: str) -> None:
        assert is_dossier_code(code)

    @pytest.mark.parametrize(
        "code",
        [
            "H29.12.3-260301-001",  # fewer than 4 digits
            "H29.12.3-26031-0001",  # date not YYMMDD
            "h29.12.3-260301-0001",  # lower case agency
            "H29..12-260301-0001",
            "H29.12.3-260301-0001\n",
            "H29.12.3-260301-0001-2",
            f"{'A' * 36}-260301-0001",
            "H29.12.3-260301-٠٠٠١",  # Arabic-Indic digits are not digits of a code
        ],
    )
    def test_other_text_is_not_a_code(self, code: str) -> None:
        assert not is_dossier_code(code)

    def test_every_formatted_code_is_recognised(self) -> None:
        for sequence in (1, 9999, 10000):
            assert is_dossier_code(format_code("000.00.00.H29", date(2026, 12, 31), sequence))
