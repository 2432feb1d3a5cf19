"""`MOTCUA_SMTP_*` and `MOTCUA_SMS_*`: where citizen messages go.

Without a server (the embedded default) messages are written as files under `<data dir>/mail` and
`<data dir>/sms`, so a developer can read exactly what a citizen would get. In production an unconfigured
channel does not pretend: its messages fail, are parked after the retry budget, and show in
`motcua outbox list --status parked` until the channel is configured and `motcua outbox retry --all-parked`.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class SmtpSettings(BaseSettings):
    """The mail server that sends citizen e-mail."""

    model_config = SettingsConfigDict(env_prefix="MOTCUA_SMTP_", env_file=".env", extra="ignore")

    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "MotCua <no-reply@motcua.localhost>"
    timeout_seconds: float = Field(default=15.0, gt=0, le=120)
    batch: int = Field(default=50, ge=1, le=1000)
    max_attempts: int = Field(default=8, ge=1, le=100)


class SmsSettings(BaseSettings):
    """The SMS gateway (HTTP): a JSON POST per message, authenticated with a bearer token."""

    model_config = SettingsConfigDict(env_prefix="MOTCUA_SMS_", env_file=".env", extra="ignore")

    url: str | None = None
    token: SecretStr | None = None
    brandname: str = "MOTCUA"
    # Most Vietnamese gateways bill a message with diacritics (UCS-2, 70 characters) as two or three;
    # unaccented text fits 160. On by default, as carriers' brandname templates usually are.
    ascii_only: bool = True
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    batch: int = Field(default=50, ge=1, le=1000)
    max_attempts: int = Field(default=8, ge=1, le=100)
