"""The fault sweep's parts: the scenarios, the grid of (request, fault) cases, and the comparison.

A scenario prepares a world (runs what must happen before it) and returns the run under test.
The grid is every request of that run's fault-free recording, addressed precisely as "the
n-th request with this method and this exact path", times every fault. ``comparable`` turns a
world's ``state()`` into what two worlds must agree on: commits are named by ``state()``;
durations, model digests and table padding (which differ between any two trainings) are
masked; asset contents are checked inside each world instead (``asset_problems``).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tests.fakegithub import Fault
from tests.reliability.world import REPOSITORY, RunResult, World

FAULTS = (
    Fault.HTTP_502,
    Fault.TIMEOUT,
    Fault.LOST_RESPONSE,
    Fault.SECONDARY_RATE_LIMIT,
    Fault.RATE_LIMIT_429,
    Fault.RATE_LIMIT_429_NO_RETRY_AFTER,
)
OUTAGE_FAULTS = (Fault.HTTP_502, Fault.LOST_RESPONSE, Fault.RATE_LIMIT_429)
"""Faults repeated on every later matching request too: the run gives up (exit 3)."""
OUTAGE_TIMES = 1_000
SEED = 12  # the issue's number; used only when a sample of the grid is asked for


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    prepare: Callable[[World], Callable[[], RunResult]]


def _pr(world: World) -> Callable[[], RunResult]:
    return world.pr_run


def _merge(world: World) -> Callable[[], RunResult]:
    return world.merge_run


def _in_production(world: World) -> str:
    merged = world.merge_run()
    assert merged.exit_code == 0, merged.log
    return world.promote()


def _promotion(world: World) -> Callable[[], RunResult]:
    tag = _in_production(world)
    return lambda: world.promotion_run(tag)


def _monitoring(world: World) -> Callable[[], RunResult]:
    _in_production(world)
    return lambda: world.monitor(400)


SCENARIOS = {
    scenario.name: scenario
    for scenario in (
        Scenario("pr", _pr),
        Scenario("merge", _merge),
        Scenario("promotion", _promotion),
        Scenario("monitoring", _monitoring),
    )
}


@dataclass(frozen=True, slots=True)
class Target:
    """The ``nth`` request (from 1) with exactly this method and path."""

    index: int  # position in the fault-free recording, from 0
    method: str
    path: str
    nth: int

    @property
    def path_regex(self) -> str:
        return f"^{re.escape(self.path)}$"

    def describe(self) -> str:
        return f"#{self.index} {self.method} {self.path} (match {self.nth})"


def targets(recorded: Sequence[tuple[str, str]]) -> list[Target]:
    seen: dict[tuple[str, str], int] = {}
    found = []
    for index, (method, path) in enumerate(recorded):
        seen[(method, path)] = seen.get((method, path), 0) + 1
        found.append(Target(index, method, path, seen[(method, path)]))
    return found


def at_most_once(target: Target, fault: Fault) -> bool:
    """A dispatch whose failure hides whether GitHub took it: never resent (see monitoring/act).

    GitHub keeps no readable record of a ``repository_dispatch``, so after a 5xx or a
    timeout mlops-ci cannot tell whether retraining was requested; it reports the dispatch as
    uncertain and does not send it again in the same run (a duplicate retraining is worse than
    one asked for again by the next scheduled run).
    """
    unanswered = fault in (Fault.HTTP_502, Fault.TIMEOUT)
    return unanswered and target.method == "POST" and target.path.endswith("/dispatches")


def without_dispatches(state: Any) -> Any:
    return {**state, "github": {name: {**repo, "dispatches": []}
                                for name, repo in state["github"].items()}}


def last_attempts(state: Any, *, statuses_down: bool = False) -> tuple[Any, int]:
    """``state`` with each deployment's statuses cut to its last attempt; how many were cut.

    A deployment's statuses are GitHub's append-only log. A run that failed after creating
    the deployment leaves its attempt there, ended by ``error`` or ``failure``, and the rerun
    appends a new one (``queued`` -> ``in_progress`` -> ``success``). Every earlier attempt
    must have ended in one of those states, unless ``statuses_down``: when GitHub refused
    every status write, the attempt could not be closed either.
    """
    cut = 0
    repos = {}
    for name, repo in state["github"].items():
        deployments = []
        for deployment in repo["deployments"]:
            attempts: list[list[Any]] = []
            for status in deployment["statuses"]:
                if status["state"] == "queued" or not attempts:
                    attempts.append([])
                attempts[-1].append(status)
            for earlier in attempts[:-1]:
                ended = earlier[-1]["state"]
                closed = ended in ("error", "failure")
                assert closed or statuses_down, f"an attempt was left {ended}: {earlier}"
            cut += max(len(attempts) - 1, 0)
            deployments.append({**deployment, "statuses": attempts[-1] if attempts else []})
        repos[name] = {**repo, "deployments": deployments}
    return {**state, "github": repos}, cut


def sample(cases: list[Target], fraction: float, salt: str) -> list[Target]:
    """Every write, and a seeded ``fraction`` of the GETs (all of them at 1.0)."""
    if fraction >= 1.0:
        return cases
    chooser = random.Random(f"{SEED}:{salt}")  # noqa: S311 - a reproducible sample, not a secret
    return [c for c in cases if c.method != "GET" or chooser.random() < fraction]


_DIGEST = re.compile(r"\b[0-9a-f]{64}\b")
_SHORT_DIGEST = re.compile(r"(sha256:? )[0-9a-f]{12}\b")
_SECONDS = re.compile(r"\b\d+(?:\.\d+)? ?s\b")
_TIMINGS = re.compile(r"<details><summary>Timings.*?</details>", re.S)
_PADDING = re.compile(r" {2,}|-{3,}")


def comparable(state: dict[str, Any]) -> Any:
    """``state`` with what differs between any two trainings masked (see the module doc)."""

    def mask(value: Any) -> Any:
        if isinstance(value, str):
            text = _TIMINGS.sub("<timings>", value)
            text = _DIGEST.sub("<sha256>", text)
            text = _SHORT_DIGEST.sub(r"\1<sha256>", text)
            text = _SECONDS.sub("<seconds>", text)
            return _PADDING.sub(" ", text)
        if isinstance(value, dict):
            return {key: mask(item) for key, item in value.items()}
        if isinstance(value, list):
            return [mask(item) for item in value]
        return value

    return mask(state)


def asset_problems(world: World) -> list[str]:
    """Each release's assets against its SHA256SUMS: a truncated or mixed-up upload shows."""
    repo = world.fake.repo(REPOSITORY)
    problems = []
    for release in repo.releases:
        assets = {asset.name: asset for asset in repo.assets(release.id)}
        sums = assets.get("SHA256SUMS")
        if sums is None:
            problems.append(f"{release.tag_name}: no SHA256SUMS")
            continue
        for line in sums.data.decode().splitlines():
            digest, _, name = line.partition("  ")
            asset = assets.get(name.lstrip("*"))
            if asset is None:
                problems.append(f"{release.tag_name}: {name} is listed but missing")
            elif hashlib.sha256(asset.data).hexdigest() != digest:
                problems.append(f"{release.tag_name}: {name} does not match SHA256SUMS")
    return problems


def duplicates(state: dict[str, Any]) -> list[str]:
    """Objects that appear twice: the same comment, release, asset, deployment, issue."""
    found = []
    for repo in state["github"].values():
        releases = [r["tag_name"] for r in repo["releases"]]
        found += [f"release {t}" for t in set(releases) if releases.count(t) > 1]
        for release in repo["releases"]:
            names = [a["name"] for a in release["assets"]]
            found += [f"asset {n}" for n in set(names) if names.count(n) > 1]
        for issue in repo["issues"]:
            bodies = [c["body"].split("\n", 1)[0] for c in issue["comments"]]
            found += [f"comment {b[:40]}" for b in set(bodies) if bodies.count(b) > 1]
        titles = [i["title"] for i in repo["issues"] if not i["pull"]]
        found += [f"issue {t}" for t in set(titles) if titles.count(t) > 1]
        keys = [(d["environment"], d["ref"]) for d in repo["deployments"]]
        found += [f"deployment {k}" for k in set(keys) if keys.count(k) > 1]
    return found
