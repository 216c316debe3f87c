"""``command: promote`` through the action's inputs, on a real repository with a bare remote.

A dry run checks what the promotion would check and names the tag it would push, and writes
nothing: no tag in the checkout, no ref in the remote. Both runs refuse a model, version or
stage that the tag's own run could not deploy. The promotion also runs the deploy's preflight
before pushing: the version's release must hold the model file, and each environment of the
stage what its target needs (here a command backend, whose program must exist).
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest
import yaml

from mlops_ci.cli import main
from mlops_ci.forge.outbox import OutboxForge
from mlops_ci.forge.protocol import AssetFile
from mlops_ci.registry.store import RegistryStore
from tests.commands.repos import action_checkout, git


def command_backend(checkout: Path, program: str) -> None:
    """Every environment of the example deploys with ``program`` (a command backend)."""
    config = checkout / "mlops.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    for environment in data["models"]["churn"]["deploy"]["environments"].values():
        stage = environment["stage"]
        environment.clear()
        environment.update({"stage": stage, "backend": "command", "command": [program, "-V"]})
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    git(checkout, "commit", "-q", "-am", f"deploy with {program}")


def publish_release(checkout: Path, tag: str) -> None:
    """The release of ``tag`` with its model file, in the outbox (the forge without a token)."""
    model = checkout.parent / "model.skops"
    model.write_bytes(b"a model file")
    OutboxForge(checkout).ensure_release(tag, tag, "", [AssetFile("model.skops", model)])


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example with churn v0.1.0 registered, pushed and released, deploying with a command;
    the inputs promote it to production."""
    checkout = action_checkout(tmp_path, monkeypatch, "promote")
    command_backend(checkout, sys.executable)
    publish_release(checkout, "churn@v0.1.0")
    monkeypatch.setenv("INPUT_MODEL", "churn")
    monkeypatch.setenv("INPUT_VERSION", "v0.1.0")
    monkeypatch.setenv("INPUT_STAGE", "production")
    return checkout


def refs(repository: Path) -> list[str]:
    return git(repository, "for-each-ref", "--format=%(refname) %(objectname)").splitlines()


def remote_refs(checkout: Path) -> list[str]:
    return refs(checkout.parent / "remote.git")


