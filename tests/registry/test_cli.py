"""``mlops-ci registry ...`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_ci.cli import main
from mlops_ci.registry import Evidence, RegistryStore
from tests.registry.gitutil import git


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_register_promote_show_history(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    where = ["--repo", str(repo)]
    assert run(capsys, "registry", "register", "churn", "--version", "v1.0.0", *where)[0] == 0
    RegistryStore(repo).register("churn", ref="HEAD~1", bump="minor",
                                 evidence=Evidence(metrics=(("auc", 0.75),)))
    code, out, _ = run(capsys, "registry", "promote", "churn", "v1.0.0", "production", *where)
    assert code == 0 and "churn#production#1" in out

    code, out, _ = run(capsys, "registry", "show", "--json", *where)
    shown = json.loads(out)
    assert shown["models"] == [{"name": "churn", "latest": "v1.1.0",
                                "stages": {"production": "v1.0.0"}, "deprecated": False}]
    code, out, _ = run(capsys, "registry", "show", *where)
    assert code == 0 and "production" in out and "v1.1.0" in out

    code, out, _ = run(capsys, "registry", "history", "churn", "--json", *where)
    events = json.loads(out)["events"]
    assert [e["event"] for e in events] == ["registration", "registration", "assignment"]
    assert events[1]["evidence"]["metrics"] == {"auc": 0.75}
    assert events[0]["evidence"] is None


def test_unknown_model_exits_2_with_the_known_ones(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    RegistryStore(repo).register("churn")
    code, _, err = run(capsys, "registry", "history", "nope", "--repo", str(repo))
    assert code == 2 and "no model 'nope'" in err and "churn" in err


def test_deprecate_forms(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    where = ["--repo", str(repo), "--no-push"]
    RegistryStore(repo).register("churn")
    RegistryStore(repo).promote("churn", "v0.1.0", "staging")
    assert run(capsys, "registry", "deprecate", "churn", "v0.1.0", "staging", *where)[0] == 0
    assert run(capsys, "registry", "deprecate", "churn", "v0.1.0", *where)[0] == 0
    code, out, _ = run(capsys, "registry", "deprecate", "churn", *where)
    assert code == 0 and "churn@deprecated" in out
    code, out, _ = run(capsys, "registry", "show", "--repo", str(repo))
    assert "no models" in out


def test_not_a_repository_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "registry", "show", "--repo", str(tmp_path))
    assert code == 2 and "not a git repository" in err


def test_a_file_given_as_the_repository_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "mlops.yaml"
    config.write_text("version: 1\n", encoding="utf-8")
    code, _, err = run(capsys, "registry", "show", "--repo", str(config))
    assert code == 2 and f"{config}: a file, not a directory" in err


def test_history_json_survives_a_hostile_evidence_block(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = '```mlops-ci\n{"schema": 1, "metrics": {"auc": ' + "9" * 400 + "}}\n```"
    git(repo, "tag", "-a", "churn@v1.0.0", "-m", f"Registering artifact churn\n\n{huge}")

    code, out, err = run(capsys, "registry", "history", "churn", "--json", "--repo", str(repo))

    assert code == 0, err
    [event] = json.loads(out)["events"]
    assert event["evidence"] is None


# git keeps any remote name but a newline in its config; this one would recolour a terminal
# and mask "x" in an Actions log if printed raw
HOSTILE_REMOTE = "evil\x1b[31m##[add-mask]x"
HOSTILE_SHOWN = r"evil\x1b[31m##\x5badd-mask]x"


def test_a_hostile_remote_name_is_shown_readably_where_writes_name_it(
    repo: Path, remote: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(repo, "config", f"remote.{HOSTILE_REMOTE}.url", remote.as_uri())
    where = ["--repo", str(repo), "--remote", HOSTILE_REMOTE]
    head = git(repo, "rev-parse", "HEAD")[:12]

    registered = run(capsys, "registry", "register", "churn", *where)
    promoted = run(capsys, "registry", "promote", "churn", "v0.1.0", "production", *where)
    deprecated = run(capsys, "registry", "deprecate", "churn", *where)

    assert [result[0] for result in (registered, promoted, deprecated)] == [0, 0, 0]
    assert [result[1] for result in (registered, promoted, deprecated)] == [
        f"registered churn v0.1.0 at {head} (tag churn@v0.1.0), pushed to {HOSTILE_SHOWN}\n",
        f"promoted: churn v0.1.0 -> production (tag churn#production#1), pushed to "
        f"{HOSTILE_SHOWN}\npushed churn#production#1: the promotion workflow (on: push: tags) "
        "deploys it on GitHub; locally: mlops-ci run --event promotion --tag "
        "'churn#production#1'\n",
        f"deprecation: wrote tag churn@deprecated, pushed to {HOSTILE_SHOWN}\n",
    ]
    assert "churn@deprecated" in git(remote, "tag", "--list")  # the remote it names


def test_a_hostile_remote_name_is_shown_readably_in_the_fetch_note(
    repo: Path, remote: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    RegistryStore(repo).register("churn")  # pushed to origin, the bare remote
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    git(fresh, "init", "-q")
    git(fresh, "config", f"remote.{HOSTILE_REMOTE}.url", remote.as_uri())

    code, out, err = run(capsys, "registry", "show", "--repo", str(fresh),
                         "--remote", HOSTILE_REMOTE)

    assert code == 0 and out.splitlines()[-1].split() == ["churn", "v0.1.0"]
    assert err == f"note: fetched registry tags from {HOSTILE_SHOWN} (the checkout was " \
        "shallow or had no tags)\n"
