"""`motcua dev token`: development identity (refused in production)."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from engine.actor import Role

app = typer.Typer(help="Công cụ phát triển (development helpers).", no_args_is_help=True)


@app.command("token")
def token(
    role: Role = typer.Option(Role.CITIZEN, help="Vai trò"),
    agency: str | None = typer.Option(None, help="Mã cơ quan (cán bộ)"),
    user: str | None = typer.Option(None, help="Tên người dùng mẫu, ví dụ motcua.badinh"),
    identity_number: str | None = typer.Option(None, help="Số định danh cá nhân (công dân)"),
    name: str | None = typer.Option(None, help="Họ và tên"),
) -> None:
    """Print a bearer token with the claims a Keycloak token carries."""
    from portal.auth import DEMO_USERS, DevIdentity
    from portal.settings import get_settings

    try:
        identity = DevIdentity(get_settings())
    except ValidationError as exc:
        # Settings refuse MOTCUA_ENV=production while the development identity is on. Print the reasons only:
        # the validation error also carries the input, which may hold secrets.
        reasons = "; ".join(
            str(e["msg"]).removeprefix("Value error, ") for e in exc.errors(include_input=False)
        )
        typer.echo(f"Từ chối: {reasons}", err=True)
        raise typer.Exit(2) from exc
    except RuntimeError as exc:
        typer.echo(f"Từ chối: {exc}", err=True)
        raise typer.Exit(2) from exc
    if user:
        try:
            typer.echo(identity.issue_demo(user))
        except KeyError as exc:
            names = ", ".join(u.username for u in DEMO_USERS)
            typer.echo(f"Không có người dùng mẫu «{user}». Có: {names}", err=True)
            raise typer.Exit(2) from exc
        return
    if role not in (Role.CITIZEN, Role.ADMIN, Role.IOC) and not agency:
        typer.echo("Cán bộ cần --agency (staff need --agency).", err=True)
        raise typer.Exit(2)
    demo = next(
        (u for u in DEMO_USERS if role.value in u.roles and (agency is None or u.agency == agency)), None
    )
    username = demo.username if demo else f"{role.value}.{(agency or 'dev').lower()}"
    if role is Role.CITIZEN and identity_number is None and demo:
        identity_number = demo.identity_number
    typer.echo(
        identity.issue(
            username=username,
            roles=[role.value],
            agency=agency,
            identity_number=identity_number,
            name=name or (demo.name if demo else username),
        )
    )
