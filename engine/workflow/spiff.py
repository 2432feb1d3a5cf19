"""The SpiffWorkflow adapter: the only place that drives BPMN models (implements `WorkflowRuntime`).

Specs are parsed once per content hash and cached here; instances are plain JSON documents that name their
spec by hash. Every value crossing the boundary is deep-copied (docs/architecture.md, trap 2), model code
runs in the sandbox, and every library failure leaves as a `WorkflowError`.

After a `WorkflowError` raised while running steps the in-memory instance is half-advanced: the caller must
discard it and reload the last saved document (the unit of work rolls back anyway).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from lxml import etree  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.errors import Conflict, DomainError, WorkflowError
from engine.workflow.pool import ScriptLimitExceeded, ScriptPool
from engine.workflow.sandbox import (
    SandboxEnvironment,
    SandboxScriptEngine,
    WorkflowStepError,
    WorkflowStepOverBudget,
    check_model_code,
    step_budget,
)
from engine.workflow.serializer import InstanceSerializer
from engine.workflow.types import Instance, ReadyTask, SpecInfo, WaitingTimer

# No DTDs, no entities, no network: uploaded BPMN is untrusted XML.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
# Ids SpiffWorkflow uses for its own control tasks (docs/architecture.md, trap 7).
_RESERVED_IDS = ("Start", "End", "Root")


@dataclass
class SpiffInstance:
    """A running SpiffWorkflow workflow and the hash of the spec it runs on."""

    spec_hash: str
    workflow: Any


@dataclass(frozen=True)
class _Registered:
    spec: Any
    subprocess_specs: dict[str, Any]
    info: SpecInfo


def spec_hash_of(bpmn_xml: str, process_id: str) -> str:
    """Content hash naming one BPMN version: sha256 over the XML bytes and the process id."""
    digest = hashlib.sha256(bpmn_xml.encode("utf-8"))
    digest.update(b"\0" + process_id.encode("utf-8"))
    return digest.hexdigest()


class SpiffRuntime:
    """`WorkflowRuntime` on SpiffWorkflow 3.2 with a spec cache, instance-only JSON and sandboxed scripts."""

    def __init__(
        self,
        helpers: Mapping[str, Callable[..., Any]] | None = None,
        *,
        max_loop_rounds: int = 20,
        script_timeout: float = 1.0,
        step_timeout: float = 2.0,
        script_pool: ScriptPool | None = None,
        max_specs: int = 128,
        validate_xml: bool = True,
    ) -> None:
        """`script_timeout` bounds one script or expression, `step_timeout` all model code of one engine step
        (one `start`, `complete`, `cancel` or `fire_due_timers`); the pool defaults to the process-wide one.
        """
        self.max_loop_rounds = max_loop_rounds
        self.step_timeout = step_timeout
        self.max_specs = max_specs
        self.validate_xml = validate_xml
        self.parse_count = 0  # how many times a model was actually parsed (tests, metrics)
        self._engine = SandboxScriptEngine(
            SandboxEnvironment(helpers, timeout=script_timeout, pool=script_pool)
        )
        self._serializer = InstanceSerializer()
        self._specs: OrderedDict[str, _Registered] = OrderedDict()
        self._diffs: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    # --- specs -------------------------------------------------------------------------------------------

    def register(self, bpmn_xml: str, process_id: str) -> SpecInfo:
        """Parse (once, cached by content hash) and return what the model declares."""
        spec_hash = spec_hash_of(bpmn_xml, process_id)
        with self._lock:
            cached = self._specs.get(spec_hash)
            if cached is not None:
                self._specs.move_to_end(spec_hash)
                return cached.info
        registered = self._parse(bpmn_xml, process_id, spec_hash)
        with self._lock:
            self.parse_count += 1
            self._specs.setdefault(spec_hash, registered)
            self._specs.move_to_end(spec_hash)
            while len(self._specs) > self.max_specs:
                self._specs.popitem(last=False)
            return self._specs[spec_hash].info

    def is_registered(self, spec_hash: str) -> bool:
        """True when the spec is in this process's cache (else register it from the database first)."""
        with self._lock:
            return spec_hash in self._specs

    def spec_info(self, spec_hash: str) -> SpecInfo:
        """What a registered version declares; KeyError when it is not cached here."""
        return self._registered(spec_hash).info

    def _registered(self, spec_hash: str) -> _Registered:
        with self._lock:
            registered = self._specs.get(spec_hash)
        if registered is None:
            raise KeyError(spec_hash)
        return registered

    def _parse(self, bpmn_xml: str, process_id: str, spec_hash: str) -> _Registered:
        try:
            root = etree.fromstring(bpmn_xml.encode("utf-8"), parser=_XML_PARSER)
            reserved = [i for i in _RESERVED_IDS if root.xpath(f'//*[@id="{i}"]')]
            if reserved:
                raise ValueError(f"element ids {reserved} are reserved by the engine; use e.g. StartEvent_1")
            parser = SpiffBpmnParser(validator=VALIDATOR if self.validate_xml else None)
            parser.add_bpmn_xml(root, filename=f"{process_id}.bpmn")
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
            all_specs = [spec, *subprocess_specs.values()]
            check_model_code(all_specs)
        except Exception as exc:
            raise WorkflowError(
                f"Mô hình BPMN không hợp lệ: {exc}", f"Invalid BPMN model: {exc}", code="InvalidBpmn"
            ) from exc
        return _Registered(spec, subprocess_specs, _spec_info(spec_hash, process_id, all_specs))

    # --- lifecycle ---------------------------------------------------------------------------------------

    def start(self, spec_hash: str, data: dict[str, Any]) -> SpiffInstance:
        """Instantiate with deep-copied data and run engine steps to the first waiting task."""
        registered = self._registered(spec_hash)
        workflow = BpmnWorkflow(registered.spec, registered.subprocess_specs, script_engine=self._engine)
        start_task = workflow.get_next_task(state=TaskState.READY)
        start_task.data = deepcopy(data)
        self._drive(workflow.do_engine_steps)
        return SpiffInstance(spec_hash, workflow)

    def ready_tasks(self, instance: Instance) -> list[ReadyTask]:
        """User and manual tasks that are ready now."""
        workflow = _workflow(instance)
        return [_ready_task(task) for task in workflow.get_tasks(state=TaskState.READY, manual=True)]

    def complete(self, instance: Instance, task_id: str, data: dict[str, Any]) -> None:
        """Complete a ready user task with deep-copied data and run engine steps (loop-capped)."""
        workflow = _workflow(instance)
        task = _find_task(workflow, task_id)
        if task is None or not task.has_state(TaskState.READY) or not task.task_spec.manual:
            raise Conflict(
                f"Công việc {task_id} không ở trạng thái sẵn sàng để hoàn thành.",
                f"Task {task_id} is not a ready user task.",
                code="TaskNotReady",
            )
        name = task.task_spec.name
        rounds = self.completed_count(instance, name)
        if rounds >= self.max_loop_rounds:
            raise WorkflowError(
                f"Bước '{name}' đã được thực hiện {rounds} lần; thực hiện thêm sẽ vượt giới hạn "
                f"{self.max_loop_rounds} vòng lặp của một hồ sơ. Kiểm tra lại mô hình hoặc dừng xử lý hồ sơ.",
                f"Step '{name}' has already been completed {rounds} times; completing it again would exceed "
                f"the limit of {self.max_loop_rounds} loop rounds per instance. Check the model or stop the "
                "dossier.",
                code="LoopLimitExceeded",
            )
        task.set_data(**deepcopy(data))

        def run() -> None:
            task.run()
            workflow.do_engine_steps()

        self._drive(run)

    def cancel(self, instance: Instance) -> None:
        """Stop the instance (withdrawal, stop): every unfinished task is cancelled, timers drop out."""
        self._drive(_workflow(instance).cancel)

    def is_completed(self, instance: Instance) -> bool:
        """True when the process reached an end or was cancelled."""
        return bool(_workflow(instance).is_completed())

    def end_event(self, instance: Instance) -> str | None:
        """Spec name of the end event reached (the most recent one), if any."""
        reached = [
            task
            for task in _all_tasks(_workflow(instance))
            if isinstance(task.task_spec, EndEvent) and task.has_state(TaskState.COMPLETED)
        ]
        if not reached:
            return None
        return str(max(reached, key=lambda task: task.last_state_change).task_spec.name)

    def data(self, instance: Instance) -> dict[str, Any]:
        """A deep copy of the process data: the last completed task's data laid over `workflow.data`.

        At a normal end SpiffWorkflow has merged the final task's data into `workflow.data`, so both agree;
        while running (or after cancel) the last completed task carries the latest values. With parallel
        branches the other branches' fresh values are not included until they join.
        """
        workflow = _workflow(instance)
        merged = dict(workflow.data)
        if workflow.last_task is not None:
            merged.update(workflow.last_task.data)
        return deepcopy(merged)

    # --- timers ------------------------------------------------------------------------------------------

    def waiting_timers(self, instance: Instance) -> list[WaitingTimer]:
        """Timers waiting to fire, with their (frozen) due times in aware UTC."""
        timers = []
        for task in _timer_tasks(_workflow(instance)):
            due_at = _due_at(task)
            if due_at is not None:
                timers.append(WaitingTimer(str(task.id), task.task_spec.name, due_at))
        return sorted(timers, key=lambda timer: timer.due_at)

    def fire_due_timers(self, instance: Instance, now: datetime | None = None) -> bool:
        """Fire timers that are due and run engine steps; True when a timer fired.

        SpiffWorkflow compares against the wall clock; pass `now` (from the engine's Clock) to fire every
        duration/date timer due at or before it as well.
        """
        workflow = _workflow(instance)
        before = {task.id: _timer_state(task) for task in _timer_tasks(workflow)}
        if now is not None:
            for task in _timer_tasks(workflow):
                due_at = _due_at(task)
                if due_at is not None and due_at <= now and _is_single_shot(task):
                    task.internal_data["event_fired"] = True

        def run() -> None:
            workflow.refresh_timers()
            workflow.do_engine_steps()

        self._drive(run)
        after = {task.id: _timer_state(task) for task in _timer_tasks(workflow)}
        return any(after.get(task_id) != state for task_id, state in before.items())

    # --- persistence -------------------------------------------------------------------------------------

    def dumps(self, instance: Instance) -> str:
        """Serialize the instance only (the spec is referenced by hash)."""
        spiff_instance = _instance(instance)
        return self._serializer.dumps(spiff_instance.workflow, spiff_instance.spec_hash)

    def loads(self, spec_hash: str, state: str) -> SpiffInstance:
        """Rebuild an instance of a registered spec; KeyError when the spec is not cached here."""
        registered = self._registered(spec_hash)
        try:
            dct, written_for = self._serializer.read_header(state)
        except ValueError as exc:
            raise WorkflowError(
                f"Không đọc được trạng thái quy trình: {exc}", f"Cannot read workflow state: {exc}"
            ) from exc
        if written_for != spec_hash:
            raise WorkflowError(
                "Trạng thái quy trình thuộc về một phiên bản mô hình khác.",
                f"Workflow state belongs to spec {written_for}, not {spec_hash}.",
            )
        workflow = self._serializer.restore(dct, registered.spec, registered.subprocess_specs, self._engine)
        return SpiffInstance(spec_hash, workflow)

    def migrate(self, instance: Instance, spec_hash: str, *, copy: bool = True) -> SpiffInstance:
        """A copy of the instance moved onto another registered spec, keeping task ids and data.

        Uses the library's own spec diff (tasks aligned by BPMN id, then by structure): the waiting user tasks
        must exist in the new spec under the same id, every completed task must align, and the moved document
        must load on the new spec. The waiting tasks are reset in place (same id, same data) so that what
        follows them is predicted from the new model; timers keep their frozen due times. Conflict
        (VersionMigrationRefused) names what does not fit. With `copy` (default) the given instance is never
        changed; without, it is moved in place (a caller that discards it on refusal saves a round trip).
        """
        source = _instance(instance)
        registered = self._registered(spec_hash)
        workflow = self.loads(source.spec_hash, self.dumps(source)).workflow if copy else source.workflow
        if workflow.subprocesses:
            raise _refused(
                "quy trình đang chạy quy trình con, chưa hỗ trợ chuyển phiên bản",
                "the instance runs subprocesses, which cannot be moved yet",
            )
        new_spec = registered.spec
        waiting = [t.task_spec.name for t in workflow.get_tasks(state=TaskState.READY, manual=True)]
        missing = [name for name in waiting if name not in new_spec.task_specs]
        if missing:
            raise _refused(
                f"bước đang chờ «{', '.join(missing)}» không có trong phiên bản mới",
                f"the waiting task(s) {', '.join(missing)} do not exist in the new version",
            )
        diff = WorkflowDiff(workflow, self._spec_diff(source.spec_hash, spec_hash))
        done = sorted({t.task_spec.name for t in diff.removed if t.has_state(TaskState.COMPLETED)})
        if done:
            raise _refused(
                f"bước đã làm «{', '.join(done)}» không còn trong phiên bản mới",
                f"the completed task(s) {', '.join(done)} have no counterpart in the new version",
            )
        self._drive(lambda: migrate_workflow(diff, workflow, new_spec, reset_mask=TaskState.READY))
        stale = sorted(
            {
                t.task_spec.name
                for t in workflow.tasks.values()
                if new_spec.task_specs.get(t.task_spec.name) is not t.task_spec
            }
        )
        if stale:
            raise _refused(
                f"phần tử «{', '.join(stale)}» của trạng thái hiện tại không có trong phiên bản mới",
                f"element(s) {', '.join(stale)} of the current state do not exist in the new version",
            )
        after = sorted(t.task_spec.name for t in workflow.get_tasks(state=TaskState.READY, manual=True))
        if after != sorted(waiting):
            raise _refused(
                "bước đang chờ thay đổi sau khi chuyển", "the waiting tasks changed while moving the instance"
            )
        moved = SpiffInstance(spec_hash, workflow)
        try:
            return self.loads(spec_hash, self.dumps(moved))  # what is stored must load on the new spec
        except (KeyError, WorkflowError) as exc:
            raise _refused(
                f"trạng thái sau khi chuyển không đọc lại được ({exc})",
                f"the moved state does not load on the new spec ({exc})",
            ) from exc

    def _spec_diff(self, old_hash: str, new_hash: str) -> Any:
        """The library's diff of two registered specs, once per pair (a dry run diffs many dossiers)."""
        key = (old_hash, new_hash)
        with self._lock:
            found = self._diffs.get(key)
        if found is None:
            found = SpecDiff(
                self._serializer.registry, self._registered(old_hash).spec, self._registered(new_hash).spec
            )
            with self._lock:
                self._diffs[key] = found
                while len(self._diffs) > self.max_specs:
                    self._diffs.popitem(last=False)
        return found

    def _drive(self, step: Callable[[], Any]) -> None:
        """Run library code within the step budget (see `_drive`)."""
        with step_budget(self.step_timeout):
            _drive(step)

    # --- monitoring --------------------------------------------------------------------------------------

    def tree_depth(self, instance: Instance) -> int:
        """Depth of the deepest task (past 1000 SpiffWorkflow loses tasks: docs/architecture.md, trap 3)."""
        workflow = _workflow(instance)
        deepest, level = 0, [workflow.task_tree]
        while level:
            level = [child for task in level for child in task.children]
            if level:
                deepest += 1
        return deepest

    def completed_count(self, instance: Instance, spec_name: str) -> int:
        """How many times the task spec `spec_name` has completed in this instance."""
        return sum(
            1
            for task in _all_tasks(_workflow(instance))
            if task.task_spec.name == spec_name and task.has_state(TaskState.COMPLETED)
        )


