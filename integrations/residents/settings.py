"""`MOTCUA_RESIDENTS_*`: where the population-database lookup service is, its credentials and time budget."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from integrations.residents.population import DEFAULT_SEED, DEFAULT_SIZE, HOUSEHOLD

MIN_TOKEN_LENGTH = 16


class ResidentsSettings(BaseSettings):
    """Without a URL (embedded default) MotCua starts the simulator in-process and talks to it over HTTP."""

    model_config = SettingsConfigDict(env_prefix="MOTCUA_RESIDENTS_", env_file=".env", extra="ignore")

    url: str | None = None
    token: SecretStr | None = None
    connect_timeout_seconds: float = Field(default=1.0, gt=0, le=30)
    read_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    # Everything one lookup may take, retries included: a citizen waits for it while filing.
    budget_seconds: float = Field(default=5.0, gt=0, le=120)
    retries: int = Field(default=1, ge=0, le=3)
    breaker_failures: int = Field(default=5, ge=1, le=100)
    breaker_reset_seconds: float = Field(default=30.0, gt=0, le=3600)
    cache_seconds: float = Field(default=60.0, ge=0, le=3600)
    cache_size: int = Field(default=1024, ge=1, le=100_000)
    # The embedded simulator's population.
    sim_size: int = Field(default=DEFAULT_SIZE, ge=HOUSEHOLD, le=900_000, multiple_of=HOUSEHOLD)
    sim_seed: int = DEFAULT_SEED

    def production_problems(self) -> list[str]:
        """Why this configuration may not run in production (empty when it may)."""
        problems = []
        if not self.url:
            problems.append(
                "MOTCUA_RESIDENTS_URL is required in production: the built-in simulator holds synthetic "
                "people only (cần cấu hình địa chỉ dịch vụ tra cứu CSDL quốc gia về dân cư)."
            )
        token = self.token.get_secret_value() if self.token else ""
        if len(token) < MIN_TOKEN_LENGTH:
            problems.append(
                f"MOTCUA_RESIDENTS_TOKEN must hold at least {MIN_TOKEN_LENGTH} characters in production "
                "(mã truy cập dịch vụ tra cứu dân cư)."
            )
        return problems
