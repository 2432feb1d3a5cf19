"""Open data (/du-lieu-mo): the same numbers as /api/v1/stats, no personal data, ETag/304, bad month 422."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from portal.auth import DEMO_USERS
from portal.wiring import Container
from tests.builders import AN, APPLICANT_AN, APPLICANT_HUY, BA_DINH, Api, ok
from tests.integration.test_ratings import returned
from tests.integration.test_stats import seed_period
from tests.portal.conftest import Browse

SLUGS = ("thong-ke-thang", "ty-le-dung-han", "thu-tuc", "muc-do-hai-long")


def rows_of(client: TestClient, slug: str, month: str) -> list[dict[str, Any]]:
    response = client.get(f"/du-lieu-mo/{slug}.json", params={"thang": month})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["rows"]
    return rows


def csv_rows(client: TestClient, slug: str, month: str) -> list[dict[str, str]]:
    response = client.get(f"/du-lieu-mo/{slug}.csv", params={"thang": month})
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: spreadsheet programs read Vietnamese
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_monthly_datasets_hold_the_numbers_of_the_statistics_api(
    api: Api, container: Container, browse: Browse
) -> None:
    seed_period(api, container)
    api.at("2026-03-10T08:00")
    client = browse()
    february = ok(api.get("/stats/timeliness", "quantri", **{"from": "2026-02-01", "to": "2026-02-28"}))
    rows = rows_of(client, "thong-ke-thang", "2026-02")
    assert {r["agency_code"] for r in rows} == {BA_DINH}

    def total(key: str) -> int:
        return sum(int(r[key]) for r in rows)

    assert total("received") == february["received"]["new"] == 6
    assert total("carried_over") == february["received"]["carried_over"]
    assert total("to_process") == february["to_process"]
    assert total("finished_early") == february["finished"]["early"]
    assert total("finished_on_time") == february["finished"]["on_time"]
    assert total("finished_late") == february["finished"]["late"]
    assert total("open_overdue") == february["open"]["overdue"] == 1
    assert total("withdrawn") == february["withdrawn"]
    assert total("refused") == february["refused"] == 1

    march = ok(
        api.get("/stats/timeliness", "quantri", agency=BA_DINH, **{"from": "2026-03-01", "to": "2026-03-31"})
    )
    [rate] = [r for r in rows_of(client, "ty-le-dung-han", "2026-03") if r["agency_code"] == BA_DINH]
    assert rate["on_time_rate"] == march["on_time_rate"]
    assert rate["late_rate"] == march["late_rate"]
    assert rate["finished_late"] == march["finished"]["late"] == 1
    [line] = [r for r in csv_rows(client, "ty-le-dung-han", "2026-03") if r["Mã cơ quan"] == BA_DINH]
    assert line["Trễ hạn"] == "1"
    assert float(line["Tỷ lệ đúng hạn"]) == march["on_time_rate"]


def test_no_dataset_holds_personal_data(api: Api, browse: Browse) -> None:
    for _ in range(5):
        code = returned(api)
        ok(
            api.post(
                f"/dossiers/{code}/rating",
                AN,
                {"overall": "satisfied", "comment": "Nguyễn Văn An 001088012345"},
            )
        )
    client = browse()
    texts = [client.get("/du-lieu-mo/catalog.json").text]
    for slug in SLUGS:
        texts.append(client.get(f"/du-lieu-mo/{slug}/metadata.json").text)
        for fmt in ("csv", "json"):
            response = client.get(f"/du-lieu-mo/{slug}.{fmt}", params={"thang": "2026-03"})
            assert response.status_code == 200
            texts.append(response.content.decode("utf-8-sig"))
    everything = "\n".join(texts)
    forbidden = [
        APPLICANT_AN["full_name"],
        APPLICANT_AN["identity_number"],
        APPLICANT_AN["phone"],
        APPLICANT_HUY["full_name"],
        code,
        "H29.12.3-26",  # no dossier code at all
        *(u.username for u in DEMO_USERS),
        *(u.name for u in DEMO_USERS if u.agency),  # officers' names
    ]
    for text in forbidden:
        assert text not in everything, text
    satisfaction = rows_of(client, "muc-do-hai-long", "2026-03")
    assert [
        (r["agency_code"], r["ratings"], r["suppressed"], r["satisfied_share"]) for r in satisfaction
    ] == [(BA_DINH, 5, False, 1.0)]


def test_a_cell_of_few_ratings_is_suppressed(api: Api, browse: Browse) -> None:
    code = returned(api)
    ok(api.post(f"/dossiers/{code}/rating", AN, {"overall": "dissatisfied", "indicators": {"7": 0}}))
    [row] = rows_of(browse(), "muc-do-hai-long", "2026-03")
    assert (row["ratings"], row["suppressed"], row["dissatisfied"], row["indicator_7"]) == (
        1,
        True,
        None,
        None,
    )
    [line] = csv_rows(browse(), "muc-do-hai-long", "2026-03")
    assert (line["Số phiếu"], line["Ẩn do ít phiếu"], line["Không hài lòng"]) == ("1", "true", "")


def test_etag_and_last_modified_and_304(api: Api, browse: Browse) -> None:
    client = browse()
    first = client.get("/du-lieu-mo/thong-ke-thang.csv?thang=2026-03")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"')
    assert modified.endswith("GMT")
    cached = client.get("/du-lieu-mo/thong-ke-thang.csv?thang=2026-03", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    api.at("2026-03-05T10:00")
    later = client.get("/du-lieu-mo/thong-ke-thang.csv?thang=2026-03")
    assert (later.headers["etag"], later.headers["last-modified"]) == (etag, modified)  # unchanged bytes
    api.received(at="2026-03-05T10:30")
    changed = client.get("/du-lieu-mo/thong-ke-thang.csv?thang=2026-03", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.headers["last-modified"] != modified
    meta = client.get("/du-lieu-mo/thu-tuc/metadata.json")
    assert (
        client.get(
            "/du-lieu-mo/thu-tuc/metadata.json", headers={"If-None-Match": meta.headers["etag"]}
        ).status_code
        == 304
    )


@pytest.mark.parametrize("month", ["2026-13", "26-03", "2026-3", "1999-12", "abcdefg", "2026-03-01"])
def test_a_bad_month_is_422_on_the_field(browse: Browse, month: str) -> None:
    client = browse()
    for slug in ("thong-ke-thang", "thu-tuc"):
        response = client.get(f"/du-lieu-mo/{slug}.json", params={"thang": month})
        assert response.status_code == 422
        body = response.json()
        assert "thang" in body["fields"]
        assert body["fields"]["thang"]["message"]
        assert body["fields"]["thang"]["message_en"]
    page = client.get("/du-lieu-mo", params={"thang": month})
    assert page.status_code == 422
    assert 'href="#f-thang"' in page.text


def test_the_page_lists_every_dataset_and_the_metadata_is_typed(browse: Browse) -> None:
    client = browse()
    page = client.get("/du-lieu-mo")
    assert page.status_code == 200
    for slug in SLUGS:
        assert f'href="/du-lieu-mo/{slug}.csv' in page.text
        assert f'href="/du-lieu-mo/{slug}/metadata.json"' in page.text
    english = client.get("/du-lieu-mo?lang=en")
    assert "Monthly dossier statistics per agency and procedure" in english.text
    assert "No personal data" in english.text
    catalog = client.get("/du-lieu-mo/catalog.json").json()
    assert [d["identifier"] for d in catalog["dataset"]] == list(SLUGS)
    meta = json.loads(client.get("/du-lieu-mo/ty-le-dung-han/metadata.json").text)
    assert meta["license"]["url"]
    assert meta["title"]
    assert meta["description"]
    assert {
        "name": "on_time_rate",
        "title": "Tỷ lệ đúng hạn",
        "title_en": "On-time rate",
        "type": "number",
    } in meta["fields"]
    assert meta["temporal"]["granularity"] == "month"
    assert meta["period"]["parameter"] == "thang=YYYY-MM"
    procedures = client.get("/du-lieu-mo/thu-tuc.json").json()["rows"]
    assert {"1.004222", "1.001193"} <= {p["procedure_code"] for p in procedures}
    assert client.get("/du-lieu-mo/khong-co.csv").status_code == 404
    assert client.get("/du-lieu-mo/thu-tuc.xml").status_code == 404
