"""What every use case needs besides the unit of work: workflow runtime, clock, forms, population database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.clock import Clock
from engine.forms import FormRegistry
from engine.residents.registry import ResidentRegistry
from engine.stats.scoring import DEFAULT_CONFIG
from engine.store.files import FileStore
from engine.workflow.types import WorkflowRuntime


@dataclass
class Services:
    """Long-lived, stateless collaborators shared by all requests of a process."""

    runtime: WorkflowRuntime
    clock: Clock
    forms: FormRegistry
    near_due_share: float = 0.25  # open dossier is near due when ≤ this share of its budget remains
    timeliness_by_date: bool = True  # docs/domain.md §6: compare finish and due at date granularity
    registry: ResidentRegistry | None = None  # the population database; None: lookups count as unavailable
    files: FileStore | None = None  # uploads (data_dir/uploads); None: uploads are refused
    upload_max_bytes: int = 10 * 1024 * 1024
    stats_766: Path = DEFAULT_CONFIG  # Decision 766 scoring (weights, thresholds), read on each request
