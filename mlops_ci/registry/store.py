"""The registry kept in git tags: read it from one ``git for-each-ref``, write it safely.

Reading works offline from local refs. A shallow checkout, or one without tags (the default of
``actions/checkout``), first fetches the tags from the remote and records that in
``RegistryState.fetched_from``.

Writing is safe against a stale clone and against a concurrent writer:

* before deciding a version or a counter, the model's tags are fetched from the remote
  (``+refs/tags/NAME@*`` and ``+refs/tags/NAME#*``, forced: the remote is the truth);
* the tags of one operation are pushed with ``git push --atomic`` (at most three per push: GitHub
  starts no workflow for a push of more than three tags) and without ``--force``, so a tag the
  remote already holds is rejected instead of overwritten;
* the loser of a race re-reads and takes the next version (bump) or counter, stops with a
  :class:`UserError` when its explicit version was taken by another commit, and succeeds without
  writing when its commit already has the version (a rerun is a no-op);
* a tag we write is dated at least one second after the model's latest tag: tagger times have
  one-second resolution, and GTO orders same-second events by kind, so a deprecation or a
  re-promotion written in the same second as the previous event would otherwise not take effect;
* a push that fails for any other transient reason is retried a bounded number of times, then
  raises :class:`ExternalError`.

What a write targets is decided on the fetched state by :mod:`.promotion`'s pure functions
(:meth:`RegistryStore.plan_promotion`: a dry run). ``clock`` is the store's only time (tags
are dated by it unless ``GIT_COMMITTER_DATE`` pins it) and ``sleep`` its only wait; with
``cache``, reads go through :mod:`.cache`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from mlops_ci.backends.git import Git
from mlops_ci.errors import ExternalError, UserError
from mlops_ci.registry import promotion
from mlops_ci.registry import tags as grammar
from mlops_ci.registry.cache import cache_path, cached_records
from mlops_ci.registry.evidence import Evidence, tag_message
from mlops_ci.registry.promotion import PromotionPlan, active_version, plan_promotion
from mlops_ci.registry.refs import FORMAT, parse_for_each_ref_chunks
from mlops_ci.registry.results import Assignment, Registration, TagChange
from mlops_ci.registry.state import RegistryState, TagRecord, fold
from mlops_ci.registry.tags import Action, Bump, RegistryTag

MAX_TAGS_PER_PUSH = 3
PUSH_ATTEMPTS = 3
RACE_ATTEMPTS = 5
FALLBACK_IDENTITY = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")


class _Rejected(Exception):
    """The remote refused a push because one of its tags exists there already (a race)."""


class RegistryStore:
    """The registry of the git repository at ``repo``; ``remote`` is where tags are shared.

    With ``remote=None`` everything stays local: nothing is fetched or pushed.
    """

    def __init__(
        self,
        repo: Path,
        remote: str | None = "origin",
        *,
        git: Git | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        cache: bool = False,  # read through registry.cache (the read-only CLI commands only)
    ) -> None:
        self.repo, self.cache = repo, cache
        self.remote = remote
        self.git = git if git is not None else Git(repo)
        self.sleep = sleep
        self.clock = clock
        if remote is not None and remote.startswith("-"):
            raise UserError(f"invalid remote name {remote!r}")

    # Reading

    def read(self) -> RegistryState:
        """The state from local refs only (one git call)."""
        return fold(*self._records())

    def state(self) -> RegistryState:
        """The state, fetching tags first when the checkout is shallow or has none."""
        records, lightweight = self._records()
        remote = self.remote
        if (
            remote is not None
            and (not (records or lightweight) or self.git.is_shallow())
            and self.git.has_remote(remote)
        ):
            self._fetch(remote, ["+refs/tags/*:refs/tags/*"])
            state = self.read()
            return RegistryState(state.models, state.warnings, fetched_from=remote)
        return fold(records, lightweight)

    def _records(self) -> tuple[list[TagRecord], list[str]]:
        """Every registry tag, parsed while ``git for-each-ref`` still writes them."""
        path = cache_path(self.repo) if self.cache else None
        if path is not None:
            return cached_records(self.git, path, self._for_each_ref)
        return parse_for_each_ref_chunks(self._for_each_ref())

    def _for_each_ref(self) -> Iterator[bytes]:
        return self.git.stream(["for-each-ref", f"--format={FORMAT}", "refs/tags/"])

    def _fetch(self, remote: str, refspecs: Sequence[str]) -> None:
        args = ["fetch", "--quiet", "--no-tags", "--force", "--", remote, *refspecs]
        for attempt in range(1, PUSH_ATTEMPTS + 1):
            result = self.git.run(args, check=False)
            if result.ok:
                return
            if attempt == PUSH_ATTEMPTS:
                raise ExternalError(
                    f"cannot fetch registry tags from {remote!r}: {result.stderr}",
                    attempts=attempt,
                )
            self.sleep(2.0 ** (attempt - 1))

    def synced_state(self, model: str) -> RegistryState:
        """The state after fetching ``model``'s tags from the remote, as a write decides on it
        (before any write, and for a decision that must see what the write will see)."""
        if self.remote is not None:
            if not self.git.has_remote(self.remote):
                raise UserError(
                    f"no git remote named {self.remote!r} in {self.repo}",
                    hint=f"add it (git remote add {self.remote} URL), or keep the tags local "
                    "(registry commands: --no-push)",
                )
            prefixes = grammar.tag_prefixes(model)
            self._fetch(self.remote, [f"+refs/tags/{p}*:refs/tags/{p}*" for p in prefixes])
        return self.read()

    # Writing

    def register(
        self,
        model: str,
        *,
        version: str | None = None,
        bump: Bump | None = None,
        ref: str = "HEAD",
        evidence: Evidence | None = None,
        first_version: str = "v0.1.0",
    ) -> Registration:
        """Register ``ref``'s commit as a version of ``model``: ``version``, or the next ``bump``.

        Registering a commit that already has that version (or, with ``bump``, any version) is a
        no-op that returns the existing registration with ``created=False``.
        """
        _check_model(model)
        if version is not None and bump is not None:
            raise UserError("give either a version or a bump, not both")
        if version is not None and not grammar.is_valid_version(version):
            raise UserError(f"invalid version {version!r}", hint="use v + semver, e.g. v1.4.0")
        if not grammar.is_valid_version(first_version):
            raise UserError(f"invalid first version {first_version!r}")
        commit = self.git.resolve_commit(ref)
        for _ in range(RACE_ATTEMPTS):
            state = self.synced_state(model)
            existing = state.version_at_commit(model, commit)
            if existing is not None and existing.active and existing.tag is not None:
                if version is not None and existing.version != version:
                    raise UserError(
                        f"commit {commit[:12]} is already registered as {model} "
                        f"{existing.version}; it cannot also be {version}"
                    )
                self._push_existing([existing.tag])
                return Registration(model, existing.version, existing.tag, commit, None, False,
                                    self.remote)
            chosen = version or state.next_version(model, bump, first_version)
            taken = state.find_version(model, chosen)
            if taken is not None:
                raise UserError(
                    f"{model} {chosen} is already registered at commit {taken.commit[:12]}",
                    hint="a version names one commit forever; choose another version or --bump",
                )
            tag = RegistryTag(model, Action.REGISTER, version=chosen).format()
            message = tag_message(grammar.register_message(model, chosen), evidence)
            if self._write(state, model, [(tag, commit, message)]):
                return Registration(model, chosen, tag, commit, evidence, True, self.remote)
        raise ExternalError(
            f"could not register {model}: other writers kept taking the next version",
            attempts=RACE_ATTEMPTS,
        )

    def plan_promotion(self, model: str, version: str, stage: str) -> PromotionPlan:
        """What :meth:`promote` would do now, on the same fetched state; writes no tag. The tag
        named is the one ``promote`` writes unless another writer takes its counter in between;
        a promotion ``promote`` would refuse raises the same :class:`UserError`."""
        _check_model(model)
        _check_stage(stage)
        return plan_promotion(self.synced_state(model), model, version, stage)

    def promote(
        self, model: str, version: str, stage: str, *, evidence: Evidence | None = None
    ) -> Assignment:
        """Assign ``stage`` to ``version`` (tag ``NAME#STAGE#N``); a no-op if it is there now."""
        return self._assign(plan_promotion, model, version, stage, evidence)

    def reassign(self, model: str, version: str, stage: str) -> Assignment:
        """A new ``NAME#STAGE#N`` for the ``version`` holding ``stage``: completes its canary."""
        return self._assign(promotion.plan_reassignment, model, version, stage, None)

    def _assign(self, decide: Callable[[RegistryState, str, str, str], PromotionPlan],
                model: str, version: str, stage: str, evidence: Evidence | None) -> Assignment:
        _check_model(model)
        _check_stage(stage)
        for _ in range(RACE_ATTEMPTS):
            state = self.synced_state(model)
            plan = decide(state, model, version, stage)
            if not plan.new:
                self._push_existing([plan.tag])
                return Assignment(model, version, stage, plan.tag, plan.commit, plan.counter,
                                  False, self.remote)
            message = tag_message(grammar.assign_message(model, version, stage), evidence)
            if self._write(state, model, [(plan.tag, plan.commit, message)]):
                return Assignment(model, version, stage, plan.tag, plan.commit, plan.counter,
                                  True, self.remote)
        raise ExternalError(f"could not promote {model}: the counter kept being taken",
                            attempts=RACE_ATTEMPTS)

    def unassign(self, model: str, version: str, stage: str) -> TagChange:
        """Take ``stage`` away from ``version`` (tag ``NAME#STAGE!#N``)."""
        _check_model(model)
        _check_stage(stage)
        for _ in range(RACE_ATTEMPTS):
            state = self.synced_state(model)
            target = active_version(state, model, version)
            if stage not in state.assigned_stages(model, version):
                raise UserError(f"{model} {version} is not in stage {stage!r}")
            counter = state.next_counter(model)
            tag = RegistryTag(model, Action.UNASSIGN, stage=stage, counter=counter).format()
            message = grammar.unassign_message(model, version, stage) + "\n"
            if self._write(state, model, [(tag, target.commit, message)]):
                return TagChange(Action.UNASSIGN, model, version, stage, tag, target.commit,
                                 self.remote)
        raise ExternalError(f"could not unassign {model}: the counter kept being taken",
                            attempts=RACE_ATTEMPTS)

    def deregister(self, model: str, version: str) -> TagChange:
        """Withdraw ``version`` (GTO's deregistration, tag ``NAME@vX.Y.Z!``)."""
        _check_model(model)
        for _ in range(RACE_ATTEMPTS):
            state = self.synced_state(model)
            target = active_version(state, model, version)
            plain = RegistryTag(model, Action.DEREGISTER, version=version)
            tag = plain.format()
            if state.has_tag(model, tag):
                counter = state.next_counter(model)
                tag = RegistryTag(model, Action.DEREGISTER, version=version,
                                  counter=counter).format()
            message = grammar.deregister_message(model, version) + "\n"
            if self._write(state, model, [(tag, target.commit, message)]):
                return TagChange(Action.DEREGISTER, model, version, None, tag, target.commit,
                                 self.remote)
        raise ExternalError(f"could not deregister {model} {version}", attempts=RACE_ATTEMPTS)

    def deprecate(self, model: str) -> TagChange:
        """Deprecate the whole model (tag ``NAME@deprecated``), at its first event's commit."""
        _check_model(model)
        for _ in range(RACE_ATTEMPTS):
            state = self.synced_state(model)
            found = state.model(model)
            if found is None:
                raise UserError(f"no model {model!r} in the registry")
            if found.deprecated:
                raise UserError(f"{model} is deprecated already")
            commit = found.records[0].commit
            tag = RegistryTag(model, Action.DEPRECATE).format()
            if state.has_tag(model, tag):
                counter = state.next_counter(model)
                tag = RegistryTag(model, Action.DEPRECATE, counter=counter).format()
            message = grammar.deprecate_message(model) + "\n"
            if self._write(state, model, [(tag, commit, message)]):
                return TagChange(Action.DEPRECATE, model, None, None, tag, commit, self.remote)
        raise ExternalError(f"could not deprecate {model}", attempts=RACE_ATTEMPTS)

    # Tags and pushes

    def _write(
        self, state: RegistryState, model: str, new_tags: Sequence[tuple[str, str, str]]
    ) -> bool:
        """Create the tags locally and push them; ``False`` when a concurrent writer won."""
        found = state.model(model)
        latest = max((r.time for r in found.records), default=0) if found else 0
        for name, commit, message in new_tags:
            self._create_tag(name, commit, message, not_before=latest + 1)
        names = [name for name, _, _ in new_tags]
        try:
            self._push(names)
        except _Rejected:
            self.git.run(["tag", "-d", *names], check=False)
            return False
        return True

    def _create_tag(self, name: str, commit: str, message: str, *, not_before: int) -> None:
        """Create the annotated tag, dated by the clock (or ``GIT_COMMITTER_DATE``) but not
        before ``not_before``."""
        problem = grammar.tag_name_problem(name)
        if problem:
            raise UserError(f"git cannot keep a tag named {name!r}: it {problem}")
        args = ["tag", "-a", "--cleanup=verbatim", "-F", "-", name, commit]
        env = dict(self.git.environ)
        pinned = "GIT_COMMITTER_DATE" in env  # the caller's date, which git reads itself
        ident = self.git.run(["var", "GIT_COMMITTER_IDENT"], check=False)
        if not ident.ok:
            env["GIT_COMMITTER_NAME"], env["GIT_COMMITTER_EMAIL"] = FALLBACK_IDENTITY
        tagged_at = int(ident.text.split()[-2]) if ident.ok and pinned else int(self.clock())
        if not pinned or tagged_at < not_before:
            env["GIT_COMMITTER_DATE"] = f"{max(tagged_at, not_before)} +0000"
        env_git = Git(self.repo, environ=env, executable=self.git.executable)
        result = env_git.run(args, stdin=message.encode(), check=False)
        if result.ok:
            return
        if "already exists" in result.stderr:
            raise UserError(
                f"tag {name!r} already exists in {self.repo} but is not an annotated registry "
                "tag the registry can use",
                hint=f"inspect it with: git show {name}",
            )
        raise self.git.failure(result)

    def _push_existing(self, names: Sequence[str]) -> None:
        """Push tags that may already be on the remote (completing an interrupted run)."""
        if self.remote is None:
            return
        try:
            self._push(names)
        except _Rejected as error:
            raise ExternalError(f"the remote holds a different {', '.join(names)}") from error

    def _push(self, names: Sequence[str]) -> None:
        if self.remote is None:
            return
        for start in range(0, len(names), MAX_TAGS_PER_PUSH):
            self._push_batch(self.remote, names[start : start + MAX_TAGS_PER_PUSH])

    def _push_batch(self, remote: str, names: Sequence[str]) -> None:
        refspecs = [f"refs/tags/{name}:refs/tags/{name}" for name in names]
        args = ["push", "--atomic", "--porcelain", "--", remote, *refspecs]
        for attempt in range(1, PUSH_ATTEMPTS + 1):
            result = self.git.run(args, check=False)
            if result.ok:
                return
            statuses = [line for line in result.text.splitlines() if line.startswith("!")]
            if any(_refused(line) for line in statuses):
                raise ExternalError(
                    f"{remote!r} refused the tags {', '.join(names)}: "
                    + "; ".join(line.split("\t")[-1] for line in statuses),
                    hint="check the remote's tag protection rules and the token's permissions",
                )
            if statuses:
                raise _Rejected(names)
            if attempt == PUSH_ATTEMPTS:
                raise ExternalError(
                    f"cannot push {', '.join(names)} to {remote!r}: {result.stderr}",
                    attempts=attempt,
                )
            self.sleep(2.0 ** (attempt - 1))


def _refused(status: str) -> bool:
    """A push status line that is a refusal (a hook, a protection rule), not a lost race, which
    reads ``[rejected] (already exists)``, or, when both pushes reach the remote at once,
    ``[remote rejected] (atomic transaction failed)`` / ``(failed to update ref)``."""
    if "[remote rejected]" not in status:
        return False
    reason = status.rsplit("(", 1)[-1]
    return not any(word in reason for word in ("atomic", "failed to update", "lock", "exists"))


def _check_model(model: str) -> None:
    if not grammar.is_valid_model(model):
        raise UserError(
            f"invalid model name {model!r}",
            hint="letters, digits, '-', '_' and '/', starting and ending with a letter or digit; "
            "a model in a subfolder is written dir/path:name",
        )
    problem = grammar.ref_name_problem(grammar.model_in_tag(model))
    if problem:
        raise UserError(f"invalid model name {model!r}: git cannot keep its tags, as it {problem}")


def _check_stage(stage: str) -> None:
    if not grammar.is_valid_name(stage):
        raise UserError(
            f"invalid stage name {stage!r}",
            hint="letters, digits, '-', '_' and '/', starting and ending with a letter or digit",
        )
    problem = grammar.ref_name_problem(stage)
    if problem:
        raise UserError(f"invalid stage name {stage!r}: git cannot keep its tags, as it {problem}")
