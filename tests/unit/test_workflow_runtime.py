"""SpiffRuntime against the real procedure models and small inline models for the sandbox and limits."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.errors import Conflict, WorkflowError
from engine.workflow.sandbox import SandboxEnvironment, ScriptFailed, ScriptLimitExceeded, ScriptRejected
from engine.workflow.spiff import SpiffInstance, SpiffRuntime
from engine.workflow.types import SpecInfo, WorkflowRuntime
from tests.sandbox_helpers import fee_for

ROOT = Path(__file__).resolve().parents[2]
RESIDENCE = (ROOT / "processes/permanent-residence/process.bpmn").read_text(encoding="utf-8")
BIRTH = (ROOT / "processes/birth-registration/process.bpmn").read_text(encoding="utf-8")
MODELS = [
    pytest.param(RESIDENCE, "permanent_residence", id="residence"),
    pytest.param(BIRTH, "birth_registration", id="birth"),
]


# --- builders ------------------------------------------------------------------------------------------


def inline_bpmn(body: str, process_id: str = "inline") -> str:
    """Wrap process elements in BPMN definitions (no diagram: the engine does not need one)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{process_id}" isExecutable="true">
{body}
  </bpmn:process>
</bpmn:definitions>
"""


def script_bpmn(script: str) -> str:
    """StartEvent_1 → Task_Script (script) → Task_After (user) → EndEvent_1."""
    return inline_bpmn(f"""
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="Task_Script" name="Tính toán">
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
      <bpmn:script><![CDATA[{script}]]></bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="Task_After" name="Xem kết quả">
      <bpmn:incoming>Flow_2</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Script" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Script" targetRef="Task_After" />
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_After" targetRef="EndEvent_1" />""")


LOOP_BPMN = inline_bpmn("""
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_Work" name="Làm lại">
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:incoming>Flow_Again</bpmn:incoming>
      <bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="Gateway_1" default="Flow_Done">
      <bpmn:incoming>Flow_2</bpmn:incoming>
      <bpmn:outgoing>Flow_Again</bpmn:outgoing><bpmn:outgoing>Flow_Done</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_Done</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Work" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="Gateway_1" />
    <bpmn:sequenceFlow id="Flow_Again" sourceRef="Gateway_1" targetRef="Task_Work">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">work["again"]</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_Done" sourceRef="Gateway_1" targetRef="EndEvent_1" />""")


@pytest.fixture
def runtime() -> SpiffRuntime:
    return SpiffRuntime(script_timeout=1.0)


def start(
    runtime: SpiffRuntime, xml: str, process_id: str, data: dict[str, Any] | None = None
) -> SpiffInstance:
    info = runtime.register(xml, process_id)
    return runtime.start(info.spec_hash, data or {"applicant": {"name": "Nguyễn Văn A"}})


def complete_step(
    runtime: SpiffRuntime, instance: SpiffInstance, spec_name: str, data: dict[str, Any]
) -> None:
    """Complete the single ready task, which must be `spec_name`."""
    ready = runtime.ready_tasks(instance)
    assert [task.spec_name for task in ready] == [spec_name]
    runtime.complete(instance, ready[0].id, data)


def ready_names(runtime: SpiffRuntime, instance: SpiffInstance) -> list[str]:
    return [task.spec_name for task in runtime.ready_tasks(instance)]


HAPPY_PATH = [
    ("Task_Reception", {"reception": {"decision": "accept", "note": "Đủ giấy tờ"}}),
    ("Task_Appraisal", {"appraisal": {"decision": "propose_approve"}}),
    ("Task_Approval", {"approval": {"decision": "approve"}}),
    ("Task_Return", {"return": {"channel": "counter"}}),
]


# --- models --------------------------------------------------------------------------------------------


def test_spiff_runtime_satisfies_the_port() -> None:
    port: WorkflowRuntime = SpiffRuntime()  # checked by mypy
    assert isinstance(port, SpiffRuntime)


