"""``mlops-ci registry`` writes only the models and stages mlops.yaml declares.

A tag for an undeclared name is read by no run (``cancer#prod#1`` deploys nothing when the
stages are ``[staging, production]``), so a typo is refused with the closest declared name;
``--force`` writes it anyway. Without a config the registry is GTO's and takes any name. A
repository without a remote keeps its tags local and says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_ci.cli import main
from tests.commands.newuser import write_breast_cancer
from tests.registry.gitutil import git


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def cancer_project(repo: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> None:
    """The user's first commit: their data and what ``mlops-ci init`` wrote for it."""
    write_breast_cancer(repo)
    assert run(capsys, "init", str(repo), "--model", "cancer", *extra)[0] == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "mlops-ci init")


def tags(repo: Path) -> list[str]:
    return git(repo, "tag", "--list").split()


def test_promote_to_an_undeclared_stage_exits_2_naming_the_declared_ones(
    repo: Path, remote: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cancer_project(repo, capsys)
    where = ["--repo", str(repo)]
    assert run(capsys, "registry", "register", "cancer", *where)[0] == 0

    code, out, err = run(capsys, "registry", "promote", "cancer", "v0.1.0", "prod", *where)

    assert (code, out) == (2, "")
    assert "error: stage 'prod' is not declared in" in err and "(`stages`)" in err
    assert "hint: did you mean 'production'? stages in" in err
    assert "staging, production; pass --force" in err
    assert tags(repo) == tags(remote) == ["cancer@v0.1.0"]


def test_register_of_a_misspelt_model_exits_2_with_the_model_it_meant(
    repo: Path, remote: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cancer_project(repo, capsys)

    code, _, err = run(capsys, "registry", "register", "cancr", "--repo", str(repo))

    assert code == 2
    assert "error: model 'cancr' is not declared in" in err
    assert "hint: did you mean 'cancer'? models in" in err and ": cancer; pass --force" in err
    assert tags(repo) == tags(remote) == []


def test_force_writes_an_undeclared_stage_with_a_warning(
    repo: Path, remote: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cancer_project(repo, capsys)
    where = ["--repo", str(repo)]
    run(capsys, "registry", "register", "cancer", *where)

    code, out, err = run(capsys, "registry", "promote", "cancer", "v0.1.0", "prod", "--force",
                         *where)

    assert code == 0 and "(tag cancer#prod#1), pushed to origin" in out
    assert "warning: stage 'prod' is not declared" in err and "writing it anyway" in err
    assert "cancer#prod#1" in tags(remote)


def test_deprecate_checks_the_model_and_the_stage_too(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cancer_project(repo, capsys)
    where = ["--repo", str(repo)]
    run(capsys, "registry", "register", "cancer", *where)
    run(capsys, "registry", "promote", "cancer", "v0.1.0", "staging", *where)

    model = run(capsys, "registry", "deprecate", "cancr", *where)
    stage = run(capsys, "registry", "deprecate", "cancer", "v0.1.0", "stagign", *where)
    unassigned = run(capsys, "registry", "deprecate", "cancer", "v0.1.0", "staging", *where)

    assert model[0] == stage[0] == 2
    assert "hint: did you mean 'cancer'?" in model[2]
    assert "hint: did you mean 'staging'?" in stage[2]
    assert unassigned[0] == 0 and "cancer#staging!#2" in unassigned[1]


def test_an_explicit_config_names_a_model_in_a_subfolder_by_its_registry_name(
    repo: Path, remote: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--config ml/mlops.yaml``: ``cancer`` kept in ``models/cancer`` is GTO's
    ``models/cancer:cancer``, the name the pipeline's own tags use."""
    (repo / "ml").mkdir()
    cancer_project(repo / "ml", capsys)
    config = repo / "ml" / "mlops.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("  cancer:\n", "  cancer:\n    path: models/cancer\n", 1),
                      encoding="utf-8")
    where = ["--repo", str(repo), "--config", str(config)]

    code, out, err = run(capsys, "registry", "register", "cancer", *where)

    assert code == 0, err
    assert "registered models/cancer:cancer v0.1.0" in out
    assert tags(remote) == ["models/cancer=cancer@v0.1.0"]
    assert run(capsys, "registry", "register", "cancr", *where)[0] == 2


def test_without_a_config_any_name_is_written_as_gto_would(
    repo: Path, remote: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--repo", str(repo)]
    assert run(capsys, "registry", "register", "cancr", *where)[0] == 0
    code, out, _ = run(capsys, "registry", "promote", "cancr", "v0.1.0", "prod", *where)
    assert code == 0 and "cancr#prod#1" in out
    assert tags(remote) == ["cancr#prod#1", "cancr@v0.1.0"]


def test_a_repository_without_a_remote_keeps_the_tag_local_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "laptop"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    cancer_project(repo, capsys)
    where = ["--repo", str(repo)]

    registered = run(capsys, "registry", "register", "cancer", *where)
    promoted = run(capsys, "registry", "promote", "cancer", "v0.1.0", "production", *where)

    assert [registered[0], promoted[0]] == [0, 0]
    assert registered[1].endswith(
        "(tag cancer@v0.1.0), local only: the repository has no remote 'origin' (push it "
        "later with `git push origin cancer@v0.1.0`)\n"
    )
    assert "local only: the repository has no remote 'origin'" in promoted[1]
    assert registered[2] == promoted[2] == ""
    assert tags(repo) == ["cancer#production#1", "cancer@v0.1.0"]


def test_a_named_remote_that_is_missing_exits_2_with_a_command_line_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "laptop"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    cancer_project(repo, capsys)

    code, _, err = run(capsys, "registry", "register", "cancer", "--repo", str(repo),
                       "--remote", "upstream")

    assert code == 2
    assert err == (
        f"error: no git remote named 'upstream' in {repo}\n"
        "hint: add it (git remote add upstream URL), or keep the tags local (registry "
        "commands: --no-push)\n"
    )
    assert tags(repo) == []
