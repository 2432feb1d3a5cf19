"""A deterministic stand-in for the PDF renderer, for engine tests that need no WeasyPrint."""

from __future__ import annotations

import json

from engine.document.kinds import RenderSource


class FakeRenderer:
    """Renders a document as a tiny PDF-shaped text of its data; fails when told to."""

    def __init__(self) -> None:
        self.rendered: list[RenderSource] = []
        self._failures = 0

    def fail_next(self, count: int) -> None:
        """Make the next `count` renders raise."""
        self._failures = count

    def render(self, source: RenderSource) -> bytes:
        """`%PDF-fake` and the canonical data: the same source always gives the same bytes."""
        if self._failures:
            self._failures -= 1
            raise RuntimeError("told to fail")
        self.rendered.append(source)
        body = json.dumps(source.data, ensure_ascii=False, sort_keys=True)
        return f"%PDF-fake\n{source.template}\n{source.content_hash}\n{body}\n%%EOF\n".encode()
