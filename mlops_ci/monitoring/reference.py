"""The reference data of the version in production, as it was at that version's commit.

Production data is compared with what the production model was trained against, not with
whatever the reference file holds today (a later pull request may have refreshed it). The file
is read from git at the version's commit (``git cat-file blob COMMIT:./PATH``, run in the
config's folder so the path is relative to it, as in ``mlops.yaml``) into the run's scratch
folder. When the path did not exist at that commit, the workspace file is used, and the
result says so (``at_version`` false, with a note the issue shows).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlops_ci.backends.git import Git
from mlops_ci.errors import UserError


@dataclass(frozen=True, slots=True)
class ReferenceData:
    path: Path  # a readable file: the scratch copy, or the workspace file
    relative: Path  # the path as mlops.yaml names it
    commit: str
    at_version: bool  # read from the version's commit (False: the workspace file)
    note: str | None = None  # shown in the report when the fallback was used


def reference_at_commit(
    git: Git, commit: str, relative: Path, workspace: Path, scratch: Path
) -> ReferenceData:
    """``relative`` as it was at ``commit``; the workspace file, with a note, when absent then."""
    if relative.is_absolute() or ".." in relative.parts:
        raise UserError(f"data.reference {str(relative)!r} must be a path inside the workspace")
    spec = f"{commit}:./{relative.as_posix()}"
    found = git.run(["rev-parse", "--verify", "--quiet", spec], check=False)
    object_id = found.text.strip()
    if found.ok and object_id:
        kind = git.output(["cat-file", "-t", object_id])
        if kind == "blob":
            scratch.mkdir(parents=True, exist_ok=True)
            copy = scratch / f"reference-{commit[:12]}{''.join(relative.suffixes)}"
            copy.write_bytes(git.run(["cat-file", "blob", object_id]).stdout)
            return ReferenceData(copy, relative, commit, at_version=True)
    current = workspace / relative
    if not current.is_file():
        raise UserError(
            f"the reference data {relative} exists neither at commit {commit[:12]} nor in the "
            "workspace",
            hint="check data.reference (or data.train) in mlops.yaml",
        )
    note = (
        f"{relative} did not exist at {commit[:12]}, the commit of the version in production; "
        "the current workspace file was used as the reference instead"
    )
    return ReferenceData(current, relative, commit, at_version=False, note=note)
