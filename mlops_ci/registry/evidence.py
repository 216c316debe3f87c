"""The evidence a registration or promotion carries in its annotated tag message.

A tag we write reads, in ``git show`` and in GTO::

    Registering artifact churn version v1.4.0

    ```mlops-ci
    {
      "compared_to": "v1.3.0",
      "gates": [{"name": "roc_auc >= 0.7", "passed": true, "detail": "0.83"}],
      "metrics": {"roc_auc": 0.83},
      ...
    }
    ```

The first line is GTO's default message, so GTO, DVC Studio and people see what they expect; the
fenced block is JSON in a fixed key order (``schema`` 1; metrics and gates in the order given),
parsed back by :func:`parse_evidence`. ``environment`` (Python, the libraries, the image)
says what produced the model; in older tags it is absent and reads as empty. A tag message is
untrusted text: parsing never raises, and a block that is not valid evidence gives ``None``
(the tag still counts, its evidence not).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

FENCE_OPEN = "```mlops-ci\n"
FENCE_CLOSE = "\n```"
SCHEMA = 1


@dataclass(frozen=True, slots=True)
class GateRecord:
    """One gate's outcome as recorded with a version."""

    name: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a version was registered or promoted. Every field is optional."""

    metrics: tuple[tuple[str, float], ...] = ()
    compared_to: str | None = None  # the production version the candidate was compared against
    gates: tuple[GateRecord, ...] = ()
    data_fingerprint: str | None = None
    config_fingerprint: str | None = None
    run_url: str | None = None
    extra: tuple[tuple[str, str], ...] = ()
    environment: tuple[tuple[str, str], ...] = ()  # python, libraries, image: what produced it

    def metric(self, name: str) -> float | None:
        return dict(self.metrics).get(name)

    def to_json(self) -> dict[str, object]:
        """The documented JSON form (also what ``registry history --json`` prints)."""
        return {
            "schema": SCHEMA,
            "metrics": {name: _finite_or_none(value) for name, value in self.metrics},
            "compared_to": self.compared_to,
            "gates": [
                {"name": g.name, "passed": g.passed, "detail": g.detail} for g in self.gates
            ],
            "data_fingerprint": self.data_fingerprint,
            "config_fingerprint": self.config_fingerprint,
            "run_url": self.run_url,
            "extra": dict(self.extra),
            "environment": dict(self.environment),
        }


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def tag_message(first_line: str, evidence: Evidence | None) -> str:
    """The full annotated message: GTO's line, then the evidence block when there is one."""
    if evidence is None:
        return first_line + "\n"
    block = json.dumps(evidence.to_json(), indent=2, allow_nan=False)
    return f"{first_line}\n\n{FENCE_OPEN}{block}{FENCE_CLOSE}\n"


def parse_evidence(body: str) -> Evidence | None:
    """The evidence in a tag message body (the text after its first paragraph), if any."""
    start = body.find(FENCE_OPEN)
    if start < 0:
        return None
    start += len(FENCE_OPEN)
    end = body.find(FENCE_CLOSE, start - 1)
    if end < 0:
        return None
    try:
        data = json.loads(body[start:end])
    except (ValueError, RecursionError):
        return None
    return evidence_from_json(data)


def evidence_from_json(data: object) -> Evidence | None:
    """Evidence from its JSON form; ``None`` when ``data`` is not that form."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return None
    metrics = data.get("metrics") or {}
    gates = data.get("gates") or []
    extra = data.get("extra") or {}
    environment = data.get("environment") or {}
    if not (isinstance(metrics, dict) and isinstance(gates, list) and isinstance(extra, dict)
            and isinstance(environment, dict)):
        return None
    metric_items: list[tuple[str, float]] = []
    for name, value in metrics.items():
        if value is None:
            value = math.nan
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        try:
            metric_items.append((str(name), float(value)))
        except OverflowError:  # an integer too large for a float
            return None
    verdicts: list[GateRecord] = []
    for gate in gates:
        if not isinstance(gate, dict) or not isinstance(gate.get("passed"), bool):
            return None
        verdicts.append(
            GateRecord(str(gate.get("name", "")), gate["passed"], str(gate.get("detail", "")))
        )
    texts = {}
    for key in ("compared_to", "data_fingerprint", "config_fingerprint", "run_url"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            return None
        texts[key] = value
    return Evidence(
        metrics=tuple(metric_items),
        compared_to=texts["compared_to"],
        gates=tuple(verdicts),
        data_fingerprint=texts["data_fingerprint"],
        config_fingerprint=texts["config_fingerprint"],
        run_url=texts["run_url"],
        extra=tuple((str(k), str(v)) for k, v in extra.items()),
        environment=tuple((str(k), str(v)) for k, v in environment.items()),
    )
