"""Run a user's training command as an unprivileged user, out of reach of the job's secrets.

The training command is code from the repository (on a pull request, its author's). mlops-ci
holds the GitHub token in its own memory; a command running as the same user could read it
there (``/proc/<mlops-ci pid>/mem``) and in every file the runner left readable. So, when
mlops-ci runs as root (the action's container runs it so) and a training user exists, the
command runs as that user, and before it starts:

- its ``HOME`` is a fresh folder only it can use (removed afterwards), so it reads no one's
  configuration and credentials;
- the folders it must write (``MLOPS_OUTPUT_DIR``) are given to it, and taken back afterwards
  (``reclaim``): owned by root again, a symbolic link in them refused (mlops-ci, as root, then
  reads and writes those files, and must not follow a link the command planted), and every
  process the command left behind killed;
- the runner's file-command files (``GITHUB_ENV``, ``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``,
  ``GITHUB_PATH``, ``GITHUB_STATE``) and their folder ``/github/file_commands`` lose every
  permission of group and others: the command can neither read what earlier steps wrote there
  nor add an environment variable or a ``PATH`` entry to later steps. Their owner (the runner)
  keeps its own;
- a ``.git/config`` holding a credential (``actions/checkout`` stores the token as
  ``http.<server>/.extraheader`` unless ``persist-credentials: false``) loses every permission
  of group and others too, and a line says so; mlops-ci's own git calls run as root and push
  with the token passed to that one git process (``backends/git.py``), never with stored
  credentials.

The training user is ``MLOPS_CI_TRAINING_USER`` when set, else ``mlops-train`` (the image
creates it). It must run nothing else: every process it owns is killed after the command. As
another user than root, nothing can switch user: the command runs as mlops-ci's own user, as
it always did (a laptop trusts its own code), and ``training_user`` returns None.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import stat
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlops_ci.errors import UserError

USER_VARIABLE = "MLOPS_CI_TRAINING_USER"
DEFAULT_USER = "mlops-train"
FILE_COMMAND_VARIABLES = (
    "GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_PATH", "GITHUB_STATE",
)
# The docker action's mount of the runner's file-command folder, and the folder's own name on
# the runner's disk (its files are named set_env_<uuid>, set_output_<uuid>, ...).
FILE_COMMANDS_FOLDERS = (Path("/github/file_commands"),)
FILE_COMMANDS_FOLDER_NAMES = ("_runner_file_commands", "file_commands")
# A credential git keeps in its config: an extra header (checkout's token), or a URL with a
# password in it.
CREDENTIAL_IN_CONFIG = re.compile(
    r"^\s*extraheader\s*=|://[^/@\s:]+:[^/@\s]+@", re.IGNORECASE | re.MULTILINE
)
PRIVATE_BITS = stat.S_IRWXG | stat.S_IRWXO


@dataclass(frozen=True, slots=True)
class TrainingUser:
    """The unprivileged user a training command runs as."""

    name: str
    uid: int
    gid: int


def training_user(environ: Mapping[str, str]) -> TrainingUser | None:
    """The user to run a training command as: None unless this process is root.

    ``MLOPS_CI_TRAINING_USER`` names it (an unknown name or root is a ``UserError``); without
    it, ``mlops-train`` if that user exists, else None (the command runs as root, as before).
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    named = environ.get(USER_VARIABLE, "").strip()
    try:
        entry = pwd.getpwnam(named or DEFAULT_USER)
    except KeyError:
        if not named:
            return None
        raise UserError(
            f"{USER_VARIABLE}={named[:100]!r}: no such user",
            hint=f"create it (useradd --system {named[:100]}) or unset {USER_VARIABLE}",
        ) from None
    if entry.pw_uid == 0:
        raise UserError(f"{USER_VARIABLE}={named!r} is root: name an unprivileged user")
    return TrainingUser(entry.pw_name, entry.pw_uid, entry.pw_gid)


