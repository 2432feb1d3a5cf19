"""`make run PORT=8080`: the listen address reaches `motcua serve`, and the public URL follows the port."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from portal.cli.serve import listen_on
from portal.settings import ROOT, Settings, derived_public_url, get_settings

ADDRESS_VARIABLES = ("MOTCUA_HOST", "MOTCUA_PORT", "MOTCUA_PUBLIC_URL", "MOTCUA_TOKEN_ISSUER")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No address from the caller's environment; the settings cache is fresh before and after."""
    for name in ADDRESS_VARIABLES:
        monkeypatch.setenv(name, "")  # recorded, so that teardown also removes what listen_on() writes
        monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


class TestPublicUrl:
    def test_default_is_loopback_port_8000(self) -> None:
        settings = Settings()
        assert settings.public_url == "http://127.0.0.1:8000"
        assert settings.token_issuer == "http://127.0.0.1:8000/dev-identity"

    def test_follows_the_port(self) -> None:
        settings = Settings(port=8080)
        assert settings.public_url == "http://127.0.0.1:8080"
        assert settings.token_issuer == "http://127.0.0.1:8080/dev-identity"

    def test_follows_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MOTCUA_PORT", "8081")
        monkeypatch.setenv("MOTCUA_HOST", "localhost")
        assert Settings().public_url == "http://localhost:8081"

    def test_explicit_public_url_wins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MOTCUA_PUBLIC_URL", "https://motcua.hanoi.gov.vn")
        settings = Settings(port=8080)
        assert settings.public_url == "https://motcua.hanoi.gov.vn"
        assert settings.token_issuer == "https://motcua.hanoi.gov.vn/dev-identity"

    def test_explicit_issuer_wins(self) -> None:
        settings = Settings(port=8080, token_issuer="http://issuer.test/dev")
        assert settings.public_url == "http://127.0.0.1:8080"
        assert settings.token_issuer == "http://issuer.test/dev"

    @pytest.mark.parametrize(
        ("host", "expected"),
        [
            ("127.0.0.1", "http://127.0.0.1:9000"),
            ("0.0.0.0", "http://127.0.0.1:9000"),
            ("::", "http://127.0.0.1:9000"),
            ("::1", "http://[::1]:9000"),
            ("localhost", "http://localhost:9000"),
        ],
    )
    def test_derived_from_the_listen_address(self, host: str, expected: str) -> None:
        assert derived_public_url(host, 9000) == expected

    def test_out_of_range_port_is_refused(self) -> None:
        with pytest.raises(ValueError, match="port"):
            Settings(port=70000)


class TestServe:
    def test_command_line_reaches_the_app_factory(self) -> None:
        settings = listen_on("127.0.0.1", 8082)
        assert (settings.host, settings.port) == ("127.0.0.1", 8082)
        # uvicorn's factory (portal.app:create_app) reads get_settings(): the same address.
        assert get_settings().public_url == "http://127.0.0.1:8082"
        assert get_settings().token_issuer == "http://127.0.0.1:8082/dev-identity"

    def test_without_options_the_environment_decides(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MOTCUA_PORT", "8083")
        assert listen_on(None, None).public_url == "http://127.0.0.1:8083"

    def test_make_run_passes_the_port(self) -> None:
        dry = subprocess.run(
            ["make", "-n", "--no-print-directory", "run", "PORT=8080"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "motcua serve --host 127.0.0.1 --port 8080" in dry
