"""Rating pages: the applicant's form (prefilled, explained), the counter tablet, the supervisors' table."""

from __future__ import annotations

from tests.builders import AN, BINH, OFFICER, OFFICER_HK, Api, ok
from tests.integration.test_ratings import returned
from tests.portal.conftest import Browse, csrf_of, post_form

MARCH = "tu-ngay=01/03/2026&den-ngay=31/03/2026"


class TestCitizen:
    def test_the_dossier_page_links_the_rating_and_the_form_explains_the_prefill(
        self, api: Api, browse: Browse
    ) -> None:
        code = returned(api)
        client = browse(AN)
        dossier = client.get(f"/ho-so/{code}")
        assert f'href="/ho-so/{code}/danh-gia"' in dossier.text
        page = client.get(f"/ho-so/{code}/danh-gia")
        assert page.status_code == 200
        assert 'id="prefill-explained"' in page.text
        assert "Điền sẵn từ hồ sơ: Có kết quả ngày" in page.text
        assert 'name="indicator_1" type="radio" value="2" checked' in page.text  # early
        assert 'name="indicator_3" type="radio" value="2" checked' in page.text  # no supplement
        english = client.get(f"/ho-so/{code}/danh-gia?lang=en")
        assert "Satisfaction rating" in english.text
        assert "Prefilled from the dossier: Result ready on" in english.text
        assert "2 points: Shorter" in english.text

    def test_rating_then_a_second_attempt_shows_the_rating_already_given(
        self, api: Api, browse: Browse
    ) -> None:
        code = returned(api)
        client = browse(AN)
        done = post_form(
            client,
            f"/ho-so/{code}/danh-gia",
            {"overall": "satisfied", "indicator_1": "2", "indicator_7": "", "comment": "Nhanh gọn"},
        )
        assert done.status_code == 303
        thanks = client.get(done.headers["location"])
        assert 'id="thanks"' in thanks.text
        assert 'id="rated"' in thanks.text
        assert "Nhanh gọn" in thanks.text
        assert 'id="rating-form"' not in thanks.text
        dossier = client.get(f"/ho-so/{code}")
        assert "Bạn đã đánh giá hồ sơ này" in dossier.text
        again = client.post(
            f"/ho-so/{code}/danh-gia", data={"csrf": csrf_of(dossier), "overall": "dissatisfied"}
        )
        assert again.status_code == 409
        assert "Mỗi hồ sơ chỉ được đánh giá một lần" in again.text
        assert ok(api.get(f"/dossiers/{code}/rating", AN))["rating"]["overall"] == "satisfied"

    def test_bad_input_is_shown_next_to_the_field(self, api: Api, browse: Browse) -> None:
        code = returned(api)
        client = browse(AN)
        page = post_form(
            client, f"/ho-so/{code}/danh-gia", {"overall": "", "indicator_6": "7", "comment": "x" * 1001}
        )
        assert page.status_code == 422
        for field in ("f-overall", "f-indicator_6", "f-comment"):
            assert f'href="#{field}"' in page.text
        assert "There is a problem" in page.text
        assert ok(api.get(f"/dossiers/{code}/rating", AN))["rated"] is False

    def test_without_csrf_403_and_another_citizen_404(self, api: Api, browse: Browse) -> None:
        code = returned(api)
        assert browse(AN).post(f"/ho-so/{code}/danh-gia", data={"overall": "satisfied"}).status_code == 403
        other = browse(BINH)
        assert other.get(f"/ho-so/{code}/danh-gia").status_code == 404
        token = csrf_of(other.get("/ho-so"))
        refused = other.post(f"/ho-so/{code}/danh-gia", data={"csrf": token, "overall": "satisfied"})
        assert refused.status_code == 404
        assert ok(api.get(f"/dossiers/{code}/rating", AN))["rated"] is False


class TestCounter:
    def test_the_officer_opens_the_tablet_form_and_the_citizen_rates(self, api: Api, browse: Browse) -> None:
        code = returned(api)
        officer = browse(OFFICER)
        assert 'id="counter-rate"' in officer.get(f"/mot-cua/{code}").text
        page = officer.get(f"/mot-cua/ho-so/{code}/danh-gia")
        assert page.status_code == 200
        assert "motcua-rating--counter" in page.text
        done = post_form(officer, f"/mot-cua/ho-so/{code}/danh-gia", {"overall": "very_satisfied"})
        assert done.status_code == 303
        assert 'id="hand-back"' in officer.get(done.headers["location"]).text
        assert ok(api.get(f"/dossiers/{code}/rating", AN))["rating"]["via"] == "counter"

    def test_another_agencys_officer_and_a_citizen_cannot_open_it(self, api: Api, browse: Browse) -> None:
        code = returned(api)
        assert browse(OFFICER_HK).get(f"/mot-cua/ho-so/{code}/danh-gia").status_code == 404
        assert browse(AN).get(f"/mot-cua/ho-so/{code}/danh-gia").status_code == 403


class TestSupervise:
    def test_a_rating_is_seen_by_its_agencys_supervisor_only(self, api: Api, browse: Browse) -> None:
        code = returned(api)
        ok(api.post(f"/dossiers/{code}/rating", AN, {"overall": "dissatisfied", "comment": "Phải chờ lâu"}))
        own = browse("giamsat.badinh")
        assert 'href="/giam-sat/danh-gia' in own.get(f"/giam-sat?{MARCH}").text
        page = own.get(f"/giam-sat/danh-gia?{MARCH}")
        assert page.status_code == 200
        assert '<span class="motcua-stat__value" id="rating-count">1</span>' in page.text
        assert '<span class="motcua-stat__value" id="satisfied-share">0,0\u00a0%</span>' in page.text
        assert "Phải chờ lâu" in page.text
        assert "Lê Thu Hà" in page.text  # the officer who received and returned it
        english = own.get(f"/giam-sat/danh-gia?{MARCH}&lang=en")
        assert "Citizen satisfaction" in english.text
        assert "Dissatisfied" in english.text
        other = browse("giamsat.hoankiem").get(f"/giam-sat/danh-gia?{MARCH}")
        assert other.status_code == 200
        assert code not in other.text
        assert "Phải chờ lâu" not in other.text
        assert 'id="no-ratings"' in other.text
        assert browse("giamsat.hoankiem").get("/giam-sat/danh-gia?co-quan=H29.12.3").status_code == 403
        assert code in browse("quantri").get(f"/giam-sat/danh-gia?{MARCH}").text
        assert browse(OFFICER).get("/giam-sat/danh-gia").status_code == 403

    def test_bad_period_is_422_on_the_field(self, browse: Browse) -> None:
        page = browse("quantri").get("/giam-sat/danh-gia?tu-ngay=2026-03-09&den-ngay=2026-03-01")
        assert page.status_code == 422
        assert 'href="#f-to"' in page.text
