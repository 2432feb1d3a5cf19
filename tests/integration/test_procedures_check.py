"""`motcua procedures check`: passes on the repository; names each problem of a broken copy in Vietnamese."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from engine.document.kinds import GENERIC_RESULT, result_template
from portal.cli import app
from portal.settings import ROOT

PROCESSES = ROOT / "processes"
SLUG = "permanent-residence"


def check(path: Path | None = None) -> Result:
    """Run `motcua procedures check [PATH]` the way an author does before publishing."""
    args = ["procedures", "check"] if path is None else ["procedures", "check", str(path)]
    return CliRunner().invoke(app, args)


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact piece of a file (fails loudly if the piece is not there)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A copy of the permanent-residence folder that the test then breaks."""
    folder = tmp_path / "processes" / SLUG
    shutil.copytree(PROCESSES / SLUG, folder)
    return folder


def problems_of(result: Result) -> list[str]:
    """The `- problem` lines the command printed."""
    return [line.strip()[2:] for line in result.output.splitlines() if line.strip().startswith("- ")]


def assert_refused(result: Result, folder: Path, *expected: str) -> None:
    """Exit 1, the folder marked ✗, and each expected problem printed as its own line."""
    assert result.exit_code == 1, result.output
    assert f"✗ {folder}" in result.output
    assert "thủ tục có lỗi" in result.output
    printed = problems_of(result)
    for problem in expected:
        assert problem in printed, f"{problem!r} not in {printed!r}"


def test_the_repository_procedures_pass() -> None:
    result = check()
    assert result.exit_code == 0, result.output
    assert f"✓ {PROCESSES / 'birth-registration'} (2 kịch bản đạt)" in result.output
    assert f"✓ {PROCESSES / SLUG} (6 kịch bản đạt)" in result.output
    assert "Tất cả 2 thủ tục hợp lệ" in result.output


def test_an_untouched_copy_passes(broken: Path) -> None:
    result = check(broken)
    assert result.exit_code == 0, result.output
    assert f"✓ {broken} (6 kịch bản đạt)" in result.output


def test_malformed_bpmn_xml(broken: Path) -> None:
    edit(broken / "process.bpmn", "</bpmn:definitions>", "")
    result = check(broken)
    assert result.exit_code == 1, result.output
    [problem] = problems_of(result)
    assert problem.startswith("process.bpmn không hợp lệ: Mô hình BPMN không hợp lệ:")


def test_a_bpmn_lane_not_mapped_in_procedure_yaml(broken: Path) -> None:
    edit(broken / "process.bpmn", 'name="leader"', 'name="lanh-dao"')
    result = check(broken)
    assert_refused(
        result, broken, "lane «lanh-dao» trong BPMN chưa được ánh xạ tới vai trò trong procedure.yaml"
    )


def test_a_lane_removed_from_procedure_yaml(broken: Path) -> None:
    edit(broken / "procedure.yaml", "  leader: leader\n", "")
    result = check(broken)
    assert_refused(
        result, broken, "lane «leader» trong BPMN chưa được ánh xạ tới vai trò trong procedure.yaml"
    )


def test_a_lane_mapped_to_an_unknown_role(broken: Path) -> None:
    edit(broken / "procedure.yaml", "  leader: leader\n", "  leader: chairman\n")
    result = check(broken)
    assert_refused(result, broken, "lane «leader» ánh xạ tới vai trò không tồn tại «chairman» (unknown role)")


def test_a_lane_held_by_the_operations_center_account(broken: Path) -> None:
    edit(broken / "procedure.yaml", "  leader: leader\n", "  leader: ioc\n")
    result = check(broken)
    assert_refused(
        result, broken, "lane «leader»: vai trò «ioc» là tài khoản hệ thống, không xử lý hồ sơ (system role)"
    )


def test_a_user_task_without_status(broken: Path) -> None:
    edit(
        broken / "process.bpmn",
        '<spiffworkflow:property name="status" value="4" />\n'
        '          <spiffworkflow:property name="step" value="appraisal" />',
        '<spiffworkflow:property name="step" value="appraisal" />',
    )
    result = check(broken)
    assert_refused(result, broken, "user task «Task_Appraisal» thiếu thuộc tính status")


def test_a_user_task_with_a_status_outside_the_catalogue(broken: Path) -> None:
    edit(
        broken / "process.bpmn",
        '<spiffworkflow:property name="status" value="4" />\n'
        '          <spiffworkflow:property name="step" value="appraisal" />',
        '<spiffworkflow:property name="status" value="11" />\n'
        '          <spiffworkflow:property name="step" value="appraisal" />',
    )
    result = check(broken)
    assert_refused(result, broken, "user task «Task_Appraisal»: status «11» không có trong danh mục")


