"""Parse the output of the one ``git for-each-ref`` the registry is read from. Pure text.

Fields are separated by NUL (``%00``), which no ref name, identity or tag message contains, so
multi-line messages need no escaping; each record ends with git's newline. One split of the whole
output and a slice per tag keep this fast at 100,000 tags.
"""

from __future__ import annotations

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
    records: list[TagRecord] = []
    lightweight: list[str] = []
    chunks = text.split("\0")
    width = len(FIELDS)
    parse = grammar.parse_tag
    for start in range(0, len(chunks) - width + 1, width):
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
    return records, lightweight
