"""`motcua outbox list|retry`: see what waits or was parked, and deliver it again."""

from __future__ import annotations

from datetime import datetime

import typer

from engine.notify import TYPE_PREFIX as NOTICE_PREFIX
from engine.outbox import TYPE_PREFIX, Channel, Delivery

app = typer.Typer(
    help="Hộp thư đi: sự kiện gửi IOC và thông báo (the transactional outbox).", no_args_is_help=True
)

COLUMNS = ("SEQ", "ID", "LOẠI", "HỒ SƠ", "KÊNH", "TRẠNG THÁI", "LẦN", "LẦN TỚI / ĐÃ GỬI", "LỖI GẦN NHẤT")


def _when(moment: datetime | None) -> str:
    from engine.clock import to_local

    return f"{to_local(moment):%Y-%m-%d %H:%M:%S}" if moment else "—"


@app.command("list")
def list_(
    status: Delivery | None = typer.Option(None, help="pending | delivered | parked"),
    channel: Channel | None = typer.Option(None, help="ioc | email | sms (mặc định: tất cả)"),
    limit: int = typer.Option(50, min=1, max=10000, help="Số dòng tối đa (mới nhất trước)"),
) -> None:
    """Print the newest outbox rows as a table."""
    from engine.outbox import list_events
    from portal.settings import get_settings
    from portal.wiring import build

    container = build(get_settings())
    with container.transaction() as uow:
        rows = list_events(uow, status=status, channel=channel, limit=limit)
    if not rows:
        typer.echo("Không có sự kiện nào (no events).")
        return
    table = [
        (
            str(r.seq),
            r.id,
            r.type.removeprefix(TYPE_PREFIX).removeprefix(NOTICE_PREFIX),
            r.subject,
            r.channel,
            r.status,
            str(r.attempts),
            _when(r.delivered_at if r.status == Delivery.DELIVERED.value else r.next_attempt_at),
            (r.last_error or "")[:60],
        )
        for r in rows
    ]
    widths = [max(len(c), *(len(row[i]) for row in table)) for i, c in enumerate(COLUMNS)]
    for line in (COLUMNS, *table):
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


@app.command("retry")
def retry(
    ids: list[str] | None = typer.Argument(None, help="Mã sự kiện (id) cần gửi lại"),
    all_parked: bool = typer.Option(False, "--all-parked", help="Gửi lại mọi sự kiện đã dừng (parked)"),
) -> None:
    """Make parked (or pending) events due now with a fresh attempt budget."""
    from engine.outbox import retry as run
    from portal.settings import get_settings
    from portal.wiring import build

    if not ids and not all_parked:
        raise typer.BadParameter("Nêu mã sự kiện hoặc dùng --all-parked (give ids or --all-parked).")
    container = build(get_settings())
    with container.transaction() as uow:
        changed = run(uow, ids or [], all_parked=all_parked, now=container.services.clock.now())
    unknown = sorted(set(ids or []) - set(changed))
    typer.echo(f"Đã đặt lại {len(changed)} sự kiện để gửi lại (queued for delivery).")
    if unknown:
        typer.echo(f"Bỏ qua (không có hoặc đã gửi xong): {', '.join(unknown)}", err=True)
