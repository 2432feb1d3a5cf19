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


@app.command("move")
def move(  # noqa: PLR0913 — one option per choice of the page
    code: str = typer.Argument(..., help="Mã thủ tục, ví dụ 1.004222"),
    from_version: str = typer.Option(..., "--from", help="Phiên bản đang dùng"),
    to_version: str = typer.Option(..., "--to", help="Phiên bản đích (đã công bố)"),
    policy: str = typer.Option(
        "keep", help="keep (giữ thời hạn đã áp dụng) | new_term (thời hạn mới từ lúc chuyển)"
    ),
    note: str = typer.Option("", help="Lý do chuyển (5–500 ký tự), bắt buộc khi --apply"),
    apply: bool = typer.Option(False, "--apply", help="Chuyển thật; không có: chỉ xem trước"),
) -> None:
    """Move the open dossiers of one version to another (a dry run unless --apply), as the page does."""
    import getpass

    from engine.actor import Actor, Role
    from engine.clock import to_local
    from engine.errors import DomainError
    from engine.usecases import version_migration as vm
    from portal.settings import get_settings
    from portal.wiring import build

    container = build(get_settings())
    actor = Actor(
        subject=f"cli:{getpass.getuser()}",
        username=getpass.getuser(),
        roles=frozenset({Role.ADMIN}),
        full_name=f"Dòng lệnh ({getpass.getuser()})",
    )
    data = vm.MoveInput(from_version, to_version, policy, note)
    try:
        if apply:
            report = vm.apply(container.transaction, container.services, actor, code, data, dossier_ids=None)
            for moved in report.moved:
                typer.echo(f"✓ {moved}")
            for refused, reason in report.refused:
                typer.echo(f"✗ {refused}: {reason}")
            typer.echo(f"Đã chuyển {len(report.moved)} hồ sơ (moved {len(report.moved)}).")
            if report.more:
                typer.echo("Còn hồ sơ chưa chuyển: chạy lại lệnh (more left: run again).")
            return
        after: int | None = None
        while True:
            with container.transaction() as uow:
                page = vm.dry_run(container.services, uow, actor, code, data, after=after)
            for c in page.candidates:
                due = "—" if c.due_at is None else f"{to_local(c.due_at):%H:%M %d/%m/%Y}"
                new = "—" if c.new_due_at is None else f"{to_local(c.new_due_at):%H:%M %d/%m/%Y}"
                verdict = "có thể chuyển" if c.movable else f"không: {c.refusal}"
                if c.movable and c.form_gaps:
                    gaps = "; ".join(gap.message for gap in c.form_gaps)
                    verdict += f" (chưa khớp biểu mẫu mới: {gaps})"
                typer.echo(f"{c.code}\t{due} → {new}\t{verdict}")
            if page.next_after is None:
                break
            after = page.next_after
    except DomainError as exc:
        problems = "; ".join(f"{k}: {v.message}" for k, v in exc.fields.items())
        typer.echo(f"{exc.message} {problems}".strip(), err=True)
        raise typer.Exit(1) from exc
    finally:
        container.close()


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
