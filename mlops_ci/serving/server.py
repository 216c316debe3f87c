"""The HTTP side of the model server: stdlib ``http.server``, threads per connection, and
optionally several pre-forked worker processes sharing one listening socket.

Why this shape: a scikit-learn prediction holds the GIL for most of its time, so threads alone
use one core. The parent loads the model once, binds the socket, then forks ``workers``
processes that inherit both (copy-on-write: the model's memory is shared until written) and
accept connections from the same socket; each worker answers its connections on threads, so
slow clients and keep-alive connections do not block others. The parent only waits for its
workers (a worker that dies is replaced) and forwards SIGTERM/SIGINT to them.

Measured on two cores (``bench/serving``): two workers serve 8 concurrent clients at about
1.6-1.8 times the rate of one, and memory grows little with them (PSS), since the model's
pages stay shared (``gc.freeze`` before the fork keeps the collector from copying them).

HTTP facts a client may rely on: HTTP/1.1 (and 1.0) with keep-alive; every answer is JSON with
a ``Content-Length``; a POST needs a ``Content-Length`` (chunked bodies are refused, 411); a
body over ``MAX_BODY_BYTES`` (5 MiB) is refused with 413 without being read, and the
connection closed; at most ``MAX_HEADERS`` header lines of ``MAX_HEADER_LINE`` bytes each
(431 otherwise); ``Expect: 100-continue`` is answered once the declared length is accepted
(a body over the limit gets its 413 before it is sent); a keep-alive connection idle for
``IDLE_TIMEOUT_SECONDS`` between requests is closed.

Limits that keep one client from holding the server (``ServerLimits``, set from the
environment by ``python -m mlops_ci.serving``):

- ``MLOPS_SERVING_MAX_CONNECTIONS`` (default 256): connections each worker serves at once; one
  more is answered 503 (with ``Retry-After: 1``) and closed at once, without a thread.
- ``MLOPS_SERVING_REQUEST_DEADLINE`` (seconds, default 30): the time a request is given from
  its first byte (a new connection's: from its opening) to the last byte of its answer, read,
  prediction and write together. A request still arriving then is answered 408; one whose
  prediction ends after it is answered 503 (a prediction is not interrupted, its answer is
  dropped); either way the connection is closed, and ``DEADLINE_GRACE_SECONDS`` (1 s) later
  it is shut whatever the handler is doing (a client that reads nothing, a prediction still
  running: no answer then). Slow clients thus hold a worker's thread for deadline + grace at
  most, and at most ``max_connections`` of them at once.
- Memory: what decoding a request takes is bounded before it is decoded, at
  ``DECODED_FACTOR`` (16) times its body or ``DECODED_FLOOR`` (16 MiB), whichever is more
  (``serving.json_cost``; a denser body, such as 5 MiB of empty rows, is refused with 413
  after one scan of its bytes; a tensor of numbers is read by numpy only within that bound,
  ``serving.numbers``). The columns' arrays and the model's own work come on top; for
  the example model a 5 MiB request peaks under 16 times its body all told
  (``tests/serving/test_limits.py`` measures it).
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from mlops_ci.serving.app import MAX_BODY_BYTES, Response, ServingApp, error_response
from mlops_ci.serving.limits import DEFAULT_LIMITS, Deadlines, ServerLimits, refuse_connection

IDLE_TIMEOUT_SECONDS = 60
MAX_HEADERS = 100
MAX_HEADER_LINE = 65536
MAX_RESPAWNS = 20
MAX_DISCARD_BYTES = 64 * 1024 * 1024
DISCARD_SECONDS = 5.0
class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, app: ServingApp, sock: socket.socket,
                 limits: ServerLimits = DEFAULT_LIMITS) -> None:
        super().__init__(sock.getsockname()[:2], _Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.app = app
        self.limits = limits
        self.deadlines = Deadlines(limits.request_deadline)
        self.connections = 0
        self.connections_lock = threading.Lock()

    def server_close(self) -> None:
        super().server_close()
        self.deadlines.stop()

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]  # (typeshed: a tuple)
        with self.connections_lock:
            full = self.connections >= self.limits.max_connections
            if not full:
                self.connections += 1
        if full:
            refuse_connection(request, self.limits.max_connections)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.connections_lock:
                self.connections -= 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mlops-ci"
    timeout = IDLE_TIMEOUT_SECONDS
    server: _Server
    raw_requestline: bytes

    expired = False  # set by the deadlines' thread when this request's time is up

    def setup(self) -> None:
        self.opened = time.monotonic()
        self.requests = 0
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: at thousands a second the log would cost more than them."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors ``http.server`` detects itself (bad request line, headers too long): JSON."""
        status = 405 if code == HTTPStatus.NOT_IMPLEMENTED else code
        self.close_connection = True
        self._write(error_response(status, message or HTTPStatus(status).phrase))

    def parse_request(self) -> bool:
        """The request line and headers, as ``http.server`` parses them but without its
        ``email`` parser (a third of the time of a small request went there). Header names
        are lower-cased in ``self.headers``. HTTP/0.9 and HTTP/2+ are refused."""
        self.command = None  # type: ignore[assignment]  # (http.server does the same)
        self.request_version = "HTTP/1.0"
        self.close_connection = True
        if self.expired:
            return False  # the request line was cut short by the deadline: a 408
        line = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        self.requestline = line
        words = line.split()
        if not words:
            return False
        if len(words) != 3 or words[2] not in ("HTTP/1.1", "HTTP/1.0"):
            self.send_error(400, f"bad request line {line[:80]!r}; this server speaks "
                            "HTTP/1.1")
            return False
        self.command, target, self.request_version = words
        self.path = "/" + target.lstrip("/") if target.startswith("//") else target
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            raw = self.rfile.readline(MAX_HEADER_LINE + 1)
            if len(raw) > MAX_HEADER_LINE:
                self.send_error(431, f"a header line is longer than {MAX_HEADER_LINE} bytes")
                return False
            if raw in (b"\r\n", b"\n", b""):
                break
            name, colon, value = str(raw, "iso-8859-1").partition(":")
            if not colon or not name or name != name.strip():
                self.send_error(400, f"malformed header line {raw[:80]!r}")
                return False
            headers[name.lower()] = value.strip()
        else:
            self.send_error(431, f"more than {MAX_HEADERS} headers")
            return False
        if self.expired:
            return False
        self.headers = headers  # type: ignore[assignment]
        connection = headers.get("connection", "").lower()
        self.close_connection = connection == "close" or (
            self.request_version == "HTTP/1.0" and connection != "keep-alive"
        )
        return True

    def handle_one_request(self) -> None:
        """One request, within the deadline: counted from the connection's opening for its
        first request, from the first byte of each later one."""
        deadlines = self.server.deadlines
        self.answered = False
        self.command = None  # type: ignore[assignment]  # until a request line is read
        try:
            self.requests += 1
            if self.requests == 1:
                started = self.opened
            elif not self.rfile.peek(1):  # type: ignore[attr-defined]  # a BufferedReader
                self.close_connection = True  # the client closed its keep-alive connection
                return
            else:
                started = time.monotonic()
            deadlines.begin(self, started)
            try:
                super().handle_one_request()
                if self.expired and not self.answered:
                    self.close_connection = True
                    self._write(error_response(
                        408, f"the request did not arrive within {deadlines.seconds:g} s"))
            finally:
                deadlines.end(self)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _dispatch(self) -> None:
        body = self._read_body()
        if body is None:
            return
        try:
            response = self.server.app.handle(
                self.command, self.path, body,
                json_length=self.headers.get("inference-header-content-length"),
            )
        except Exception as error:  # a defect, not a bad request: answer and keep serving
            traceback.print_exc(file=sys.stderr)
            response = error_response(500, f"internal error: {type(error).__name__}")
        if self.expired:
            self.close_connection = True
            response = error_response(503, "the answer took longer than the request deadline "
                                      f"of {self.server.deadlines.seconds:g} s")
        self._write(response)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _dispatch

    def _read_body(self) -> bytes | None:
        headers: dict[str, str] = self.headers  # type: ignore[assignment]  # parse_request
        if "transfer-encoding" in headers:
            self.close_connection = True
            self._write(error_response(411, "chunked request bodies are not accepted; send a "
                                       "Content-Length"))
            return None
        length_text = headers.get("content-length")
        if length_text is None:
            if self.command in ("POST", "PUT", "PATCH"):
                self.close_connection = True
                self._write(error_response(411, "a Content-Length header is required"))
                return None
            return b""
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError(length_text)
        except ValueError:
            self.close_connection = True
            self._write(error_response(400, f"invalid Content-Length {length_text[:40]!r}"))
            return None
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._write(error_response(
                413, f"the request body has {length:,} bytes; the limit is {MAX_BODY_BYTES:,}"
            ))
            self._discard(length)
            return None
        if length and headers.get("expect", "").lower() == "100-continue":
            # Only now: a body over the limit was refused above without the client sending it.
            with contextlib.suppress(OSError):
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = self.rfile.read(length)
        if len(body) != length or self.expired:
            self.close_connection = True
            return None
        return body

    def _discard(self, length: int) -> None:
        """Read and drop what the client still sends (up to a bound), so that it can finish
        sending and then read our answer instead of seeing its connection reset."""
        self.connection.settimeout(DISCARD_SECONDS)
        remaining = min(length, MAX_DISCARD_BYTES)
        with contextlib.suppress(OSError):
            while remaining > 0:
                chunk = self.rfile.read1(min(remaining, 1 << 16))
                if not chunk:
                    break
                remaining -= len(chunk)

    def _write(self, response: Response) -> None:
        self.answered = True
        reason = HTTPStatus(response.status).phrase
        head = (
            f"HTTP/1.1 {response.status} {reason}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(response.body)}\r\n"
            + ("Connection: close\r\n" if self.close_connection else "")
            + "\r\n"
        ).encode("latin-1")
        payload = head if self.command == "HEAD" else head + response.body
        with contextlib.suppress(OSError):
            self.wfile.write(payload)


