"""The catalogue pages: search and filters without JavaScript, the htmx fragment, one procedure's page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.portal.conftest import Browse


def results(page_text: str) -> str:
    """The results part of the catalogue page."""
    start = page_text.index('id="catalogue-results"')
    return page_text[start:]


class TestSearch:
    def test_without_diacritics_it_finds_permanent_residence(self, browse: Browse) -> None:
        page = browse().get("/thu-tuc", params={"q": "dang ky thuong tru"})

        assert page.status_code == 200
        assert "Đăng ký thường trú" in results(page.text)
        assert "Đăng ký khai sinh" not in results(page.text)
        assert 'value="dang ky thuong tru"' in page.text  # the box keeps what was typed
        assert "Tìm thấy 1 thủ tục." in page.text

    def test_filters_by_field_and_agency_in_the_query_string(self, browse: Browse) -> None:
        client = browse()

        by_field = client.get("/thu-tuc", params={"linh-vuc": "Hộ tịch"})
        by_agency = client.get("/thu-tuc", params={"co-quan": "H29.12.5"})

        assert "Đăng ký khai sinh" in results(by_field.text)
        assert "Đăng ký thường trú" not in results(by_field.text)
        assert '<option value="Hộ tịch" selected>' in by_field.text
        assert "Tìm thấy 2 thủ tục." in by_agency.text

    def test_nothing_found_says_so_and_how_to_widen_the_search(self, browse: Browse) -> None:
        page = browse().get("/thu-tuc", params={"q": "giấy phép xây dựng"})

        assert page.status_code == 200
        assert "Không tìm thấy thủ tục phù hợp" in page.text

    def test_htmx_gets_only_the_results(self, browse: Browse) -> None:
        page = browse().get("/thu-tuc", params={"q": "khai sinh"}, headers={"HX-Request": "true"})

        assert page.text.lstrip().startswith('<div id="catalogue-results"')
        assert "<html" not in page.text
        assert "Đăng ký khai sinh" in page.text

    def test_in_english(self, browse: Browse) -> None:
        page = browse().get("/thu-tuc", params={"q": "khai sinh", "lang": "en"})

        assert "Birth registration" in page.text
        assert "Found 1 procedure." in page.text


class TestHome:
    def test_home_offers_the_search_box_and_the_most_used_procedures(self, client: TestClient) -> None:
        page = client.get("/")

        assert 'action="/thu-tuc"' in page.text
        assert 'id="most-used"' in page.text
        assert "Đăng ký thường trú" in page.text


class TestProcedurePage:
    def test_everything_a_citizen_reads_before_filing(self, browse: Browse) -> None:
        page = browse().get("/thu-tuc/1.004222")

        assert page.status_code == 200
        text = page.text
        assert 'href="/thu-tuc/1.004222/nop"' in text
        assert "Nộp hồ sơ trực tuyến" in text
        assert "7 ngày làm việc" in text
        assert "không tính thứ Bảy, Chủ nhật và ngày nghỉ lễ, Tết" in text
        assert "Thời gian chờ bạn bổ sung hồ sơ không tính vào thời hạn." in text
        assert "20.000\u00a0đồng" in text
        assert "Người có công với cách mạng, hộ nghèo, trẻ em dưới 16 tuổi" in text
        assert "Bản sao có chứng thực" in text
        assert "Tiếp nhận hồ sơ — Bộ phận Một cửa — 2 giờ làm việc" in text
        assert "Thẩm định hồ sơ — Chuyên viên — 36 giờ làm việc (4,5 ngày)" in text
        assert "UBND phường Ba Đình" in text
        assert "Luật Cư trú số 68/2020/QH14, Điều 20–22" in text
        assert "Thông báo kết quả đăng ký thường trú" in text

    def test_a_same_day_procedure_explains_its_cut_off(self, browse: Browse) -> None:
        text = browse().get("/thu-tuc/1.001193").text

        assert "Hồ sơ tiếp nhận sau 15:00 được tính từ đầu ngày làm việc tiếp theo." in text
        assert "Miễn lệ phí" in text

    def test_an_unknown_code_is_the_vietnamese_404_page(self, browse: Browse) -> None:
        page = browse().get("/thu-tuc/9.999999")

        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "Không tìm thấy thủ tục hành chính có mã «9.999999»." in page.text


class TestTooLong:
    def test_a_search_past_200_characters_is_refused_on_the_search_box(self, browse: Browse) -> None:
        page = browse().get("/thu-tuc", params={"q": "thường trú " + "x" * 200})

        assert page.status_code == 422
        assert "Quá dài: tối đa 200 ký tự (đã nhập 211)" in page.text
        assert "Too long: at most 200 characters" in page.text
        assert 'href="#f-q"' in page.text
        assert 'id="f-q-error"' in page.text
        assert "govuk-input--error" in page.text

    def test_an_overlong_agency_filter_is_refused_not_cut(self, browse: Browse) -> None:
        page = browse().get("/thu-tuc", params={"co-quan": "H29.12.5" + "9" * 40})

        assert page.status_code == 422
        assert 'id="f-co-quan-error"' in page.text
        assert "tối đa 35 ký tự" in page.text
