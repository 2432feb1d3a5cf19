"""`MOTCUA_PDF_*`: the PDF variant, the agencies' signing keys and the rendering round."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

VARIANTS = ("pdf/a-3a", "pdf/a-3b", "pdf/a-2b", "pdf/ua-1")


class PdfSettings(BaseSettings):
    """How documents are rendered and signed."""

    model_config = SettingsConfigDict(env_prefix="MOTCUA_PDF_", env_file=".env", extra="ignore")

    # "pdf/a-3a": archival (PDF/A-3) and tagged for screen readers; "" for plain PDF 1.7.
    variant: str = "pdf/a-3a"
    # Folder of `<agency code>.pem` Ed25519 private keys; result documents of those agencies are signed.
    signing_keys_dir: Path | None = None
    batch: int = Field(default=20, ge=1, le=500)
    lease_seconds: float = Field(default=300.0, ge=1)
    max_attempts: int = Field(default=5, ge=1, le=100)

    def production_problems(self) -> list[str]:
        """Why this configuration may not run in production (empty when it may)."""
        if self.variant and self.variant not in VARIANTS:
            return [f"MOTCUA_PDF_VARIANT must be one of {', '.join(VARIANTS)} or empty."]
        return []
