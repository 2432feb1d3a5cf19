"""Composition root: build the services a process needs from the settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from engine.clock import Clock, SystemClock
from engine.delivery import EventSink, RetryPolicy
from engine.document.kinds import DocumentRenderer, DocumentSigner
from engine.document.rendering import RenderPolicy
from engine.forms import FormRegistry
from engine.outbox import Channel
from engine.services import Services
from engine.store.db import UnitOfWork, make_engine, unit_of_work
from engine.store.files import FileStore
from engine.workflow.helpers import script_helpers
from engine.workflow.spiff import SpiffRuntime
from integrations.ioc.settings import IocSettings
from integrations.ioc.sink import build_sink
from integrations.notify.sinks import email_sink, sms_sink
from integrations.pdf.renderer import WeasyRenderer
from integrations.pdf.signing import KeyDirSigner
from integrations.residents import build_registry
from portal.settings import Settings


@dataclass
class Container:
    """Everything one process shares across requests."""

    settings: Settings
    engine: Engine
    services: Services
    sink: EventSink | None = None  # built on first use: the webhook when configured, else the log
    # E-mail and SMS sinks, built on first use.
    message_sinks: dict[Channel, EventSink] = field(default_factory=dict)
    renderer: DocumentRenderer | None = None  # built on first use (WeasyPrint loads Pango)
    signer: DocumentSigner | None = None  # from MOTCUA_PDF_SIGNING_KEYS_DIR; None: results are not signed

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        """One unit of work: commit on success, roll back on error."""
        with unit_of_work(self.engine) as uow:
            yield uow

    def close(self) -> None:
        """Release what the container holds open: the registry client's and every sink's connections."""
        close = getattr(self.services.registry, "close", None)
        if callable(close):
            close()
        self.close_sinks()

    def document_renderer(self) -> DocumentRenderer:
        """The PDF renderer: forms/documents templates, QR links under MOTCUA_PUBLIC_URL."""
        if self.renderer is None:
            self.renderer = WeasyRenderer(
                self.settings.forms_dir / "documents", self.settings.public_url, self.settings.pdf.variant
            )
        return self.renderer

    def document_signer(self) -> DocumentSigner | None:
        """Signs result documents with the agency's key, when MOTCUA_PDF_SIGNING_KEYS_DIR is set."""
        if self.signer is None and self.settings.pdf.signing_keys_dir is not None:
            self.signer = KeyDirSigner(self.settings.pdf.signing_keys_dir)
        return self.signer

    def render_policy(self) -> RenderPolicy:
        """Batch, lease and attempts of the rendering round, from MOTCUA_PDF_*."""
        pdf = self.settings.pdf
        return RenderPolicy(batch=pdf.batch, lease_seconds=pdf.lease_seconds, max_attempts=pdf.max_attempts)

    def ioc_sink(self) -> EventSink:
        """Where IOC events are delivered (MOTCUA_IOC_WEBHOOK_URL, or the log on the embedded default)."""
        if self.sink is None:
            self.sink = build_sink(self.settings.ioc)
        return self.sink

    def message_sink(self, channel: Channel) -> EventSink:
        """Where citizen messages of a channel go (SMTP / SMS gateway, or files on the embedded default)."""
        if channel not in self.message_sinks:
            s = self.settings
            where = {"public_url": s.public_url, "data_dir": s.data_dir, "production": s.env == "production"}
            if channel is Channel.EMAIL:
                self.message_sinks[channel] = email_sink(s.smtp, **where)
            elif channel is Channel.SMS:
                self.message_sinks[channel] = sms_sink(s.sms, **where)
            else:
                raise ValueError(f"{channel} is not a message channel")
        return self.message_sinks[channel]

    def close_sinks(self) -> None:
        """Release every sink's connections (the worker calls it when it stops)."""
        for sink in [self.sink, *self.message_sinks.values()]:
            if sink is not None:
                sink.close()
        self.sink = None
        self.message_sinks.clear()


_RUNTIMES: dict[int, SpiffRuntime] = {}


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    """Runtime (one per process and loop cap: parsed specs are shared), clock, forms, population database."""
    runtime = _RUNTIMES.get(settings.max_loop_rounds)
    if runtime is None:
        runtime = SpiffRuntime(helpers=script_helpers(), max_loop_rounds=settings.max_loop_rounds)
        _RUNTIMES[settings.max_loop_rounds] = runtime
    clock = clock or SystemClock()
    return Services(
        runtime=runtime,
        clock=clock,
        forms=FormRegistry(settings.forms_dir, clock),
        near_due_share=settings.near_due_share,
        timeliness_by_date=settings.timeliness_by_date,
        registry=build_registry(settings.residents),
        files=FileStore(settings.data_dir / "uploads"),
        upload_max_bytes=settings.upload_max_bytes,
        stats_766=settings.stats_766_config,
    )


def retry_policy(settings: IocSettings) -> RetryPolicy:
    """Backoff and parking of IOC deliveries, from MOTCUA_IOC_*."""
    return RetryPolicy(
        max_attempts=settings.max_attempts,
        base_seconds=settings.backoff_base_seconds,
        cap_seconds=settings.backoff_cap_seconds,
        lease_seconds=settings.lease_seconds,
    )


def build(settings: Settings, clock: Clock | None = None, engine: Engine | None = None) -> Container:
    """Wire the services and the database engine."""
    return Container(settings, engine or make_engine(settings.database_url), build_services(settings, clock))