def test_a_task_form_that_does_not_exist(broken: Path) -> None:
    edit(
        broken / "process.bpmn",
        '<spiffworkflow:property name="form" value="approval" />',
        '<spiffworkflow:property name="form" value="phe-duyet" />',
    )
    result = check(broken)
    assert_refused(
        result, broken, "user task «Task_Approval»: không có biểu mẫu forms/tasks/phe-duyet.schema.json"
    )


def test_procedure_yaml_without_a_deadline(broken: Path) -> None:
    edit(
        broken / "procedure.yaml",
        "deadline:\n  amount: 7\n  unit: working_days",
        "deadline_note:\n  amount: 7\n  unit: working_days",
    )
    result = check(broken)
    assert_refused(result, broken, "thiếu «deadline» (deadline is missing)")


def test_a_deadline_in_an_unknown_unit(broken: Path) -> None:
    edit(broken / "procedure.yaml", "unit: working_days", "unit: weeks")
    result = check(broken)
    assert_refused(result, broken, "deadline.unit «weeks» không hợp lệ (unknown unit)")


def test_step_budgets_that_exceed_the_legal_deadline(broken: Path) -> None:
    edit(broken / "procedure.yaml", "  appraisal: 36\n", "  appraisal: 60\n")
    result = check(broken)
    assert_refused(
        result,
        broken,
        "tổng thời gian các bước (80 giờ làm việc) vượt thời hạn luật định (56 giờ, 7 ngày làm việc)",
    )


def test_a_budget_for_a_step_the_bpmn_does_not_have(broken: Path) -> None:
    edit(broken / "procedure.yaml", "  return: 6\n", "  return: 6\n  archive: 1\n")
    result = check(broken)
    assert_refused(result, broken, "budgets.archive: không có bước «archive» trong BPMN")


def test_an_e_form_schema_that_does_not_exist(broken: Path) -> None:
    edit(broken / "procedure.yaml", "form: permanent-residence ", "form: thuong-tru ")
    result = check(broken)
    assert_refused(result, broken, "không có biểu mẫu forms/thuong-tru.schema.json")


def test_a_folder_without_scenarios(broken: Path) -> None:
    shutil.rmtree(broken / "scenarios")
    result = check(broken)
    assert_refused(result, broken, "chưa có kịch bản kiểm thử nào trong scenarios/")


def test_a_scenario_whose_expected_due_time_is_wrong_names_expected_and_actual(broken: Path) -> None:
    scenario = broken / "scenarios" / "01-online-accepted-early.json"
    edit(scenario, '"due_at": "2026-03-11T09:30:00+07:00"', '"due_at": "2026-03-10T09:30:00+07:00"')
    result = check(broken)
    assert result.exit_code == 1, result.output
    [problem] = problems_of(result)
    assert problem.startswith("kịch bản 01-online-accepted-early.json «Nộp trực tuyến, tiếp nhận")
    assert re.search(r"bước 2 \(receive, 02/03/2026 09:30\): due_at: ", problem), problem
    assert problem.endswith("due_at: expected '2026-03-10T09:30:00+07:00', got '2026-03-11T09:30:00+07:00'")


def test_only_the_broken_procedure_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "processes"
    shutil.copytree(PROCESSES, root)
    edit(root / "birth-registration" / "procedure.yaml", "unit: same_day", "unit: fortnight")
    result = check(root)
    assert result.exit_code == 1, result.output
    assert f"✗ {root / 'birth-registration'}" in result.output
    assert f"✓ {root / SLUG} (6 kịch bản đạt)" in result.output
    assert "1/2 thủ tục có lỗi" in result.output
    assert problems_of(result) == ["deadline.unit «fortnight» không hợp lệ (unknown unit)"]


def test_a_path_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "khong-co"
    result = check(missing)
    assert result.exit_code == 1, result.output
    assert problems_of(result) == [f"không tìm thấy thư mục {missing}"]


def test_a_procedure_without_a_result_template_of_its_own_passes_with_the_generic_one(tmp_path: Path) -> None:
    folder = tmp_path / "processes" / "household-business"
    shutil.copytree(PROCESSES / SLUG, folder)

    result = check(folder)
    assert result.exit_code == 0, result.output
    assert f"✓ {folder} (6 kịch bản đạt)" in result.output


def test_the_result_template_is_the_procedures_own_else_the_generic_one_else_none(tmp_path: Path) -> None:
    documents = tmp_path / "documents"
    assert result_template(documents, "ho-kinh-doanh") is None
    (documents / "results").mkdir(parents=True)
    (documents / GENERIC_RESULT).write_text("chung", encoding="utf-8")
    assert result_template(documents, "ho-kinh-doanh") == GENERIC_RESULT
    (documents / "results" / "ho-kinh-doanh.html").write_text("riêng", encoding="utf-8")
    assert result_template(documents, "ho-kinh-doanh") == "results/ho-kinh-doanh.html"
