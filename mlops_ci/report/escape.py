"""Make untrusted text inert in GitHub markdown and HTML.

Column names, category values, branch names and model names come from users' files; a
rendered report must show them as text, never as markup. ``escape_markdown`` returns a
single-line string safe inside a paragraph or a table cell: HTML's ``& < > " '`` become
entities (no tag, comment or entity survives), every markdown punctuation character is
backslash-escaped (emphasis, links, code spans, headings, table pipes), ``@`` is followed by
a zero-width space (no mention notifies anyone), and line breaks, other control characters and
bidirectional overrides become spaces (a value cannot end the table row, start a block or
reorder how the text around it reads). ``code_block`` fences text so
that no backtick run inside it can close the fence.

Mentions: ``&#64;`` is no defence, cmark-gfm decodes it back to ``@`` before GitHub's mention
filter reads the text, so ``@org/team`` would still ping the team. ``@`` is written as
``@&#8203;`` instead (as Renovate does): the reader sees ``@team``, the filter sees ``@``
followed by a zero-width space, which starts no mention (nor an e-mail autolink).

Inside an HTML block (a line that starts with ``<details>``) GitHub's Markdown engine
(cmark-gfm) applies no Markdown at all, so a backslash escape would show as a backslash:
text there goes through ``escape_html`` instead, which makes it inert with entities alone.
"""

from __future__ import annotations

import re

_AT = "@&#8203;"  # ``@`` then a zero-width space: shown as ``@``, never a mention
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "@": _AT}
# Punctuation with meaning anywhere in a GitHub markdown line (``$`` starts math).
_MARKDOWN_PUNCTUATION = frozenset("\\`*_{}[]()#+!|~$")
# Meaningful only at the start of a line: a list item, a numbered item, a setext underline.
_LEADING = re.compile(r"^(\s*(?:\d+(?=\.))?)([-=.])")
# C0 and C1 controls, line and paragraph separators, and the bidirectional marks, embeddings,
# overrides and isolates that reorder how a name reads ("Trojan Source").
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_BACKTICK_RUN = re.compile(r"`+")


def escape_markdown(text: str) -> str:
    """``text`` as inert, single-line markdown (safe in table cells); see the module doc."""
    flat = _CONTROL.sub(" ", text)
    out: list[str] = []
    for char in flat:
        if char in _HTML:
            out.append(_HTML[char])
        elif char in _MARKDOWN_PUNCTUATION:
            out.append("\\" + char)
        else:
            out.append(char)
    escaped = "".join(out)
    return _LEADING.sub(lambda match: match.group(1) + "\\" + match.group(2), escaped, count=1)


def escape_html(text: str) -> str:
    """``text`` as inert, single-line text inside an HTML element of an HTML block.

    Only HTML's ``& < > " '`` become entities and ``@`` gets a zero-width space after it (no
    mention); controls become spaces, so the text cannot end the block with a blank line.
    """
    return "".join(_HTML.get(char, char) for char in _CONTROL.sub(" ", text))


def code_block(text: str, info: str = "") -> str:
    """``text`` in a fenced code block whose fence no backtick run inside can close.

    Inside a fence markdown and HTML are not interpreted, so only the fence needs care;
    control characters other than newlines are replaced by spaces. ``info`` must be trusted
    (a language name we chose).
    """
    body = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", text.replace("\r\n", "\n"))
    longest = max((len(run) for run in _BACKTICK_RUN.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


_URL_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//)")
_WWW = re.compile(r"(?i)\bwww\.")
_COMMENT_OPEN = re.compile(r"<!-{1,2}|-->")


def defang(text: str) -> str:
    """``text`` that no rendering of it turns into a link, a comment or a marker.

    For strings from an untrusted source (a pull request's stored report) before they reach
    the renderer, which escapes them as well: a bare URL is the one thing escaping leaves
    live (GitHub links ``https://x`` and ``www.x`` in plain text), so ``scheme://`` becomes
    ``scheme[:]//`` and ``www.`` ``www[.]``; ``<!--`` and ``-->`` lose their dashes' meaning
    (``<!-‐`` with a Unicode hyphen) even where text were not escaped.
    """
    text = _URL_SCHEME.sub(r"\1[:]", text)
    text = _WWW.sub("www[.]", text)
    return _COMMENT_OPEN.sub(lambda match: match.group(0).replace("-", "\u2010"), text)
