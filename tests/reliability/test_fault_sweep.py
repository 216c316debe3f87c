"""The fault sweep: every request of a PR, merge, promotion and monitoring run, every fault.

For each scenario, a fault-free run is recorded once. Then, for each request of that
recording and each fault, a fresh world runs the scenario with the fault injected on exactly
that request (the n-th request with its method and path), then runs it once more without it,
as a person pressing "Re-run jobs" would. The final state (comments, releases and their
assets, refs, deployments and statuses, issues, dispatches, and the tags on the git remote)
must equal the fault-free state: nothing lost, nothing doubled. The faulted run itself may
exit 3 (an outside system failed after retries) as long as the rerun completes the work.

``MLOPS_CI_SWEEP_GETS`` (a fraction, default 1) samples the GET requests with a fixed seed;
writes are always all covered. Each test records what it covered; ``conftest.py`` prints the
totals at the end of the session (``docs/RELIABILITY.md`` quotes them).
"""

from __future__ import annotations

import difflib
import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.errors import EXIT_EXTERNAL_ERROR
from tests.fakegithub import FakeGitHub, Fault
from tests.reliability.sweep import (
    FAULTS,
    OUTAGE_FAULTS,
    OUTAGE_TIMES,
    SCENARIOS,
    Target,
    asset_problems,
    at_most_once,
    comparable,
    duplicates,
    last_attempts,
    sample,
    targets,
    without_dispatches,
)
from tests.reliability.world import REPOSITORY, World, make_world

GET_FRACTION = float(os.environ.get("MLOPS_CI_SWEEP_GETS", "1"))
TIMEOUT_STALL = 0.2
"""How long the fake stalls before dropping an unperformed request in the grid: the client
sees a dropped connection, a network error like its own timeout. A real client-side timeout
is ``test_a_client_timeout_on_the_release_writes_then_a_rerun_completes_the_release``."""


@dataclass(frozen=True, slots=True)
class Baseline:
    targets: tuple[Target, ...]
    exit_code: int
    state: Any
    seconds: float


