"""Module-level helpers for sandbox tests: script workers import helpers by module path, so no lambdas."""

from __future__ import annotations


def fee_for(copies: int) -> int:
    """20,000 đ per copy."""
    return 20_000 * copies


def slow(exponent_digits: int) -> int:
    """C-level work that never returns to the interpreter: 7 ** 10**n (then answers 1)."""
    return 1 if (7 ** (10**exponent_digits)).bit_length() else 0
