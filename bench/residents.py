"""Registry benchmark: population-database lookups over loopback HTTP versus a trivial endpoint, in one run.

Run: `.venv/bin/python bench/residents.py [--count N]`.

Both sides use one httpx client on the same simulator, alternating in rounds so machine load hits both alike:

1. **trivial** (the baseline): `GET /_sim/stats` — an HTTP round trip that does almost nothing.
2. **lookup**: `ResidentsClient.lookup` of a random synthetic person (no cache): encode the request, POST,
   rebuild the person from their number on the simulator's side, encode, decode strictly.

Also: how fast the simulator finds a person from a number in-process (no HTTP), and how long building the
whole 120,000-person population would take (it never is: people are derived on demand). Client and
simulator share one process (and the GIL), so the HTTP rates are a floor, not what a separate service gives.
"""

# ruff: noqa: E402  (the repository root must come first on sys.path)

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from engine.residents.registry import LookupRequest, LookupStatus, Requester
from integrations.residents.client import ResidentsClient
from integrations.residents.population import Population
from integrations.residents.simulator import Simulator

TOKEN = "bench-token-" + "b" * 20
WHO = Requester("bench", "Bench", "officer", "H29.12.3")


def _ask(number: str) -> LookupRequest:
    return LookupRequest(str(uuid.uuid4()), number, WHO, "1.004222", "Đăng ký thường trú", "benchmark")


def _timed(action: object, count: int) -> list[float]:
    laps = []
    for _ in range(count):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        laps.append(time.perf_counter() - start)
    return laps


def _report(name: str, laps: list[float]) -> float:
    rate = len(laps) / sum(laps)
    p50, p95 = statistics.median(laps) * 1000, statistics.quantiles(laps, n=20)[18] * 1000
    print(f"{name:<34} {rate:>9.0f}/s   p50 {p50:6.2f} ms   p95 {p95:6.2f} ms")
    return rate


def main() -> None:
    """Run the rounds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000, help="requests per side")
    args = parser.parse_args()
    population = Population()
    rng = random.Random(1)
    numbers = [population.person(rng.randrange(population.size)).identity_number for _ in range(args.count)]
    sim = Simulator(population, token=TOKEN).start()
    client = ResidentsClient(sim.url, TOKEN)
    trivial = httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"})
    stats_url = sim.url.replace("/api/v1", "/_sim/stats")
    try:
        trivial_laps: list[float] = []
        lookup_laps: list[float] = []
        found = 0
        rounds = 10
        per_round = max(1, args.count // rounds)
        for r in range(rounds):
            trivial_laps += _timed(lambda: trivial.get(stats_url), per_round)
            for number in numbers[r * per_round : (r + 1) * per_round]:
                start = time.perf_counter()
                result = client.lookup(_ask(number))
                lookup_laps.append(time.perf_counter() - start)
                found += result.status is LookupStatus.FOUND
        print(f"population: {len(population):,} people; {found}/{len(lookup_laps)} lookups found")
        base = _report("trivial GET (baseline)", trivial_laps)
        ours = _report("lookup through ResidentsClient", lookup_laps)
        print(f"{'ratio lookup/trivial':<34} {ours / base:>9.3f}")
        finds = _timed(lambda: population.find(numbers[rng.randrange(len(numbers))]), 20_000)
        _report("Population.find, in process", finds)
        fresh = Population()
        start = time.perf_counter()
        for _ in fresh.people(0, fresh.size // 10):
            pass
        whole = (time.perf_counter() - start) * 10
        print(f"{'whole population, if ever built':<34} {whole:>9.1f} s (estimated from its first tenth)")
    finally:
        client.close()
        trivial.close()
        sim.stop()


if __name__ == "__main__":
    main()
