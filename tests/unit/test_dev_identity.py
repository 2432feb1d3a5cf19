"""The built-in development identity: never in production, Keycloak-shaped claims, forged tokens refused."""

from __future__ import annotations

import base64
import json
import stat
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from typer.testing import CliRunner, Result

from engine.actor import Role
from engine.errors import Unauthenticated
from integrations.residents.settings import ResidentsSettings
from portal.auth import DevIdentity
from portal.cli import app
from portal.settings import Settings, get_settings

SECRET = "test-secret-" + "x" * 64  # long enough for HS512 too
ISSUER = "http://127.0.0.1:8000/dev-identity"
PRODUCTION = {
    "env": "production",
    "keycloak_url": "https://sso.example.gov.vn",
    "database_url": "postgresql+psycopg://motcua@db.example.gov.vn/motcua",
    "residents": ResidentsSettings(url="https://lgsp.example.gov.vn/dan-cu", token="t" * 32),
}


def dev_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Development settings with a known secret."""
    values: dict[str, Any] = {"env": "development", "dev_secret": SECRET, "data_dir": tmp_path}
    return Settings(**(values | overrides))


def token_command(tmp_path: Path, env: dict[str, str], *args: str) -> Result:
    """`motcua dev token ...` in a fresh process environment (settings are read again)."""
    base = {"MOTCUA_ENV": "development", "MOTCUA_DEV_SECRET": SECRET, "MOTCUA_DATA_DIR": str(tmp_path)}
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["dev", "token", *args], env=base | env)
    finally:
        get_settings.cache_clear()


def claims_of(token: str) -> dict[str, Any]:
    """Decode and verify a token the way a resource server would."""
    decoded: dict[str, Any] = jwt.decode(
        token, SECRET, algorithms=["HS256"], audience="motcua", issuer=ISSUER
    )
    return decoded


def good_claims(**overrides: Any) -> dict[str, Any]:
    """Claims that the development identity accepts, with some replaced."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": "motcua",
        "sub": "dev:motcua.badinh",
        "preferred_username": "motcua.badinh",
        "realm_access": {"roles": ["officer"]},
        "agency": "H29.12.3",
        "iat": now,
        "exp": now + 600,
    }
    return claims | overrides


class TestNeverInProduction:
    def test_production_settings_with_the_dev_identity_do_not_build(self) -> None:
        with pytest.raises(ValueError, match="MOTCUA_DEV_IDENTITY must be false in production") as caught:
            Settings(**PRODUCTION, dev_identity=True)
        assert "đặt MOTCUA_DEV_IDENTITY=false khi chạy production" in str(caught.value)

    def test_production_settings_without_keycloak_do_not_build(self) -> None:
        with pytest.raises(ValueError, match="MOTCUA_KEYCLOAK_URL is required in production"):
            Settings(**(PRODUCTION | {"keycloak_url": None}), dev_identity=False)

    def test_production_settings_on_sqlite_do_not_build(self) -> None:
        with pytest.raises(ValueError, match="Production runs on PostgreSQL"):
            Settings(**(PRODUCTION | {"database_url": "sqlite:///motcua.db"}), dev_identity=False)

    def test_valid_production_settings_still_refuse_the_dev_identity(self) -> None:
        settings = Settings(**PRODUCTION, dev_identity=False)
        with pytest.raises(RuntimeError, match="refused in production"):
            DevIdentity(settings)

    def test_the_dev_identity_refuses_production_even_when_validation_was_bypassed(self) -> None:
        settings = Settings.model_construct(**PRODUCTION, dev_identity=True, dev_secret=SECRET)
        with pytest.raises(RuntimeError, match="refused in production"):
            DevIdentity(settings)

    def test_the_dev_identity_is_off_when_switched_off_outside_production(self, tmp_path: Path) -> None:
        with pytest.raises(RuntimeError):
            DevIdentity(dev_settings(tmp_path, dev_identity=False))

    def test_the_token_command_refuses_in_production(self, tmp_path: Path) -> None:
        result = token_command(
            tmp_path, {"MOTCUA_ENV": "production"}, "--role", "officer", "--agency", "H29.12.3"
        )
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr.startswith("Từ chối: MOTCUA_DEV_IDENTITY must be false in production")
        assert SECRET not in result.output

    def test_the_token_command_refuses_a_complete_production_configuration(self, tmp_path: Path) -> None:
        env = {
            "MOTCUA_ENV": "production",
            "MOTCUA_DEV_IDENTITY": "false",
            "MOTCUA_KEYCLOAK_URL": PRODUCTION["keycloak_url"],
            "MOTCUA_DATABASE_URL": PRODUCTION["database_url"],
            "MOTCUA_RESIDENTS_URL": "https://lgsp.example.gov.vn/dan-cu",
            "MOTCUA_RESIDENTS_TOKEN": "t" * 32,
        }
        result = token_command(tmp_path, env, "--role", "officer", "--agency", "H29.12.3")
        assert result.exit_code == 2
        assert result.stdout == ""
        assert "Từ chối: The development identity is refused in production" in result.stderr


