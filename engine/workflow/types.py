"""What the rest of the engine sees of a running BPMN process (no SpiffWorkflow types leak out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class SpecInfo:
    """A parsed BPMN version: content hash, process id, and what we read from its elements."""

    spec_hash: str
    process_id: str
    lanes: frozenset[str]
    # user task spec name (BPMN element id) -> its spiffworkflow:properties
    user_tasks: dict[str, dict[str, str]]
    # end event spec name -> its spiffworkflow:properties
    end_events: dict[str, dict[str, str]]
    # user task spec name -> its lane (None when the task sits outside every lane)
    task_lanes: dict[str, str | None] = field(default_factory=dict)
    # user task spec name -> its BPMN name (Vietnamese title, e.g. "Tiếp nhận hồ sơ"), in document order
    task_titles: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadyTask:
    """A user task waiting for a person."""

    id: str  # SpiffWorkflow task UUID as a string
    spec_name: str  # BPMN element id, e.g. "Task_Appraisal"
    title: str  # BPMN element name (Vietnamese)
    lane: str | None
    properties: dict[str, str] = field(default_factory=dict)  # status, step, form, ...


@dataclass(frozen=True)
class WaitingTimer:
    """A BPMN timer that will fire at `due_at` (aware UTC)."""

    task_id: str
    spec_name: str
    due_at: datetime


class Instance(Protocol):
    """A running workflow (opaque to callers)."""


class WorkflowRuntime(Protocol):
    """The engine's port onto SpiffWorkflow."""

    def register(self, bpmn_xml: str, process_id: str) -> SpecInfo:
        """Parse (once, cached by content hash) and return what the model declares."""
        ...

    def is_registered(self, spec_hash: str) -> bool:
        """True when this process already parsed that version."""
        ...

    def spec_info(self, spec_hash: str) -> SpecInfo:
        """What a registered version declares."""
        ...

    def start(self, spec_hash: str, data: dict[str, Any]) -> Instance:
        """Instantiate with deep-copied data and run engine steps to the first waiting task."""
        ...

    def ready_tasks(self, instance: Instance) -> list[ReadyTask]:
        """User tasks that are ready now."""
        ...

    def complete(self, instance: Instance, task_id: str, data: dict[str, Any]) -> None:
        """Complete a ready user task with deep-copied data and run engine steps."""
        ...

    def cancel(self, instance: Instance) -> None:
        """Stop the instance (withdrawal, stop)."""
        ...

    def is_completed(self, instance: Instance) -> bool:
        """True when the process reached an end."""
        ...

    def end_event(self, instance: Instance) -> str | None:
        """Spec name of the end event reached, if completed."""
        ...

    def data(self, instance: Instance) -> dict[str, Any]:
        """A deep copy of the process data."""
        ...

    def waiting_timers(self, instance: Instance) -> list[WaitingTimer]:
        """Timers waiting to fire, with due times."""
        ...

    def fire_due_timers(self, instance: Instance, now: datetime | None = None) -> bool:
        """Fire the timers due at or before `now` and run engine steps; True when one fired."""
        ...

    def dumps(self, instance: Instance) -> str:
        """Serialize the instance only (the spec is referenced by hash)."""
        ...

    def loads(self, spec_hash: str, state: str) -> Instance:
        """Rebuild an instance of a registered spec."""
        ...

    def migrate(self, instance: Instance, spec_hash: str, *, copy: bool = True) -> Instance:
        """The instance moved onto another registered spec (Conflict: it cannot move); copied by default."""
        ...
