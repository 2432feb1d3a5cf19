"""Configuration: environment variables with the prefix MOTCUA_ (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from integrations.ioc.settings import IocSettings
from integrations.notify.settings import SmsSettings, SmtpSettings
from integrations.pdf.settings import PdfSettings
from integrations.residents.settings import ResidentsSettings

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class Settings(BaseSettings):
    """Everything an operator may set; secrets have no usable default in production."""

    model_config = SettingsConfigDict(env_prefix="MOTCUA_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{ROOT / 'var' / 'motcua.db'}"
    processes_dir: Path = ROOT / "processes"
    forms_dir: Path = ROOT / "forms"
    data_dir: Path = ROOT / "var"
    # Where `motcua serve` listens (MOTCUA_HOST, MOTCUA_PORT; set by `--host`/`--port`, `make run PORT=…`).
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # The address people and other systems reach the portal at (QR codes, e-mails, the Keycloak redirect).
    # Unless set, it follows the host and port: http://127.0.0.1:<port>.
    public_url: str = "http://127.0.0.1:8000"
    # Built-in development identity (embedded default only; refused in production).
    dev_identity: bool = True
    dev_secret: str | None = None
    token_issuer: str = "http://127.0.0.1:8000/dev-identity"  # unless set: <public_url>/dev-identity
    token_audience: str = "motcua"
    # Keycloak (production identity).
    keycloak_url: str | None = None
    keycloak_realm: str = "motcua"
    keycloak_client_id: str = "motcua-portal"  # the portal's browser login (public client, PKCE S256)
    keycloak_client_secret: str | None = None  # only when the portal's client is confidential
    keycloak_home: Path = ROOT / "var" / "keycloak"  # `motcua keycloak fetch|up|down`: download cache and PID
    keycloak_jwks_ttl: float = Field(default=600.0, gt=0, le=86400)
    # Browser sessions (server-side rows; the cookie carries a random id only).
    session_cookie: str = "motcua_session"
    cookie_secure: bool | None = None  # None: Secure unless the portal is served on loopback over http
    # Deadlines.
    near_due_share: float = Field(default=0.25, gt=0, lt=1)
    # Decision 766 scoring (MOTCUA_STATS_766_CONFIG): a province's weights and thresholds, no release needed.
    stats_766_config: Path = ROOT / "engine" / "stats" / "766.yaml"
    timeliness_by_date: bool = True
    max_loop_rounds: int = Field(default=20, ge=1, le=200)
    seed_demo: bool = True
    # Uploaded papers (MOTCUA_UPLOAD_MAX_BYTES): larger files are refused (413 on the API).
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    # Background work (`motcua worker`): seconds between two cycles.
    worker_interval: float = Field(default=5.0, gt=0, le=3600)
    # The operations center (MOTCUA_IOC_*, read by IocSettings itself).
    ioc: IocSettings = Field(default_factory=IocSettings)
    # Citizen messages (MOTCUA_SMTP_*, MOTCUA_SMS_*); without a server they are written under data_dir.
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    sms: SmsSettings = Field(default_factory=SmsSettings)
    # Delivered outbox rows are deleted after this many days (the IOC feed keeps them that long).
    outbox_retention_days: int = Field(default=90, ge=1, le=3650)
    # Anonymous tracking (/tra-cuu, /api/v1/track) per client address: at most this many lookups per window,
    # counted in the database so that every serve process shares one count.
    track_rate_limit: int = Field(default=30, ge=1, le=100_000)
    track_rate_window: int = Field(default=60, ge=1, le=86_400)
    # How long an Idempotency-Key's first answer is kept and replayed (hours).
    idempotency_ttl_hours: int = Field(default=24, ge=1, le=24 * 30)
    # The population database (MOTCUA_RESIDENTS_*, read by ResidentsSettings itself).
    residents: ResidentsSettings = Field(default_factory=ResidentsSettings)
    # Printed documents (MOTCUA_PDF_*, read by PdfSettings itself); QR links start at `public_url`.
    pdf: PdfSettings = Field(default_factory=PdfSettings)

    @model_validator(mode="after")
    def _urls_follow_the_port(self) -> Settings:
        if "public_url" not in self.model_fields_set:
            self.public_url = derived_public_url(self.host, self.port)
        if "token_issuer" not in self.model_fields_set:
            self.token_issuer = self.public_url.rstrip("/") + "/dev-identity"
        return self

    @model_validator(mode="after")
    def _production_is_strict(self) -> Settings:
        if self.env == "production":
            if self.dev_identity:
                raise ValueError(
                    "MOTCUA_DEV_IDENTITY must be false in production: the development identity is for the "
                    "embedded default only (đặt MOTCUA_DEV_IDENTITY=false khi chạy production)."
                )
            if not self.keycloak_url:
                raise ValueError("MOTCUA_KEYCLOAK_URL is required in production.")
            if self.database_url.startswith("sqlite"):
                raise ValueError("Production runs on PostgreSQL: set MOTCUA_DATABASE_URL.")
            for problem in [
                *self.ioc.production_problems(),
                *self.residents.production_problems(),
                *self.pdf.production_problems(),
            ]:
                raise ValueError(problem)
        return self

    @property
    def secure_cookies(self) -> bool:
        """Cookies are Secure outside loopback (and always when the portal is served over https)."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        host = urlsplit(self.public_url).hostname or ""
        return self.public_url.startswith("https://") or host not in LOOPBACK


def derived_public_url(host: str, port: int) -> str:
    """The portal's own address when MOTCUA_PUBLIC_URL is not set: loopback for a wildcard listen address."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"http://{host}:{port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
