"""Parameters out of range are 422 on that parameter, in the project's error shape — never a 500."""

from __future__ import annotations

import pytest

from tests.builders import AN, OFFICER, Api

HUGE = str(2**64)


@pytest.mark.parametrize(
    ("path", "user", "param"),
    [
        ("/dossiers?before_id=" + HUGE, OFFICER, "before_id"),
        ("/dossiers?status=" + HUGE, OFFICER, "status"),
        ("/dossiers?status=0", OFFICER, "status"),
        ("/dossiers?limit=-1", OFFICER, "limit"),
        ("/dossiers?limit=" + str(10**20), OFFICER, "limit"),
        ("/dossiers?limit=201", OFFICER, "limit"),
        ("/residents/lookups?before_id=" + HUGE, AN, "before_id"),
        ("/tasks?after=0.5", OFFICER, "after"),
        ("/tasks?after=1700000000", OFFICER, "after"),
        ("/tasks?limit=0", OFFICER, "limit"),
        ("/ioc/events?after=" + HUGE, "giamsat.badinh", "after"),
        ("/agencies/H29.12.3/register/2026?after=" + HUGE, OFFICER, "after"),
        ("/agencies/H29.12.3/register/99999", OFFICER, "year"),
        ("/agencies/H29.12.3/register/2026?limit=201", OFFICER, "limit"),
        ("/ioc/events?limit=201", "giamsat.badinh", "limit"),
        ("/calendar/due?start=2026-03-02T09:00&unit=calendar_days&amount=1.5", None, "amount"),
        ("/calendar/due?start=0001-01-01T09:00&unit=working_days&amount=3", None, "start"),
        ("/calendar/due?start=9999-12-31T09:00&unit=working_days&amount=3", None, "start"),
        ("/calendar/due?start=12345&unit=working_days&amount=3", None, "start"),
    ],
)
def test_an_out_of_range_parameter_is_a_422_on_that_parameter(
    api: Api, path: str, user: str | None, param: str
) -> None:
    where, _, query = path.partition("?")
    response = api.get(where, user, **dict(p.split("=") for p in query.split("&") if p))

    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) == {"error", "message", "message_en", "fields"}
    assert param in body["fields"], body


def test_a_document_id_beyond_an_integer_column_is_422_not_500(api: Api) -> None:
    response = api.get(f"/documents/{HUGE}", OFFICER)

    assert response.status_code == 422
    assert "document_id" in response.json()["fields"]


def test_parameters_in_range_still_work(api: Api) -> None:
    code = api.filed()

    listed = api.get("/dossiers", OFFICER, limit="200", status="1")
    tasks = api.get("/tasks", OFFICER, after="2026-03-01T09:00:00+07:00")
    due = api.get("/calendar/due", None, start="2026-03-02T09:00", unit="calendar_days", amount="15")

    assert listed.status_code == 200
    assert code in [d["code"] for d in listed.json()]
    assert tasks.status_code == 200
    assert due.status_code == 200
