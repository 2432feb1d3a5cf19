"""`motcua procedures check [PATH]`."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Thủ tục hành chính (procedures).", no_args_is_help=True)


@app.command("check")
def check(
    path: Path | None = typer.Argument(None, help="Thư mục processes/ hoặc một thư mục thủ tục"),
) -> None:
    """Validate procedure folders: BPMN, lanes → roles, forms, budgets, scenarios."""
    from engine.checks import check_all
    from portal.settings import get_settings
    from portal.wiring import build_services

    settings = get_settings()
    root = path or settings.processes_dir
    services = build_services(settings)
    reports = check_all(root, services.runtime, services.forms, lambda clock: build_services(settings, clock))
    failed = 0
    for report in reports:
        if report.problems:
            failed += 1
            typer.secho(f"✗ {report.path}", fg=typer.colors.RED)
            for problem in report.problems:
                typer.echo(f"    - {problem}")
        else:
            typer.secho(f"✓ {report.path} ({report.scenarios} kịch bản đạt)", fg=typer.colors.GREEN)
    if failed:
        typer.echo(f"{failed}/{len(reports)} thủ tục có lỗi (procedures with problems).", err=True)
        raise typer.Exit(1)
    typer.echo(f"Tất cả {len(reports)} thủ tục hợp lệ (all procedures valid).")
