"""The workshop's scenario editor: a draft's `scenarios/*.json` listed, edited, copied and deleted.

A scenario (engine/scenarios.py) files a dossier and drives it step by step with the statuses and due times
expected. When an administrator changes the e-form, a step or the term, the scenarios fail until they are
fixed: these use cases let them be fixed in the browser. Each file is held to the caps of an import (one file
≤ MAX_FILE_BYTES, ≤ MAX_FILES files per draft, a safe file name) and must be a JSON object; a procedure keeps
at least one scenario. Saving does not run the check: the caller runs it after the commit, like the other
editors of a draft. Draft edits are not audited (publishing is).
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.actor import Actor
from engine.checks import Problem
from engine.errors import FieldError, InvalidInput, NotFound
from engine.store.db import UnitOfWork
from engine.store.models import ProcedureDraftRow
from engine.usecases.workshop import (
    MAX_FILE_BYTES,
    MAX_FILES,
    PATH_RE,
    draft_files,
    get_draft,
    open_draft,
    stored_problems,
    too_large_on,
    touch,
    unchanged_since,
    write_files,
)

PREFIX = "scenarios/"
SKELETON: dict[str, Any] = {
    "name": "Kịch bản mới",
    "start": "2026-03-02T09:00",
    "applicant": {"full_name": "", "identity_number": ""},
    "form": {},
    "steps": [{"action": "file", "as": "citizen", "channel": "online", "expect": {"status": 1}}],
}


@dataclass
class ScenarioLine:
    """One scenario of a draft with its last check result.

    `state`: passed (the last check ran it, no problem) | failed (its problems) | not_run (the last check
    stopped at an earlier problem of the procedure, or there was none yet).
    """

    file: str
    name: str
    state: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def path(self) -> str:
        """The path inside the procedure folder."""
        return PREFIX + self.file


def _name_of(content: str, fallback: str) -> str:
    try:
        loaded = json.loads(content)
    except json.JSONDecodeError:
        return fallback
    name = loaded.get("name") if isinstance(loaded, dict) else None
    return name[:300] if isinstance(name, str) and name.strip() else fallback


def _without_prefix(problem: Problem) -> Problem:
    """The problem without «kịch bản <file> «<name>»: » (the list shows the file and name already)."""
    return dataclasses.replace(
        problem,
        message=re.sub(r"^kịch bản \S+ «.*?»: ", "", problem.message, count=1),
        message_en=re.sub(r"^scenario \S+ '.*?': ", "", problem.message_en, count=1),
    )


def scenario_lines(draft: ProcedureDraftRow, files: dict[str, str]) -> list[ScenarioLine]:
    """The draft's scenarios, by file name, each with its name and what the stored check said of it."""
    problems = stored_problems(draft)
    lines = []
    for path, content in sorted(files.items()):
        if not path.startswith(PREFIX):
            continue
        own = [_without_prefix(p) for p in problems if p.file == path]
        if own:
            state = "failed"
        elif draft.scenarios_run and draft.checked_at is not None:
            state = "passed"
        else:
            state = "not_run"
        file = path.removeprefix(PREFIX)
        lines.append(ScenarioLine(file, _name_of(content, file.removesuffix(".json")), state, own))
    return lines


def list_scenarios(uow: UnitOfWork, actor: Actor, draft_id: int) -> list[ScenarioLine]:
    """A draft's scenarios with their last check result."""
    draft = get_draft(uow, actor, draft_id)
    return scenario_lines(draft, draft_files(uow, draft_id))


def file_name(typed: str) -> str | None:
    """`05-bo-sung` or `05-bo-sung.json` → `05-bo-sung.json`; None when it is not a safe scenario name."""
    name = typed.strip()
    if name and not name.endswith(".json"):
        name += ".json"
    return name if PATH_RE.fullmatch(PREFIX + name) else None  # the import's rule for scenarios/<name>


def next_file_name(files: dict[str, str]) -> str:
    """A free name for a new scenario: the next number, `05-kich-ban-moi.json`."""
    numbers = [int(m.group(1)) for p in files if (m := re.match(r"^scenarios/(\d+)", p))]
    number = max(numbers, default=0) + 1
    while f"{PREFIX}{number:02}-kich-ban-moi.json" in files:
        number += 1
    return f"{number:02}-kich-ban-moi.json"


_BAD_NAME = FieldError(
    "Tên tệp: chữ cái không dấu, số, dấu chấm, gạch ngang, gạch dưới (tối đa 80 ký tự), đuôi .json; "
    "ví dụ 05-bo-sung.json.",
    "File name: letters without accents, digits, '.', '-', '_' (at most 80), ending .json; "
    "e.g. 05-bo-sung.json.",
)


def _refused(fields: dict[str, FieldError]) -> InvalidInput:
    return InvalidInput("Kịch bản chưa lưu được.", "The scenario cannot be saved.", fields)


def _json_error(content: str) -> FieldError | None:
    try:
        loaded = json.loads(content)
    except json.JSONDecodeError as exc:
        return FieldError(
            f"JSON không hợp lệ ở dòng {exc.lineno}, cột {exc.colno}: {exc.msg}.",
            f"The JSON is not valid at line {exc.lineno}, column {exc.colno}: {exc.msg}.",
        )
    if not isinstance(loaded, dict):
        return FieldError(
            "Kịch bản phải là một đối tượng JSON ({ … }).", "A scenario must be a JSON object ({ … })."
        )
    return None


