"""Decision 766 group scores from versioned configuration (engine/stats/766.yaml, or a province's copy)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CONFIG = Path(__file__).with_name("766.yaml")


@dataclass(frozen=True)
class Step:
    """One step of a scale: the measure meets `bound` (at least, or at most) → `share` of the points."""

    bound: float
    at_most: bool
    share: float

    def met(self, value: float) -> bool:
        """True when the value reaches this step."""
        return value <= self.bound if self.at_most else value >= self.bound


@dataclass(frozen=True)
class Indicator:
    """A measure turned into a share of its group's points."""

    key: str
    name: str
    measure: str
    weight: float
    scale: tuple[Step, ...]

    def share(self, value: float) -> float:
        """The share of points for a value: the first step it meets; 0 when it meets none."""
        for step in self.scale:
            if step.met(value):
                return step.share
        return 0.0


@dataclass(frozen=True)
class Group:
    """A Decision 766 group with its weight (points) and indicators."""

    key: str
    name: str
    weight: float
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Scoring:
    """The whole configuration, with its version."""

    version: str
    title: str
    groups: tuple[Group, ...]

    def score(self, measures: dict[str, float | None]) -> dict[str, Any]:
        """Group scores for the measures; an indicator without data, and a group without any, are left out."""
        groups = []
        total = maximum = 0.0
        for group in self.groups:
            shown = []
            earned = weights = 0.0
            for indicator in group.indicators:
                value = measures.get(indicator.measure)
                share = None if value is None else indicator.share(value)
                shown.append(
                    {
                        "key": indicator.key,
                        "name": indicator.name,
                        "measure": indicator.measure,
                        "value": value,
                        "share": share,
                    }
                )
                if share is not None:
                    earned += indicator.weight * share
                    weights += indicator.weight
            points = round(group.weight * earned / weights, 2) if weights else None
            if points is not None:
                total += points
                maximum += group.weight
            groups.append(
                {
                    "key": group.key,
                    "name": group.name,
                    "weight": group.weight,
                    "score": points,
                    "indicators": shown,
                }
            )
        return {
            "version": self.version,
            "title": self.title,
            "groups": groups,
            "total": round(total, 2),
            "max": maximum,
        }


def load(path: Path = DEFAULT_CONFIG) -> Scoring:
    """Read and check a configuration file; ValueError names what is wrong."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not raw.get("version"):
        raise ValueError(f"{path}: a mapping with a `version` is required")
    groups = []
    for g in raw.get("groups") or []:
        indicators = []
        for i in g.get("indicators") or []:
            steps = []
            for s in i["scale"]:
                at_most = "at_most" in s
                steps.append(Step(float(s["at_most" if at_most else "at_least"]), at_most, float(s["share"])))
                if not 0 <= steps[-1].share <= 1:
                    raise ValueError(f"{path}: share of {i['key']} must be within 0–1")
            indicators.append(
                Indicator(
                    str(i["key"]), str(i["name"]), str(i["measure"]), float(i.get("weight", 1)), tuple(steps)
                )
            )
        groups.append(Group(str(g["key"]), str(g["name"]), float(g["weight"]), tuple(indicators)))
    return Scoring(str(raw["version"]), str(raw.get("title", "")), tuple(groups))
