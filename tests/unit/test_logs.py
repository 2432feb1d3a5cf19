"""The processes' log: MotCua's own lines, not seven WeasyPrint progress lines per rendered document."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from integrations.pdf.renderer import WeasyRenderer
from portal.logs import QUIET, configure
from tests.unit.test_document_renderer import sample


@pytest.fixture
def restored_levels() -> Iterator[None]:
    levels = {name: logging.getLogger(name).level for name in QUIET}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("restored_levels")
def test_rendering_a_document_logs_no_progress_lines(caplog: pytest.LogCaptureFixture) -> None:
    configure()
    renderer = WeasyRenderer(Path("forms/documents"), "http://127.0.0.1:8000")

    with caplog.at_level(logging.INFO):
        logging.getLogger("motcua.worker").info("rendering one document")
        pdf = renderer.render(sample("receipt"))

    assert pdf.startswith(b"%PDF")
    assert [r.name for r in caplog.records] == ["motcua.worker"]
