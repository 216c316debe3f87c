"""What keeps one client from holding the model server: a cap on connections and a deadline
for each request (``serving.server`` describes both; the values come from the environment)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from mlops_ci.errors import UserError
from mlops_ci.serving.app import error_response

DEADLINE_GRACE_SECONDS = 1.0


class Handler(Protocol):
    """A request handler the deadlines can cut short."""

    expired: bool
    connection: socket.socket


MAX_CONNECTIONS_VARIABLE = "MLOPS_SERVING_MAX_CONNECTIONS"
DEADLINE_VARIABLE = "MLOPS_SERVING_REQUEST_DEADLINE"


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """How many connections a worker serves at once, and how long one request may take."""

    max_connections: int = 256
    request_deadline: float = 30.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ServerLimits:
        """The limits ``MLOPS_SERVING_MAX_CONNECTIONS`` and ``MLOPS_SERVING_REQUEST_DEADLINE``
        set, the defaults for those unset; a ``UserError`` naming a value that is not a
        positive number."""
        defaults = cls()
        return cls(
            int(_positive(environ, MAX_CONNECTIONS_VARIABLE, defaults.max_connections, int)),
            _positive(environ, DEADLINE_VARIABLE, defaults.request_deadline, float),
        )


def _positive(environ: Mapping[str, str], name: str, default: float,
              kind: type[int] | type[float]) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if not 0 < value < float("inf"):
        noun = "whole number" if kind is int else "number of seconds"
        raise UserError(f"{name}={text[:40]!r}: expected a positive {noun}")
    return value


DEFAULT_LIMITS = ServerLimits()


class Deadlines:
    """One thread per worker process that cuts requests short at their deadline: it shuts a
    late request's socket for reading (a read in progress then ends, and the handler answers
    408 or 503), and ``DEADLINE_GRACE_SECONDS`` later shuts it entirely (a write to a client
    that reads nothing ends too). It looks at the requests in progress ten times a second."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.lock = threading.Lock()
        self.due: dict[Handler, tuple[float, bool]] = {}  # handler: (when, shutting for good)
        self.tick = min(0.1, seconds / 10)
        self.stopped = threading.Event()
        threading.Thread(target=self._run, daemon=True, name="deadlines").start()

    def stop(self) -> None:
        self.stopped.set()

    def begin(self, handler: Handler, started: float) -> None:
        with self.lock:
            handler.expired = False
            self.due[handler] = (started + self.seconds, False)

    def end(self, handler: Handler) -> None:
        with self.lock:
            self.due.pop(handler, None)

    def _run(self) -> None:
        while not self.stopped.wait(self.tick):
            now = time.monotonic()
            with self.lock:
                late = [(h, final) for h, (at, final) in self.due.items() if at <= now]
                for handler, final in late:
                    if final:
                        del self.due[handler]
                    else:
                        handler.expired = True
                        self.due[handler] = (now + DEADLINE_GRACE_SECONDS, True)
                    with contextlib.suppress(OSError):
                        handler.connection.shutdown(socket.SHUT_RDWR if final else socket.SHUT_RD)



def refuse_connection(sock: socket.socket, limit: int) -> None:
    """Answer a connection over the limit with 503 (it is closed by the caller)."""
    body = error_response(503, f"this server already serves {limit} connections, its limit; "
                          "retry shortly").body
    head = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n")
    with contextlib.suppress(OSError):
        sock.settimeout(DEADLINE_GRACE_SECONDS)
        sock.sendall(head.encode("latin-1") + body)
