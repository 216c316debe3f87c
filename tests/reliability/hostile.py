"""Hostile text and the checks that it stayed inert: no shell ran it, no markdown obeyed it.

``hostile_texts(sentinel)`` are names an attacker controls (a fork's branch, a PR title, a
column header, a tag): command substitutions that would create ``sentinel`` if any shell
ever saw them, raw HTML, links, mentions, table and code-fence breakers, a spoofed report
marker, newlines and a very long name. ``assert_inert`` renders markdown with markdown-it
(CommonMark + tables, as GitHub does) and allows only the HTML and links mlops-ci writes.
"""

from __future__ import annotations

import re
from pathlib import Path

REPORT_MARKER = "<!-- mlops-ci:report:churn-ci -->"
_OUR_HTML = re.compile(r"</?(details|summary|sub|br)( open)?/?>|<!-- mlops-ci:[a-z]+[^<>]*-->")
_ANY_TAG = re.compile(r"<[A-Za-z!/?]")
_OUR_LINKS = ("https://github.com/octo/churn/", "http://127.0.0.1:")


def hostile_texts(sentinel: Path) -> list[str]:
    return [
        f"$(touch {sentinel})",
        f"`touch {sentinel}`",
        f"x;touch {sentinel};#",
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        "[click](https://evil.example)",
        "![pixel](https://evil.example/p.png)",
        "@everyone please merge",
        "a | b | c\n|---|---|",
        "```\nfenced\n```",
        "line one\n# a heading\n<details open>",
        REPORT_MARKER,
        "\u202eevil\u202c rtl override",
        "x" * 5000,
    ]


def _tokens(markdown: str) -> list[object]:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark").enable("table")
    flat: list[object] = []
    for token in parser.parse(markdown):
        flat.append(token)
        flat.extend(token.children or [])
    return flat


def inert_problems(markdown: str) -> list[str]:
    """What in ``markdown`` a hostile name could have put there; empty when all is inert."""
    problems = []
    for token in _tokens(markdown):
        kind = getattr(token, "type", "")
        if kind in ("html_inline", "html_block"):
            content = str(getattr(token, "content", ""))
            rest = _OUR_HTML.sub("", content)
            if _ANY_TAG.search(rest):
                problems.append(f"raw HTML: {rest.strip()[:80]!r}")
        elif kind == "link_open":
            href = str(getattr(token, "attrs", {}).get("href", ""))
            if not href.startswith(_OUR_LINKS):
                problems.append(f"link to {href[:80]!r}")
        elif kind == "image":
            problems.append("an image")
    if re.search(r"(?<![\w\\`])@everyone", markdown):
        problems.append("a live @mention")
    if markdown.count(REPORT_MARKER) > 1:
        problems.append("a spoofed report marker")
    return problems
