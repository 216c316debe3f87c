"""``mlops-ci init`` never writes through a symlink: a cloned repository cannot aim its
files at something outside it, with or without ``--force``."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from mlops_ci.cli import main

CSV = "x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(20))


def run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    return main(argv, stderr=err), err.getvalue()


def repository(tmp_path: Path) -> tuple[Path, Path]:
    """A git repository and a folder outside it, holding a file that must not change."""
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    repo.mkdir()
    outside.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (outside / "bashrc").write_text("precious\n", encoding="utf-8")
    return repo, outside


def test_a_config_linked_outside_is_never_written_even_with_force(tmp_path: Path) -> None:
    repo, outside = repository(tmp_path)
    (repo / "mlops.yaml").symlink_to(outside / "bashrc")
    for argv in (["init", str(repo)], ["init", str(repo), "--force"]):
        code, err = run(argv)
        assert code == 2
        assert (f"cannot write {repo / 'mlops.yaml'}: it is a symlink to {outside / 'bashrc'}"
                in err)
        assert "Traceback" not in err
    assert (outside / "bashrc").read_text(encoding="utf-8") == "precious\n"
    assert not (repo / ".github").exists()  # refused before anything was written


def test_a_dangling_workflow_link_is_not_created_through(tmp_path: Path) -> None:
    repo, outside = repository(tmp_path)
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "mlops-report.yml").symlink_to(outside / "new-file")
    code, err = run(["init", str(repo)])
    assert code == 2
    assert (f"{workflows / 'mlops-report.yml'}: it is a symlink to {outside / 'new-file'}"
            in err)
    assert not (outside / "new-file").exists()
    assert not (repo / "mlops.yaml").exists()


def test_a_folder_linked_outside_the_repository_is_refused(tmp_path: Path) -> None:
    repo, outside = repository(tmp_path)
    (repo / ".github").symlink_to(outside)
    code, err = run(["init", str(repo), "--force"])
    assert code == 2
    assert (f"{repo / '.github'} is a symlink to {outside}, outside the repository {repo}"
            in err)
    assert sorted(p.name for p in outside.iterdir()) == ["bashrc"]
    assert not (repo / "mlops.yaml").exists()


def test_a_dangling_reference_snapshot_link_is_not_written(tmp_path: Path) -> None:
    repo, outside = repository(tmp_path)
    (repo / "data").mkdir()
    (repo / "data" / "train.csv").write_text(CSV, encoding="utf-8")
    (repo / "data" / "reference.csv").symlink_to(outside / "reference.csv")
    code, err = run(["init", str(repo), "--force"])
    assert code == 2
    assert f"{repo / 'data' / 'reference.csv'}: it is a symlink to" in err
    assert not (outside / "reference.csv").exists()
    assert not (repo / "mlops.yaml").exists()


def test_a_folder_linked_inside_the_repository_is_written_through(tmp_path: Path) -> None:
    repo, _ = repository(tmp_path)
    (repo / "github-config").mkdir()
    (repo / ".github").symlink_to(repo / "github-config")
    code, err = run(["init", str(repo)])
    assert (code, err) == (0, "")
    assert (repo / "github-config" / "workflows" / "mlops.yml").is_file()
