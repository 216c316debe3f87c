"""``FakeGitHub``: the fake GitHub REST server on 127.0.0.1, started and stopped by a test."""

from __future__ import annotations

import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from . import shapes
from .engine import Drop, Engine, Incoming, RecordedRequest, reply_bytes
from .faults import Fault, FaultRule
from .snapshot import snapshot
from .state import RepoState, Store


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests read ``FakeGitHub.requests`` instead of a log."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._read_body()
        split = urlsplit(self.path)
        incoming = Incoming(
            method=self.command, path=unquote(split.path),
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()}, body=body,
        )
        outcome = self.server.engine.handle(incoming)
        if isinstance(outcome, Drop):
            if outcome.sleep_seconds:
                time.sleep(outcome.sleep_seconds)
            self.close_connection = True
            return
        reply, headers = outcome
        data = reply_bytes(reply)
        self.send_response(reply.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # tests may open many connections at once (xdist, thread pools)

    def __init__(self, engine: Engine) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.engine = engine


class FakeGitHub:
    """A GitHub Enterprise-style REST API on ``127.0.0.1:<free port>`` with in-memory state.

    Use as a context manager (or ``start``/``stop``). ``token`` is an installation token
    (``ghs_...``): ``GET /user`` answers it 403 and its comments are authored by
    ``github-actions[bot]``. ``timeout_sleep`` is how long ``Fault.TIMEOUT`` stalls.
    """

    def __init__(self, *, timeout_sleep: float = 2.0) -> None:
        self._store = Store()
        self.token = f"ghs_fake{secrets.token_hex(16)}"
        self._store.add_token(self.token, "installation")
        self._timeout_sleep = timeout_sleep
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._engine: Engine | None = None

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> FakeGitHub:
        if self._server is not None:
            return self
        engine = Engine(self._store, shapes.Urls("http://127.0.0.1:0"), self._timeout_sleep)
        server = _Server(engine)
        engine.urls = shapes.Urls(f"http://127.0.0.1:{server.server_address[1]}")
        self._engine, self._server = engine, server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-github",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("FakeGitHub is not started: use it as a context manager")
        return self._engine

    # --- where it listens -------------------------------------------------------------------
    @property
    def web_url(self) -> str:
        """``http://127.0.0.1:PORT``: html_url and browser_download_url live here."""
        return self.engine.urls.web

    @property
    def api_url(self) -> str:
        """``http://127.0.0.1:PORT/api/v3``: PyGithub's ``base_url``, ``GITHUB_API_URL``."""
        return self.engine.urls.api

    @property
    def uploads_url(self) -> str:
        return self.engine.urls.uploads

    @property
    def port(self) -> int:
        return int(self.web_url.rsplit(":", 1)[1])

    def client(self, *, token: str | None = None, timeout: int = 5,
               per_page: int = 100) -> Any:
        """A PyGithub ``Github`` on this server: no client-side retries and no write pacing
        (PyGithub waits 1 s between writes by default), so tests see each fault as it is."""
        import github

        return github.Github(
            base_url=self.api_url, auth=github.Auth.Token(token or self.token),
            timeout=timeout, per_page=per_page, retry=None,
            seconds_between_requests=None, seconds_between_writes=None,
        )

    # --- state ------------------------------------------------------------------------------
    def create_repo(self, full_name: str, default_branch: str = "main") -> RepoState:
        return self._store.add_repo(full_name, default_branch)

    def repo(self, full_name: str) -> RepoState:
        with self._store.lock:
            return self._store.repos[full_name.lower()]

    def add_user_token(self, token: str, login: str, *, push: bool = True) -> None:
        """A personal access token of ``login``: ``GET /user`` works, comments are by ``login``;
        ``push`` is what ``GET /repos/{owner}/{repo}`` reports in ``permissions``."""
        self._store.add_token(token, "user", login, push=push)

    def add_installation_token(self, token: str, *, read_only: bool = False) -> None:
        """Another workflow-style token (acts as ``github-actions[bot]``); ``read_only`` makes
        every write a 403 "Resource not accessible by integration", as a fork PR's token."""
        self._store.add_token(token, "installation", read_only=read_only)

    def set_rate_limit(self, *, remaining: int, limit: int | None = None,
                       reset_in: float | None = None) -> None:
        """Set the primary budget; at 0 remaining every API call answers 403 until reset."""
        with self._store.lock:
            rate = self._store.rate
            rate.limit = limit if limit is not None else max(rate.limit, remaining)
            rate.remaining = remaining
            if reset_in is not None:
                rate.reset = int(time.time() + reset_in)

    @property
    def redirect_downloads(self) -> bool:
        """Whether asset downloads answer 302 to the storage host (as github.com does)."""
        return self._store.redirect_downloads

    @redirect_downloads.setter
    def redirect_downloads(self, value: bool) -> None:
        with self._store.lock:
            self._store.redirect_downloads = value

    def snapshot(self) -> dict[str, Any]:
        """All state as plain, comparable data; ids, timestamps and tag-object shas excluded."""
        with self._store.lock:
            return snapshot(self._store)

    # --- faults and the request log ----------------------------------------------------------
    def inject(self, fault: Fault, *, method: str | None = None, path_regex: str | None = None,
               nth: int = 1, times: int = 1, sleep: float | None = None) -> None:
        """The ``nth`` matching request (from 1) and ``times - 1`` after it get ``fault``.

        ``path_regex`` is searched in the decoded URL path (``/api/v3/repos/o/r/releases``).
        ``sleep`` overrides ``timeout_sleep`` for ``Fault.TIMEOUT``, and is how long
        ``Fault.SLOW_RESPONSE`` holds its answer back.
        """
        pattern = re.compile(path_regex) if path_regex is not None else None
        stall = self._timeout_sleep if sleep is None else sleep
        verb = method.upper() if method else None
        self.engine.faults.add(FaultRule(Fault(fault.value), verb, pattern, nth, times, stall))

    def clear_faults(self) -> None:
        self.engine.faults.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far, in the order answered, faulted ones included."""
        return self.engine.recorded_copy()

    def writes(self) -> list[RecordedRequest]:
        """The requests that were not GET or HEAD."""
        return [r for r in self.requests if r.method not in ("GET", "HEAD")]

    @property
    def internal_errors(self) -> list[str]:
        """Tracebacks of the fake's own defects (each answered 500); the fixture checks none."""
        with self._store.lock:
            return list(self.engine.internal_errors)

    def clear_requests(self) -> None:
        self.engine.clear_recorded()
