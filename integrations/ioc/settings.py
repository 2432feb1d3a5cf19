"""`MOTCUA_IOC_*`: where the operations center listens, the shared secret, and the retry budget."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_LENGTH = 32


class IocSettings(BaseSettings):
    """Delivery to the IOC webhook; without a URL (embedded default) events stay in the outbox as the feed."""

    model_config = SettingsConfigDict(env_prefix="MOTCUA_IOC_", env_file=".env", extra="ignore")

    webhook_url: str | None = None
    secret: SecretStr | None = None
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    max_attempts: int = Field(default=10, ge=1, le=100)
    backoff_base_seconds: float = Field(default=5.0, gt=0)
    backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    batch: int = Field(default=50, ge=1, le=1000)
    # A claimed event stays with its worker this long; after a crash it is sent again once the lease ends.
    lease_seconds: float = Field(default=300.0, ge=1)

    def production_problems(self) -> list[str]:
        """Why this configuration may not run in production (empty when it may)."""
        if not self.webhook_url:
            return []
        secret = self.secret.get_secret_value() if self.secret else ""
        if len(secret) < MIN_SECRET_LENGTH:
            return [
                f"MOTCUA_IOC_SECRET must hold at least {MIN_SECRET_LENGTH} characters when "
                "MOTCUA_IOC_WEBHOOK_URL is set in production (sự kiện gửi IOC phải được ký bằng khoá bí mật)."
            ]
        return []