def listen(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free port).

    With ``reuse_port`` (``SO_REUSEPORT``) another server that sets it too may listen on the
    same port at once and the kernel spreads new connections over both: the docker target
    starts the new version beside the old one this way, then stops the old one.
    """
    return socket.create_server((host, port), backlog=1024, reuse_port=reuse_port)


@dataclass
class RunningServer:
    """A server answering on a thread of this process (tests, the single-worker mode)."""

    url: str
    server: _Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_in_thread(app: ServingApp, host: str = "127.0.0.1", port: int = 0,
                    limits: ServerLimits = DEFAULT_LIMITS) -> RunningServer:
    """Serve ``app`` on a background thread; ``stop()`` it when done."""
    server = _Server(app, listen(host, port), limits)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="serving")
    thread.start()
    bound_host, bound_port = server.socket.getsockname()[:2]
    return RunningServer(f"http://{bound_host}:{bound_port}", server, thread)


def serve(
    app: ServingApp,
    sock: socket.socket,
    *,
    workers: int,
    limits: ServerLimits = DEFAULT_LIMITS,
    on_ready: Callable[[], None] = lambda: None,
) -> int:
    """Answer on ``sock`` until SIGTERM/SIGINT; ``workers`` > 1 forks that many processes."""
    if workers <= 1:
        server = _Server(app, sock, limits)
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
        on_ready()
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
        return 0
    return _Supervisor(app, sock, workers, limits).run(on_ready)


class _Supervisor:
    """Forks the workers, replaces one that dies, stops them all on SIGTERM/SIGINT."""

    def __init__(self, app: ServingApp, sock: socket.socket, workers: int,
                 limits: ServerLimits) -> None:
        self.app = app
        self.limits = limits
        self.sock = sock
        self.workers = workers
        self.children: set[int] = set()
        self.stopping = False

    def _fork(self) -> None:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            server = _Server(self.app, self.sock, self.limits)
            try:
                server.serve_forever()
            finally:
                os._exit(0)
        self.children.add(pid)

    def _stop(self, *_: object) -> None:
        self.stopping = True
        for pid in tuple(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def run(self, on_ready: Callable[[], None]) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        # The loaded model's objects move to the permanent generation: the workers' garbage
        # collections then do not write to (and so copy) the pages they share with the parent.
        gc.collect()
        gc.freeze()
        for _ in range(self.workers):
            self._fork()
        on_ready()
        respawns = 0
        while self.children:
            try:
                pid, _status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            self.children.discard(pid)
            if not self.stopping and respawns < MAX_RESPAWNS:
                respawns += 1
                sys.stderr.write(f"mlops-ci serving: worker {pid} exited; starting another\n")
                self._fork()
        return 0
