"""Parse the output of the one ``git for-each-ref`` the registry is read from. Pure text.

Fields are separated by NUL (``%00``), which no ref name, identity or tag message contains, so
multi-line messages need no escaping; each record ends with git's newline. The output is parsed
in chunks as git writes it (one split per chunk, a slice per tag), so at 100,000 tags the parsing
runs beside git rather than after it.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable

from mlops_ci.registry import tags as grammar
from mlops_ci.registry.state import TagRecord

FIELDS = (
    "%(refname)",
    "%(objecttype)",
    "%(taggerdate:unix)",
    "%(taggername)",
    "%(taggeremail)",
    "%(*objectname)",
    "%(*objecttype)",
    "%(contents:subject)",
    "%(contents:body)",
)
FORMAT = "%00".join(FIELDS) + "%00"


def parse_for_each_ref(text: str) -> tuple[list[TagRecord], list[str]]:
    """Registry tags from ``git for-each-ref --format=FORMAT refs/tags``'s output.

    Returns the annotated tags and the names of lightweight tags that look like registry tags.
    """
    return parse_for_each_ref_chunks([text.encode("utf-8", errors="surrogatepass")])


def parse_for_each_ref_chunks(chunks: Iterable[bytes]) -> tuple[list[TagRecord], list[str]]:
    """:func:`parse_for_each_ref` over the output as it arrives, in chunks of any size.

    Invalid UTF-8 is replaced (U+FFFD), as a whole decode would. Each chunk is split on NUL,
    the split's last piece kept for the next chunk, and every complete run of ``len(FIELDS)``
    fields parsed at once.
    """
    records: list[TagRecord] = []
    lightweight: list[str] = []
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending: list[str] = []
    tail = ""
    width = len(FIELDS)
    for chunk in chunks:
        pieces = (tail + decoder.decode(chunk)).split("\0")
        tail = pieces.pop()
        pending.extend(pieces)
        whole = len(pending) - len(pending) % width
        if whole:
            _parse_fields(pending, whole, records, lightweight)
            del pending[:whole]
    pending.extend((tail + decoder.decode(b"", final=True)).split("\0")[:-1])
    _parse_fields(pending, len(pending) - len(pending) % width, records, lightweight)
    return records, lightweight


def _parse_fields(
    chunks: list[str], end: int, records: list[TagRecord], lightweight: list[str]
) -> None:
    width = len(FIELDS)
    parse = grammar.parse_tag
    for start in range(0, end, width):
        ref = chunks[start]
        if ref[:1] == "\n":
            ref = ref[1:]
        name = ref[10:]  # after "refs/tags/"
        tag = parse(name)
        if tag is None:
            continue
        if chunks[start + 1] != "tag":
            lightweight.append(name)
            continue
        if chunks[start + 6] != "commit":
            continue  # a tag of a tag, tree or blob: GTO cannot use it either
        stamp = chunks[start + 2]
        email = chunks[start + 4]
        records.append(
            TagRecord(
                name,
                tag,
                chunks[start + 5],
                int(stamp) if stamp else 0,
                chunks[start + 3],
                email[1:-1] if email[:1] == "<" else email,
                chunks[start + 7],
                chunks[start + 8],
            )
        )