class TestRegister:
    @pytest.mark.parametrize(("xml", "process_id"), MODELS)
    def test_lanes_user_tasks_and_end_events_are_read(
        self, runtime: SpiffRuntime, xml: str, process_id: str
    ) -> None:
        info = runtime.register(xml, process_id)
        assert info.process_id == process_id
        assert info.lanes == {"citizen", "officer", "specialist", "leader"}
        assert set(info.user_tasks) == {
            "Task_Reception",
            "Task_SupplementReception",
            "Task_Appraisal",
            "Task_SupplementAppraisal",
            "Task_Approval",
            "Task_Return",
        }
        assert info.user_tasks["Task_Reception"] == {
            "status": "1",
            "step": "reception",
            "form": "reception",
            "decisions": "accept,supplement,refuse",
        }
        assert info.user_tasks["Task_Appraisal"]["decisions"] == "propose_approve,supplement,propose_refuse"
        assert info.user_tasks["Task_Approval"] == {
            "status": "4",
            "step": "approval",
            "form": "approval",
            "decisions": "approve,refuse",
        }
        assert info.user_tasks["Task_SupplementAppraisal"]["status"] == "5"
        assert info.user_tasks["Task_Return"] == {"status": "9", "step": "return", "form": "return"}
        assert info.end_events["EndEvent_Refused"] == {"status": "3"}
        assert info.end_events["EndEvent_Returned"] == {"status": "10"}

    def test_only_residence_has_the_stop_end_event(self, runtime: SpiffRuntime) -> None:
        assert runtime.register(RESIDENCE, "permanent_residence").end_events["EndEvent_Stopped"] == {
            "status": "8"
        }
        assert "EndEvent_Stopped" not in runtime.register(BIRTH, "birth_registration").end_events

    def test_same_content_is_parsed_once(self, runtime: SpiffRuntime) -> None:
        first = runtime.register(RESIDENCE, "permanent_residence")
        second = runtime.register(RESIDENCE, "permanent_residence")
        assert second is first
        assert runtime.parse_count == 1
        assert runtime.is_registered(first.spec_hash)
        assert runtime.spec_info(first.spec_hash) is first
        assert not runtime.is_registered("0" * 64)
        with pytest.raises(KeyError):
            runtime.spec_info("0" * 64)

    def test_changed_content_is_a_new_version(self, runtime: SpiffRuntime) -> None:
        first = runtime.register(RESIDENCE, "permanent_residence")
        second = runtime.register(
            RESIDENCE.replace("Trả kết quả", "Trả kết quả hồ sơ"), "permanent_residence"
        )
        assert second.spec_hash != first.spec_hash
        assert runtime.parse_count == 2

    @pytest.mark.parametrize(
        "xml",
        [
            pytest.param("<not-bpmn", id="not-xml"),
            pytest.param(inline_bpmn("<bpmn:bogus id='x' />"), id="schema"),
            pytest.param(RESIDENCE.replace('id="StartEvent_1"', 'id="Start"'), id="reserved-id"),
        ],
    )
    def test_invalid_bpmn_raises_workflow_error(self, runtime: SpiffRuntime, xml: str) -> None:
        with pytest.raises(WorkflowError, match="Invalid BPMN") as caught:
            runtime.register(xml, "permanent_residence")
        assert "không hợp lệ" in caught.value.message

    def test_unknown_process_id_raises_workflow_error(self, runtime: SpiffRuntime) -> None:
        with pytest.raises(WorkflowError, match="not found"):
            runtime.register(RESIDENCE, "no_such_process")


# --- lifecycle -----------------------------------------------------------------------------------------