@contextlib.contextmanager
def confined(
    user: TrainingUser, *, cwd: Path, environ: Mapping[str, str], writable: Sequence[Path],
    notice: list[str],
) -> Iterator[dict[str, str]]:
    """Prepare everything for a command run as ``user`` in ``cwd``; yield the variables to
    add to its environment (``HOME``, ``USER``, ``LOGNAME``). On leaving, take ``writable``
    back (``reclaim``) and remove the home. Lines for the log are appended to ``notice``."""
    hide_runner_files(environ, user)
    notice.extend(hide_git_credentials(cwd, user))
    home = Path(tempfile.mkdtemp(prefix="mlops-ci-home-"))
    links: list[str] = []
    try:
        os.chown(home, user.uid, user.gid)
        for folder in writable:
            give(folder, user)
        yield {"HOME": str(home), "USER": user.name, "LOGNAME": user.name}
    finally:
        kill_processes_of(user)
        shutil.rmtree(home, ignore_errors=True)
        for folder in writable:
            links += reclaim(folder)
    if links:
        raise UserError(
            f"the command left symbolic links where mlops-ci reads its results: "
            f"{', '.join(links[:5])}; they were removed",
            hint="write the files themselves into MLOPS_OUTPUT_DIR, not links to them",
        )


def give(folder: Path, user: TrainingUser) -> None:
    """``folder`` and what it holds, owned by ``user`` (links themselves, never their targets)."""
    for path in (folder, *folder.rglob("*")):
        os.lchown(path, user.uid, user.gid)


def reclaim(folder: Path) -> list[str]:
    """``folder`` and everything in it owned by root again; every symbolic link in it removed
    (mlops-ci, as root, reads and writes there next). Returns the links removed.

    The command has exited and its processes are killed, so nothing changes under this walk.
    """
    os.lchown(folder, 0, 0)
    links = []
    for path in sorted(folder.rglob("*")):
        os.lchown(path, 0, 0)
        if path.is_symlink():
            path.unlink()
            links.append(str(path))
    return links


def hide_runner_files(environ: Mapping[str, str], user: TrainingUser) -> None:
    """The runner's file-command files and their folder: no access for group and others."""
    folders = set(FILE_COMMANDS_FOLDERS)
    for name in FILE_COMMAND_VARIABLES:
        value = environ.get(name)
        if not value:
            continue
        path = Path(value)
        _make_private(path, user)
        if path.parent.name in FILE_COMMANDS_FOLDER_NAMES:
            folders.add(path.parent)
    for folder in folders:
        _make_private(folder, user)


def hide_git_credentials(cwd: Path, user: TrainingUser) -> list[str]:
    """Every ``.git/config`` from ``cwd`` up that holds a credential: private to its owner.
    Returns a line for the log per file changed."""
    lines = []
    for folder in (cwd, *cwd.parents):
        config = folder / ".git" / "config"
        try:
            text = config.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if CREDENTIAL_IN_CONFIG.search(text) and _make_private(config, user):
            lines.append(
                f"{config} holds a credential (actions/checkout keeps the token there unless "
                "`persist-credentials: false`): made it unreadable to the training command"
            )
    return lines


def kill_processes_of(user: TrainingUser) -> None:
    """SIGKILL every process whose real or effective uid is ``user``'s (Linux; elsewhere a
    no-op): a daemon the command left would otherwise race mlops-ci over its files."""
    proc = Path("/proc")
    if not proc.is_dir():
        return
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text(encoding="utf-8")
        except OSError:
            continue
        uids = next((line.split()[1:3] for line in status.splitlines()
                     if line.startswith("Uid:")), [])
        if str(user.uid) in uids:
            with contextlib.suppress(OSError):
                os.kill(int(entry.name), signal.SIGKILL)


def _make_private(path: Path, user: TrainingUser) -> bool:
    """Drop group and other permissions of ``path`` (owned by ``user``: give it to root
    first); True when something changed. A missing path is left alone."""
    try:
        info = path.lstat()
    except OSError:
        return False
    if stat.S_ISLNK(info.st_mode):
        return False
    changed = False
    if info.st_uid == user.uid:
        os.lchown(path, 0, 0)
        changed = True
    if info.st_mode & PRIVATE_BITS:
        path.chmod(stat.S_IMODE(info.st_mode) & ~PRIVATE_BITS)
        changed = True
    return changed
