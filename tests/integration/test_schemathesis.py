"""Schemathesis against the app: every API operation, as a citizen, an officer and an admin, with its
standard checks — no server error and no answer the OpenAPI document does not describe — and two more: the
server refuses what the schema calls invalid, and a method a path does not take is a 405 with `Allow`.

Driven programmatically (`schemathesis.openapi.from_asgi` and Hypothesis `@given` per operation) rather than
through its pytest plugin. Bounded: a few derandomized examples per operation and mode, no shrinking, SQLite.
What it leaves out and why: docs/api.md, "Fuzzing".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import FailureGroup

from portal.app import create_app
from portal.wiring import Container
from tests.builders import AN, Api

CHECK_NAMES = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "unsupported_method",
)
EXAMPLES = 4  # per operation, mode and user: enough to reach each response class, bounded in time
USERS = {"citizen": AN, "officer": "motcua.badinh", "admin": "quantri"}


# POST /verify takes the PDF itself as its body: sent as bytes, like any binary body.
schemathesis.serializer.alias("application/pdf", "application/octet-stream")


def _checks() -> list[Any]:
    load_all_checks()
    found = {check.__name__: check for check in CHECKS.get_all()}
    return [found[name] for name in CHECK_NAMES]


def _run_operation(
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    checks: list[Any],
    path_parameters: dict[str, Any] | None = None,
    answered: Counter[int] | None = None,
) -> list[str]:
    failures: list[str] = []
    where = f" with {path_parameters}" if path_parameters else ""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def run(case: Any) -> None:
        try:
            response = case.call(headers=headers)
            if answered is not None:
                answered[response.status_code] += 1
            case.validate_response(response, checks=checks, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                seen = f"{operation.label}{where} [{mode.value}] {failure.title}"
                if not any(line.startswith(seen) for line in failures):
                    line = f"{seen}: {failure.message}"[:800]
                    failures.append(line + "\n    " + case.as_curl_command(headers={})[:400])

    try:
        run()
    except Unsatisfiable:
        # Negative mode on an operation with no parameter or body to get wrong generates nothing.
        if mode is not GenerationMode.NEGATIVE:
            raise
    return failures


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("who", sorted(USERS))
def test_the_api_conforms_to_its_openapi_for(
    who: str, container: Container, api: Api, auth: Callable[[str], dict[str, str]]
) -> None:
    code = api.received()  # a dossier with its receipt: listings, details and documents have rows to show
    detail = api.dossier(code)
    known = {
        "code": code,
        "agency": detail["agency"]["code"],
        "year": 2026,
        "document_id": detail["documents"][0]["id"],
        "task_id": detail["tasks"][0]["id"],
    }
    app = create_app(container.settings, container)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    checks = _checks()
    headers = auth(USERS[who])
    failures: list[str] = []
    answered: Counter[int] = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:  # every parameter generated: mostly unknown things, 404 and 422
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _run_operation(operation, mode, headers, checks)
    for operation in operations:  # the real dossier, its agency, document and task: 200, 403 and 409 too
        names = [p.name for p in operation.path_parameters]
        if names and all(name in known for name in names):
            fixed = {name: known[name] for name in names}
            failures += _run_operation(operation, GenerationMode.POSITIVE, headers, checks, fixed, answered)
    assert not failures, "\n\n".join(failures)[:20000]
    # The real dossier's operations were reached; its owner and its agency's officer got answers, not only
    # refusals (the administrator works on no dossier: 403 and 404 are its answers).
    assert sum(answered.values()) >= 20, answered
    if who != "admin":
        assert answered[200] > 0, answered