class TestLifecycle:
    @pytest.mark.parametrize(("xml", "process_id"), MODELS)
    def test_accept_appraise_approve_return_ends_returned(
        self, runtime: SpiffRuntime, xml: str, process_id: str
    ) -> None:
        instance = start(runtime, xml, process_id)
        first = runtime.ready_tasks(instance)[0]
        assert (first.title, first.lane, first.properties["status"]) == ("Tiếp nhận hồ sơ", "officer", "1")
        for spec_name, data in HAPPY_PATH:
            assert not runtime.is_completed(instance)
            complete_step(runtime, instance, spec_name, data)
        assert runtime.is_completed(instance)
        assert runtime.end_event(instance) == "EndEvent_Returned"
        assert runtime.ready_tasks(instance) == []
        assert runtime.data(instance)["return"] == {"channel": "counter"}

    @pytest.mark.parametrize(("xml", "process_id"), MODELS)
    def test_refuse_at_reception_ends_refused(self, runtime: SpiffRuntime, xml: str, process_id: str) -> None:
        instance = start(runtime, xml, process_id)
        complete_step(
            runtime, instance, "Task_Reception", {"reception": {"decision": "refuse", "reason": "x"}}
        )
        assert runtime.is_completed(instance)
        assert runtime.end_event(instance) == "EndEvent_Refused"

    @pytest.mark.parametrize(("xml", "process_id"), MODELS)
    def test_supplement_at_reception_goes_to_citizen_then_appraisal(
        self, runtime: SpiffRuntime, xml: str, process_id: str
    ) -> None:
        instance = start(runtime, xml, process_id)
        complete_step(runtime, instance, "Task_Reception", {"reception": {"decision": "supplement"}})
        (task,) = runtime.ready_tasks(instance)
        assert (task.spec_name, task.lane, task.title) == (
            "Task_SupplementReception",
            "citizen",
            "Bổ sung hồ sơ",
        )
        assert task.properties == {"status": "5", "step": "supplement", "form": "supplement"}
        complete_step(runtime, instance, "Task_SupplementReception", {"supplement": {"papers": ["ct01"]}})
        assert ready_names(runtime, instance) == ["Task_Appraisal"]

    @pytest.mark.parametrize(("xml", "process_id"), MODELS)
    def test_supplement_at_appraisal_loops_back_to_appraisal(
        self, runtime: SpiffRuntime, xml: str, process_id: str
    ) -> None:
        instance = start(runtime, xml, process_id)
        complete_step(runtime, instance, "Task_Reception", {"reception": {"decision": "accept"}})
        complete_step(runtime, instance, "Task_Appraisal", {"appraisal": {"decision": "supplement"}})
        assert ready_names(runtime, instance) == ["Task_SupplementAppraisal"]
        complete_step(runtime, instance, "Task_SupplementAppraisal", {"supplement": {"papers": ["ct01"]}})
        complete_step(runtime, instance, "Task_Appraisal", {"appraisal": {"decision": "propose_refuse"}})
        assert ready_names(runtime, instance) == ["Task_Approval"]
        assert runtime.completed_count(instance, "Task_Appraisal") == 2

    def test_completing_a_task_that_is_not_ready_is_a_conflict(self, runtime: SpiffRuntime) -> None:
        instance = start(runtime, BIRTH, "birth_registration")
        reception = runtime.ready_tasks(instance)[0]
        runtime.complete(instance, reception.id, {"reception": {"decision": "accept"}})
        for task_id in (reception.id, "00000000-0000-0000-0000-000000000000", "not-a-uuid"):
            with pytest.raises(Conflict):
                runtime.complete(instance, task_id, {"reception": {"decision": "accept"}})

    def test_cancel_completes_and_clears_timers(self, runtime: SpiffRuntime) -> None:
        instance = start(runtime, RESIDENCE, "permanent_residence")
        complete_step(runtime, instance, "Task_Reception", {"reception": {"decision": "accept"}})
        complete_step(runtime, instance, "Task_Appraisal", {"appraisal": {"decision": "supplement"}})
        runtime.cancel(instance)
        assert runtime.is_completed(instance)
        assert runtime.data(instance)["appraisal"] == {"decision": "supplement"}
        assert runtime.ready_tasks(instance) == []
        assert runtime.waiting_timers(instance) == []
        assert runtime.end_event(instance) is None

    def test_gateway_failure_names_the_gateway(self, runtime: SpiffRuntime) -> None:
        instance = start(runtime, BIRTH, "birth_registration")
        with pytest.raises(WorkflowError) as caught:
            complete_step(runtime, instance, "Task_Reception", {"note": "decision missing"})
        assert "Gateway_Reception" in caught.value.message_en
        assert "NameError" in caught.value.message_en
        assert "Gateway_Reception" in caught.value.message


