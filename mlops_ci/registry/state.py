"""Fold the registry's tags into models, versions and stages. Pure: no git here.

The rules are GTO 1.10's with its default settings (``gto show``: ``--sort timestamp``,
``assignments_per_version=-1``, ``versions_per_stage=1``), so ``gto show`` and we agree:

* Events are ordered by tagger time, then GTO's priority (deprecation < registration <
  deregistration < assignment < unassignment), then the tag's counter ``N``, then the tag name.
  Tagger times have one-second resolution, so ties happen; GTO breaks a tie between two
  assignments of one stage by the order of its internal lists, we by the counter (the order the
  tags were written), which GTO's writer also makes increase.
* A version is registered when it has a registration tag, and active while its latest
  registration/deregistration event is a registration.
* An assignment or unassignment names a commit, not a version: it applies to the version
  registered at that commit (GTO's rule), or, when none is, to an unregistered version named by
  the commit id. Such a version is active.
* A stage is active for a version while its latest event for that version and stage is an
  assignment. The version *in* a stage is, among active versions with the stage active, the one
  whose latest assignment to it is latest in the order above. Unassigning it therefore brings
  back the previous holder if that one is still assigned and active, as in GTO.
* The latest version is the highest semantic version among active registered versions.
* A model is deprecated while its latest event is a deprecation (registering again revives it).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from mlops_ci.registry.evidence import Evidence, parse_evidence
from mlops_ci.registry.tags import (
    Action,
    Bump,
    RegistryTag,
    bump_version,
    is_valid_version,
    version_key,
)

PRODUCTION = "production"


class TagRecord(NamedTuple):
    """One annotated registry tag as git stores it.

    A NamedTuple rather than a dataclass because one is built per tag of the repository (100,000
    in the benchmark), and tuples are several times cheaper to create.
    """

    name: str
    tag: RegistryTag
    commit: str
    time: int  # tagger time, unix seconds
    tagger: str
    tagger_email: str
    subject: str
    body: str

    def order_key(self) -> tuple[int, int, int, str]:
        counter = self.tag.counter if self.tag.counter is not None else -1
        return (self.time, self.tag.action.priority, counter, self.name)


@dataclass(frozen=True, slots=True)
class TagEvent:
    """One registry event, as ``registry history`` shows it."""

    action: Action
    model: str
    version: str | None  # None for a deprecation; a commit id for an unregistered version
    stage: str | None
    commit: str
    time: int
    author: str
    author_email: str
    tag: str
    message: str  # the annotation's first paragraph
    body: str  # the rest of the annotation (where the evidence is)

    @property
    def evidence(self) -> Evidence | None:
        return parse_evidence(self.body)


class VersionState(NamedTuple):
    """One version of a model as the registry holds it now (a NamedTuple: thousands per read)."""

    version: str
    commit: str
    registered: bool
    active: bool
    stages: tuple[str, ...]  # the stages this version is in now, sorted
    registered_at: int | None  # tagger time of its latest registration
    tag: str | None  # its latest registration tag


@dataclass(frozen=True, slots=True)
class RegistryWarning:
    """A tag that looks like a registry tag but does not count, and why."""

    tag: str
    message: str


@dataclass(frozen=True, slots=True)
class ModelState:
    name: str
    versions: tuple[VersionState, ...]  # semantic version, highest first; unregistered last
    stages: Mapping[str, str]  # stage -> the version in it now
    latest: str | None
    deprecated: bool
    max_counter: int  # the highest N among the model's tags, 0 when none
    records: tuple[TagRecord, ...]  # every tag of the model, in event order
    version_of_commit: Mapping[str, str]

    def version(self, version: str) -> VersionState | None:
        for state in self.versions:
            if state.version == version:
                return state
        return None

    def events(self) -> tuple[TagEvent, ...]:
        """Every event of the model, oldest first."""
        return tuple(self._event(record) for record in self.records)

    def _event(self, record: TagRecord) -> TagEvent:
        tag = record.tag
        version = tag.version
        if tag.action in (Action.ASSIGN, Action.UNASSIGN):
            version = self.version_of_commit.get(record.commit, record.commit)
        return TagEvent(
            action=tag.action,
            model=self.name,
            version=version,
            stage=tag.stage,
            commit=record.commit,
            time=record.time,
            author=record.tagger,
            author_email=record.tagger_email,
            tag=record.name,
            message=record.subject,
            body=record.body,
        )


@dataclass(frozen=True, slots=True)
class RegistryState:
    """Everything the registry's tags say. Queries on an unknown model give empty answers."""

    models: Mapping[str, ModelState]
    warnings: tuple[RegistryWarning, ...] = ()
    fetched_from: str | None = None  # the remote tags were fetched from before reading, if any

    def model(self, model: str) -> ModelState | None:
        return self.models.get(model)

    def latest_version(self, model: str) -> str | None:
        state = self.models.get(model)
        return state.latest if state else None

    def stage_version(self, model: str, stage: str) -> str | None:
        state = self.models.get(model)
        return state.stages.get(stage) if state else None

    def production_version(self, model: str) -> str | None:
        return self.stage_version(model, PRODUCTION)

    def versions(self, model: str) -> tuple[VersionState, ...]:
        state = self.models.get(model)
        return state.versions if state else ()

    def history(self, model: str) -> tuple[TagEvent, ...]:
        state = self.models.get(model)
        return state.events() if state else ()

    def next_counter(self, model: str) -> int:
        state = self.models.get(model)
        return (state.max_counter if state else 0) + 1

    def version_at_commit(self, model: str, commit: str) -> VersionState | None:
        """The registered version at ``commit``, if one is."""
        state = self.models.get(model)
        if state is None or commit not in state.version_of_commit:
            return None
        return state.version(state.version_of_commit[commit])

    def find_version(self, model: str, version: str) -> VersionState | None:
        state = self.models.get(model)
        return state.version(version) if state else None

    def next_version(self, model: str, bump: Bump | None, first: str) -> str:
        """The version a new registration takes: ``first``, or the highest ever bumped.

        Deregistered versions count: their tags exist, so their names are taken for good.
        """
        named = [v.version for v in self.versions(model) if is_valid_version(v.version)]
        return bump_version(named[0], bump or "patch") if named else first

    def latest_assignment(self, model: str, version: str, stage: str) -> TagRecord | None:
        """The latest assignment tag of ``stage`` to ``version``'s commit."""
        state = self.models.get(model)
        target = state.version(version) if state else None
        if state is None or target is None:
            return None
        found = None
        for record in state.records:
            tag = record.tag
            if tag.action is Action.ASSIGN and tag.stage == stage:
                found = record if record.commit == target.commit else found
        return found

    def assigned_stages(self, model: str, version: str) -> frozenset[str]:
        """The stages assigned (and not unassigned since) to ``version``, held now or not."""
        state = self.models.get(model)
        target = state.version(version) if state else None
        if state is None or target is None:
            return frozenset()
        active: dict[str, bool] = {}
        for record in state.records:
            if record.commit == target.commit and record.tag.stage is not None:
                active[record.tag.stage] = record.tag.action is Action.ASSIGN
        return frozenset(stage for stage, assigned in active.items() if assigned)

    def has_tag(self, model: str, tag: str) -> bool:
        state = self.models.get(model)
        return state is not None and any(record.name == tag for record in state.records)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while the tags are parsed (``refs``) and folded.

    The parse makes two tuples per tag (100,000 tags in the benchmark), the fold a few more, and
    every few hundred new objects the collector walks the young ones, now and then all of them.
    Tuples of strings and numbers make no cycles, nor do the fold's values, so those walks
    would free nothing: at 10,000 tags they cost about as much as parsing. The collector runs
    again as before afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def fold(records: Iterable[TagRecord], lightweight: Sequence[str] = ()) -> RegistryState:
    """The registry state the annotated tags ``records`` describe.

    ``lightweight`` names tags that parse as registry tags but are not annotated: GTO ignores
    them, so do we, and each becomes a warning instead of vanishing silently.
    """
    with collector_paused():
        return _fold(records, lightweight)