def _scenario(files: dict[str, str], file: str) -> str:
    path = PREFIX + file
    if path not in files:
        raise NotFound(
            f"Bản nháp không có kịch bản «{file[:90]}».",
            f"The draft has no scenario '{file[:90]}'.",
            "ScenarioNotFound",
        )
    return path


def _name_problem(files: dict[str, str], file: str | None, replacing: str | None) -> FieldError | None:
    """Why a scenario cannot be written as `file` (its safe name, None when typed badly): a bad name, one
    another scenario has, or no room for one more file; `replacing` is the path it overwrites, if any."""
    if file is None:
        return _BAD_NAME
    if PREFIX + file != replacing and PREFIX + file in files:
        return FieldError(
            f"Đã có kịch bản «{file}»; chọn tên khác.",
            f"There is already a scenario '{file}'; choose another.",
        )
    if replacing is None and len(files) >= MAX_FILES:
        return FieldError(
            f"Bản nháp đã có {len(files)} tệp, tối đa {MAX_FILES}.",
            f"The draft already holds {len(files)} files, at most {MAX_FILES}.",
        )
    return None


def save_scenario(  # noqa: PLR0913, PLR0917 — who, which draft, which file, its new name, what, when, over what
    uow: UnitOfWork,
    actor: Actor,
    draft_id: int,
    original: str,
    name: str,
    content: str,
    now: datetime,
    expected: str | None = None,
) -> str:
    """Write one scenario (a new one when `original` is empty; renamed when `name` differs); its file name.

    InvalidInput on `scenario_name` (a bad or taken name, no room for another file) and `scenario_json`
    (not JSON, not an object); UploadTooLarge on `scenario_json`; NotFound when `original` is gone.
    Nothing is written when anything is refused.
    """
    draft = open_draft(uow, actor, draft_id)
    if len(content.encode("utf-8")) > MAX_FILE_BYTES:
        raise too_large_on("scenario_json")
    files = draft_files(uow, draft_id)
    old_path = _scenario(files, original) if original else None
    unchanged_since(draft, files, old_path, expected, "scenario_json")
    fields: dict[str, FieldError] = {}
    file = file_name(name)
    if (bad_name := _name_problem(files, file, old_path)) is not None:
        fields["scenario_name"] = bad_name
    problem = _json_error(content)
    if problem is not None:
        fields["scenario_json"] = problem
    if fields:
        raise _refused(fields)
    assert file is not None
    if old_path is not None:
        files.pop(old_path)
    files[PREFIX + file] = content if content.endswith("\n") else content + "\n"
    write_files(uow, draft_id, files)
    touch(uow, draft, actor, now)
    return file


def add_scenario(  # noqa: PLR0917 — who, which draft, copied from, named, when
    uow: UnitOfWork, actor: Actor, draft_id: int, source: str, name: str, now: datetime
) -> str:
    """A new scenario, a copy of `source` (its name marked as a copy) or, with no source, a skeleton."""
    draft = open_draft(uow, actor, draft_id)
    files = draft_files(uow, draft_id)
    fields: dict[str, FieldError] = {}
    file = file_name(name)
    if (bad_name := _name_problem(files, file, None)) is not None:
        fields["scenario_new_name"] = bad_name
    copied: dict[str, Any] = dict(SKELETON)
    if source:
        if PREFIX + source not in files:
            fields["scenario_source"] = FieldError(
                "Chọn một kịch bản có trong bản nháp.", "Choose one of the draft's scenarios."
            )
        else:
            try:
                loaded = json.loads(files[PREFIX + source])
            except json.JSONDecodeError:
                loaded = None
            if not isinstance(loaded, dict):
                fields["scenario_source"] = FieldError(
                    "Kịch bản này không phải JSON hợp lệ; sửa nó trước hoặc chọn kịch bản khác.",
                    "That scenario is not valid JSON; fix it first or choose another.",
                )
            else:
                copied = loaded
                copied["name"] = f"{loaded.get('name') or source} (bản sao)"
    if fields:
        raise _refused(fields)
    assert file is not None
    files[PREFIX + file] = json.dumps(copied, ensure_ascii=False, indent=2) + "\n"
    write_files(uow, draft_id, files)
    touch(uow, draft, actor, now)
    return file


def delete_scenario(uow: UnitOfWork, actor: Actor, draft_id: int, file: str, now: datetime) -> None:
    """Drop one scenario; refused (InvalidInput on `scenarios`) for the last one: a procedure keeps one."""
    draft = open_draft(uow, actor, draft_id)
    files = draft_files(uow, draft_id)
    path = _scenario(files, file)
    if sum(1 for p in files if p.startswith(PREFIX)) <= 1:
        raise InvalidInput(
            "Không xóa được kịch bản cuối cùng.",
            "The last scenario cannot be deleted.",
            {
                "scenarios": FieldError(
                    "Thủ tục phải có ít nhất một kịch bản kiểm thử: "
                    "thêm kịch bản khác trước khi xóa kịch bản này.",
                    "A procedure keeps at least one test scenario: add another before deleting this one.",
                )
            },
        )
    files.pop(path)
    write_files(uow, draft_id, files)
    touch(uow, draft, actor, now)