class TestDataIsolation:
    def test_mutating_completion_data_afterwards_does_not_change_the_engine(
        self, runtime: SpiffRuntime
    ) -> None:
        instance = start(runtime, BIRTH, "birth_registration")
        payload: dict[str, Any] = {"reception": {"decision": "accept", "papers": ["declaration"]}}
        complete_step(runtime, instance, "Task_Reception", payload)
        payload["reception"]["papers"].append("forged")
        payload["reception"]["decision"] = "refuse"
        assert runtime.data(instance)["reception"] == {"decision": "accept", "papers": ["declaration"]}

    def test_start_data_and_returned_data_are_copies(self, runtime: SpiffRuntime) -> None:
        start_data: dict[str, Any] = {"applicant": {"name": "A", "children": ["B"]}}
        instance = start(runtime, BIRTH, "birth_registration", start_data)
        start_data["applicant"]["children"].append("C")
        out = runtime.data(instance)
        assert out["applicant"]["children"] == ["B"]
        out["applicant"]["children"].append("D")
        assert runtime.data(instance)["applicant"]["children"] == ["B"]


# --- persistence ---------------------------------------------------------------------------------------


class TestSerialization:
    def test_json_holds_no_spec_and_round_trips_mid_life(self, runtime: SpiffRuntime) -> None:
        instance = start(runtime, RESIDENCE, "permanent_residence")
        complete_step(runtime, instance, "Task_Reception", {"reception": {"decision": "accept"}})
        state = runtime.dumps(instance)
        document = json.loads(state)
        assert "spec" not in document
        assert "subprocess_specs" not in document
        assert document["spec_hash"] == instance.spec_hash
        for spec_marker in ("task_specs", "BpmnProcessSpec", "Thẩm định hồ sơ", "conditionExpression"):
            assert spec_marker not in state

        restored = runtime.loads(instance.spec_hash, state)
        assert runtime.dumps(restored) == state
        assert ready_names(runtime, restored) == ["Task_Appraisal"]
        for spec_name, data in HAPPY_PATH[1:]:
            complete_step(runtime, restored, spec_name, data)
        assert runtime.end_event(restored) == "EndEvent_Returned"

    def test_size_after_a_lifecycle_with_load_step_save(self, runtime: SpiffRuntime) -> None:
        instance = start(runtime, RESIDENCE, "permanent_residence")
        state = runtime.dumps(instance)
        for spec_name, data in HAPPY_PATH:
            instance = runtime.loads(instance.spec_hash, state)
            complete_step(runtime, instance, spec_name, data)
            state = runtime.dumps(instance)
        assert runtime.end_event(runtime.loads(instance.spec_hash, state)) == "EndEvent_Returned"
        assert len(state.encode("utf-8")) <= 20_000

    def test_loading_an_unregistered_spec_raises_key_error(self, runtime: SpiffRuntime) -> None:
        instance = start(runtime, BIRTH, "birth_registration")
        state = runtime.dumps(instance)
        elsewhere = SpiffRuntime()
        with pytest.raises(KeyError):
            elsewhere.loads(instance.spec_hash, state)
        elsewhere.register(BIRTH, "birth_registration")
        assert ready_names(elsewhere, elsewhere.loads(instance.spec_hash, state)) == ["Task_Reception"]

    def test_loading_with_the_wrong_spec_hash_is_refused(self, runtime: SpiffRuntime) -> None:
        birth = start(runtime, BIRTH, "birth_registration")
        residence: SpecInfo = runtime.register(RESIDENCE, "permanent_residence")
        with pytest.raises(WorkflowError):
            runtime.loads(residence.spec_hash, runtime.dumps(birth))


