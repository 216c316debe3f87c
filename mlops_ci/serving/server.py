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
(a body over the limit gets its 413 before it is sent); a connection idle for
``IDLE_TIMEOUT_SECONDS`` is closed.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from mlops_ci.serving.app import MAX_BODY_BYTES, Response, ServingApp, error_response

IDLE_TIMEOUT_SECONDS = 60
MAX_HEADERS = 100
MAX_HEADER_LINE = 65536
MAX_RESPAWNS = 20
MAX_DISCARD_BYTES = 64 * 1024 * 1024
DISCARD_SECONDS = 5.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, app: ServingApp, sock: socket.socket) -> None:
        super().__init__(sock.getsockname()[:2], _Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.app = app


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mlops-ci"
    timeout = IDLE_TIMEOUT_SECONDS
    server: _Server
    raw_requestline: bytes

    def setup(self) -> None:
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
        self.headers = headers  # type: ignore[assignment]
        connection = headers.get("connection", "").lower()
        self.close_connection = connection == "close" or (
            self.request_version == "HTTP/1.0" and connection != "keep-alive"
        )
        return True

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
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
        if len(body) != length:
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


def start_in_thread(app: ServingApp, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Serve ``app`` on a background thread; ``stop()`` it when done."""
    server = _Server(app, listen(host, port))
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="serving")
    thread.start()
    bound_host, bound_port = server.socket.getsockname()[:2]
    return RunningServer(f"http://{bound_host}:{bound_port}", server, thread)


def serve(
    app: ServingApp,
    sock: socket.socket,
    *,
    workers: int,
    on_ready: Callable[[], None] = lambda: None,
) -> int:
    """Answer on ``sock`` until SIGTERM/SIGINT; ``workers`` > 1 forks that many processes."""
    if workers <= 1:
        server = _Server(app, sock)
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
        on_ready()
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
        return 0
    return _Supervisor(app, sock, workers).run(on_ready)


class _Supervisor:
    """Forks the workers, replaces one that dies, stops them all on SIGTERM/SIGINT."""

    def __init__(self, app: ServingApp, sock: socket.socket, workers: int) -> None:
        self.app = app
        self.sock = sock
        self.workers = workers
        self.children: set[int] = set()
        self.stopping = False

    def _fork(self) -> None:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            server = _Server(self.app, self.sock)
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