class TestTokenCommand:
    def test_an_officer_token_carries_keycloak_claims(self, tmp_path: Path) -> None:
        result = token_command(tmp_path, {}, "--role", "officer", "--agency", "H29.12.3")
        assert result.exit_code == 0, result.output
        token = result.stdout.strip()
        assert token.count(".") == 2
        claims = claims_of(token)
        assert claims["iss"] == ISSUER
        assert claims["aud"] == "motcua"
        assert claims["sub"] == "dev:motcua.badinh"
        assert claims["preferred_username"] == "motcua.badinh"
        assert claims["realm_access"] == {"roles": ["officer"]}
        assert claims["agency"] == "H29.12.3"
        assert claims["name"] == "Lê Thu Hà"
        assert claims["exp"] > time.time()

    def test_the_printed_token_signs_in_as_that_officer(self, tmp_path: Path) -> None:
        token = token_command(tmp_path, {}, "--role", "officer", "--agency", "H29.12.3").stdout.strip()
        actor = DevIdentity(dev_settings(tmp_path)).verify(token)
        assert actor.roles == frozenset({Role.OFFICER})
        assert actor.agency == "H29.12.3"
        assert actor.is_staff

    def test_a_citizen_token_carries_the_identity_number(self, tmp_path: Path) -> None:
        result = token_command(tmp_path, {}, "--role", "citizen")
        assert result.exit_code == 0, result.output
        claims = claims_of(result.stdout.strip())
        assert claims["realm_access"] == {"roles": ["citizen"]}
        assert claims["identity_number"] == "001088012345"
        assert "agency" not in claims

    def test_a_demo_user_by_name(self, tmp_path: Path) -> None:
        result = token_command(tmp_path, {}, "--user", "lanhdao.hoankiem")
        assert result.exit_code == 0, result.output
        claims = claims_of(result.stdout.strip())
        assert claims["realm_access"] == {"roles": ["leader"]}
        assert claims["agency"] == "H29.12.5"

    def test_an_unknown_demo_user_lists_the_known_ones(self, tmp_path: Path) -> None:
        result = token_command(tmp_path, {}, "--user", "khongco")
        assert result.exit_code == 2
        assert "Không có người dùng mẫu «khongco». Có: nguyenvanan, tranthibinh" in result.stderr

    def test_staff_need_an_agency(self, tmp_path: Path) -> None:
        result = token_command(tmp_path, {}, "--role", "specialist")
        assert result.exit_code == 2
        assert "Cán bộ cần --agency" in result.stderr


class TestVerify:
    @pytest.fixture
    def identity(self, tmp_path: Path) -> DevIdentity:
        return DevIdentity(dev_settings(tmp_path))

    def assert_refused(self, identity: DevIdentity, token: str) -> None:
        with pytest.raises(Unauthenticated) as caught:
            identity.verify(token)
        assert caught.value.code == "Unauthenticated"
        assert caught.value.message == "Phiên đăng nhập không hợp lệ hoặc đã hết hạn. Vui lòng đăng nhập lại."

    def test_a_good_token_is_accepted(self, identity: DevIdentity) -> None:
        actor = identity.verify(jwt.encode(good_claims(), SECRET, algorithm="HS256"))
        assert actor.subject == "dev:motcua.badinh"
        assert actor.username == "motcua.badinh"

    def test_a_tampered_payload_is_refused(self, identity: DevIdentity) -> None:
        header, _payload, signature = identity.issue_demo("motcua.badinh").split(".")
        forged = good_claims(realm_access={"roles": ["admin"]})
        payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
        self.assert_refused(identity, f"{header}.{payload}.{signature}")

    def test_a_tampered_signature_is_refused(self, identity: DevIdentity) -> None:
        header, payload, signature = identity.issue_demo("motcua.badinh").split(".")
        # Change the first character: it carries six signature bits (the last one may carry padding only).
        flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
        self.assert_refused(identity, f"{header}.{payload}.{flipped}")

    def test_an_expired_token_is_refused(self, identity: DevIdentity) -> None:
        token = identity.issue(
            username="motcua.badinh", roles=["officer"], agency="H29.12.3", ttl_seconds=-60
        )
        self.assert_refused(identity, token)

    def test_an_unsigned_alg_none_token_is_refused(self, identity: DevIdentity) -> None:
        self.assert_refused(identity, jwt.encode(good_claims(), None, algorithm="none"))

    def test_a_token_for_another_audience_is_refused(self, identity: DevIdentity) -> None:
        self.assert_refused(identity, jwt.encode(good_claims(aud="account"), SECRET, algorithm="HS256"))

    def test_a_token_from_another_issuer_is_refused(self, identity: DevIdentity) -> None:
        token = jwt.encode(good_claims(iss="https://evil.example"), SECRET, algorithm="HS256")
        self.assert_refused(identity, token)

    def test_a_token_signed_with_another_secret_is_refused(self, identity: DevIdentity) -> None:
        self.assert_refused(identity, jwt.encode(good_claims(), "another-" + SECRET, algorithm="HS256"))

    def test_a_token_with_another_hmac_algorithm_is_refused(self, identity: DevIdentity) -> None:
        self.assert_refused(identity, jwt.encode(good_claims(), SECRET, algorithm="HS512"))

    def test_a_token_without_expiry_is_refused(self, identity: DevIdentity) -> None:
        claims = good_claims()
        del claims["exp"]
        self.assert_refused(identity, jwt.encode(claims, SECRET, algorithm="HS256"))

    @pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x"])
    def test_garbage_is_refused(self, identity: DevIdentity, garbage: str) -> None:
        self.assert_refused(identity, garbage)


def test_without_a_configured_secret_a_random_one_is_kept_beside_the_database(tmp_path: Path) -> None:
    first = DevIdentity(dev_settings(tmp_path, dev_secret=None))
    token = first.issue_demo("motcua.badinh")
    secret_file = tmp_path / "dev-identity.secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert len(secret_file.read_text().strip()) >= 48
    # After a restart the same installation still accepts the token; another installation does not.
    assert DevIdentity(dev_settings(tmp_path, dev_secret=None)).verify(token).username == "motcua.badinh"
    with pytest.raises(Unauthenticated):
        DevIdentity(dev_settings(tmp_path / "other", dev_secret=None)).verify(token)
