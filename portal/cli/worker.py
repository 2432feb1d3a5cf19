"""`motcua worker`: the background role (outbox delivery; timers and the deadline scan join `run_cycle`)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from types import FrameType
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess


def _start_helpers(count: int, interval: float) -> list[BaseProcess]:
    """Start `count` processes running the batched steps (spawned: fresh interpreters, own connections)."""
    from portal.worker import run_process

    context = multiprocessing.get_context("spawn")
    helpers = [
        context.Process(target=run_process, args=(interval,), name=f"motcua-worker-{i + 1}", daemon=False)
        for i in range(count)
    ]
    for helper in helpers:
        helper.start()
    return helpers


def _stop_helpers(helpers: list[BaseProcess], timeout: float = 60.0) -> None:
    """Ask each helper to stop after its current cycle (SIGTERM), then wait; kill one that does not stop."""
    for helper in helpers:
        if helper.is_alive() and helper.pid is not None:
            os.kill(helper.pid, signal.SIGTERM)
    for helper in helpers:
        helper.join(timeout)
        if helper.is_alive():
            logging.getLogger("motcua.worker").error("%s did not stop; killing it", helper.name)
            helper.kill()
            helper.join()


def worker(
    once: bool = typer.Option(False, "--once", help="Chạy một chu kỳ rồi thoát (run one cycle and exit)"),
    interval: float | None = typer.Option(
        None, help="Số giây giữa hai chu kỳ (mặc định MOTCUA_WORKER_INTERVAL, 5)", min=0.01
    ),
    processes: int = typer.Option(
        1,
        "--processes",
        min=1,
        max=64,
        help="Số tiến trình dựng PDF và gửi tin cùng lúc (several processes render and deliver at once)",
    ),
) -> None:
    """Run background work until SIGTERM / Ctrl-C: batches back to back while due, else every interval.

    With `--processes N`, N-1 more processes render documents and deliver the outbox beside this one (their
    claims skip each other's rows on PostgreSQL; on SQLite they take turns to claim and render side by side).
    """
    from portal.dependencies import Broken, check_at_start
    from portal.logs import configure as configure_logging
    from portal.settings import get_settings
    from portal.wiring import build
    from portal.worker import FIRST_OF_SEVERAL, STEPS, Worker, tune_gc

    configure_logging()
    settings = get_settings()
    try:
        check_at_start(settings, "worker")
    except Broken as exc:
        typer.echo(
            f"Không khởi động: dịch vụ bắt buộc không hoạt động (a required service is down): {exc}", err=True
        )
        raise typer.Exit(1) from exc
    steps = STEPS if processes == 1 or once else FIRST_OF_SEVERAL
    loop = Worker(build(settings), interval or settings.worker_interval, steps)
    tune_gc()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("motcua.worker").info("signal %s: stopping after this cycle", signum)
        loop.stop()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    helpers = [] if once else _start_helpers(processes - 1, loop.interval)
    try:
        if not once:
            typer.echo(
                f"MotCua worker: {processes} tiến trình, chờ {loop.interval:g} giây khi hết việc "
                "(Ctrl-C để dừng)."
            )
        result = loop.run(once=once)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_helpers(helpers)
    if once:
        for name, count in result.done.items():
            typer.echo(f"{name}: {count}")
        for name, error in result.failed.items():
            typer.echo(f"{name}: LỖI {error}", err=True)
        if result.failed:
            raise typer.Exit(1)
