"""Supervisors' pages (/giam-sat): numbers of their agencies only, drill-down, CSV and XLSX exports."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from engine.watch import run_watch
from portal.wiring import Container
from tests.builders import BA_DINH, HOAN_KIEM, OFFICER_HK, Api, birth_filing, ok
from tests.integration.test_stats import seed_period
from tests.portal.conftest import Browse

PERIOD = "tu-ngay=10/02/2026&den-ngay=2026-03-09"


def test_the_dashboard_shows_the_numbers_and_links_them_to_the_dossiers(
    api: Api, container: Container, browse: Browse
) -> None:
    codes = seed_period(api, container)
    api.at("2026-03-10T08:00")
    page = browse("giamsat.badinh").get(f"/giam-sat?{PERIOD}")
    assert page.status_code == 200
    html = page.text
    assert '<span class="motcua-stat__value" id="on-time-rate">80,0\u00a0%</span>' in html
    assert '<span class="motcua-stat__value" id="late-rate">28,6\u00a0%</span>' in html
    assert 'id="definitions"' in html
    assert 'data-chart="bar"' in html
    assert "chart.umd.min.js" in html
    late = re.search(r'id="late-count" href="([^"]+)"', html)
    assert late
    listed = browse("giamsat.badinh").get(late.group(1).replace("&amp;", "&"))
    assert listed.status_code == 200
    assert codes["late"] in listed.text
    assert codes["on_time"] not in listed.text
    assert codes["carried"] in html  # overdue at the end, listed with its holder


def test_a_supervisor_sees_none_of_another_agencys_numbers(api: Api, browse: Browse) -> None:
    api.received(at="2026-03-02T09:30")
    hk = ok(api.file(OFFICER_HK, birth_filing(agency=HOAN_KIEM)))["code"]
    client = browse("giamsat.hoankiem")
    page = client.get("/giam-sat?tu-ngay=2026-03-01&den-ngay=2026-03-31")
    assert page.status_code == 200
    assert BA_DINH not in page.text
    assert client.get(f"/giam-sat?co-quan={BA_DINH}").status_code == 403
    listed = client.get("/giam-sat/ho-so?chi-so=received&tu-ngay=2026-03-01&den-ngay=2026-03-31")
    assert hk in listed.text
    assert "H29.12.3-" not in listed.text
    assert client.get(f"/giam-sat/xuat/co-quan.csv?co-quan={BA_DINH}").status_code == 403
    assert browse("motcua.badinh").get("/giam-sat").status_code == 403


def test_bad_filters_are_shown_next_to_the_field(browse: Browse) -> None:
    page = browse("quantri").get("/giam-sat?tu-ngay=2026-03-09&den-ngay=2026-03-01")
    assert page.status_code == 422
    assert 'href="#f-to"' in page.text
    assert "govuk-error-message" in page.text


def test_every_table_exports_as_csv_and_xlsx_with_vietnamese_headers(
    api: Api, container: Container, browse: Browse
) -> None:
    seed_period(api, container)
    run_watch(container.engine, container.services)
    client = browse("quantri")
    for table in ("tong-hop", "co-quan", "thu-tuc", "thang", "buoc", "ho-so"):
        text = client.get(f"/giam-sat/xuat/{table}.csv?{PERIOD}&chi-so=late")
        assert text.status_code == 200, table
        rows = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
        assert rows[0][0] in ("Mã", "Mã cơ quan", "Mã hồ sơ")
        book = client.get(f"/giam-sat/xuat/{table}.xlsx?{PERIOD}&chi-so=late")
        assert book.status_code == 200
        sheet = load_workbook(io.BytesIO(book.content)).active
        assert [c.value for c in sheet[1]] == rows[0]
        assert sheet.max_row == len(rows)
    agencies = list(
        csv.reader(io.StringIO(client.get(f"/giam-sat/xuat/co-quan.csv?{PERIOD}").text.lstrip("\ufeff")))
    )
    header = agencies[0]
    ba_dinh = next(r for r in agencies if r[0] == BA_DINH)
    assert ba_dinh[header.index("Trễ hạn")] == "1"
    assert ba_dinh[header.index("Tỷ lệ đúng hạn")] == "0.8"
    assert client.get(f"/giam-sat/xuat/khac.csv?{PERIOD}").status_code == 404


def test_unacknowledged_ioc_events_are_named_in_the_readers_language(api: Api, browse: Browse) -> None:
    code = api.received(at="2026-03-02T09:30")
    vi = browse("giamsat.badinh").get("/giam-sat?tu-ngay=2026-03-01&den-ngay=2026-03-31").text
    events = vi[vi.index('id="events"') :]
    assert f"<strong>Đã tiếp nhận</strong> — {code}" in events
    assert "<strong>received</strong>" not in events
    client = browse("giamsat.badinh")
    client.get("/ngon-ngu?lang=en")
    en = client.get("/giam-sat?tu-ngay=2026-03-01&den-ngay=2026-03-31").text
    assert "<strong>Received</strong>" in en[en.index('id="events"') :]


def test_empty_dates_show_the_period_they_default_to(api: Api, browse: Browse) -> None:
    api.received(at="2026-03-02T09:30")
    html = browse("giamsat.badinh").get("/giam-sat").text
    assert re.search(r'name="tu-ngay"[^>]*value="01/03/2026"', html)
    assert re.search(r'name="den-ngay"[^>]*value="02/03/2026"', html)
