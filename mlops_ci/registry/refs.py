"""Parse the output of the one ``git for-each-ref`` the registry is read from. Pure text.

Fields are separated by NUL (``%00``), which no ref name, identity or tag message contains, so
multi-line messages need no escaping; each record ends with git's newline. The output is parsed
in chunks as git writes it (one split per chunk, then a column of fields per slice), so at 100,000
tags the parsing runs beside git rather than after it.

Each record starts with ``%(refname)%00%(objectname)%00``, which is also the whole of
:data:`LISTING`: the names and object ids of every tag, registry tag or not, are what the read
commands' cache (:mod:`.cache`) is keyed by, and :attr:`RefsParser.listing` gives that text as
``git for-each-ref --format=LISTING`` would print it, without a second git call.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable

from mlops_ci.registry import tags as grammar
from mlops_ci.registry.state import TagRecord, collector_paused

FIELDS = (
    "%(refname)",
    "%(objectname)",
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
LISTING = "%00".join(FIELDS[:2]) + "%00"  # what a record starts with: the cache's key


class RefsParser:
    """Registry tags from ``git for-each-ref --format=FORMAT refs/tags``'s output, fed in chunks
    of any size with :meth:`feed`, then :meth:`close`.

    ``records`` are the annotated tags of commits, ``lightweight`` the names of lightweight tags
    that look like registry tags. Invalid UTF-8 is replaced (U+FFFD), as a whole decode would.
    Each chunk is split on NUL, the split's last piece kept for the next chunk, and every
    complete run of ``len(FIELDS)`` fields parsed at once.
    """

    def __init__(self) -> None:
        self.records: list[TagRecord] = []
        self.lightweight: list[str] = []
        self._refnames: list[str] = []  # as printed, each but the first after git's newline
        self._objectnames: list[str] = []
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending: list[str] = []
        self._tail = ""

    def feed(self, chunk: bytes) -> None:
        pieces = (self._tail + self._decoder.decode(chunk)).split("\0")
        self._tail = pieces.pop()
        self._take(pieces)

    def close(self) -> None:
        self._take((self._tail + self._decoder.decode(b"", final=True)).split("\0")[:-1])
        self._tail = ""

    @property
    def listing(self) -> str:
        """The output of ``git for-each-ref --format=LISTING refs/tags`` for the same tags."""
        if not self._refnames:
            return ""
        both = [""] * (2 * len(self._refnames))
        both[0::2] = self._refnames
        both[1::2] = self._objectnames
        return "\0".join(both) + "\0\n"

    def _take(self, pieces: list[str]) -> None:
        pending = self._pending
        pending.extend(pieces)
        width = len(FIELDS)
        whole = len(pending) - len(pending) % width
        if not whole:
            return
        columns = [pending[index:whole:width] for index in range(width)]
        del pending[:whole]
        self._refnames.extend(columns[0])
        self._objectnames.extend(columns[1])
        with collector_paused():
            _parse_columns(columns, self.records, self.lightweight)


def parse_for_each_ref(text: str) -> tuple[list[TagRecord], list[str]]:
    """Registry tags from ``git for-each-ref --format=FORMAT refs/tags``'s output.

    Returns the annotated tags and the names of lightweight tags that look like registry tags.
    """
    return parse_for_each_ref_chunks([text.encode("utf-8", errors="surrogatepass")])


def parse_for_each_ref_chunks(chunks: Iterable[bytes]) -> tuple[list[TagRecord], list[str]]:
    """:func:`parse_for_each_ref` over the output as it arrives, in chunks of any size."""
    parser = RefsParser()
    for chunk in chunks:
        parser.feed(chunk)
    parser.close()
    return parser.records, parser.lightweight


def _parse_columns(
    columns: list[list[str]], records: list[TagRecord], lightweight: list[str]
) -> None:
    parse = grammar.parse_tag
    make = tuple.__new__  # TagRecord's own __new__ is a Python function: 10,000 calls count
    for ref, _, kind, stamp, tagger, email, target, target_kind, subject, body in zip(
        *columns, strict=True
    ):
        name = ref[11:] if ref[:1] == "\n" else ref[10:]  # after "refs/tags/"
        tag = parse(name)
        if tag is None:
            continue
        if kind != "tag":
            lightweight.append(name)
            continue
        if target_kind != "commit":
            continue  # a tag of a tag, tree or blob: GTO cannot use it either
        records.append(
            make(
                TagRecord,
                (
                    name,
                    tag,
                    target,
                    int(stamp) if stamp else 0,
                    tagger,
                    email[1:-1] if email[:1] == "<" else email,
                    subject,
                    body,
                ),
            )
        )
