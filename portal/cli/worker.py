"""`motcua worker`: the background role (outbox delivery; timers and the deadline scan join `run_cycle`)."""

from __future__ import annotations

import logging
import signal
from types import FrameType

import typer


def worker(
    once: bool = typer.Option(False, "--once", help="Chạy một chu kỳ rồi thoát (run one cycle and exit)"),
    interval: float | None = typer.Option(
        None, help="Số giây giữa hai chu kỳ (mặc định MOTCUA_WORKER_INTERVAL, 5)", min=0.01
    ),
) -> None:
    """Run background work in a loop until SIGTERM / Ctrl-C; the current cycle always finishes."""
    from portal.settings import get_settings
    from portal.wiring import build
    from portal.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    loop = Worker(build(settings), interval or settings.worker_interval)

    def _stop(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("motcua.worker").info("signal %s: stopping after this cycle", signum)
        loop.stop()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if not once:
            typer.echo(f"MotCua worker: mỗi {loop.interval:g} giây (Ctrl-C để dừng).")
        result = loop.run(once=once)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if once:
        for name, count in result.done.items():
            typer.echo(f"{name}: {count}")
        for name, error in result.failed.items():
            typer.echo(f"{name}: LỖI {error}", err=True)
        if result.failed:
            raise typer.Exit(1)
