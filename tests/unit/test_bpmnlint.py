"""MotCua's bpmnlint rules run on the server (integrations/bpmnlint): what each rule finds, in both languages,
on MotCua's own processes, on diagrams other modelers made (tests/fixtures/bpmn) and on hostile input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.actor import Role
from engine.dossier.status import Status
from engine.workflow.helpers import script_helpers
from integrations.bpmnlint import (
    MAX_BYTES,
    BpmnRefused,
    BpmnTooLarge,
    LinterUnavailable,
    LintProblem,
    lint_bpmn,
)
from portal.settings import ROOT

PROCESSES = sorted((ROOT / "processes").glob("*/process.bpmn"))
BIRTH = (ROOT / "processes" / "birth-registration" / "process.bpmn").read_text("utf-8")
RESIDENCE = (ROOT / "processes" / "permanent-residence" / "process.bpmn").read_text("utf-8")
FIXTURES = ROOT / "tests" / "fixtures" / "bpmn"
CATALOGUE = json.loads((ROOT / "portal" / "assets" / "bpmnlint" / "catalogue.json").read_text("utf-8"))


def found(problems: list[LintProblem]) -> set[tuple[str, str, str]]:
    return {(p.rule, p.element_id, p.severity) for p in problems}


def lint(xml: str) -> list[LintProblem]:
    return lint_bpmn(xml.encode("utf-8"))


@pytest.mark.parametrize("path", PROCESSES, ids=lambda p: p.parent.name)
def test_motcua_processes_have_no_problem(path: Path) -> None:
    assert lint_bpmn(path.read_bytes()) == []


FORM = '<spiffworkflow:property name="form" value="reception" />'
STEP = '<spiffworkflow:property name="step" value="reception" />'


@pytest.mark.parametrize(
    ("source", "old", "new", "expected"),
    [
        (BIRTH, FORM, "", ("motcua/user-task-form", "Task_Reception", "error")),
        (BIRTH, STEP, "", ("motcua/user-task-step", "Task_Reception", "error")),
        (
            BIRTH,
            '<spiffworkflow:property name="status" value="1" />',
            '<spiffworkflow:property name="status" value="99" />',
            ("motcua/user-task-status", "Task_Reception", "error"),
        ),
        (
            BIRTH,
            '<spiffworkflow:property name="status" value="10" />',
            "",
            ("motcua/end-event-status", "EndEvent_Returned", "error"),
        ),
        (BIRTH, 'name="leader"', 'name=""', ("motcua/lane-role", "Lane_Leader", "error")),
        (
            BIRTH,
            'name="leader"',
            'name="Lãnh đạo UBND"',
            ("motcua/lane-role-known", "Lane_Leader", "warning"),
        ),
        (
            BIRTH,
            "<bpmn:flowNodeRef>Task_Approval</bpmn:flowNodeRef>",
            "",
            ("motcua/user-task-lane", "Task_Approval", "error"),
        ),
        (
            BIRTH,
            ' default="Flow_ReceptionAccept"',
            "",
            ("motcua/gateway-default", "Gateway_Reception", "error"),
        ),
        (RESIDENCE, '>"P30D"<', ">P30D<", ("motcua/timer-expression", "Event_SupplementTimeout", "error")),
        (
            BIRTH,
            '<bpmn:sequenceFlow id="Flow_Start" sourceRef="StartEvent_1" targetRef="Task_Reception" />',
            '<bpmn:sequenceFlow id="Flow_Start" sourceRef="StartEvent_1" targetRef="EndEvent_Refused" />',
            ("motcua/unreachable", "Task_Reception", "error"),
        ),
    ],
    ids=[
        "form",
        "step",
        "status",
        "end-status",
        "lane-role",
        "lane-known",
        "lane",
        "gateway",
        "timer",
        "unreachable",
    ],
)
def test_each_motcua_rule_names_the_element(
    source: str, old: str, new: str, expected: tuple[str, str, str]
) -> None:
    assert old in source
    problems = lint(source.replace(old, new, 1))
    assert expected in found(problems)
    for problem in problems:
        assert problem.message_vi
        assert problem.message_vi != problem.message_en


def test_unreachable_elements_are_every_node_cut_off_from_the_start() -> None:
    cut = BIRTH.replace('targetRef="Task_Reception" />', 'targetRef="EndEvent_Refused" />', 1)
    unreachable = {p.element_id for p in lint(cut) if p.rule == "motcua/unreachable"}
    assert {"Task_Reception", "Gateway_Reception", "Task_Appraisal", "Task_Return"} <= unreachable
    assert "StartEvent_1" not in unreachable
    assert "EndEvent_Refused" not in unreachable


def test_the_recommended_rules_run_too() -> None:
    cut = BIRTH.replace(
        '<bpmn:userTask id="Task_Return" name="Trả kết quả">', '<bpmn:userTask id="Task_Return">'
    )
    assert ("label-required", "Task_Return", "warning") in found(lint(cut))
    problem = next(p for p in lint(cut) if p.rule == "label-required")
    assert problem.message_vi == "Phần tử chưa có tên"
    assert problem.message_en == "Element is missing label/name"


# --- diagrams from other modelers ---------------------------------------------------------------------------


def test_a_spiff_arena_diagram_lints_with_what_motcua_misses() -> None:
    problems = lint_bpmn((FIXTURES / "spiff-arena-basic-user-task.bpmn").read_bytes())
    assert {
        ("motcua/user-task-form", "user_task_one", "error"),
        ("motcua/user-task-status", "user_task_one", "error"),
        ("motcua/user-task-lane", "user_task_one", "error"),
        ("motcua/end-event-status", "EndEvent_1", "error"),
    } <= found(problems)


def test_a_camunda_modeler_diagram_without_flows_lints() -> None:
    problems = lint_bpmn((FIXTURES / "camunda-modeler-user-tasks.bpmn").read_bytes())
    assert ("start-event-required", "Process_1554m1f", "error") in found(problems)
    assert ("no-disconnected", "Activity_0i0rung", "error") in found(problems)
    assert ("motcua/user-task-form", "Activity_1x1qgom", "error") in found(
        problems
    )  # camunda:formKey is not ours


def test_the_bpmnlint_sample_lints() -> None:
    problems = lint_bpmn((FIXTURES / "bpmnlint-sample.bpmn").read_bytes())
    assert found(problems) == {
        ("end-event-required", "Process_1", "error"),
        ("label-required", "Task_0i8qkr8", "warning"),
    }
    assert problems[0].severity == "error"  # errors first


def test_a_broken_file_is_refused_saying_where() -> None:
    with pytest.raises(BpmnRefused) as refused:
        lint_bpmn((FIXTURES / "bpmnlint-diagram-broken.bpmn").read_bytes())
    assert "Không đọc được XML" in refused.value.message_vi
    assert "line 1" in refused.value.message_en


# --- hostile or wrong input ---------------------------------------------------------------------------------


def test_entities_are_refused_before_anything_runs(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", "utf-8")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D">'
        '<bpmn:process id="P" name="&x;"/></bpmn:definitions>'
    )
    with pytest.raises(BpmnRefused) as refused:
        lint(xml)
    assert "DOCTYPE" in refused.value.message_vi
    assert "TOP-SECRET" not in str(refused.value)


def test_a_document_that_is_not_bpmn_is_refused_naming_the_root() -> None:
    with pytest.raises(BpmnRefused) as refused:
        lint('<definitions xmlns="urn:other"><process id="P"/></definitions>')
    assert "bpmn:definitions" in refused.value.message_vi


def test_too_large_is_refused_before_parsing() -> None:
    with pytest.raises(BpmnTooLarge):
        lint_bpmn(b" " * (MAX_BYTES + 1))


def test_a_linter_that_takes_too_long_is_stopped() -> None:
    with pytest.raises(BpmnRefused) as refused:
        lint_bpmn(BIRTH.encode("utf-8"), timeout=0.001)
    assert "quá nhiều thời gian" in refused.value.message_vi


def test_a_missing_linter_is_the_operators_problem(tmp_path: Path) -> None:
    with pytest.raises(LinterUnavailable, match="make assets"):
        lint_bpmn(BIRTH.encode("utf-8"), linter=tmp_path / "missing.cjs")


# --- the catalogue the modeler and the rules read matches the engine ---------------------------------------


def test_the_catalogue_matches_the_engine() -> None:
    assert {s["value"]: (s["vi"], s["en"]) for s in CATALOGUE["statuses"]} == {
        s.value: (s.label, s.label_en) for s in Status
    }
    assert {r["value"] for r in CATALOGUE["roles"]} == {"citizen", "officer", "specialist", "leader"}
    assert {r["value"] for r in CATALOGUE["roles"]} <= {r.value for r in Role}
    assert [h["name"] for h in CATALOGUE["helpers"]] == list(script_helpers())
