"""`motcua db upgrade`."""

from __future__ import annotations

import typer

app = typer.Typer(help="Cơ sở dữ liệu (database).", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Apply Alembic migrations up to head."""
    from engine.store.db import make_engine
    from engine.store.migrate import upgrade as run
    from portal.settings import get_settings

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    run(make_engine(settings.database_url))
    typer.echo("Đã nâng cấp cơ sở dữ liệu lên phiên bản mới nhất (database at head).")