def run_action(capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    err = io.StringIO()
    code = main(["action"], stderr=err)
    return code, capsys.readouterr().out, err.getvalue()


def test_dry_run_names_the_tag_and_writes_no_ref_anywhere(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INPUT_DRY_RUN", "true")
    remote_before, local_before = remote_refs(repo), refs(repo)

    code, out, err = run_action(capsys)

    assert (code, err) == (0, "")
    assert "dry run: would promote churn v0.1.0 -> production (tag churn#production#" in out
    assert "nothing written" in out
    assert remote_refs(repo) == remote_before
    assert refs(repo) == local_before


def test_the_tag_a_dry_run_names_is_the_tag_the_promotion_pushes(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INPUT_DRY_RUN", "true")
    _, preview, _ = run_action(capsys)
    named = re.search(r"\(tag (\S+) on commit", preview)
    monkeypatch.setenv("INPUT_DRY_RUN", "false")
    remote_before = remote_refs(repo)

    code, out, err = run_action(capsys)

    assert named is not None, preview
    assert (code, err) == (0, "")
    assert f"promoted: churn v0.1.0 -> production (tag {named.group(1)})" in out
    assert "a tag pushed with the workflow's token starts no workflow: deploy it with" in out
    assert "locally: mlops-ci run --event promotion" not in out  # the CLI's next step, not here
    added = sorted(set(remote_refs(repo)) - set(remote_before))
    assert [line.split()[0] for line in added] == [f"refs/tags/{named.group(1)}"]


def test_dry_run_of_a_promotion_already_made_says_so_and_writes_nothing(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    RegistryStore(repo).promote("churn", "v0.1.0", "production")
    monkeypatch.setenv("INPUT_DRY_RUN", "true")
    remote_before, local_before = remote_refs(repo), refs(repo)

    code, out, _ = run_action(capsys)

    assert code == 0
    assert "dry run: already in stage: churn v0.1.0 -> production (tag churn#production#" in out
    assert (remote_refs(repo), refs(repo)) == (remote_before, local_before)


@pytest.mark.parametrize("dry_run", ["true", "false"])
@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("VERSION", "v9.9.9", "churn v9.9.9 is not registered\nhint: registered: v0.1.0"),
        ("VERSION", "latest", "action input version: 'latest' is not a version like v1.4.0"),
        ("STAGE", "qa", "action input stage: 'qa' is not one of stages in mlops.yaml"),
        ("MODEL", "fraud", "action input model: 'fraud' is not a model in mlops.yaml"),
    ],
)
def test_a_promotion_its_tag_could_not_deploy_is_refused_before_any_write(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    dry_run: str,
    name: str,
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv("INPUT_DRY_RUN", dry_run)
    monkeypatch.setenv(f"INPUT_{name}", value)
    remote_before, local_before = remote_refs(repo), refs(repo)

    code, _, err = run_action(capsys)

    assert code == 2
    assert message in err
    assert (remote_refs(repo), refs(repo)) == (remote_before, local_before)


def test_dry_run_and_promotion_refuse_a_deregistered_version_with_the_same_error(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    RegistryStore(repo).deregister("churn", "v0.1.0")
    remote_before, local_before = remote_refs(repo), refs(repo)

    monkeypatch.setenv("INPUT_DRY_RUN", "true")
    preview = run_action(capsys)
    monkeypatch.setenv("INPUT_DRY_RUN", "false")
    promotion = run_action(capsys)

    assert preview[0] == promotion[0] == 2
    assert "churn v0.1.0 was deregistered" in preview[2]
    assert preview[2] == promotion[2]
    assert (remote_refs(repo), refs(repo)) == (remote_before, local_before)


def test_dry_run_without_the_remote_it_would_push_to_is_refused(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    git(repo, "remote", "remove", "origin")
    monkeypatch.setenv("INPUT_DRY_RUN", "true")

    code, _, err = run_action(capsys)

    assert code == 2
    assert "no git remote named 'origin'" in err


def test_a_model_kept_in_a_subfolder_is_promoted_under_its_registry_name(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = repo / "mlops.yaml"
    config.write_text(
        config.read_text().replace("  churn:\n", "  churn:\n    path: models/churn\n", 1)
    )
    git(repo, "commit", "-q", "-am", "churn lives in models/churn")
    RegistryStore(repo).register("models/churn:churn", version="v0.1.0")
    publish_release(repo, "models/churn=churn@v0.1.0")
    remote_before = remote_refs(repo)

    code, out, err = run_action(capsys)

    added = sorted(set(remote_refs(repo)) - set(remote_before))
    assert (code, err) == (0, ""), out
    assert [line.split()[0] for line in added] == ["refs/tags/models/churn=churn#production#1"]


def test_a_promotion_whose_deploy_command_does_not_exist_pushes_no_tag(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    command_backend(repo, "no-such-deployer")
    remote_before, local_before = remote_refs(repo), refs(repo)

    code, out, err = run_action(capsys)

    assert code == 2, out
    assert "the deploy command of churn-production cannot run: program 'no-such-deployer'" in err
    assert "promoted" not in out
    assert (remote_refs(repo), refs(repo)) == (remote_before, local_before)


def test_a_promotion_of_a_version_without_its_release_pushes_no_tag(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    RegistryStore(repo).register("churn", version="v0.2.0")
    monkeypatch.setenv("INPUT_VERSION", "v0.2.0")
    remote_before, local_before = remote_refs(repo), refs(repo)

    code, out, err = run_action(capsys)

    assert code == 2, out
    assert "the release churn@v0.2.0 has no asset model.skops" in err
    assert (remote_refs(repo), refs(repo)) == (remote_before, local_before)