# --- helpers -------------------------------------------------------------------------------------------


def _refused(reason: str, reason_en: str) -> Conflict:
    return Conflict(
        f"Không chuyển được sang phiên bản mới: {reason}.",
        f"Cannot move to the new version: {reason_en}.",
        code="VersionMigrationRefused",
    )


def _instance(instance: Instance) -> SpiffInstance:
    if not isinstance(instance, SpiffInstance):
        raise TypeError(f"expected a SpiffInstance, got {type(instance).__name__}")
    return instance


def _workflow(instance: Instance) -> Any:
    return _instance(instance).workflow


def _all_tasks(workflow: Any) -> Iterator[Any]:
    # workflow.tasks holds every task of the top process, including ones the depth-limited iterator misses.
    yield from workflow.tasks.values()
    for subprocess in workflow.subprocesses.values():
        yield from subprocess.tasks.values()


def _find_task(workflow: Any, task_id: str) -> Any:
    try:
        return workflow.get_task_from_id(UUID(task_id))
    except (ValueError, WorkflowException):
        return None


def _drive(step: Callable[[], Any]) -> None:
    """Run library code, turning its failures into WorkflowError with the task spec and the cause."""
    try:
        step()
    except DomainError:
        raise
    except WorkflowTaskException as exc:
        raise _step_error(exc.task.task_spec.name if exc.task else None, exc) from exc
    except WorkflowException as exc:
        spec = getattr(exc, "task_spec", None)
        raise _step_error(getattr(spec, "name", None), exc) from exc
    except Exception as exc:
        raise _step_error(None, exc) from exc