class Baselines:
    """The fault-free recording of each scenario, made once per test process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.done: dict[str, Baseline] = {}

    def get(self, name: str) -> Baseline:
        if name not in self.done:
            self.done[name] = self._record(name)
        return self.done[name]

    def _record(self, name: str) -> Baseline:
        with FakeGitHub() as fake:
            world = make_world(self.root / name, fake)
            act = SCENARIOS[name].prepare(world)
            fake.clear_requests()
            started = time.perf_counter()
            result = act()
            seconds = time.perf_counter() - started
            recorded = [(r.method, r.path) for r in fake.requests]
            assert result.exit_code in (0, 1), result.log
            assert duplicates(world.state()) == [] and asset_problems(world) == []
            return Baseline(tuple(targets(recorded)), result.exit_code,
                            comparable(world.state()), seconds)


@pytest.fixture(scope="session")
def baselines(tmp_path_factory: pytest.TempPathFactory) -> Baselines:
    return Baselines(tmp_path_factory.mktemp("baselines"))


def difference(expected: Any, actual: Any) -> str:
    left = json.dumps(expected, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    right = json.dumps(actual, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    return "\n".join(list(difflib.unified_diff(left, right, "fault-free", "faulted + rerun",
                                               lineterm=""))[:60])


@dataclass
class CaseRecord:
    target: str
    faults_fired: int
    faulted_exit: int
    rerun_exit: int
    waited: float
    dispatch_uncertain: bool
    failed_attempts_logged: int


def run_case(root: Path, scenario: str, fault: Fault, target: Target, base: Baseline, *,
             times: int = 1, stall: float = TIMEOUT_STALL, client_timeout: int | None = None
             ) -> CaseRecord:
    """The scenario with ``fault`` on ``target`` (and ``times - 1`` later matches), rerun."""
    with FakeGitHub() as fake:
        world = make_world(root, fake)
        if client_timeout is not None:
            world.client_timeout = client_timeout
        act = SCENARIOS[scenario].prepare(world)
        fake.clear_requests()
        world.waits.clear()
        fake.inject(fault, method=target.method, path_regex=target.path_regex, nth=target.nth,
                    times=times, sleep=stall)
        faulted = act()
        fired = [r for r in fake.requests if r.fault is fault]
        fake.clear_faults()
        waited = sum(world.waits)
        rerun = act()
        where = f"{fault.value} x{len(fired)} at {target.describe()}"
        log = faulted.log + rerun.log
        assert fired and (fired[0].method, fired[0].path) == (target.method, target.path), where
        assert times > 1 or len(fired) == 1, f"{where}: fired {len(fired)} times"
        assert faulted.exit_code in (base.exit_code, EXIT_EXTERNAL_ERROR), f"{where}\n{log}"
        assert rerun.exit_code == base.exit_code, f"{where}: the rerun failed\n{log}"
        uncertain = at_most_once(target, fault)
        if uncertain:
            assert "retraining dispatch: uncertain" in faulted.log, f"{where}\n{log}"
        statuses_down = times > 1 and target.path.endswith("/statuses")
        logged = check_state(world, fake, base, where, uncertain=uncertain,
                             statuses_down=statuses_down)
        return CaseRecord(target.describe(), len(fired), faulted.exit_code, rerun.exit_code,
                          waited, uncertain, logged)


def check_state(world: World, fake: FakeGitHub, base: Baseline, where: str, *,
                uncertain: bool, statuses_down: bool = False) -> int:
    """The world's final state is the fault-free one: nothing lost, nothing doubled.

    Returns how many failed deployment attempts the status logs keep (see ``last_attempts``).
    """
    state = world.state()
    assert duplicates(state) == [], where
    assert asset_problems(world) == [], where
    actual, logged = last_attempts(comparable(state), statuses_down=statuses_down)
    expected = base.state
    if uncertain:  # the dispatch may or may not have been taken; at most one, never two
        assert len(state["github"][REPOSITORY]["dispatches"]) <= 1, where
        actual, expected = without_dispatches(actual), without_dispatches(expected)
    assert actual == expected, f"{where}:\n{difference(expected, actual)}"
    assert not fake.internal_errors, "\n".join(fake.internal_errors)
    return logged


MODES = [("once", fault) for fault in FAULTS] + [("outage", fault) for fault in OUTAGE_FAULTS]


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "fault"), MODES, ids=[f"{m}-{f.value}" for m, f in MODES])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_fault_at_any_request_then_a_rerun_leaves_the_fault_free_state(
    scenario: str,
    mode: str,
    fault: Fault,
    baselines: Baselines,
    tmp_path: Path,
    record_property: Any,
) -> None:
    """``once``: one faulted request. ``outage``: that request and every later match fail."""
    base = baselines.get(scenario)
    chosen = sample(list(base.targets), GET_FRACTION, f"{scenario}:{mode}:{fault.value}")
    times = OUTAGE_TIMES if mode == "outage" else 1
    started = time.perf_counter()
    records = [
        run_case(tmp_path / f"case-{target.index}", scenario, fault, target, base, times=times)
        for target in chosen
    ]
    summary = {
        "scenario": scenario,
        "mode": mode,
        "fault": fault.value,
        "requests": len(base.targets),
        "writes": sum(1 for t in base.targets if t.method != "GET"),
        "cases": len(records),
        "runs": 2 * len(records),
        "faulted_responses": sum(r.faults_fired for r in records),
        "duplicates": 0,
        "lost": 0,
        "dispatch_uncertain": sum(r.dispatch_uncertain for r in records),
        "failed_deploy_attempts_logged": sum(r.failed_attempts_logged for r in records),
        "exits": dict(Counter(f"{r.faulted_exit}->{r.rerun_exit}" for r in records)),
        "max_wait_asked": round(max((r.waited for r in records), default=0.0), 2),
        "seconds": round(time.perf_counter() - started, 2),
        "baseline_seconds": round(base.seconds, 2),
    }
    record_property("sweep", json.dumps(summary))
    print(json.dumps(summary))
    assert records, f"no request of the {scenario} run was covered"


@pytest.mark.slow
def test_dispatch_rate_limited_past_the_cap_is_sent_by_the_rerun(
    baselines: Baselines, tmp_path: Path
) -> None:
    base = baselines.get("monitoring")
    [dispatch] = [t for t in base.targets if t.path.endswith("/dispatches")]
    run_case(tmp_path, "monitoring", Fault.RATE_LIMIT_429, dispatch, base, times=OUTAGE_TIMES)


@pytest.mark.slow
def test_a_client_timeout_on_the_release_writes_then_a_rerun_completes_the_release(
    baselines: Baselines, tmp_path: Path
) -> None:
    """The fake stalls past the client's 1 s timeout on the release POST and an upload."""
    base = baselines.get("merge")
    posts = [t for t in base.targets if t.method == "POST"][:2]
    for target in posts:
        record = run_case(tmp_path / f"case-{target.index}", "merge", Fault.TIMEOUT, target,
                          base, stall=1.5, client_timeout=1)
        assert record.faults_fired == 1