# --- timers --------------------------------------------------------------------------------------------


class TestTimers:
    def supplement_pending(self, runtime: SpiffRuntime) -> SpiffInstance:
        instance = start(runtime, RESIDENCE, "permanent_residence")
        complete_step(runtime, instance, "Task_Reception", {"reception": {"decision": "accept"}})
        complete_step(runtime, instance, "Task_Appraisal", {"appraisal": {"decision": "supplement"}})
        return instance

    def test_supplement_timer_waits_thirty_days(self, runtime: SpiffRuntime) -> None:
        instance = self.supplement_pending(runtime)
        (timer,) = runtime.waiting_timers(instance)
        assert timer.spec_name == "Event_SupplementTimeout"
        assert timer.due_at.tzinfo is not None
        assert abs(timer.due_at - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=1)
        restored = runtime.loads(instance.spec_hash, runtime.dumps(instance))
        assert runtime.waiting_timers(restored) == [timer]

    def test_timer_fires_only_when_due_and_stops_the_dossier(self, runtime: SpiffRuntime) -> None:
        instance = self.supplement_pending(runtime)
        (timer,) = runtime.waiting_timers(instance)
        assert runtime.fire_due_timers(instance) is False
        assert runtime.fire_due_timers(instance, now=timer.due_at - timedelta(seconds=1)) is False
        assert ready_names(runtime, instance) == ["Task_SupplementAppraisal"]
        assert runtime.fire_due_timers(instance, now=timer.due_at) is True
        assert runtime.is_completed(instance)
        assert runtime.end_event(instance) == "EndEvent_Stopped"
        assert runtime.waiting_timers(instance) == []

    def test_supplying_in_time_cancels_the_timer(self, runtime: SpiffRuntime) -> None:
        instance = self.supplement_pending(runtime)
        complete_step(runtime, instance, "Task_SupplementAppraisal", {"supplement": {"papers": ["ct01"]}})
        assert runtime.waiting_timers(instance) == []

    def test_birth_registration_has_no_timer(self, runtime: SpiffRuntime) -> None:
        instance = start(runtime, BIRTH, "birth_registration")
        complete_step(runtime, instance, "Task_Reception", {"reception": {"decision": "accept"}})
        complete_step(runtime, instance, "Task_Appraisal", {"appraisal": {"decision": "supplement"}})
        assert runtime.waiting_timers(instance) == []


# --- limits --------------------------------------------------------------------------------------------


class TestLoopCap:
    def test_exceeding_the_loop_cap_raises_a_clear_error(self) -> None:
        runtime = SpiffRuntime(max_loop_rounds=3)
        instance = start(runtime, LOOP_BPMN, "inline", {})
        for _ in range(3):
            complete_step(runtime, instance, "Task_Work", {"work": {"again": True}})
        assert ready_names(runtime, instance) == ["Task_Work"]
        with pytest.raises(WorkflowError, match="Task_Work.*3 times.*limit of 3") as caught:
            complete_step(runtime, instance, "Task_Work", {"work": {"again": False}})
        assert caught.value.code == "LoopLimitExceeded"
        assert "vượt giới hạn" in caught.value.message

    def test_tree_depth_grows_with_loops(self, runtime: SpiffRuntime) -> None:
        instance = start(runtime, LOOP_BPMN, "inline", {})
        before = runtime.tree_depth(instance)
        for _ in range(5):
            complete_step(runtime, instance, "Task_Work", {"work": {"again": True}})
        assert runtime.tree_depth(instance) >= before + 10


