"""Markdown as GitHub shows it: rendered by cmark-gfm (GitHub's own engine), then read as HTML.

``rendering_problems`` lists what a reader would see wrong in a rendered body: a literal
backslash escape or HTML entity in the text (an escape for the wrong context, such as Markdown
escapes inside an HTML block), an absolute path of the machine that rendered it, and a table
whose numbers mix formats. Text inside code is what it is, and is not judged for escapes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser

BACKSLASH_ESCAPE = re.compile(r"\\[!-/:-@\[-`{-~]")
ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
ABSOLUTE_PATH = re.compile(r"(?<![\w.~-])/(?:tmp|home|Users|github|runner|var|private|work)/")
DECIMAL = re.compile(r"(?<![\w.])-?\d[\d,]*\.(\d+)(?:e[+-]\d+)?(?![\w.])")


def render(markdown: str) -> str:
    """The HTML cmark-gfm makes of ``markdown`` with GitHub's extensions (raw HTML kept, as
    GitHub keeps it before its sanitizer, so the tests see what we wrote)."""
    import cmarkgfm
    from cmarkgfm.cmark import Options

    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    return str(html)


@dataclass
class Rendered:
    """The rendered HTML, read: text nodes with the tags around them, tables, comments."""

    texts: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(text for _, text in self.texts)

    def texts_in(self, tag: str) -> list[str]:
        """The whole text of each ``tag`` element (e.g. every ``summary``)."""
        found: list[str] = []
        open_at: int | None = None
        for stack, text in self.texts:
            inside = tag in stack
            if inside and open_at is None:
                open_at = len(found)
                found.append("")
            if not inside:
                open_at = None
            if inside and open_at is not None:
                found[open_at] += text
        return found


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.result = Rendered()
        self.stack: list[str] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.result.tags.append(tag)
        if tag in ("br", "img", "hr", "input"):
            return
        self.stack.append(tag)
        if tag == "table":
            self.result.tables.append([])
        elif tag == "tr":
            self.result.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.result.tables[-1][-1].append("".join(self.cell))
            self.cell = None
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        self.result.texts.append((tuple(self.stack), data))
        if self.cell is not None:
            self.cell.append(data)

    def handle_comment(self, data: str) -> None:
        self.result.comments.append(data)


def read(markdown: str) -> Rendered:
    reader = _Reader()
    reader.feed(render(markdown))
    reader.close()
    return reader.result


def mixed_number_formats(rows: Sequence[Sequence[str]]) -> list[str]:
    """The decimals of a table when they follow no one format: either every one has at most
    4 decimals (0.8661, 0.7) or every one at most 4 significant digits (0.002256, 6.51)."""
    decimals = [match for row in rows for cell in row for match in DECIMAL.finditer(cell)]
    few_decimals = all(len(match.group(1)) <= 4 for match in decimals)
    few_digits = all(_significant_digits(match.group(0)) <= 4 for match in decimals)
    return [] if few_decimals or few_digits else [match.group(0) for match in decimals]


def _significant_digits(number: str) -> int:
    mantissa = number.split("e")[0].replace(",", "").replace(".", "").lstrip("-")
    return len(mantissa.lstrip("0"))


def rendering_problems(markdown: str) -> list[str]:
    """What is wrong in ``markdown`` as GitHub shows it (see the module doc); empty if nothing."""
    rendered = read(markdown)
    problems = []
    for stack, text in rendered.texts:
        if "code" in stack or "pre" in stack:
            continue
        for pattern, what in ((BACKSLASH_ESCAPE, "a backslash escape"),
                              (ENTITY, "an HTML entity")):
            found = pattern.search(text)
            if found:
                problems.append(f"{what} shown as text in <{'/'.join(stack)}>: {text.strip()!r}")
    for _, text in rendered.texts:
        if ABSOLUTE_PATH.search(text):
            problems.append(f"an absolute path: {text.strip()!r}")
    for table in rendered.tables:
        mixed = mixed_number_formats(table)
        if mixed:
            problems.append(f"a table mixing number formats: {', '.join(mixed)}")
    return problems
