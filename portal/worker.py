"""Background work (docs/architecture.md, 5): one cycle runs each step once; `Worker` repeats cycles
until stopped.

While a cycle did work the next one starts at once (the worker drains the backlog in batches); it waits the
interval only after a cycle found nothing due. `motcua worker --processes N` adds N-1 processes running the
batched steps only (`PARALLEL_STEPS`: rendering and deliveries), whose claims lease rows with
`FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the claims take turns (BEGIN IMMEDIATE) while the
rendering and sending, outside any transaction, still run side by side. With helpers the first process
renders two documents at the end of each cycle (`FIRST_OF_SEVERAL`): its deliveries and reports never wait
behind a batch of PDFs, and its spare time still renders.

A step is a function of the container returning how much it did; add one with one line in `STEPS`.
A failing step is logged and the others still run: a receiver that is down must not stop the deadline scan.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from engine import outbox, tally, watch
from engine.delivery import RetryPolicy, deliver_due
from engine.document.rendering import render_pending
from engine.outbox import Channel
from engine.stats import counters as stat_counters
from engine.usecases import idempotency, ratelimit, recompute
from integrations.notify.settings import SmsSettings, SmtpSettings
from portal.wiring import Container, retry_policy

log = logging.getLogger("motcua.worker")

Step = Callable[[Container], int]
MESSAGE_BACKOFF_SECONDS = 30.0  # first retry of a citizen message about half a minute later, then doubling


def deliver_outbox(container: Container) -> int:
    """Deliver the due IOC events (webhook, or the log on the embedded default)."""
    ioc = container.settings.ioc
    return deliver_due(
        container.transaction,
        container.ioc_sink(),
        container.services.clock,
        ioc.batch,
        policy=retry_policy(ioc),
    )


def _deliver_messages(container: Container, channel: Channel, server: SmtpSettings | SmsSettings) -> int:
    return deliver_due(
        container.transaction,
        container.message_sink(channel),
        container.services.clock,
        server.batch,
        policy=RetryPolicy(
            max_attempts=server.max_attempts,
            base_seconds=MESSAGE_BACKOFF_SECONDS,
            cap_seconds=3600.0,
            lease_seconds=container.settings.ioc.lease_seconds,
        ),
        channel=channel,
    )


def deliver_email(container: Container) -> int:
    """Send the due citizen e-mails (SMTP, or files on the embedded default)."""
    return _deliver_messages(container, Channel.EMAIL, container.settings.smtp)


def deliver_sms(container: Container) -> int:
    """Send the due citizen SMS (the HTTP gateway, or files on the embedded default)."""
    return _deliver_messages(container, Channel.SMS, container.settings.sms)


def fold_tally(container: Container) -> int:
    """Fold the open-dossier tally's deltas into its counts (the IOC summary reads both)."""
    with container.transaction() as uow:
        return tally.fold(uow)


def fold_stats(container: Container) -> int:
    """Fold the statistics counters' deltas into their day and month rows (engine/stats/counters.py)."""
    with container.transaction() as uow:
        return stat_counters.fold(uow)


def prune_outbox(container: Container) -> int:
    """Delete outbox rows delivered longer ago than the retention (MOTCUA_OUTBOX_RETENTION_DAYS)."""
    keep = timedelta(days=container.settings.outbox_retention_days)
    with container.transaction() as uow:
        return outbox.prune(uow, delivered_before=container.services.clock.now() - keep)


def prune_requests(container: Container) -> int:
    """Delete expired Idempotency-Key records and ended rate-limit windows, a bounded batch of each."""
    now = container.services.clock.now()
    with container.transaction() as uow:
        done = idempotency.prune(uow, now)
        return done + ratelimit.prune(uow, now, container.settings.track_rate_window)


def wake_timers(container: Container) -> int:
    """Fire the BPMN timers whose indexed due time has passed."""
    return watch.wake_timers(container.engine, container.services)


def report_overdue(container: Container) -> int:
    """Report dossiers that became overdue (once each)."""
    return watch.report_overdue(container.engine, container.services)


def report_near_due(container: Container) -> int:
    """Report dossiers that entered their near-due window (once each)."""
    return watch.report_near_due(container.engine, container.services)


def report_step_overruns(container: Container) -> int:
    """Report steps past their budget, with agency and holder (once each)."""
    return watch.report_step_overruns(container.engine, container.services)


def render_documents(container: Container) -> int:
    """Render the pending documents (receipts, supplement requests, results, ...) to PDF."""
    return render_pending(
        container.transaction,
        container.document_renderer(),
        container.services.clock,
        container.document_signer(),
        container.render_policy(),
    )


def resume_calendar_changes(container: Container) -> int:
    """Continue a calendar or office-hours change left half applied (its cursor says where)."""
    return recompute.resume_unfinished(container.transaction, container.services)


