"""A scenario file the runner cannot follow is reported as its problem, never raised (engine/scenarios.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.scenarios import run_scenario, shape_problems

GOOD = {"start": "2026-03-02T09:00", "applicant": {}, "steps": [{"action": "file"}]}


def no_services(clock: object) -> object:
    raise AssertionError("a scenario that cannot run builds no services")


def test_a_runnable_scenario_has_no_shape_problem() -> None:
    assert shape_problems(GOOD) == []


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ([], "phải là một đối tượng JSON"),
        ({**GOOD, "start": "hôm qua"}, "thiếu «start»"),
        ({k: v for k, v in GOOD.items() if k != "applicant"}, "thiếu «applicant»"),
        ({**GOOD, "form": []}, "«form» phải là một đối tượng JSON"),
        ({**GOOD, "steps": []}, "«steps» phải là danh sách"),
        ({**GOOD, "steps": [{"action": "file"}, "receive"]}, "bước 2 (step 2): phải là một đối tượng JSON"),
        ({**GOOD, "steps": [{"action": "file"}, {"action": "fly"}]}, "«action» phải là một trong"),
        ({**GOOD, "steps": [{"action": "file"}, {"action": "complete"}]}, "«complete» cần «step»"),
        ({**GOOD, "steps": [{"action": "file", "as": "mayor"}]}, "«as» phải là một trong"),
        ({**GOOD, "steps": [{"action": "file", "at": "9h"}]}, "«at» không phải thời điểm ISO"),
        ({**GOOD, "steps": [{"action": "file", "data": "x"}]}, "«data» phải là một đối tượng JSON"),
        ({**GOOD, "steps": [{"action": "receive"}]}, "bước đầu tiên phải là «file»"),
    ],
)
def test_each_way_a_scenario_cannot_run_is_said(spec: object, said: str) -> None:
    problems = shape_problems(spec)
    assert any(said in p for p in problems), problems


@pytest.mark.parametrize("text", ["{oops", "[1]", "{}"])
def test_a_file_that_cannot_run_is_a_problem_not_an_exception(tmp_path: Path, text: str) -> None:
    path = tmp_path / "scenarios" / "01.json"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    result = run_scenario(path, no_services)  # type: ignore[arg-type]
    assert result.problems
    assert result.name == "01"
