"""The population database (Cơ sở dữ liệu quốc gia về dân cư): HTTP client, simulator, synthetic population.

`build_registry(settings)` is what the composition root calls: the client of MOTCUA_RESIDENTS_URL, or, on
the embedded default, the client of a simulator started in this process on a free loopback port (one per
process, shared by every container) — the same HTTP path either way.
"""

from __future__ import annotations

import secrets
import threading

from integrations.residents.client import ResidentsClient
from integrations.residents.population import Population
from integrations.residents.settings import ResidentsSettings
from integrations.residents.simulator import Simulator

_lock = threading.Lock()
_embedded: dict[tuple[int, int], Simulator] = {}


def embedded_simulator(size: int, seed: int) -> Simulator:
    """The in-process simulator for that population, started on first use on 127.0.0.1 with a random token."""
    with _lock:
        sim = _embedded.get((size, seed))
        if sim is None:
            sim = Simulator(Population(size, seed), token=secrets.token_urlsafe(24)).start()
            _embedded[(size, seed)] = sim
        return sim


def build_registry(settings: ResidentsSettings) -> ResidentsClient:
    """The registry client: the configured service, or the embedded simulator over loopback HTTP."""
    if settings.url:
        return ResidentsClient.from_settings(settings)
    sim = embedded_simulator(settings.sim_size, settings.sim_seed)
    return ResidentsClient.from_settings(settings, url=sim.url, token=sim.token)
