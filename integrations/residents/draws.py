"""Deterministic randomness for the synthetic population: hash-derived draws and an invertible scramble."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TypeVar

T = TypeVar("T")


class Draw:
    """Up to 32 draws from the BLAKE2b digest of a key: the same key gives the same draws on every machine."""

    def __init__(self, *key: object) -> None:
        self._bytes = hashlib.blake2b(":".join(map(str, key)).encode(), digest_size=64).digest()
        self._at = 0

    def _next(self) -> int:
        if self._at + 2 > len(self._bytes):
            self._bytes = hashlib.blake2b(self._bytes, digest_size=64).digest()
            self._at = 0
        value = int.from_bytes(self._bytes[self._at : self._at + 2], "big")
        self._at += 2
        return value

    def below(self, n: int) -> int:
        """0 … n-1 (n ≤ 65,536; the small bias does not matter for a test population)."""
        return self._next() % n

    def between(self, low: int, high: int) -> int:
        """low … high, both included."""
        return low + self.below(high - low + 1)

    def chance(self, p: float) -> bool:
        """True with probability p."""
        return self._next() < p * 65_536

    def pick(self, items: Sequence[T]) -> T:
        """One item, uniformly."""
        return items[self.below(len(items))]

    def weighted(self, items: Sequence[T], weights: Sequence[int]) -> T:
        """One item, with integer weights."""
        point = self.below(sum(weights))
        for item, weight in zip(items, weights, strict=True):
            if point < weight:
                return item
            point -= weight
        return items[-1]

    def day_in(self, year: int) -> date:
        """A day of that year."""
        return date(year, 1, 1) + timedelta(days=self.below(365))


class Permutation:
    """A keyed bijection of 0 … limit-1 (six Feistel rounds on half × half, walking the cycle past limit)."""

    def __init__(self, half: int, limit: int, key: int) -> None:
        if not 0 < limit <= half * half:
            raise ValueError("limit must fit in half × half")
        self._half, self._limit = half, limit
        self._keys = [(key * 2_654_435_761 + r * 40_503) & 0xFFFFFFFF for r in range(6)]

    def _round(self, value: int, key: int) -> int:
        mixed = ((value ^ key) * 0x9E3779B1) & 0xFFFFFFFF  # a 32-bit integer hash (multiply, xor-shift)
        mixed ^= mixed >> 15
        mixed = (mixed * 0x85EBCA6B) & 0xFFFFFFFF
        mixed ^= mixed >> 13
        return mixed % self._half

    def _forward(self, x: int) -> int:
        left, right = divmod(x, self._half)
        for key in self._keys:
            left, right = right, (left + self._round(right, key)) % self._half
        return left * self._half + right

    def _backward(self, y: int) -> int:
        left, right = divmod(y, self._half)
        for key in reversed(self._keys):
            left, right = (right - self._round(left, key)) % self._half, left
        return left * self._half + right

    def apply(self, x: int) -> int:
        """The image of x (0 ≤ x < limit)."""
        y = self._forward(x)
        while y >= self._limit:
            y = self._forward(y)
        return y

    def invert(self, y: int) -> int:
        """The x whose image is y (0 ≤ y < limit)."""
        x = self._backward(y)
        while x >= self._limit:
            x = self._backward(x)
        return x
