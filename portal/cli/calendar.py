"""`motcua calendar due`: a due time with the days skipped and why."""

from __future__ import annotations

import json
from datetime import datetime

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from engine.calendar import DeadlineUnit, WorkingCalendar
from engine.errors import InvalidInput, NotFound

app = typer.Typer(help="Lịch ngày làm việc (working-day calendar).", no_args_is_help=True)


@app.command("due")
def due(
    start: str = typer.Option(..., help="Thời điểm tiếp nhận ISO 8601; không ghi múi giờ = giờ Việt Nam"),
    unit: DeadlineUnit = typer.Option(..., help="working_days | working_hours | same_day | calendar_days"),
    amount: float = typer.Option(0, help="Số lượng (bỏ qua với same_day)"),
    cutoff: str | None = typer.Option(None, help="Giờ chốt tiếp nhận HH:MM, ví dụ 15:00"),
    agency: str | None = typer.Option(None, help="Mã cơ quan (giờ làm việc, ngày nghỉ riêng)"),
    as_json: bool = typer.Option(False, "--json", help="In JSON"),
) -> None:
    """Compute the due time of a receipt moment."""
    from portal.api.calendar import parse_cutoff

    try:
        moment = datetime.fromisoformat(start)
    except ValueError as exc:
        raise typer.BadParameter(
            "Thời điểm phải theo ISO 8601, ví dụ 2026-02-13T09:00", param_hint="--start"
        ) from exc
    try:
        cut = parse_cutoff(cutoff)
    except InvalidInput as exc:
        raise typer.BadParameter("Giờ chốt phải có dạng HH:MM, ví dụ 15:00", param_hint="--cutoff") from exc
    try:
        result = _calendar(agency).due(moment, amount, unit, cut)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--amount") from exc
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        for line in result.explanation():
            typer.echo(line)


def _calendar(agency: str | None) -> WorkingCalendar:
    """The configured database's calendar; the national data alone when there is no database yet."""
    from engine.store.db import make_engine, unit_of_work
    from engine.usecases.calendars import calendar_for
    from portal.settings import get_settings

    settings = get_settings()
    if settings.database_url.startswith("sqlite") and not settings.data_dir.exists() and agency is None:
        return WorkingCalendar()
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(engine) as uow:
            return calendar_for(uow, agency)
    except NotFound as exc:
        raise typer.BadParameter(exc.message, param_hint="--agency") from exc
    except (OperationalError, ProgrammingError) as exc:
        if agency:
            raise typer.BadParameter(
                "Chưa có cơ sở dữ liệu; chạy `motcua db upgrade` trước.", param_hint="--agency"
            ) from exc
        return WorkingCalendar()
    finally:
        engine.dispose()
