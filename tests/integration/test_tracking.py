"""Public tracking attacked: codes are sequential, so the key beside them keeps a day's dossiers private.

Written as the attacker goes: list a day's codes without keys, guess keys, hammer the lookup from one address.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from engine.dossier.code import ACCESS_KEY_ALPHABET, ACCESS_KEY_LENGTH
from portal.app import create_app
from portal.wiring import Container
from portal.worker import prune_requests
from tests.builders import AN, BINH, OFFICER, OFFICER_HK, Api, ok
from tests.integration.test_migrations import migrate

DAY = "H29.12.3-260302"


def unknown_shape(body: dict[str, object], code: str) -> dict[str, object]:
    """The error body with the code it names blanked out: what an enumerator compares."""
    return {k: v.replace(code, "<code>") if isinstance(v, str) else v for k, v in body.items()}


def the_day(api: Api, count: int) -> list[str]:
    """`count` dossiers filed and received today."""
    codes = [api.filed() for _ in range(count)]
    for code in codes:
        ok(api.receive(code))
    return codes


class TestEnumeration:
    def test_a_days_codes_without_keys_all_answer_as_unknown(self, api: Api) -> None:
        codes = the_day(api, 3)
        probes = [f"{DAY}-{n:04d}" for n in range(1, 7)]  # three that exist, three that do not

        answers = {code: api.get(f"/track/{code}") for code in probes}

        assert {code: r.status_code for code, r in answers.items()} == dict.fromkeys(probes, 404)
        shapes = [unknown_shape(r.json(), code) for code, r in answers.items()]
        assert all(shape == shapes[-1] for shape in shapes), shapes  # existing = unknown, byte for byte
        assert shapes[-1]["error"] == "DossierNotFound"
        assert set(codes) <= set(probes)

    def test_a_wrong_key_answers_exactly_as_no_key(self, api: Api) -> None:
        [code] = the_day(api, 1)
        key = api.key(code)
        wrong = ("2" if key[0] != "2" else "3") + key[1:]

        missing, guessed, unknown = (
            api.get(f"/track/{code}"),
            api.track(code, wrong),
            api.track(f"{DAY}-0099", key),
        )

        assert missing.status_code == guessed.status_code == unknown.status_code == 404
        assert missing.json() == guessed.json()
        assert unknown_shape(guessed.json(), code) == unknown_shape(unknown.json(), f"{DAY}-0099")

    def test_with_its_key_the_dossier_is_found_without_personal_data(self, api: Api) -> None:
        [code] = the_day(api, 1)
        key = api.key(code)

        tracked = ok(api.track(code, key))

        assert tracked["code"] == code
        assert tracked["status"]["code"] == 4
        assert "Nguyễn Văn An" not in str(tracked)
        assert len(key) == ACCESS_KEY_LENGTH
        assert set(key) <= set(ACCESS_KEY_ALPHABET)
        assert ok(api.track(code, f" {key[:5].lower()}-{key[5:]} "))["code"] == code  # typed from paper

    def test_keys_are_random_not_derived_from_the_code(self, api: Api) -> None:
        codes = the_day(api, 4)

        keys = {api.key(code) for code in codes}

        assert len(keys) == 4

    def test_the_page_needs_the_key_too(self, api: Api) -> None:
        [_, code] = the_day(api, 2)  # not -0001: the page's hint shows that one as an example

        without = api.client.get("/tra-cuu", params={"ma": code})
        unknown = api.client.get("/tra-cuu", params={"ma": f"{DAY}-0099"})
        found = api.client.get("/tra-cuu", params={"ma": code, "k": api.key(code)})

        assert without.status_code == unknown.status_code == 404
        assert without.text.replace(code, "") == unknown.text.replace(f"{DAY}-0099", "")
        assert "Mã tra cứu" in without.text
        assert found.status_code == 200
        assert "Đang xử lý" in found.text


class TestSignedIn:
    def test_the_owner_and_the_agencys_staff_need_no_key(self, api: Api) -> None:
        [code] = the_day(api, 1)

        assert ok(api.get(f"/track/{code}", AN))["code"] == code
        assert ok(api.get(f"/track/{code}", OFFICER))["code"] == code

    def test_another_citizen_or_agency_still_needs_the_key(self, api: Api) -> None:
        [code] = the_day(api, 1)

        assert api.get(f"/track/{code}", BINH).status_code == 404
        assert api.get(f"/track/{code}", OFFICER_HK).status_code == 404
        assert ok(api.get(f"/track/{code}", BINH, k=api.key(code)))["code"] == code


class TestRateLimit:
    def test_one_address_is_stopped_with_429_and_retry_after_others_are_not(
        self, api: Api, container: Container
    ) -> None:
        container.settings.track_rate_limit = 5
        [code] = the_day(api, 1)
        key = api.key(code)

        answers = [api.get(f"/track/{DAY}-{n:04d}").status_code for n in range(1, 6)]
        stopped = api.track(code, key)  # the sixth: even the right key waits
        other = TestClient(create_app(container.settings, container), client=("198.51.100.7", 40000))

        assert answers == [404] * 5
        assert stopped.status_code == 429
        body = stopped.json()
        assert body["error"] == "TooManyRequests"
        assert "thử lại" in body["message"]
        assert body["message_en"]
        assert body["fields"] == {}
        assert 1 <= int(stopped.headers["Retry-After"]) <= container.settings.track_rate_window
        assert ok(other.get(f"/api/v1/track/{code}", params={"k": key}))["code"] == code
        assert ok(api.get(f"/track/{code}", AN))["code"] == code  # signed in: not counted, not limited

    def test_the_page_answers_429_in_vietnamese(self, api: Api, container: Container) -> None:
        container.settings.track_rate_limit = 2
        probes = [api.client.get("/tra-cuu", params={"ma": f"{DAY}-{n:04d}"}) for n in range(1, 4)]

        assert [p.status_code for p in probes] == [404, 404, 429]
        page = probes[-1]
        assert page.headers["content-type"].startswith("text/html")
        assert "Retry-After" in page.headers
        assert '<html lang="vi"' in page.text
        assert "Quá nhiều yêu cầu" in page.text

    def test_the_next_window_lets_the_address_in_again_and_the_worker_prunes_old_windows(
        self, api: Api, container: Container
    ) -> None:
        container.settings.track_rate_limit = 1
        [code] = the_day(api, 1)
        key = api.key(code)
        assert ok(api.track(code, key))
        assert api.track(code, key).status_code == 429

        api.clock.set(api.clock.now() + timedelta(seconds=container.settings.track_rate_window))

        assert ok(api.track(code, key))["code"] == code
        api.clock.set(api.clock.now() + timedelta(seconds=container.settings.track_rate_window))
        assert prune_requests(container) == 1


class TestMigration:
    def test_dossiers_filed_before_0010_get_a_key_of_their_own(self, api: Api, container: Container) -> None:
        codes = the_day(api, 3)  # with tasks, status changes and hand-overs referencing them
        migrate(container.engine, "downgrade", "0009")
        migrate(container.engine, "upgrade", "head")

        keys = [api.key(code) for code in codes]

        assert len(set(keys)) == 3
        assert all(len(k) == ACCESS_KEY_LENGTH and set(k) <= set(ACCESS_KEY_ALPHABET) for k in keys)
        assert ok(api.track(codes[0], keys[0]))["code"] == codes[0]
