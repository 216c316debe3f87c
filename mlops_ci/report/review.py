"""The evaluation's review sections: the confusion matrices and the parameters diff.

Markdown for the PR comment (``report.sections`` adds them under the metrics) and for the
model card (``report.card``). Class labels, parameter names and values are the user's text:
every cell goes through ``escape_markdown``.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlops_ci.report.escape import escape_markdown
from mlops_ci.report.tables import details, table
from mlops_ci.stages.confusion import OTHERS
from mlops_ci.stages.params import shown_value
from mlops_ci.stages.results import Evaluation, ParamValue
from mlops_ci.stages.review_results import ConfusionMatrix, ConfusionRole, ParamsComparison

SIDE_BY_SIDE_CLASSES = 6  # up to this many labels, both matrices share one table
MAX_PARAM_ROWS = 50
ABSENT = "—"
CORNER = "actual ↓ · predicted →"


def confusion_section(
    confusion: ConfusionMatrix, test_file: str, production_version: str | None
) -> str:
    """Both matrices, candidate and production, over the same labels (see the module doc)."""
    labels = [_label(label) for label in confusion.labels]
    names = {"candidate": "candidate",
             "production": f"production ({production_version})" if production_version
             else "production"}
    present: list[ConfusionRole] = [role for role, _ in confusion.matrices]
    head = (f"Confusion matrix on {escape_markdown(test_file)}: rows are the actual class, "
            "columns the predicted one; the diagonal (bold) is right.")
    notes = _cap_note(confusion)
    if len(present) > 1 and len(labels) <= SIDE_BY_SIDE_CLASSES:
        headers = [CORNER] + [f"{escape_markdown(names[role])}: {label}"
                              for role in present for label in labels]
        rows = [[label] + [cell for role in present for cell in _cells(confusion, role, index)]
                for index, label in enumerate(labels)]
        body = table(headers, rows)
    else:
        parts = []
        for role in present:
            rows = [[label, *_cells(confusion, role, index)] for index, label in enumerate(labels)]
            parts += [f"{escape_markdown(names[role]).capitalize()}:", "",
                      table([CORNER, *labels], rows), ""]
        body = "\n".join(parts).rstrip()
    text = "\n\n".join([head, body, *notes])
    if len(labels) > SIDE_BY_SIDE_CLASSES:
        return details(f"Confusion matrix ({confusion.total_classes} classes)", text,
                       collapse=True)
    return text + "\n"


def confusion_table(confusion: ConfusionMatrix, role: ConfusionRole) -> str:
    """One model's matrix alone (the model card's), with the note on folded classes."""
    labels = [_label(label) for label in confusion.labels]
    rows = [[label, *_cells(confusion, role, index)] for index, label in enumerate(labels)]
    return "\n\n".join([table([CORNER, *labels], rows), *_cap_note(confusion)])


def _cells(confusion: ConfusionMatrix, role: ConfusionRole, row: int) -> list[str]:
    counts = confusion.matrix(role) or ()
    if row >= len(counts):
        return ["–"] * len(confusion.labels)
    return [f"**{count:,}**" if column == row else f"{count:,}"
            for column, count in enumerate(counts[row])]


def _label(label: str) -> str:
    return f"*{OTHERS}*" if label == OTHERS else escape_markdown(label)


def _cap_note(confusion: ConfusionMatrix) -> list[str]:
    if not confusion.folded:
        return []
    kept = len(confusion.labels) - 1
    return [f"The {kept} most frequent of {confusion.total_classes} classes in the test set "
            f"are shown; the other {confusion.folded} are counted together as *{OTHERS}*."]


def params_section(comparison: ParamsComparison) -> str:
    """The parameters whose value differs from production's, like ``dvc params diff``."""
    version = escape_markdown(comparison.production_version)
    if comparison.not_recorded is not None:
        return (f"Parameters against production {version}: "
                f"{escape_markdown(comparison.not_recorded)} (the candidate has "
                f"{_count(comparison.candidate_count)}).\n")
    if not comparison.changes:
        return (f"Parameters: none changed from production {version} "
                f"({_count(comparison.candidate_count)} compared).\n")
    rows = [[escape_markdown(change.path), escape_markdown(change.key),
             _value(change.production), _value(change.candidate)]
            for change in comparison.changes[:MAX_PARAM_ROWS]]
    changed = len(comparison.changes)
    lines = [f"Parameters changed from production {version} "
             f"({changed} of {_count(comparison.candidate_count)}):", "",
             table(["Path", "Param", f"production ({version})", "candidate"], rows)]
    if changed > MAX_PARAM_ROWS:
        lines += ["", f"The first {MAX_PARAM_ROWS} of {changed} changes are shown; "
                  "evaluation.json lists them all."]
    return "\n".join(lines) + "\n"


def params_table(params: Sequence[tuple[str, Sequence[tuple[str, ParamValue]]]]) -> str:
    """Every recorded parameter (the model card's), by path."""
    rows = [[escape_markdown(path), escape_markdown(key), _value(shown_value(value))]
            for path, values in params for key, value in values]
    return table(["Path", "Param", "Value"], rows)


def _value(text: str | None) -> str:
    if text is None:
        return ABSENT
    return escape_markdown(text)


def _count(number: int) -> str:
    return f"{number} parameter{'' if number == 1 else 's'}"


def evaluation_review(detail: Evaluation) -> list[str]:
    """The review sections of an evaluation, each followed by a blank line (none may apply)."""
    parts = []
    if detail.confusion is not None:
        parts += [confusion_section(detail.confusion, detail.test_file,
                                    detail.production_version), ""]
    if detail.params is not None:
        parts += [params_section(detail.params), ""]
    return parts
