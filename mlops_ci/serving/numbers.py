"""The numbers of a request's one tensor, read from its body by numpy instead of ``json.loads``.

A model on numbers is asked with one ``FP64`` tensor of rows, ``{"inputs": [{..., "data":
[5.1, 3.5, ...]}]}``; reading its thousands of numbers into Python floats is most of the time
of such a request. ``take_numbers`` finds that list in the body and reads it with a few
vectorised passes over its bytes; the rest of the body (the list emptied) is then decoded as
usual, and ``decode.decode_infer`` takes the numbers in place of the list.

What a caller may rely on: the numbers are those ``json.loads`` gives, converted to float64 as
the generic path converts them (bit for bit, the sign of ``-0.0`` included, ``-0`` being the
integer 0). Only a simple form is read: a flat list of JSON numbers without exponent, of at
most ``MAX_LENGTH`` characters each (then a number is an integer under 2**53 divided by a power
of ten, both exact, and IEEE division rounds the quotient as a decimal parser does) and of
``MEAN_LENGTH`` on average (on longer numbers this way is no faster than ``json.loads``),
separated by ``,`` or ``, ``, in a body without a backslash whose only ``"data"`` key holds
it. Anything else, valid or not, gives None and the caller decodes the whole body the generic
way, which says precisely what is wrong.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy.typing as npt

MAX_LENGTH = 10  # characters of a number: its digits are an integer under 2**53, exact
BYTES_PER_NUMBER = 128  # what reading a number takes at most, its text's copies included (~90)
MEAN_LENGTH = 7  # longer numbers on average: json.loads reads them as fast
_KEY = b'"data"'
_BEFORE_KEY = frozenset(b"{, \t\r\n")
_SPACE = b" \t\r\n"
_NUMBER_BYTES = b"0123456789-.,"
_KINDS = 5
_DIGIT = 1  # the classes up to this one are digits
_FRACTION = 5
_FINAL = (2, 3, _FRACTION)


def take_numbers(body: bytes, memory_limit: int) -> tuple[bytes, npt.NDArray[Any]] | None:
    """``body`` with its ``"data"`` list emptied, and that list's numbers; or None (see the
    module's docstring for the form read). ``memory_limit``: the bytes decoding the request
    may take (``json_cost.DecodeBudget``); a list whose reading could take more (its numbers
    times ``BYTES_PER_NUMBER``) is left to the generic path, which bounds its own."""
    if b"\\" in body or body.count(_KEY) != 1:
        return None
    key = body.index(_KEY)
    if key == 0 or body[key - 1] not in _BEFORE_KEY:
        return None
    position = _skip_space(body, key + len(_KEY))
    if body[position:position + 1] != b":":
        return None
    opening = _skip_space(body, position + 1)
    if body[opening:opening + 1] != b"[":
        return None
    closing = body.find(b"]", opening)
    if closing < 0:
        return None
    text = body[opening + 1:closing]
    if (text.count(b",") + 1) * BYTES_PER_NUMBER > memory_limit:
        return None
    numbers = parse_numbers(text)
    if numbers is None:
        return None
    return body[:opening + 1] + body[closing:], numbers


def _skip_space(body: bytes, position: int) -> int:
    while body[position:position + 1] in (b" ", b"\t", b"\r", b"\n"):
        position += 1
    return position


def parse_numbers(text: bytes) -> npt.NDArray[Any] | None:
    """The float64 values of ``text``, JSON numbers separated by commas; None unless every
    number is in the simple form this module reads.

    The numbers are read side by side, one character of each per step (so the steps are as
    many as the longest number's characters): a state machine of JSON's number grammar checks
    them, and the digits accumulate into integers.
    """
    import numpy as np

    text = text.strip(_SPACE)
    if text.count(b" ") != text.count(b", "):
        return None  # a space elsewhere than after a comma (or two)
    text = text.translate(None, b" ")
    count = text.count(b",") + 1
    if not text or len(text) - (count - 1) > MEAN_LENGTH * count:
        return None  # empty, or numbers too long on average to be worth reading this way
    if text.translate(None, _NUMBER_BYTES):
        return None  # a byte no simple number list holds (a space, an exponent...)
    chars = np.frombuffer(text, dtype=np.uint8)
    commas = np.flatnonzero(chars == ord(","))
    starts = np.empty(commas.size + 1, dtype=np.intp)
    starts[0] = 0
    starts[1:] = commas + 1
    ends = np.empty_like(starts)
    ends[:-1] = commas
    ends[-1] = chars.size
    lengths = ends - starts
    longest = int(lengths.max())
    if longest > MAX_LENGTH or int(lengths.min()) < 1:
        return None
    character_classes, transitions, final, powers_of_ten = _tables()
    classes = character_classes[chars]
    state = np.zeros(starts.size, dtype=np.uint8)
    mantissa = np.zeros(starts.size, dtype=np.int64)
    fraction_digits = np.zeros(starts.size, dtype=np.intp)
    for step in range(longest):
        inside = lengths > step
        index = np.where(inside, starts + step, 0)
        kind = classes[index]
        state = np.where(inside, transitions[state * _KINDS + kind], state)
        digit = inside & (kind <= _DIGIT)
        mantissa = np.where(digit, mantissa * 10 + (chars[index] - ord("0")), mantissa)
        fraction_digits += digit & (state == _FRACTION)
    if not bool(final[state].all()):
        return None
    values = mantissa.astype(np.float64) / powers_of_ten[fraction_digits]
    # json.loads reads "-0" as the integer 0 (then 0.0) but "-0.0" as the float -0.0.
    negative = (chars[starts] == ord("-")) & ((state == _FRACTION) | (mantissa != 0))
    return np.where(negative, -values, values)  # type: ignore[no-any-return]


def _grammar() -> tuple[Any, Any]:
    """The character classes and the transitions of ``-?(0|[1-9][0-9]*)(\\.[0-9]+)?``."""
    import numpy as np

    classes = np.full(256, 4, dtype=np.uint8)  # 0: "0", 1: "1"-"9", 2: "-", 3: ".", 4: other
    classes[ord("0")] = 0
    classes[ord("1"):ord("9") + 1] = 1
    classes[ord("-")] = 2
    classes[ord(".")] = 3
    error = 6  # states: 0 start, 1 after "-", 2 a leading 0, 3 integer digits, 4 after ".",
    table = np.full((7, _KINDS), error, dtype=np.uint8)  # 5 fraction digits, 6 error
    table[0] = [2, 3, 1, error, error]
    table[1] = [2, 3, error, error, error]
    table[2] = [error, error, error, 4, error]
    table[3] = [3, 3, error, 4, error]
    table[4] = [_FRACTION, _FRACTION, error, error, error]
    table[5] = [_FRACTION, _FRACTION, error, error, error]
    return classes, table.ravel()


@functools.cache
def _tables() -> tuple[Any, Any, Any, Any]:
    """The character classes, the transitions, which states end a number, and the powers of
    ten (each exact)."""
    import numpy as np

    classes, table = _grammar()
    final = np.zeros(table.size // _KINDS, dtype=np.bool_)
    final[list(_FINAL)] = True
    return classes, table, final, np.array([float(10**k) for k in range(MAX_LENGTH + 1)])
