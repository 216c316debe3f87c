"""Serving benchmark (run by hand): our OIP server vs Seldon's MLServer on the example model.

    .venv/bin/python bench/serving/run.py [--seconds 5] [--workers 1 2] [--skip-mlserver]

Trains the example's model into a temporary folder and serves it on 127.0.0.1 by

- ours: ``python -m mlops_ci.serving`` with 1 and with 2 worker processes (2 is the default
  on a two-core machine), started from the model's compiled form (``model.skops.fused.npz``),
  which the run makes once first with ``--compile-only``, as the serving image's build and the
  KServe init container do (its time is printed);
- MLServer 1.7 with its scikit-learn runtime, installed into ``bench/.venvs/mlserver`` on
  first use (``bench.peers``), with the same scikit-learn and numpy versions as ours. Its
  runtime loads joblib/pickle files only, so this benchmark loads our skops file and
  ``joblib.dump``s it into its own temporary folder for MLServer. MLServer runs with
  ``parallel_workers: 0`` (inference in its one server process): on this machine its
  parallel worker pool does not start. Everything else is MLServer's default.

One load generator measures both, in this run: client processes (so that the client's GIL is
not the bottleneck), each with one keep-alive connection, sending a prepared request and
reading the answer by its ``Content-Length`` in a closed loop. Every request is the same
OIP body for both servers: 8 typed column tensors, ``parameters.content_type: pd`` (MLServer
needs it to build the DataFrame the pipeline takes; ours ignores it) and both outputs
(``predict``, ``predict_proba``) asked for. Figures: requests per second, p50 and p99 with 1
and with 8 concurrent clients for 1-row requests, and the server's CPU time per request; p50
latency of a 1,000-row request; the memory of the server after the load, summed over its
process tree, as RSS (counts the pages forked workers share once per process) and as PSS
(counts them once in all); the time from process start to the first 200 on
``/v2/models/churn/ready`` (polled every 10 ms), in wall-clock and in the server's CPU time.
CPU times are printed because this machine is shared: wall-clock figures then move with
other work, the CPU a server spends per request hardly does. See ``loadgen`` for the client.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.peers import peer_venv  # noqa: E402
from bench.serving.loadgen import (  # noqa: E402
    Load,
    batch_latency_ms,
    cpu_seconds,
    load,
    load_with_cpu,
    pss_mib,
    rss_mib,
)
from mlops_ci.serving.columns import write_columns  # noqa: E402
from tests.serving.example import (  # noqa: E402
    churn_columns,
    churn_spec,
    rows_of_test_set,
    train_churn,
)

PYTHON = sys.executable
MODEL = "churn"
READY = f"/v2/models/{MODEL}/ready"
FEATURES = {"tenure_months": "INT64", "monthly_charges": "FP64", "total_charges": "FP64",
            "support_calls": "INT64", "contract": "BYTES", "payment_method": "BYTES",
            "region": "BYTES", "paperless": "BOOL"}
MLSERVER_VERSION = "1.7.1"


def infer_body(rows: list[dict[str, object]]) -> bytes:
    return json.dumps({
        "parameters": {"content_type": "pd"},
        "inputs": [{"name": name, "shape": [len(rows)], "datatype": datatype,
                    "data": [row[name] for row in rows]} for name, datatype in FEATURES.items()],
        "outputs": [{"name": "predict"}, {"name": "predict_proba"}],
    }).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ready_status(port: int, path: str = READY) -> int | None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            return int(sock.recv(64).split()[1])
    except (OSError, IndexError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class Figures:
    label: str
    ready_s: float
    ready_cpu_s: float
    one: Load
    eight: Load
    batch_ms: float
    rss_mib: float
    pss_mib: float


def measure(label: str, argv: list[str], env: dict[str, str], cwd: Path, port: int,
            one_row: bytes, batch: bytes, seconds: float, log: Path) -> Figures:
    print(f"measuring {label} ...", file=sys.stderr)
    with log.open("w") as output:
        started = time.perf_counter()
        server = subprocess.Popen(argv, env=env, cwd=cwd, stdout=output, stderr=output)
        try:
            while ready_status(port) != 200:
                if server.poll() is not None or time.perf_counter() - started > 120:
                    raise RuntimeError(f"{label} did not get ready; see {log}:\n"
                                       + log.read_text()[-2000:])
                time.sleep(0.01)
            ready = time.perf_counter() - started
            ready_cpu = cpu_seconds(server.pid)
            load(port, one_row, 8, 1.0)  # warm-up
            one = load_with_cpu(server.pid, port, one_row, 1, seconds)
            eight = load_with_cpu(server.pid, port, one_row, 8, seconds)
            batch_ms = batch_latency_ms(port, batch)
            memory = rss_mib(server.pid), pss_mib(server.pid)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return Figures(label, ready, ready_cpu, one, eight, batch_ms, *memory)


def mlserver_folder(scratch: Path, model_file: Path, port: int) -> Path:
    """MLServer's settings and its joblib copy of the model, in the bench's own folder."""
    import joblib

    from mlops_ci.modelio import load_model

    folder = scratch / "mlserver"
    model_folder = folder / MODEL
    model_folder.mkdir(parents=True)
    joblib.dump(load_model(model_file, ["numpy.dtype"]), model_folder / "model.joblib")
    (folder / "settings.json").write_text(json.dumps({
        "host": "127.0.0.1", "http_port": port, "grpc_port": free_port(),
        "metrics_port": free_port(), "parallel_workers": 0,
    }))
    (model_folder / "model-settings.json").write_text(json.dumps({
        "name": MODEL, "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": "./model.joblib", "version": "v1"},
    }))
    return folder


def mlserver_requirements() -> list[str]:
    import numpy
    import sklearn

    return [f"mlserver=={MLSERVER_VERSION}", f"mlserver-sklearn=={MLSERVER_VERSION}",
            f"scikit-learn=={sklearn.__version__}", f"numpy=={numpy.__version__}", "skops",
            "joblib"]


def ratio(ours: float, theirs: float, higher_is_better: bool) -> str:
    if ours <= 0 or theirs <= 0:
        return "-"
    value = ours / theirs if higher_is_better else theirs / ours
    return f"{value:.2f}x"


def report(rows: list[Figures], peer: Figures | None) -> None:
    metrics: list[tuple[str, Callable[[Figures], float], str, bool]] = [
        ("1 client: requests/s", lambda f: f.one.rps, "{:.0f}", True),
        ("1 client: p50 ms", lambda f: f.one.p50_ms, "{:.2f}", False),
        ("1 client: p99 ms", lambda f: f.one.p99_ms, "{:.2f}", False),
        ("1 client: server CPU us/request", lambda f: f.one.server_cpu_us, "{:.0f}", False),
        ("8 clients: requests/s", lambda f: f.eight.rps, "{:.0f}", True),
        ("8 clients: p50 ms", lambda f: f.eight.p50_ms, "{:.2f}", False),
        ("8 clients: p99 ms", lambda f: f.eight.p99_ms, "{:.2f}", False),
        ("8 clients: server CPU us/request", lambda f: f.eight.server_cpu_us, "{:.0f}", False),
        ("1,000 rows: p50 ms", lambda f: f.batch_ms, "{:.1f}", False),
        ("memory: RSS summed, MiB", lambda f: f.rss_mib, "{:.0f}", False),
        ("memory: PSS summed, MiB", lambda f: f.pss_mib, "{:.0f}", False),
        ("start to ready s", lambda f: f.ready_s, "{:.2f}", False),
        ("start to ready: server CPU s", lambda f: f.ready_cpu_s, "{:.2f}", False),
    ]
    columns = [*rows, *([peer] if peer else [])]
    header = ["", *(f.label for f in columns)]
    if peer:
        header += [f"{f.label} vs MLServer" for f in rows]
    table = [header]
    for name, value, fmt, higher in metrics:
        line = [name, *(fmt.format(value(f)) for f in columns)]
        if peer:
            line += [ratio(value(f), value(peer), higher) for f in rows]
        table.append(line)
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                        for i, (cell, w) in enumerate(zip(line, widths, strict=True))))
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end "
          "(wall-clock figures suffer from other work on the machine; CPU figures less so)")
    if peer:
        print("ratios: >1.00x means ours is better (more requests/s, or less time/memory)")
        print("MLServer ran with parallel_workers: 0 (its parallel worker pool does not start "
              "on this machine); everything else default")
        for f in rows:
            checks = {
                "requests/s >= 1.0x in both": f.one.rps >= peer.one.rps
                and f.eight.rps >= peer.eight.rps,
                "p99 no worse in both": f.one.p99_ms <= peer.one.p99_ms
                and f.eight.p99_ms <= peer.eight.p99_ms,
                "ready < 2 s (wall)": f.ready_s < 2.0,
                "ready < 2 s of CPU": f.ready_cpu_s < 2.0,
            }
            print(f"goals, {f.label}: " + "; ".join(
                f"{name}: {'met' if ok else 'NOT met'}" for name, ok in checks.items()))


def compile_model(model: Path, columns: Path,
                  trusted: Sequence[str] = ()) -> tuple[float, float]:
    """(wall-clock s, CPU s) of ``--compile-only`` on ``model``, run once, as the serving image
    and the init container run it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mlops_ci.serving", "--model", str(model), "--columns-json",
         str(columns), "--compile-only",
         *(arg for name in trusted for arg in ("--trusted-type", name))],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, capture_output=True, text=True,
        check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or not done.stdout.startswith("compiled "):
        raise RuntimeError(f"the compile failed:\n{done.stdout}{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--skip-mlserver", action="store_true")
    args = parser.parse_args()
    bin_folder = None if args.skip_mlserver else peer_venv("mlserver", mlserver_requirements())
    one_row = infer_body(rows_of_test_set(1))
    batch = infer_body(rows_of_test_set(1000))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as scratch_text:
        scratch = Path(scratch_text)
        model = train_churn(scratch)
        columns = scratch / "columns.json"  # as the docker backend writes it
        write_columns(churn_columns(churn_spec()), columns)
        compile_wall, compile_cpu = compile_model(model, columns, ["numpy.dtype"])
        print(f"compiled once, as the serving image does: {compile_wall:.2f} s, "
              f"{compile_cpu:.2f} CPU s; ours starts from the compiled form")
        ours: list[Figures] = []
        for workers in args.workers:
            port = free_port()
            argv = [PYTHON, "-m", "mlops_ci.serving", "--model", str(model), "--name", MODEL,
                    "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                    "--trusted-type", "numpy.dtype", "--columns-json", str(columns)]
            label = f"ours ({workers} worker{'s' if workers > 1 else ''})"
            ours.append(measure(label, argv, env, ROOT, port, one_row, batch, args.seconds,
                                scratch / f"ours-{workers}.log"))
        peer = None
        if bin_folder is not None:
            port = free_port()
            folder = mlserver_folder(scratch, model, port)
            peer_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            peer = measure("MLServer", [str(bin_folder / "mlserver"), "start", str(folder)],
                           peer_env, folder, port, one_row, batch, args.seconds,
                           scratch / "mlserver.log")
        report(ours, peer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
