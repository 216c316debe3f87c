"""Checking a model server from outside: wait until it is ready, then smoke-test it.

Used by the deploy targets. ``wait_ready`` polls the health path until it answers 200 (or the
server's process says it is gone, or the time is up); ``smoke_test`` posts rows to ``/predict``
and wants one prediction per row back. Both answer with a ``Probe`` saying what happened, never
raise on a server's misbehaviour. ``rows_from_csv`` reads the rows to send from the test set,
typed by the columns' schema so the strict server accepts them.
"""

from __future__ import annotations

import csv
import http.client
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from mlops_ci.errors import UserError
from mlops_ci.serving.columns import FLOAT_TYPES, INT_TYPES, InputColumn

JsonRow = dict[str, object]
_TRUE = {"true", "1", "yes", "t", "y"}
_FALSE = {"false", "0", "no", "f", "n"}


@dataclass(frozen=True, slots=True)
class Probe:
    ok: bool
    detail: str
    seconds: float = 0.0


def _get(url: str, timeout: float) -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80,
                                            timeout=timeout)
    try:
        connection.request("GET", parts.path or "/")
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_ready(
    base_url: str,
    path: str,
    *,
    timeout_seconds: float,
    interval_seconds: float,
    gone: Callable[[], str | None] = lambda: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Probe:
    """Poll ``base_url + path`` until 200. ``gone()`` returns why the server stopped, if it did."""
    started = clock()
    last = "no answer yet"
    while True:
        reason = gone()
        if reason is not None:
            return Probe(False, reason, clock() - started)
        try:
            status, body = _get(base_url.rstrip("/") + path, timeout=max(interval_seconds, 2.0))
        except (OSError, http.client.HTTPException) as error:
            last = f"{type(error).__name__}: {error}"
        else:
            if status == 200:
                return Probe(True, f"{path} answered 200", clock() - started)
            last = f"{path} answered {status}: {body[:200].decode('utf-8', 'replace')}"
        if clock() - started >= timeout_seconds:
            return Probe(False, f"not ready after {timeout_seconds:g}s ({last})",
                         clock() - started)
        sleep(interval_seconds)


def smoke_test(base_url: str, rows: Sequence[JsonRow], *, timeout_seconds: float = 30) -> Probe:
    """POST ``rows`` to ``/predict``; ok when one prediction per row comes back."""
    if not rows:
        return Probe(True, "no rows to smoke-test with")
    parts = urlsplit(base_url)
    started = time.monotonic()
    body = json.dumps({"rows": list(rows)}).encode()
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80,
                                            timeout=timeout_seconds)
    try:
        connection.request("POST", "/predict", body=body,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        status, raw = response.status, response.read()
    except (OSError, http.client.HTTPException) as error:
        return Probe(False, f"smoke test: no answer: {type(error).__name__}: {error}")
    finally:
        connection.close()
    seconds = time.monotonic() - started
    text = raw[:300].decode("utf-8", "replace")
    if status != 200:
        return Probe(False, f"smoke test: /predict answered {status}: {text}", seconds)
    try:
        predictions = json.loads(raw).get("predictions")
    except (ValueError, AttributeError):
        return Probe(False, f"smoke test: /predict answered no JSON object: {text}", seconds)
    if not isinstance(predictions, list) or len(predictions) != len(rows):
        return Probe(False, f"smoke test: expected {len(rows)} predictions, got {text}", seconds)
    return Probe(True, f"smoke test: {len(rows)} row(s) predicted", seconds)


def rows_from_csv(
    path: Path, columns: Sequence[InputColumn], count: int, *, exclude: Sequence[str] = ()
) -> tuple[JsonRow, ...]:
    """The first ``count`` rows of the CSV at ``path``, with each column typed as the schema says.

    Only the schema's columns are kept. Without a schema (no ``data.columns``: the server then
    takes the model's own ``feature_names_in_``), every column of the file but ``exclude`` (the
    target) is kept, a cell that reads as a finite number sent as that number. An empty cell
    is ``null``. A cell that does not parse as its column's type is a ``UserError`` naming the
    file, line and column.
    """
    if count <= 0:
        return ()
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or ()
            if not columns:
                columns = tuple(InputColumn(name, None) for name in header if name not in exclude)
            missing = [c.name for c in columns if c.name not in header]
            if missing:
                raise UserError(f"{path}: no column(s) {', '.join(missing)} for the smoke test")
            rows: list[JsonRow] = []
            for line, record in enumerate(reader, start=2):
                if len(rows) >= count:
                    break
                rows.append({c.name: _cell(record[c.name], c, f"{path}:{line}") for c in columns})
    except FileNotFoundError:
        raise UserError(f"{path}: no such file (the smoke test reads rows from it)") from None
    return tuple(rows)


def _cell(text: str | None, column: InputColumn, where: str) -> object:
    if text is None or text == "":
        return None
    datatype = column.datatype
    try:
        if datatype in INT_TYPES:
            return int(text)
        if datatype in FLOAT_TYPES:
            return float(text)
    except ValueError:
        raise UserError(f"{where}: column {column.name}: {text[:40]!r} is not a {datatype}") \
            from None
    if datatype == "BOOL":
        lowered = text.strip().lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise UserError(f"{where}: column {column.name}: {text[:40]!r} is not true or false")
    if datatype is None:
        return _number_or_text(text)
    return text


def _number_or_text(text: str) -> object:
    """A cell of a column of unknown type: an integer, else a finite float, else the text."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text
