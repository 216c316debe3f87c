"""Serving benchmark (run by hand): our OIP server on the example model, 1-row requests.

    .venv/bin/python bench/serving/run.py [--seconds 5] [--workers 1 2]

Trains the example model into a temporary folder, starts ``python -m mlops_ci.serving`` on
127.0.0.1 for each worker count, and measures with one load client (keep-alive connections on
threads of this process): requests per second, p50 and p99 with 1 and with 8 concurrent
clients, the latency of one 1,000-row batch, the server's resident memory, and the time from
start to ready. MLServer is not measured yet (issue 15): its row is the next step.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.serving.example import rows_of_test_set, train_churn  # noqa: E402

FEATURES = {"tenure_months": "INT64", "monthly_charges": "FP64", "total_charges": "FP64",
            "support_calls": "INT64", "contract": "BYTES", "payment_method": "BYTES",
            "region": "BYTES", "paperless": "BOOL"}


def infer_body(rows: list[dict[str, object]]) -> bytes:
    return json.dumps({"inputs": [
        {"name": name, "shape": [len(rows)], "datatype": datatype,
         "data": [row[name] for row in rows]} for name, datatype in FEATURES.items()]}).encode()


def load(port: int, body: bytes, clients: int, seconds: float) -> tuple[float, float, float]:
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            connection.request("POST", "/v2/models/churn/infer", body=body,
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)]
    return len(latencies) / seconds, statistics.median(latencies) * 1000, p99 * 1000


def one_request(port: int, body: bytes) -> float:
    """Milliseconds for one request on a fresh connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    connection.request("POST", "/v2/models/churn/infer", body=body)
    response = connection.getresponse()
    response.read()
    assert response.status == 200
    connection.close()
    return (time.perf_counter() - started) * 1000


def rss_mib(pid: int) -> float:
    total = 0
    for child in [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]:
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        model = train_churn(Path(scratch))
        one = infer_body(rows_of_test_set(1))
        batch = infer_body(rows_of_test_set(1000))
        for workers in args.workers:
            started = time.perf_counter()
            server = subprocess.Popen(
                [sys.executable, "-m", "mlops_ci.serving", "--model", str(model), "--name",
                 "churn", "--host", "127.0.0.1", "--port", "0", "--workers", str(workers),
                 "--trusted-type", "numpy.dtype"], stdout=subprocess.PIPE, text=True)
            assert server.stdout is not None
            line = server.stdout.readline()
            ready = time.perf_counter() - started
            port = int(line.split()[3].rsplit(":", 1)[1])
            try:
                load(port, one, 1, 1.0)  # warm-up
                single = load(port, one, 1, args.seconds)
                eight = load(port, one, 8, args.seconds)
                batch_ms = min(one_request(port, batch) for _ in range(5))
                memory = rss_mib(server.pid)
            finally:
                server.terminate()
                server.wait()
            print(f"ours, {workers} worker(s): ready {ready:.2f}s; "
                  f"1 client {single[0]:.0f} req/s p50 {single[1]:.2f} ms p99 {single[2]:.2f} ms;"
                  f" 8 clients {eight[0]:.0f} req/s p50 {eight[1]:.2f} ms p99 {eight[2]:.2f} ms;"
                  f" 1,000 rows {batch_ms:.1f} ms; RSS {memory:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