def _fold(records: Iterable[TagRecord], lightweight: Sequence[str]) -> RegistryState:
    by_model: dict[str, list[TagRecord]] = {}
    for record in records:
        name = record.tag.model
        found = by_model.get(name)
        if found is None:
            found = by_model[name] = []
        found.append(record)
    warnings = [
        RegistryWarning(name, "lightweight tag ignored: registry tags must be annotated")
        for name in sorted(lightweight)
    ]
    models = {}
    for name in sorted(by_model):
        model, model_warnings = _fold_model(name, by_model[name])
        models[name] = model
        warnings.extend(model_warnings)
    return RegistryState(models=models, warnings=tuple(warnings))


class _VersionFacts:
    __slots__ = ("active", "commit", "named", "registered", "registered_at", "stage_events", "tag")

    def __init__(self, commit: str, *, named: bool) -> None:
        self.commit = commit
        self.named = named  # from a version tag; else an unregistered version named by its commit
        self.active = True
        self.registered = False
        self.registered_at: int | None = None
        self.tag: str | None = None
        # stage -> (is assigned, place in event order of its latest assignment)
        self.stage_events: dict[str, tuple[bool, int]] = {}


def _fold_model(
    name: str, records: list[TagRecord]
) -> tuple[ModelState, list[RegistryWarning]]:
    """The model's state; sorts ``records`` into event order. An event's place in that order
    stands for its order key: the keys are unique (they end with the tag's name)."""
    records.sort(key=TagRecord.order_key)
    warnings: list[RegistryWarning] = []
    facts: dict[str, _VersionFacts] = {}
    version_of_commit: dict[str, str] = {}
    stage_tags: list[tuple[int, str, TagRecord]] = []
    max_counter = 0
    register = Action.REGISTER
    for place, record in enumerate(records):
        tag_name, (_, action, version, stage, counter), commit, time, _, _, _, _ = record
        if counter is not None and counter > max_counter:
            max_counter = counter
        if version is None:
            if stage is not None:
                stage_tags.append((place, stage, record))
            continue
        known = facts.get(version)
        if known is None:
            known = facts[version] = _VersionFacts(commit, named=True)
            if action is register:
                version_of_commit.setdefault(commit, version)
        elif known.commit != commit:
            warnings.append(
                RegistryWarning(
                    tag_name,
                    f"ignored: {name} {version} is already registered at "
                    f"commit {known.commit[:12]}, this tag names {commit[:12]}",
                )
            )
            continue
        known.active = action is register
        if known.active:
            known.registered = True
            known.registered_at = time
            known.tag = tag_name
    for place, stage, record in stage_tags:  # after every registration, which may follow
        commit = record.commit
        action = record.tag.action
        version = version_of_commit.get(commit, commit)
        target = facts.get(version)
        if target is None:
            target = facts[version] = _VersionFacts(commit, named=False)
        if action is Action.ASSIGN:
            target.stage_events[stage] = (True, place)
        else:
            previous = target.stage_events.get(stage)
            if previous is not None:
                target.stage_events[stage] = (False, previous[1])
    stages = _stage_holders(facts)
    versions = _version_states(facts, stages)
    registered_active = [v.version for v in versions if v.registered and v.active]
    latest = registered_active[0] if registered_active else None
    model = ModelState(
        name=name,
        versions=versions,
        stages=stages,
        latest=latest,
        deprecated=records[-1].tag.action is Action.DEPRECATE,
        max_counter=max_counter,
        records=tuple(records),
        version_of_commit=version_of_commit,
    )
    return model, warnings


def _stage_holders(facts: Mapping[str, _VersionFacts]) -> dict[str, str]:
    best: dict[str, tuple[int, str]] = {}
    for version, fact in facts.items():
        if not fact.active:
            continue
        for stage, (assigned, place) in fact.stage_events.items():
            if assigned and (stage not in best or place > best[stage][0]):
                best[stage] = (place, version)
    return {stage: best[stage][1] for stage in sorted(best)}


def _version_states(
    facts: Mapping[str, _VersionFacts], stages: Mapping[str, str]
) -> tuple[VersionState, ...]:
    held: dict[str, list[str]] = {}
    for stage, version in stages.items():
        held.setdefault(version, []).append(stage)
    named = sorted([v for v, fact in facts.items() if fact.named], key=version_key, reverse=True)
    unnamed = sorted([v for v, fact in facts.items() if not fact.named], reverse=True)
    make = tuple.__new__  # VersionState's own __new__ is a Python function: thousands of calls
    states = []
    for version in (*named, *unnamed):
        fact = facts[version]
        holds = held.get(version)
        states.append(make(VersionState, (
            version, fact.commit, fact.registered, fact.active,
            tuple(holds) if holds else (), fact.registered_at, fact.tag,
        )))
    return tuple(states)