class TestSandbox:
    def test_script_sees_data_and_helpers(self) -> None:
        runtime = SpiffRuntime({"fee_for": fee_for})
        instance = start(
            runtime,
            script_bpmn("fee = fee_for(len(copies))\nlabel = str(fee)"),
            "inline",
            {"copies": ["a", "b"]},
        )
        data = runtime.data(instance)
        assert (data["fee"], data["label"]) == (40_000, "40000")
        assert "fee_for" not in data

    @pytest.mark.parametrize(
        "script",
        [
            pytest.param("import os", id="import"),
            pytest.param("from os import path", id="import-from"),
            pytest.param("x = __import__('os')", id="dunder-import"),
            pytest.param("x = ().__class__", id="dunder-attribute"),
            pytest.param("x = (i for i in [1]).gi_frame", id="frame-attribute"),
            pytest.param("x = '{0.__class__}'.format(1)", id="format-string"),
            pytest.param("global y\ny = 1", id="global"),
            pytest.param("match 1:\n    case int(__class__=c):\n        pass", id="match-attribute"),
            pytest.param("x = 10 ** n", id="unbounded-power"),
        ],
    )
    def test_refused_code_is_rejected_at_registration(self, runtime: SpiffRuntime, script: str) -> None:
        with pytest.raises(WorkflowError, match="Invalid BPMN.*Task_Script"):
            runtime.register(script_bpmn(script), "inline")

    @pytest.mark.parametrize(
        ("script", "cause"),
        [
            pytest.param("f = open('/etc/passwd')", "NameError", id="open"),
            pytest.param("x = eval('1')", "NameError", id="eval"),
            pytest.param("x = getattr(1, 'real')", "NameError", id="getattr"),
            pytest.param("x = 1 / 0", "ZeroDivisionError", id="zero-division"),
            pytest.param("x = sum(range(10 ** 9))", "range", id="huge-range"),
        ],
    )
    def test_runtime_failures_are_workflow_errors_naming_the_task(
        self, runtime: SpiffRuntime, script: str, cause: str
    ) -> None:
        with pytest.raises(WorkflowError, match=f"Task_Script.*{cause}") as caught:
            start(runtime, script_bpmn(script), "inline", {})
        assert "Task_Script" in caught.value.message

    def test_infinite_loop_is_stopped_in_bounded_time(self, runtime: SpiffRuntime) -> None:
        began = time.monotonic()
        with pytest.raises(WorkflowError, match="Task_Script.*budget"):
            start(
                runtime,
                script_bpmn("while True:\n    try:\n        pass\n    except:\n        pass"),
                "inline",
                {},
            )
        assert time.monotonic() - began < 30  # a hang detector, not a speed test

    def test_service_task_is_refused_with_a_workflow_error(self, runtime: SpiffRuntime) -> None:
        xml = inline_bpmn("""
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="Task_Service">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="http/GetRequest" resultVariable="r">
          <spiffworkflow:parameters />
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Service" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Service" targetRef="EndEvent_1" />""")
        with pytest.raises(WorkflowError, match="Task_Service.*not supported"):
            start(runtime, xml, "inline", {})

    @pytest.mark.parametrize(
        "source",
        ["import os", "__import__('os')", "().__class__", "x.__class__.__mro__", "(lambda: 1).__globals__"],
    )
    def test_environment_rejects_before_running(self, source: str) -> None:
        environment = SandboxEnvironment()
        with pytest.raises(ScriptRejected):
            environment.execute(source, {"x": 1})

    def test_environment_hides_unsafe_builtins(self) -> None:
        environment = SandboxEnvironment()
        for name in ("open", "eval", "exec", "getattr", "type", "compile", "globals", "vars", "input"):
            with pytest.raises(ScriptFailed, match="NameError"):
                environment.evaluate(name, {})
        assert environment.evaluate("len(items) + max(1, 2)", {"items": [1, 2]}) == 4

    def test_environment_timeout_cannot_be_swallowed(self) -> None:
        environment = SandboxEnvironment(timeout=0.5)
        with pytest.raises(ScriptLimitExceeded):
            environment.execute(
                "while True:\n    try:\n        pass\n    except Exception:\n        pass", {}
            )

    def test_environment_evaluate_does_not_change_data(self) -> None:
        environment = SandboxEnvironment()
        context = {"a": 1}
        assert environment.evaluate("(b := a + 1)", context) == 2
        assert context == {"a": 1}