def _step_error(task_spec: str | None, exc: BaseException) -> WorkflowStepError:
    """A WorkflowStepError; over budget it says so in Vietnamese, with the code ScriptLimitExceeded."""
    inner: BaseException | None = exc
    for _ in range(10):
        if inner is None or isinstance(inner, ScriptLimitExceeded):
            break
        inner = inner.__cause__ or inner.__context__
    if isinstance(inner, ScriptLimitExceeded):
        return WorkflowStepOverBudget(task_spec, inner.message_en, cause_vi=inner.message)
    return WorkflowStepError(task_spec, _cause(exc))


def _cause(exc: BaseException) -> str:
    """The library's message plus the innermost original exception it wraps."""
    text = str(exc)
    inner: BaseException | None = exc
    seen = 0
    while inner is not None and (inner.__cause__ or inner.__context__) and seen < 10:
        inner = inner.__cause__ or inner.__context__
        seen += 1
    if inner is not None and inner is not exc:
        text += f" ({type(inner).__name__}: {inner})"
    return text


def _ready_task(task: Any) -> ReadyTask:
    spec = task.task_spec
    return ReadyTask(
        id=str(task.id),
        spec_name=spec.name,
        title=spec.bpmn_name or spec.name,
        lane=spec.lane,
        properties=dict(_properties(spec)),
    )


