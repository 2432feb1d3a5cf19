"""Supervisors read the statistics and dossiers of the agencies whose groups they are in, and act on none."""

from __future__ import annotations

from tests.builders import AN, BA_DINH, HOAN_KIEM, SUPERVISOR, Api, error, ok, residence_filing

CITY = "giamsat.hanoi"  # in the groups of both agencies


def open_dossiers(api: Api) -> dict[str, str]:
    """One received dossier at each agency, by agency code."""
    codes = {BA_DINH: api.filed(AN), HOAN_KIEM: api.filed(AN, residence_filing(agency=HOAN_KIEM))}
    ok(api.receive(codes[BA_DINH], "motcua.badinh"))
    ok(api.receive(codes[HOAN_KIEM], "motcua.hoankiem"))
    return codes


def test_a_supervisor_of_two_agencies_reads_both(kapi: Api) -> None:
    codes = open_dossiers(kapi)

    summary = ok(kapi.get("/ioc/summary", CITY))
    listed = ok(kapi.get("/dossiers", CITY))

    assert [a["code"] for a in summary["agencies"]] == [BA_DINH, HOAN_KIEM]
    assert summary["totals"]["open"] == 2
    assert sorted(d["code"] for d in listed) == sorted(codes.values())
    assert {e["subject"] for e in ok(kapi.get("/ioc/events", CITY))["events"]} == set(codes.values())
    for code in codes.values():
        assert kapi.dossier(code, CITY)["code"] == code
    assert ok(kapi.get("/me", CITY))["agencies"] == [BA_DINH, HOAN_KIEM]


def test_a_supervisor_of_one_agency_reads_only_it(kapi: Api) -> None:
    codes = open_dossiers(kapi)

    summary = ok(kapi.get("/ioc/summary", SUPERVISOR))

    assert [a["code"] for a in summary["agencies"]] == [BA_DINH]
    assert [d["code"] for d in ok(kapi.get("/dossiers", SUPERVISOR))] == [codes[BA_DINH]]
    error(kapi.get(f"/dossiers/{codes[HOAN_KIEM]}", SUPERVISOR), 404, "DossierNotFound")
    assert [a["code"] for a in ok(kapi.get("/ioc/summary", "giamsat.hoankiem"))["agencies"]] == [HOAN_KIEM]


def test_supervisors_act_on_nothing(kapi: Api) -> None:
    code = kapi.filed(AN, residence_filing(agency=HOAN_KIEM))

    error(kapi.receive(code, CITY), 403)
    assert ok(kapi.get("/tasks", CITY)) == []
    assert kapi.dossier(code, "motcua.hoankiem")["status"]["code"] == 1
