"""After login the browser goes back only to a page of this portal (no open redirect)."""

from __future__ import annotations

import pytest

from portal.pages.account import safe_return


@pytest.mark.parametrize(
    ("asked", "goes_to"),
    [
        ("/ho-so", "/ho-so"),
        ("/tra-cuu?ma=H29.12.3-260302-0001", "/tra-cuu?ma=H29.12.3-260302-0001"),
        (None, "/ho-so"),
        ("", "/ho-so"),
        ("https://attacker.example/", "/ho-so"),
        ("//attacker.example/path", "/ho-so"),
        ("/\\attacker.example", "/ho-so"),
        ("javascript:alert(1)", "/ho-so"),
    ],
)
def test_only_local_paths_are_returned_to(asked: str | None, goes_to: str) -> None:
    assert safe_return(asked) == goes_to
