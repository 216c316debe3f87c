"""The runner's side channels, read back the way the Actions runner parses them.

The parsers here follow the runner's own rules (actions/runner: ``ActionCommand`` unescaping
``%25``, ``%0D``, ``%0A``, ``%3A``, ``%2C``; the file commands' ``NAME<<DELIMITER`` form), so a
value that round-trips here is what a workflow step sees.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_ci.actions import (
    MAX_SUMMARY_BYTES,
    add_mask,
    annotate_error,
    append_summary,
    command,
    group,
    write_outputs,
)
from mlops_ci.errors import ConfigError, Problem, UserError


def unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    return (
        text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """The runner's parse of ``::name k=v,k=v::data``."""
    match = re.fullmatch(r"::([\w-]+)(?: ([^:]*))?::(.*)", line, re.S)
    assert match, line
    props = {}
    for pair in (match.group(2) or "").split(","):
        if pair:
            key, _, value = pair.partition("=")
            props[key] = unescape_property(value)
    return match.group(1), props, unescape_data(match.group(3))


def parse_outputs(text: str) -> dict[str, str]:
    """The runner's parse of a ``GITHUB_OUTPUT`` file (heredoc form)."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines) and lines[index]:
        name, _, delimiter = lines[index].partition("<<")
        end = lines.index(delimiter, index + 1)
        values[name] = "\n".join(lines[index + 1 : end])
        index = end + 1
    return values


@given(st.text(), st.text(min_size=1))
def test_command_data_and_properties_round_trip(message: str, file: str) -> None:
    line = command("error", message, {"file": file, "line": 3})
    assert "\n" not in line and "\r" not in line
    name, props, data = parse_command(line)
    assert (name, props["file"], props["line"], data) == ("error", file, "3", message)


@settings(max_examples=60)
@given(st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), st.text()))
def test_outputs_with_newlines_and_percent_round_trip(values: dict[str, str]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "output"
        assert write_outputs(values, environ={"GITHUB_OUTPUT": str(target)})
        text = target.read_text(encoding="utf-8") if target.exists() else ""
    clean = {k: v.replace("\r\n", "\n").replace("\r", "\n") for k, v in values.items()}
    parsed = parse_outputs(text)
    assert {k: v.replace("\r\n", "\n").replace("\r", "\n") for k, v in parsed.items()} == clean


def test_a_value_holding_a_delimiter_like_line_cannot_end_its_block(tmp_path: Path) -> None:
    target = tmp_path / "output"
    value = "first\nghadelimiter_0123\n%0A 100% done"
    write_outputs({"verdict": value, "next": "x"}, environ={"GITHUB_OUTPUT": str(target)})
    assert parse_outputs(target.read_text(encoding="utf-8")) == {"verdict": value, "next": "x"}


def test_config_errors_become_at_most_ten_annotations(capsys: pytest.CaptureFixture[str]) -> None:
    problems = [Problem("mlops.yaml", n, 2, f"models.m{n}", "bad, really: 100%") for n in range(13)]
    annotate_error(ConfigError(problems, file="mlops.yaml"), environ={"GITHUB_ACTIONS": "true"})
    lines = capsys.readouterr().out.splitlines()
    parsed = [parse_command(line) for line in lines]
    assert len(lines) == 11
    assert parsed[0] == (
        "error",
        {"file": "mlops.yaml", "line": "0", "col": "2", "title": "mlops-ci"},
        "models.m0: bad, really: 100%",
    )
    assert parsed[-1][2] == "3 more problem(s) not annotated; see the log"


def test_no_annotations_outside_actions(capsys: pytest.CaptureFixture[str]) -> None:
    problem = Problem("mlops.yaml", 1, 1, "version", "bad")
    annotate_error(ConfigError([problem], file="mlops.yaml"), environ={})
    assert capsys.readouterr().out == ""


def test_groups_open_and_close_under_actions() -> None:
    out = io.StringIO()
    with group("churn: train", environ={"GITHUB_ACTIONS": "true"}, out=out):
        print("inside", file=out)
    assert out.getvalue() == "::group::churn: train\ninside\n::endgroup::\n"


def test_mask_covers_every_line_of_a_multiline_secret() -> None:
    out = io.StringIO()
    add_mask("line-one\nline-two", out=out)
    assert out.getvalue() == "::add-mask::line-one\n::add-mask::line-two\n"


def test_summary_stays_under_the_limit_github_shows(tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    environ = {"GITHUB_STEP_SUMMARY": str(target)}
    append_summary("x" * 1000, environ=environ)
    append_summary("é" * MAX_SUMMARY_BYTES, environ=environ)
    data = target.read_bytes()
    assert len(data) <= MAX_SUMMARY_BYTES
    assert data.decode("utf-8").endswith("(summary shortened: GitHub shows at most 1 MiB)_\n\n")



def test_an_output_file_that_cannot_be_appended_to_is_a_user_error(tmp_path: Path) -> None:
    message = f"GITHUB_OUTPUT={tmp_path}: cannot append to it: Is a directory"
    with pytest.raises(UserError, match=re.escape(message)):
        write_outputs({"verdict": "passed"}, environ={"GITHUB_OUTPUT": str(tmp_path)})


def test_a_summary_file_in_a_missing_folder_is_a_user_error(tmp_path: Path) -> None:
    target = tmp_path / "gone" / "summary.md"
    message = f"GITHUB_STEP_SUMMARY={target}: cannot append to it: No such file or directory"
    with pytest.raises(UserError, match=re.escape(message)):
        append_summary("# report", environ={"GITHUB_STEP_SUMMARY": str(target)})
