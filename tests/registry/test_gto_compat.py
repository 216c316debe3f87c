"""Round trips against the real ``gto`` package: it reads what we write, we read what it writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_ci.registry import Evidence, RegistryState, RegistryStore
from tests.registry.gitutil import BASE_TIME, commits

gto_api = pytest.importorskip("gto.api")


class Clock:
    """Pins each write's tagger time one minute after the previous one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.now = BASE_TIME + 1000

    def tick(self) -> None:
        self.now += 60
        self.monkeypatch.setenv("GIT_COMMITTER_DATE", f"{self.now} +0000")


def gto_view(repo: Path, models: list[str], *, ordered: bool = True) -> dict[str, object]:
    shown = gto_api.show(str(repo))
    view: dict[str, object] = {}
    for name in models:
        entry = shown.get(name)
        stages = {s: v for s, v in entry["stage"].items() if v} if entry else None
        versions = [
            (v["version"], sorted(s["stage"] for s in v["stages"]))
            for v in gto_api.show(str(repo), name=name, deprecated=True)
        ]
        history = [
            (e["event"], e["version"], e["stage"], e["ref"])
            for e in gto_api.history(str(repo), name, ascending=True)
        ]
        history = history if ordered else sorted(history)
        view[name] = (entry["version"] if entry else None, stages, versions, history)
    return view


def our_view(state: RegistryState, models: list[str], *, ordered: bool = True) -> dict[str, object]:
    view: dict[str, object] = {}
    for name in models:
        model = state.model(name)
        assert model is not None
        active = not model.deprecated
        versions = [(v.version, sorted(v.stages)) for v in model.versions]
        history = [(e.action.value, e.version, e.stage, e.tag) for e in model.events()]
        history = history if ordered else sorted(history)
        view[name] = (
            model.latest if active else None,
            dict(model.stages) if active else None,
            versions,
            history,
        )
    return view


def test_gto_reads_what_we_write(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    first, second, third = commits(repo)

    def store() -> RegistryStore:
        clock.tick()
        return RegistryStore(repo)

    store().register("churn", ref=first, evidence=Evidence(
        metrics=(("auc", 0.8),), environment=(("python", "3.11.7"), ("skops", "0.16.0"))))
    store().register("churn", ref=second, bump="patch")
    store().register("churn", ref=third, bump="minor")
    store().register("models/a:rf", ref=first, version="v1.0.0")
    store().promote("churn", "v0.1.0", "production", evidence=Evidence(compared_to="v0.0.1"))
    store().promote("churn", "v0.1.1", "production")
    store().promote("churn", "v0.2.0", "staging")
    store().unassign("churn", "v0.1.1", "production")
    store().deregister("churn", "v0.2.0")
    store().promote("models/a:rf", "v1.0.0", "production")
    store().deprecate("models/a:rf")

    state = RegistryStore(repo).state()
    assert state.production_version("churn") == "v0.1.0"
    assert state.stage_version("churn", "staging") is None
    models = ["churn", "models/a:rf"]
    assert our_view(state, models) == gto_view(repo, models)


def test_we_read_what_gto_writes(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    first, second, third = commits(repo)
    path = str(repo)
    for ref, bump in ((first, {}), (second, {"bump_minor": True}), (third, {"bump_patch": True})):
        clock.tick()
        gto_api.register(path, "churn", ref, **bump)
    for version, stage in (("v0.0.1", "production"), ("v0.1.0", "production"),
                           ("v0.1.1", "staging"), ("v0.1.1", "production")):
        clock.tick()
        gto_api.assign(path, "churn", stage, version=version)
    clock.tick()
    gto_api.unassign(path, "churn", version="v0.1.1", stage="production")
    clock.tick()
    gto_api.deregister(path, "churn", version="v0.0.1")
    clock.tick()
    gto_api.register(path, "dir/x:old", first)
    clock.tick()
    gto_api.deprecate(path, "dir/x:old")

    state = RegistryStore(repo, remote=None).state()
    assert state.production_version("churn") == "v0.1.0"
    assert state.stage_version("churn", "staging") == "v0.1.1"
    models = ["churn", "dir/x:old"]
    # gto writes tags through scmrepo, which ignores GIT_COMMITTER_DATE: its tags share seconds,
    # and gto orders same-second events by its internal lists, so compare history as a set.
    assert our_view(state, models, ordered=False) == gto_view(repo, models, ordered=False)
    assert state.warnings == ()
