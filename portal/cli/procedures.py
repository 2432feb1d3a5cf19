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


@app.command("publish")
def publish(
    path: Path = typer.Argument(..., help="Thư mục processes/ hoặc một thư mục thủ tục (procedure folder)"),
) -> None:
    """Checked publish from a folder (e.g. procedures kept in git): each folder that passes every check of
    `procedures check` becomes a new version; a folder with problems is refused and listed; running dossiers
    stay on their versions."""
    from engine.checks import publish_checked
    from engine.store.migrate import upgrade
    from portal.settings import get_settings
    from portal.wiring import build, build_services

    settings = get_settings()
    if not path.exists():
        typer.secho(f"✗ không tìm thấy thư mục {path} (folder not found)", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    container = build(settings)
    try:
        upgrade(container.engine)
        outcome = publish_checked(
            container.transaction,
            container.services.runtime,
            container.services.forms,
            lambda clock: build_services(settings, clock),
            path,
            container.services.clock.now(),
        )
    finally:
        container.close()
    for item in outcome.published:
        if item.created:
            typer.secho(
                f"✓ {item.code}: công bố phiên bản {item.version} (published version {item.version})",
                fg=typer.colors.GREEN,
            )
        else:
            typer.echo(f"= {item.code}: đã công bố, phiên bản {item.version} (already published)")
    for report in outcome.refused:
        typer.secho(f"✗ {report.path}", fg=typer.colors.RED)
        for problem in report.details:
            where = (
                f" [{problem.element_id or problem.field or problem.file}]"
                if (problem.element_id or problem.field or problem.file)
                else ""
            )
            typer.echo(f"    - {problem.message}{where}")
    if outcome.refused:
        typer.echo(f"{len(outcome.refused)} thủ tục bị từ chối (procedures refused).", err=True)
        raise typer.Exit(1)
    if not outcome.published:
        typer.echo("Không có thư mục thủ tục nào (no procedure folder).", err=True)
        raise typer.Exit(1)