def _properties(spec: Any) -> dict[str, str]:
    extensions = getattr(spec, "extensions", None) or {}
    return {str(k): str(v) for k, v in (extensions.get("properties") or {}).items()}


def _spec_info(spec_hash: str, process_id: str, specs: list[Any]) -> SpecInfo:
    lanes: set[str] = set()
    user_tasks: dict[str, dict[str, str]] = {}
    end_events: dict[str, dict[str, str]] = {}
    task_lanes: dict[str, str | None] = {}
    task_titles: dict[str, str] = {}
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if task_spec.lane:
                lanes.add(task_spec.lane)
            if task_spec.manual:
                user_tasks[task_spec.name] = _properties(task_spec)
                task_lanes[task_spec.name] = task_spec.lane
                task_titles[task_spec.name] = task_spec.bpmn_name or task_spec.name
            elif isinstance(task_spec, EndEvent):
                end_events[task_spec.name] = _properties(task_spec)
    return SpecInfo(spec_hash, process_id, frozenset(lanes), user_tasks, end_events, task_lanes, task_titles)


def _timer_tasks(workflow: Any) -> list[Any]:
    return [
        task
        for task in workflow.event_manager.tasks.values()
        if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)
        and task.has_state(TaskState.WAITING)
    ]


def _is_single_shot(task: Any) -> bool:
    return not isinstance(task.task_spec.event_definition, CycleTimerEventDefinition)


def _due_at(task: Any) -> datetime | None:
    value = task.task_spec.event_definition.details(task).value
    if not isinstance(value, str):
        return None
    try:
        moment: datetime = TimerEventDefinition.get_datetime(value)
    except ValueError:
        return None
    return moment.astimezone(UTC)


def _timer_state(task: Any) -> tuple[int, str]:
    return task.state, repr(task.internal_data.get("event_value"))
