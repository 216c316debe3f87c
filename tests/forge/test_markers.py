"""Hidden markers: exact, unforgeable by a longer key, and carrying the report's stamp."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlops_ci.errors import UserError
from mlops_ci.forge import markers
from mlops_ci.forge.protocol import ReportStamp


def test_report_body_carries_marker_and_stamp() -> None:
    body = markers.report_body("churn-ci", ReportStamp("ab12", 42), "text")
    assert body.splitlines()[:2] == [
        "<!-- mlops-ci:report:churn-ci -->",
        "<!-- mlops-ci:stamp head=ab12 run=42 -->",
    ]
    assert markers.read_stamp(body) == ReportStamp("ab12", 42)


def test_a_longer_id_does_not_match_a_shorter_one() -> None:
    assert markers.report_marker("churn") not in markers.report_body("churn2", ReportStamp("a"), "")


def test_older_run_is_older_whatever_the_sha() -> None:
    assert markers.is_older(ReportStamp("b", 9), ReportStamp("a", 10))
    assert not markers.is_older(ReportStamp("a", 10), ReportStamp("b", 10))
    assert not markers.is_older(ReportStamp("a", 1), None)


@given(st.text(max_size=40))
def test_any_key_is_either_rejected_or_cannot_close_the_comment(key: str) -> None:
    try:
        marker = markers.issue_marker(key)
    except UserError:
        return
    assert marker.count("-->") == 1 and "\n" not in marker


def test_body_without_stamp_has_none() -> None:
    assert markers.read_stamp("no stamp here") is None


def test_bad_key_names_itself() -> None:
    with pytest.raises(UserError, match="comment key"):
        markers.comment_marker("")


def test_only_the_stamp_under_the_marker_counts() -> None:
    quoted = "<!-- mlops-ci:stamp head=ff run=99999 -->"
    assert markers.read_stamp(f"<!-- mlops-ci:report:churn-ci -->\nsome text\n{quoted}") is None
    body = markers.report_body("churn-ci", ReportStamp("ab12", 42), quoted)
    assert markers.read_stamp(body) == ReportStamp("ab12", 42)


@given(st.lists(st.sampled_from(["<!-", "-", " mlops-ci", "<", "!--", "MLOPS-CI", "\t", "x"])))
def test_defused_text_holds_no_marker_and_our_marker_only_counts_on_top(parts: list[str]) -> None:
    text = "".join(parts)
    marker = markers.report_marker("churn-ci")
    body = markers.marked(marker, text)
    assert markers.owns(body, marker)
    assert re.search(r"<!--\s*mlops-ci", markers.defuse(text), re.IGNORECASE) is None
    assert len(re.findall(r"<!--\s*mlops-ci", body, re.IGNORECASE)) == 1  # ours, on top
    assert not markers.owns(f"note\n{body}", marker)


def test_our_trend_block_on_top_of_an_issue_body_is_kept_and_a_quoted_one_is_defused() -> None:
    trend = '<!-- mlops-ci:history {"schema":1,"entries":[]} -->'
    body = markers.marked(markers.issue_marker("churn"), f"{trend}\n### Data drift\n{trend}\n")
    first, kept, heading, quoted, _ = body.split("\n")
    assert first == markers.issue_marker("churn") and kept == trend and heading == "### Data drift"
    assert quoted == "&lt;!--" + trend[len("<!--"):]
