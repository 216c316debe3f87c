"""The benchmark's load client: processes with one keep-alive connection each, in a closed
loop, and the server's own resource figures read from /proc (Linux).

Client processes rather than threads, so that the client's GIL is not what limits a fast
server; raw sockets rather than ``http.client``, so that the client spends microseconds, not
tens of them, per request. Answers are read by their ``Content-Length`` (both servers send one).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import statistics
import time
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

INFER = "/v2/models/churn/infer"


def http_request(port: int, body: bytes, path: str | None = None) -> bytes:
    head = (f"POST {path or INFER} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def exchange(sock: socket.socket, request: bytes, pending: bytearray) -> bytes:
    """Send ``request``; the answer's body (its status must be 200)."""
    sock.sendall(request)
    while (end := pending.find(b"\r\n\r\n")) < 0:
        pending += sock.recv(65536) or _closed()
    head = bytes(pending[:end]).lower()
    if not head.startswith(b"http/1.1 200"):
        raise RuntimeError(f"not a 200: {bytes(pending[:300])!r}")
    start = head.index(b"content-length:") + 15
    length = int(head[start:].split(b"\r\n", 1)[0])
    total = end + 4 + length
    while len(pending) < total:
        pending += sock.recv(65536) or _closed()
    body = bytes(pending[end + 4:total])
    del pending[:total]
    return body


def _closed() -> bytes:
    raise RuntimeError("the server closed the connection")


def client(port: int, request: bytes, start_at: float, stop_at: float, out: Connection) -> None:
    latencies = array("d")
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = bytearray()
        exchange(sock, request, pending)
        time.sleep(max(0.0, start_at - time.time()))
        while (now := time.perf_counter()) and time.time() < stop_at:
            exchange(sock, request, pending)
            latencies.append(time.perf_counter() - now)
    out.send_bytes(latencies.tobytes())


@dataclass(frozen=True, slots=True)
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    server_cpu_us: float = 0.0  # the server's CPU time per request


def load_with_cpu(pid: int, port: int, body: bytes, clients: int, seconds: float) -> Load:
    """``load``, with the CPU time the server spent per request: unlike wall-clock figures,
    it hardly moves when other work shares the machine."""
    before = cpu_seconds(pid)
    result = load(port, body, clients, seconds)
    spent = cpu_seconds(pid) - before
    return Load(result.rps, result.p50_ms, result.p99_ms, result.requests,
                spent / max(1, result.requests) * 1e6)


def load(port: int, body: bytes, clients: int, seconds: float) -> Load:
    context = multiprocessing.get_context("fork")
    request = http_request(port, body)
    start_at = time.time() + 0.5
    pipes, processes = [], []
    for _ in range(clients):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=client,
                                  args=(port, request, start_at, start_at + seconds, sender))
        process.start()
        pipes.append(receiver)
        processes.append(process)
    latencies: list[float] = []
    for receiver in pipes:
        chunk = array("d")
        chunk.frombytes(receiver.recv_bytes())
        latencies.extend(chunk)
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError("a load client failed")
    latencies.sort()
    return Load(len(latencies) / seconds, percentile(latencies, 0.50) * 1000,
                percentile(latencies, 0.99) * 1000, len(latencies))


def percentile(ordered: Sequence[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def batch_latency_ms(port: int, body: bytes, repeats: int = 20, path: str | None = None) -> float:
    request = http_request(port, body, path)
    timings = []
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = bytearray()
        answer = exchange(sock, request, pending)
        predictions = json.loads(answer)["outputs"][0]["data"]
        if len(predictions) != 1000:
            raise RuntimeError(f"expected 1,000 predictions, got {len(predictions)}")
        for _ in range(repeats):
            started = time.perf_counter()
            exchange(sock, request, pending)
            timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, summed."""
    total_kib = 0
    for process in tree(pid):
        try:
            status = Path(f"/proc/{process}/status").read_text()
        except FileNotFoundError:
            continue
        total_kib += next(int(line.split()[1]) for line in status.splitlines()
                          if line.startswith("VmRSS:"))
    return total_kib / 1024


def pss_mib(pid: int) -> float:
    """Proportional set size of ``pid`` and its descendants: pages shared by the workers
    (the model, forked from one parent) counted once in all, not once per process."""
    total_kib = 0
    for process in tree(pid):
        try:
            text = Path(f"/proc/{process}/smaps_rollup").read_text()
        except (FileNotFoundError, PermissionError):
            continue
        total_kib += next(int(line.split()[1]) for line in text.splitlines()
                          if line.startswith("Pss:"))
    return total_kib / 1024


def tree(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(map(int, (task / "children").read_text().split()))
        except FileNotFoundError:
            continue
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by ``pid`` and its living descendants."""
    ticks = 0
    for process in tree(pid):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")
