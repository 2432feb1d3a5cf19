"""The public catalogue: search ignoring diacritics and case, filters by agency and field, a procedure."""

from __future__ import annotations

import unicodedata

import pytest

from engine.errors import NotFound
from engine.usecases.catalogue import CatalogueQuery, fold, most_used, procedure_page, search_catalogue
from portal.wiring import Container
from tests.builders import BA_DINH, BIRTH, RESIDENCE, Api


def found(container: Container, text: str = "", agency: str = "", field: str = "") -> list[str]:
    """Codes of the procedures the catalogue finds."""
    with container.transaction() as uow:
        result = search_catalogue(uow, CatalogueQuery(text=text, agency=agency, field=field))
    return [p["code"] for p in result.procedures]


class TestFold:
    def test_marks_and_case_go_and_d_with_stroke_becomes_d(self) -> None:
        assert fold("Đăng ký THƯỜNG TRÚ") == "dang ky thuong tru"
        assert fold("đường  Hồ   Chí Minh") == "duong ho chi minh"

    def test_composed_and_decomposed_input_fold_alike(self) -> None:
        text = "Khai sinh, hộ tịch"
        assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text))


class TestSearch:
    def test_without_diacritics_it_finds_the_procedure(self, container: Container) -> None:
        assert found(container, "dang ky thuong tru") == [RESIDENCE]

    def test_case_and_diacritics_of_the_query_do_not_matter(self, container: Container) -> None:
        assert found(container, "ĐĂNG KÝ KHAI SINH") == [BIRTH]
        assert found(container, "Khai Sinh") == [BIRTH]

    def test_every_word_must_match_in_any_order(self, container: Container) -> None:
        assert found(container, "thuong tru dang ky") == [RESIDENCE]
        assert found(container, "đăng ký") == [BIRTH, RESIDENCE]  # by name: khai sinh, thường trú

    def test_by_procedure_code(self, container: Container) -> None:
        assert found(container, "1.001193") == [BIRTH]

    def test_nothing_found(self, container: Container) -> None:
        assert found(container, "giấy phép xây dựng") == []

    def test_filter_by_field_ignores_diacritics_too(self, container: Container) -> None:
        assert found(container, field="Hộ tịch") == [BIRTH]
        assert found(container, field="ho tich") == [BIRTH]
        assert found(container, "thuong tru", field="Hộ tịch") == []

    def test_filter_by_receiving_agency(self, container: Container) -> None:
        assert found(container, agency=BA_DINH) == [BIRTH, RESIDENCE]
        assert found(container, agency="H99.99.9") == []

    def test_the_filters_offer_every_agency_and_field(self, container: Container) -> None:
        with container.transaction() as uow:
            result = search_catalogue(uow, CatalogueQuery())

        assert [o.value for o in result.agencies] == [BA_DINH, "H29.12.5"]
        assert [o.value for o in result.fields] == ["Đăng ký, quản lý cư trú", "Hộ tịch"]
        assert result.total == 2


class TestMostUsed:
    def test_procedures_with_dossiers_in_progress_come_first(self, api: Api, container: Container) -> None:
        api.filed()  # a permanent-residence dossier, waiting for reception

        with container.transaction() as uow:
            ranked = most_used(uow)

        assert [p["code"] for p in ranked] == [RESIDENCE, BIRTH]
        assert ranked[0]["in_progress"] == 1


class TestProcedurePage:
    def test_steps_come_from_the_budgets_and_lanes(self, container: Container) -> None:
        with container.transaction() as uow:
            page = procedure_page(container.services, uow, RESIDENCE)

        assert [(s["title"], s["role_label"], s["hours"]) for s in page["steps"]] == [
            ("Tiếp nhận hồ sơ", "Bộ phận Một cửa", 2),
            ("Thẩm định hồ sơ", "Chuyên viên", 36),
            ("Phê duyệt kết quả", "Lãnh đạo", 12),
            ("Trả kết quả", "Bộ phận Một cửa", 6),
        ]
        assert page["deadline"]["label"] == "7 ngày làm việc"
        assert page["fee"]["amount"] == 20000
        assert [a["code"] for a in page["agencies"]] == [BA_DINH, "H29.12.5"]
        assert page["papers"][1]["copies"] == "certified_copy"

    def test_an_unknown_code_is_not_found(self, container: Container) -> None:
        with container.transaction() as uow, pytest.raises(NotFound):
            procedure_page(container.services, uow, "9.999999")


class TestApi:
    def test_the_api_searches_the_same_way(self, api: Api) -> None:
        assert [p["code"] for p in api.get("/procedures", q="dang ky thuong tru").json()] == [RESIDENCE]
        assert [p["code"] for p in api.get("/procedures", field="Hộ tịch").json()] == [BIRTH]
        assert api.get("/procedures", q="không có").json() == []
        assert [p["code"] for p in api.get("/procedures").json()] == [BIRTH, RESIDENCE]
