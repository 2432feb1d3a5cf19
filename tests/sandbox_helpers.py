"""Module-level helpers for sandbox tests: script workers import helpers by module path, so no lambdas."""

from __future__ import annotations


def fee_for(copies: int) -> int:
    """20,000 đ per copy."""
    return 20_000 * copies
