"""`motcua serve`: the portal and API; on the embedded default also migrates and seeds."""

from __future__ import annotations

import ipaddress
import os
import threading

import typer
import uvicorn

from portal.nodelay import PROTOCOL as NODELAY_PROTOCOL
from portal.settings import Settings, get_settings


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listen_on(host: str | None, port: int | None) -> Settings:
    """The settings with the listen address of the command line (else MOTCUA_HOST/MOTCUA_PORT).

    Written back to the environment, so that the app factory uvicorn calls (in this process or in its worker
    processes) reads the same address, and the public URL and the development token issuer follow the port
    unless MOTCUA_PUBLIC_URL / MOTCUA_TOKEN_ISSUER are set.
    """
    if host is not None:
        os.environ["MOTCUA_HOST"] = host
    if port is not None:
        os.environ["MOTCUA_PORT"] = str(port)
    get_settings.cache_clear()
    return get_settings()


def serve(
    host: str | None = typer.Option(None, help="Địa chỉ lắng nghe (mặc định MOTCUA_HOST hoặc 127.0.0.1)"),
    port: int | None = typer.Option(None, help="Cổng (mặc định MOTCUA_PORT hoặc 8000)"),
    workers: int = typer.Option(1, help="Số tiến trình uvicorn (PostgreSQL khi > 1)"),
    with_worker: bool | None = typer.Option(
        None,
        "--with-worker/--no-worker",
        help="Chạy tiến trình nền (hẹn giờ, theo dõi thời hạn, gửi sự kiện) ngay trong serve; "
        "mặc định bật với SQLite, tắt với PostgreSQL (chạy `motcua worker` riêng)",
    ),
) -> None:
    """Start the portal (migrations, procedures and demo data are applied first)."""
    from portal.bootstrap import prepare
    from portal.dependencies import Broken, check_at_start
    from portal.logs import configure as configure_logging
    from portal.wiring import build
    from portal.worker import Worker

    configure_logging()
    settings = listen_on(host, port)
    host, port = settings.host, settings.port
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
    try:
        check_at_start(settings, "serve")
    except Broken as exc:
        typer.echo(
            f"Không khởi động: dịch vụ bắt buộc không hoạt động (a required service is down): {exc}", err=True
        )
        raise typer.Exit(1) from exc
    container = build(settings)
    prepare(container, demo_dossiers=True)
    embedded = settings.database_url.startswith("sqlite") if with_worker is None else with_worker
    worker = Worker(container, settings.worker_interval) if embedded else None
    thread = threading.Thread(target=worker.run, name="motcua-worker", daemon=True) if worker else None
    if thread:
        thread.start()
    typer.echo(
        f"MotCua đang chạy tại {settings.public_url}  (lắng nghe {host}:{port}; API /api/v1, tài liệu /docs)"
    )
    try:
        uvicorn.run(
            "portal.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            http=NODELAY_PROTOCOL,
        )
    finally:
        if worker and thread:
            worker.stop()
            thread.join(timeout=30)
