"""`motcua keycloak fetch|up|down`: a development Keycloak on loopback with the project's realm."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Máy chủ định danh Keycloak để phát triển (development Keycloak).", no_args_is_help=True
)


@app.command("fetch")
def fetch() -> None:
    """Download the pinned Keycloak distribution from Maven Central (skipped when already cached)."""
    from integrations.keycloak.server import KEYCLOAK_VERSION, KeycloakUnavailable
    from integrations.keycloak.server import fetch as fetch_server
    from portal.settings import get_settings

    try:
        home = fetch_server(get_settings().keycloak_home, say=typer.echo)
    except KeycloakUnavailable as exc:
        typer.echo(f"Không tải được Keycloak: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Keycloak {KEYCLOAK_VERSION}: {home}")


@app.command("up")
def up(
    port: int = typer.Option(8080, help="Cổng HTTP trên 127.0.0.1"),
    management_port: int = typer.Option(9000, help="Cổng quản trị (/health/ready)"),
    public_url: str | None = typer.Option(None, help="Địa chỉ cổng MotCua (mặc định MOTCUA_PUBLIC_URL)"),
    admin_password: str = typer.Option("admin", help="Mật khẩu tài khoản admin của realm master"),
) -> None:
    """Start Keycloak in dev mode with the motcua realm imported; returns once /health/ready answers."""
    from integrations.keycloak.server import KeycloakServer, KeycloakUnavailable, read_pid
    from integrations.keycloak.server import fetch as fetch_server
    from portal.settings import get_settings

    settings = get_settings()
    state = settings.keycloak_home / "run"
    if read_pid(state / "keycloak.pid"):
        typer.echo("Keycloak đang chạy (PID file exists): `motcua keycloak down` trước.", err=True)
        raise typer.Exit(1)
    try:
        home = fetch_server(settings.keycloak_home, say=typer.echo)
        typer.echo("Đang khởi động Keycloak (lần đầu mất khoảng một phút)…")
        server = KeycloakServer(
            home=home,
            state_dir=state,
            http_port=port,
            management_port=management_port,
            public_url=public_url or settings.public_url,
            admin_password=admin_password,
        ).start()
    except KeycloakUnavailable as exc:
        typer.echo(f"Keycloak không khởi động được: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Keycloak sẵn sàng: {server.url} (realm motcua, PID {server.pid}, log {server.log_file})")
    typer.echo(f"export MOTCUA_KEYCLOAK_URL={server.url}")
    typer.echo("Người dùng mẫu: mật khẩu «motcua-demo»; quản trị: admin / (mật khẩu --admin-password)")


@app.command("down")
def down() -> None:
    """Stop the Keycloak started by `motcua keycloak up` (by its recorded PID)."""
    from integrations.keycloak.server import KeycloakServer
    from portal.settings import get_settings

    settings = get_settings()
    server = KeycloakServer(home=settings.keycloak_home, state_dir=settings.keycloak_home / "run")
    typer.echo("Đã dừng Keycloak." if server.stop() else "Keycloak không chạy.")
