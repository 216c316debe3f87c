"""The model card of a registered version, built with ``skops.card``.

The register stage writes this text twice, as the GitHub release's body and as the
``model-card.md`` asset beside the model (``report.renderings``). Sections, in order: what the
model is (description, task, target, how it was trained, the model file's sha256), its metrics
on the held-out test set, its confusion matrix (classification), the charts
(``chart_sections``: the hook where charts plug in), its calibration, its hyperparameters
(every recorded training parameter), the data it was trained and tested on (each file's
sha256) and the environment that produced it (the same record as the tag's evidence).

Every name and value that comes from ``mlops.yaml``, the data or a parameters file goes through
``escape_markdown``; a section title is escaped for ``skops.card`` too, whose ``/`` nests
sections. Pure and deterministic: the same version renders the same card, so a rerun edits
nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from mlops_ci.config.model import ModelSpec
from mlops_ci.metrics import format_metric
from mlops_ci.monitoring.feedback.registration import Calibration
from mlops_ci.report.curves import curves_markdown
from mlops_ci.report.escape import escape_markdown
from mlops_ci.report.release import calibration_lines
from mlops_ci.report.review import confusion_table, params_table
from mlops_ci.report.tables import table
from mlops_ci.stages.card_facts import CardFacts
from mlops_ci.stages.results import Evaluation

METRICS_TITLE = "Metrics on the held-out test set"


def chart_sections(evaluation: Evaluation | None) -> list[tuple[str, str]]:
    """The card's charts as ``(title, markdown)`` pairs: the evaluation's curves as in the pull
    request's comment, with this model's lines only (and the reference lines: chance, perfect
    calibration, the calibration map). What production or base held when a run registered it
    is not the version's to describe, and would make a rerun write another card."""
    if evaluation is None:
        return []
    own = tuple(
        dataclasses.replace(chart, series=tuple(
            s for s in chart.series if s.role not in ("production", "base")))
        for chart in evaluation.charts
    )
    charts = curves_markdown(dataclasses.replace(evaluation, charts=own))
    return [("Charts", charts)] if charts else []


def model_card(
    model: ModelSpec,
    version: str,
    metrics: Mapping[str, object],
    calibration: Calibration,
    facts: CardFacts,
) -> str:
    """The model card of ``model`` ``version`` (see the module docstring)."""
    from skops import card as skops_card

    # No template, no diagram: the card holds only the sections below, and rendering it
    # never loads the model (skops would otherwise unpickle-free load it for the diagram).
    built = skops_card.Card(None, model_diagram=False, template=None)
    title = _title(f"{model.name} {version}")
    built.add(**{title: _about(model, facts)})

    def section(name: str) -> str:  # a subsection of the title's: "## name"
        return f"{title}/{name.replace('/', chr(92) + '/')}"

    built.add_metrics(
        section=section(METRICS_TITLE),
        description=_test_set(facts.evaluation),
        **{escape_markdown(str(name)): _shown(metrics[name]) for name in sorted(metrics)},
    )
    evaluation = facts.evaluation
    if evaluation is not None and evaluation.confusion is not None:
        matrix = confusion_table(evaluation.confusion, "candidate")
        built.add(**{section("Confusion matrix"): matrix})
    for chart_title, chart in chart_sections(evaluation):
        built.add(**{f"{section('Charts')}/{_title(chart_title)}": chart})
    calibration_text = calibration_lines(calibration)
    if calibration_text:
        heading, *body = calibration_text
        built.add(**{section(heading.removeprefix("## ")): "\n".join(body).strip()})
    if facts.params:
        built.add(**{section("Hyperparameters"): params_table(facts.params)})
    if facts.data_files:
        rows = [[f.role, escape_markdown(f.path), f.sha256] for f in facts.data_files]
        data = "The files it was trained and evaluated on, by sha256.\n\n"
        built.add(**{section("Data"): data + table(["role", "file", "sha256"], rows)})
    if facts.environment:
        rows = [[escape_markdown(name), inline_code(value)] for name, value in facts.environment]
        produced = ("What produced the model (also in the registration tag's evidence: "
                    "`git show` the tag).\n\n")
        built.add(**{section("Environment"): produced + table(["component", "version"], rows)})
    use = "The model file is in skops format; check it against SHA256SUMS before use."
    built.add(**{section("Using the model"): use})
    return str(built.render()).strip() + "\n"


def _about(model: ModelSpec, facts: CardFacts) -> str:
    lines = []
    if model.description:
        lines += [escape_markdown(model.description), ""]
    features = len(model.data.columns) - 1 if model.data.columns else "as in the data"
    lines += [
        f"- task: {model.evaluate.task}",
        f"- target: {escape_markdown(model.data.target)}",
        f"- features: {features}",
    ]
    if facts.trained is not None:
        lines.append(f"- trained {escape_markdown(facts.trained)}")
    lines.append(f"- model file sha256: {facts.model_sha256}")
    return "\n".join(lines)


def _test_set(evaluation: Evaluation | None) -> str:
    if evaluation is None:
        return ""
    return f"{escape_markdown(evaluation.test_file)}, {evaluation.test_rows:,} rows."


def inline_code(text: str) -> str:
    """``text`` as a code span in a table cell, copied as written (no mention guard, no
    escapes to see): controls become spaces, ``|`` is escaped for the table (GitHub's tables
    take ``\\|`` inside code too), and the fence is longer than any backtick run inside."""
    import re

    body = re.sub(r"[\x00-\x1f\x7f]", " ", text).replace("|", "\\|")
    longest = max((len(run) for run in re.findall("`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def _title(text: str) -> str:
    """A section title: escaped markdown whose ``/`` stays one title in ``skops.card``."""
    return escape_markdown(text).replace("/", "\\/")


def _shown(value: object) -> str:
    """A metric from metrics.json as the report shows metrics; anything else as escaped text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_metric(float(value))
    return escape_markdown(str(value))

