"""`motcua serve`: the portal and API; on the embedded default also migrates and seeds."""

from __future__ import annotations

import ipaddress
import logging

import typer
import uvicorn

from portal.settings import get_settings


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: str = typer.Option("127.0.0.1", help="Địa chỉ lắng nghe"),
    port: int = typer.Option(8000, help="Cổng"),
    workers: int = typer.Option(1, help="Số tiến trình uvicorn (PostgreSQL khi > 1)"),
) -> None:
    """Start the portal (migrations, procedures and demo data are applied first)."""
    from portal.bootstrap import prepare
    from portal.wiring import build

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    if settings.dev_identity and not _is_loopback(host):
        raise typer.BadParameter(
            "Danh tính phát triển chỉ dùng trên loopback; đặt MOTCUA_DEV_IDENTITY=false và cấu hình Keycloak "
            "trước khi mở ra mạng (the development identity is loopback-only).",
            param_hint="--host",
        )
    if workers > 1 and settings.database_url.startswith("sqlite"):
        raise typer.BadParameter(
            "Nhiều tiến trình cần PostgreSQL (several workers need PostgreSQL).", param_hint="--workers"
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    prepare(build(settings))
    typer.echo(f"MotCua đang chạy tại http://{host}:{port}  (API: /api/v1, tài liệu: /docs)")
    uvicorn.run(
        "portal.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info"
    )
