"""Move the job's secrets out of the process environment, where others could read them.

A process's starting environment stays readable for its life in ``/proc/<pid>/environ`` (to
its own user and root), whatever the process later removes from ``os.environ``: the kernel
shows the block ``execve`` received. The action's container starts mlops-ci with the token in
that block (``INPUT_GITHUB_TOKEN``). So the command line's entry point (``mlops-ci``,
``python -m mlops_ci``) calls ``hand_off`` first: when the environment holds a variable no
user command may inherit (``process.child_environ``: the token, every ``INPUT_*``, the runner's
own tokens), it writes those variables into an anonymous file (``memfd_create``: memory, no
name on any disk; elsewhere an already-unlinked temporary file, mode 0600) and re-executes
itself without them, naming the file's descriptor in ``MLOPS_CI_SECRETS_FD``. The new process
(same pid) calls ``receive``: it reads the variables back into ``os.environ`` (the C library's
copy in this process's memory, not the block ``/proc`` shows), closes the descriptor, and on
Linux marks itself not dumpable, so a process of the same user without ``CAP_SYS_PTRACE``
cannot read its ``/proc/<pid>/environ`` or ``mem`` either.

Child processes still inherit ``os.environ`` as before; a user's command gets
``child_environ``'s copy, without them. When the environment holds none of those variables,
nothing happens.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import MutableMapping, Sequence

from mlops_ci.backends.process import child_environ

HANDOFF_VARIABLE = "MLOPS_CI_SECRETS_FD"
PR_SET_DUMPABLE = 4


def hand_off(
    argv: Sequence[str], environ: MutableMapping[str, str] | None = None, *,
    program: Sequence[str] = ("-m", "mlops_ci"),
) -> None:
    """Re-execute ``python -m mlops_ci ARGV`` (``python PROGRAM ARGV``) without the secret
    variables (never returns), unless there are none or this process is the re-executed one
    (returns)."""
    env = os.environ if environ is None else environ
    if HANDOFF_VARIABLE in env or not sys.executable:
        return
    kept = child_environ(env)
    moved = {key: value for key, value in env.items() if key not in kept}
    if not moved:
        return
    descriptor = _anonymous_file(json.dumps(moved).encode("utf-8"))
    os.set_inheritable(descriptor, True)
    kept[HANDOFF_VARIABLE] = str(descriptor)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *program, *argv], kept)  # noqa: S606 -- our own interpreter, argv as given


def receive(environ: MutableMapping[str, str] | None = None) -> bool:
    """In the re-executed process: the moved variables back into ``environ`` (default
    ``os.environ``), the descriptor closed, the process not dumpable; True. Elsewhere a no-op
    that returns False (then call ``hand_off``)."""
    env = os.environ if environ is None else environ
    named = env.pop(HANDOFF_VARIABLE, None)
    moved = _read_moved(named) if named is not None else None
    if moved is None:
        return False
    env.update(moved)
    not_dumpable()
    return True


def _read_moved(named: str) -> dict[str, str] | None:
    """The variables in the file behind descriptor ``named``; None (and nothing read) unless it
    is one ``hand_off`` could have made: a number above 2 naming an open regular file holding a
    JSON object of strings. A stale or stray ``MLOPS_CI_SECRETS_FD`` is so ignored."""
    try:
        descriptor = int(named)
        if descriptor < 3 or not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        with os.fdopen(descriptor, "rb") as handle:
            handle.seek(0)
            moved = json.loads(handle.read().decode("utf-8"))
    except (ValueError, OSError):
        return None
    if not isinstance(moved, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in moved.items()
    ):
        return None
    return moved


def not_dumpable() -> None:
    """``prctl(PR_SET_DUMPABLE, 0)`` on Linux: ``/proc/<pid>/{environ,mem}`` of this process
    become unreadable to other processes of its user that lack ``CAP_SYS_PTRACE``."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def _anonymous_file(data: bytes) -> int:
    """A descriptor of a file holding ``data``, with no name on any file system."""
    if hasattr(os, "memfd_create"):
        descriptor = os.memfd_create("mlops-ci-secrets", 0)
    else:
        descriptor = os.dup(tempfile.TemporaryFile().fileno())  # noqa: SIM115 -- unlinked
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]
    os.lseek(descriptor, 0, os.SEEK_SET)
    return descriptor