# In order: steps that write events come before the delivery, so their events leave in the same cycle.
STEPS: Sequence[tuple[str, Step]] = (
    ("timers", wake_timers),
    ("overdue", report_overdue),
    ("near_due", report_near_due),
    ("step_overruns", report_step_overruns),
    ("calendar_changes", resume_calendar_changes),
    ("documents", render_documents),
    ("outbox", deliver_outbox),
    ("email", deliver_email),
    ("sms", deliver_sms),
    ("tally", fold_tally),
    ("stats", fold_stats),
    ("prune", prune_outbox),
    ("prune_requests", prune_requests),
)


# The batched steps several processes may run side by side (their claims lease rows); the watch reports, the
# tally and the pruning stay with the first process.
PARALLEL_STEPS: Sequence[tuple[str, Step]] = tuple(
    (name, step) for name, step in STEPS if name in {"documents", "outbox", "email", "sms"}
)


def render_a_few(container: Container) -> int:
    """Render at most two pending documents (the first of several processes, after its other steps)."""
    policy = dataclasses.replace(container.render_policy(), batch=2)
    return render_pending(
        container.transaction,
        container.document_renderer(),
        container.services.clock,
        container.document_signer(),
        policy,
    )


# With helpers, the first process renders last and only two documents a cycle (about 0.2 s of CPU): the
# deliveries, the watch reports and the tally never wait behind a batch of PDFs, and its spare time still
# renders beside the helpers instead of idling.
FIRST_OF_SEVERAL: Sequence[tuple[str, Step]] = (
    *((name, step) for name, step in STEPS if name != "documents"),
    ("documents", render_a_few),
)
# Steps whose count is not a backlog: they never keep the worker from waiting the interval.
NOT_DRAINED = frozenset({"tally", "prune"})


@dataclass
class CycleResult:
    """What each step of a cycle did, and which steps failed (with the error)."""

    done: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def more_due(self) -> bool:
        """True when a batched step did work, so that more may be due at once (drain before waiting)."""
        return any(count > 0 for name, count in self.done.items() if name not in NOT_DRAINED)


def run_cycle(container: Container, steps: Sequence[tuple[str, Step]] = STEPS) -> CycleResult:
    """Run every step once, in order."""
    result = CycleResult()
    for name, step in steps:
        try:
            result.done[name] = step(container)
        except Exception as exc:  # noqa: BLE001 — one failing step must not stop the others or the loop
            log.exception("worker step %s failed", name)
            result.failed[name] = f"{type(exc).__name__}: {exc}"
    return result


class Worker:
    """Runs cycles until `stop()` (a signal handler, or the embedding process): back to back while they find
    work, else one every `interval` seconds."""

    def __init__(
        self, container: Container, interval: float, steps: Sequence[tuple[str, Step]] = STEPS
    ) -> None:
        self.container = container
        self.interval = interval
        self.steps = steps
        self._stop = threading.Event()

    def stop(self) -> None:
        """Finish the current cycle, then return from `run` (the wait between cycles is cut short)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        """True once `stop()` was called."""
        return self._stop.is_set()

    def run(self, *, once: bool = False) -> CycleResult:
        """Loop until stopped (or one cycle with `once`); return the last cycle's result."""
        result = CycleResult()
        try:
            while not self._stop.is_set():
                started = time.monotonic()
                result = run_cycle(self.container, self.steps)
                if result.done and any(result.done.values()):
                    log.debug("worker cycle: %s", result.done)
                if once:
                    break
                if result.more_due:
                    continue  # drain: the next batch now, not an interval later
                # A fixed rate, not a fixed pause: a report is late by at most one interval (while a cycle
                # takes less than the interval), rather than by an interval plus the cycle.
                self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))
        finally:
            self.container.close_sinks()
        return result


# Rendering a document allocates tens of thousands of short-lived objects (WeasyPrint's boxes and styles);
# with the interpreter's default thresholds the collector runs dozens of times per document and walks the
# worker's long-lived objects (modules, templates, fonts, the BPMN specs) again and again. After start-up
# those are frozen out of collection, and the young generation collects every 20,000 allocations instead
# of 700: about 8 % less CPU per document (bench/README.md), for a few MB more garbage between collections.
GC_THRESHOLDS = (20_000, 20, 20)


def tune_gc() -> None:
    """Freeze what start-up loaded and collect less often (a worker process, after building its container)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def run_process(interval: float, steps: str = "parallel") -> None:
    """The body of one extra worker process (`motcua worker --processes N`): its own container, the batched
    steps, stopped by SIGTERM / SIGINT after its current cycle."""
    import signal

    from portal.logs import configure as configure_logging
    from portal.settings import get_settings
    from portal.wiring import build

    configure_logging()
    container = build(get_settings())
    loop = Worker(container, interval, PARALLEL_STEPS if steps == "parallel" else STEPS)
    tune_gc()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _s, _f: loop.stop())
    try:
        loop.run()
    finally:
        container.engine.dispose()
