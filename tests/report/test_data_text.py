"""Terminal rendering: hostile names read as they are, and nothing reaches the terminal raw.

The same results through the markdown renderers (PR comment, job summary) stay escaped.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_ci.config.model import DriftSpec
from mlops_ci.data.drift import drift_tables
from mlops_ci.data.results import DriftResult, Finding, ValidationResult
from mlops_ci.report.drift import render_drift_text
from mlops_ci.report.sections import drift_section, validation_section
from mlops_ci.report.terminal import defuse_workflow_commands, printable
from mlops_ci.report.validation import render_validation_text
from tests.data.helpers import table

TAG, PIPE, STARS = "<b>x</b>", "a|b", "*x*"
ANSI = "evil\x1b[31m\nred"
ANSI_SHOWN = r"evil\x1b[31m\nred"
COMMAND = "::error::forged"
# what a terminal or the Actions runner would act on: C0 but the line feed, DEL, C1,
# separators, bidirectional and other format characters
RAW = re.compile(
    r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
)


def _drift(names: list[str]) -> DriftResult:
    """Every named column drifts; ``calm`` does not."""
    steady = [1.0, 2.0, 3.0, 4.0] * 10
    reference = table(dict.fromkeys([*names, "calm"], steady))
    current = table(dict.fromkeys(names, [7.0, 8.0, 9.0, 9.5] * 10) | {"calm": steady})
    kinds = dict.fromkeys([*names, "calm"], "numeric")
    return drift_tables(reference, current, DriftSpec(), kinds)  # type: ignore[arg-type]


def _assert_terminal_safe(text: str) -> None:
    assert RAW.search(text) is None, repr(text)
    for line in text.splitlines():
        assert not line.lstrip().startswith("::"), line
    assert "##[" not in text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain <b>x</b> a|b *x* é 名前", "plain <b>x</b> a|b *x* é 名前"),
        ("\x1b[31mred\x1b[0m", r"\x1b[31mred\x1b[0m"),
        ("a\nb\r\tc", r"a\nb\r\tc"),
        ("\x9b31m", r"\x9b31m"),  # the one-byte CSI of C1
        ("\x1b]0;title\x07", r"\x1b]0;title\x07"),
        ("abc\u202edef", r"abc\u202edef"),
        ("a\u2028b\u00a0c", r"a\u2028b\xa0c"),
        ("C:\\data\\x.csv", "C:\\data\\x.csv"),  # backslashes are kept
    ],
)
def test_printable_shows_what_a_terminal_would_act_on_as_escapes(raw: str, shown: str) -> None:
    assert printable(raw) == shown


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_printable_leaves_one_printable_line(text: str) -> None:
    shown = printable(text)
    assert shown.isprintable()
    if text.isprintable():
        assert shown == text


@pytest.mark.parametrize(
    ("text", "defused"),
    [
        ("::error::x", r"\x3a:error::x"),
        ("ok\n   ::add-mask::x\n", "ok\n   \\x3a:add-mask::x\n"),
        ("a ##[add-mask]x", r"a ##\x5badd-mask]x"),
        ("a ::error::x mid-line is no command", "a ::error::x mid-line is no command"),
        ("# [not one]", "# [not one]"),
    ],
)
def test_workflow_commands_are_defused(text: str, defused: str) -> None:
    assert defuse_workflow_commands(text) == defused


def test_drift_text_shows_hostile_column_names_as_they_are() -> None:
    result = _drift([TAG, PIPE, STARS, ANSI])
    text = render_drift_text(result)
    _assert_terminal_safe(text)
    lines = text.splitlines()
    for shown in (TAG, PIPE, STARS, ANSI_SHOWN):
        (row,) = [line for line in lines if line.startswith(shown + " ")]
        assert row.endswith("🔴 drift")
        assert f"  - {shown}: auto: numeric, 40 rows <= 1,000 -> ks" in lines
        assert f"Chart of {shown}: share of rows per reference-quantile bin" in lines
    assert "&lt;" not in text and "&gt;" not in text and "\\|" not in text and "\\*" not in text
    assert "```" not in text and "**" not in text.replace(STARS, "")


def test_drift_text_table_columns_stay_aligned_around_escaped_names() -> None:
    text = render_drift_text(_drift([ANSI, COMMAND]))
    _assert_terminal_safe(text)
    header = next(line for line in text.splitlines() if line.startswith("column "))
    rows = [line for line in text.splitlines() if " ks " in line]
    assert len(rows) == 3  # both hostile names and "calm"
    assert {row.index(" ks ") + 1 for row in rows} == {header.index("method")}
    assert any(row.startswith(r"\x3a:error::forged ") for row in rows)


def test_drift_job_summary_still_escapes_hostile_column_names() -> None:
    markdown = drift_section(_drift([TAG, PIPE, STARS, ANSI]))
    assert markdown is not None
    assert "&lt;b&gt;x&lt;/b&gt;" in markdown and TAG not in markdown
    assert "a\\|b" in markdown and "\\*x\\*" in markdown
    assert "evil \\[31m red" in markdown and "\x1b" not in markdown


def _hostile_validation() -> ValidationResult:
    return ValidationResult("data/<i>x</i>.csv", 2, ("plan", TAG, ANSI), (
        Finding("unexpected_column", "error", TAG, 1, f"column {TAG!r} is not in the schema"),
        Finding("unexpected_column", "error", ANSI, 1, f"column {ANSI!r} is not in the schema"),
        Finding("allowed", "error", PIPE, 2, "2 values not in the allowed values [basic, pro]",
                (STARS, "gold\x1b]0;pwned\x07", "##[add-mask]x"), (2, 3, 4)),
        Finding("unexpected_column", "error", COMMAND, 1, "::warning::forged"),
    ))


def test_validation_text_shows_hostile_names_and_values_as_they_are() -> None:
    text = render_validation_text(_hostile_validation())
    _assert_terminal_safe(text)
    lines = text.splitlines()
    assert lines[0] == "Data validation: data/<i>x</i>.csv: 🔴 4 errors"
    (tag_row,) = [line for line in lines if line.startswith(TAG + " ")]
    assert "column '<b>x</b>' is not in the schema" in tag_row
    (ansi_row,) = [line for line in lines if line.startswith(ANSI_SHOWN + " ")]
    assert r"column 'evil\x1b[31m\nred' is not in the schema" in ansi_row
    (pipe_row,) = [line for line in lines if line.startswith(PIPE + " ")]
    assert r"'*x*' (line 2), 'gold\x1b]0;pwned\x07' (line 3), '##\x5badd-mask]x' (line 4)" in (
        pipe_row
    )
    (command_row,) = [line for line in lines if line.startswith(r"\x3a:error::forged ")]
    assert r"\x3a:warning::forged" in command_row


def test_validation_job_summary_still_escapes_hostile_names_and_values() -> None:
    markdown = validation_section((_hostile_validation(),))
    assert markdown is not None
    assert "&lt;b&gt;x&lt;/b&gt;" in markdown and "a\\|b" in markdown
    assert "\\*x\\*" in markdown and "\x1b" not in markdown and TAG not in markdown


texts = st.text(max_size=12)


@settings(max_examples=200, deadline=None)
@given(texts, texts, texts, st.lists(texts, max_size=4))
def test_no_data_text_reaches_the_terminal_raw(
    file: str, column: str, message: str, examples: list[str]
) -> None:
    result = ValidationResult(file, 1, (column,), (
        Finding("allowed", "error", column, len(examples), message, tuple(examples),
                tuple(range(2, 2 + len(examples)))),
    ))
    _assert_terminal_safe(render_validation_text(result))
