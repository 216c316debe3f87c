"""How much memory decoding a request will take, bounded before anything is decoded.

``json.loads`` turns a few bytes into a much larger Python object: ``{}`` (2 bytes) is a
64-byte dict, ``[]`` a 56-byte list, ``"ab"`` a 51-byte string, so a 5 MiB body of empty rows
would take some 140 MiB before the server could say the rows lack their columns. A request is
therefore decoded only while what decoding it will take stays under ``DECODED_FACTOR`` times
its body (and under ``DECODED_FLOOR`` for any body: small requests are never refused here);
one over it is refused with 413, having cost one scan of its bytes.

The estimate is an upper bound of what CPython allocates, computed by C-speed counts of bytes
(no copy but one): each object, list, key, value, string and number that is not a cached small
integer is charged what CPython takes for it at most, and every byte of text up to four more
(a string's characters, a long integer's digits). The binary tensor extension charges its
values the same way (``charge``) before turning them into Python lists.
"""

from __future__ import annotations

from mlops_ci.serving.values import RequestError

DECODED_FACTOR = 16
"""A request's decoded values may take at most this many times its body's size."""
DECODED_FLOOR = 16 * 1024 * 1024
"""... or this many bytes, whichever is more."""
_WORST_RATIO = 64  # no JSON takes more than this many bytes of objects per byte of text

# Digits and "-" become "0", the rest of a number's characters "1", everything else " ": a
# number of two characters or more (not a cached small integer) then starts with " 00" or " 01".
_NUMBERS = bytes(48 if c in b"-0123456789" else 49 if c in b".+eE" else 32 for c in range(256))

# What CPython 3 (64-bit) takes at most, in bytes.
DICT = 272  # a dict of up to 10 keys
DICT_KEY = 40  # each key (beyond 10, a dict's entries and spare room)
LIST = 104  # a list, with its spare room
POINTER = 10  # an element's reference (lists over-allocate an eighth)
STRING = 56  # a string's header, rounded up by the allocator
NUMBER = 32  # an int or a float (long integers: plus a byte per digit)


class DecodeBudget:
    """The memory decoding one request may take; ``charge`` it before decoding anything."""

    def __init__(self, body_bytes: int) -> None:
        self.body_bytes = body_bytes
        self.limit = max(DECODED_FACTOR * body_bytes, DECODED_FLOOR)
        self.charged = 0

    def charge(self, estimate: int, what: str) -> None:
        """Add ``estimate`` bytes (for ``what``, named in the refusal); over the limit, a 413."""
        self.charged += estimate
        if self.charged > self.limit:
            raise RequestError(
                413, f"the request is too dense to decode: {what} would take about "
                f"{self.charged / 2**20:,.0f} MiB of memory, more than {DECODED_FACTOR} "
                f"times its {self.body_bytes:,} bytes; send fewer rows per request"
            )

    def charge_json(self, text: bytes) -> None:
        """Charge what ``json.loads(text)`` will take (scanned only when it could matter)."""
        if len(text) * _WORST_RATIO + self.charged <= self.limit:
            return
        # Counted over the whole text, strings included: a brace or a comma inside a string
        # is charged as if it were structure, which only makes the bound looser.
        objects = text.count(b"{")
        lists = text.count(b"[")
        keys = text.count(b":")
        elements = text.count(b",") + objects + lists + 1
        strings = text.count(b'"') // 2
        marked = text.translate(_NUMBERS)
        numbers = marked.count(b" 00") + marked.count(b" 01")
        del marked
        wide = 1 if text.isascii() and b"\\u" not in text else 4  # UCS-4 at worst
        estimate = (
            DICT * objects + DICT_KEY * keys + LIST * lists + POINTER * elements
            + STRING * strings + NUMBER * numbers + wide * len(text)  # characters and digits
        )
        self.charge(estimate, f"its JSON ({objects:,} objects, {lists:,} lists, {strings:,} "
                    f"strings, {numbers:,} numbers)")
