"""SMS encoding and segment counting (GSM 03.38 / 3GPP TS 23.038).

An SMS payload is 140 bytes. A message whose every character is in the GSM 7-bit default
alphabet is packed as 7-bit septets (160 per SMS); a single character outside it forces the
whole message into UCS-2 (UTF-16 code units, 70 per SMS). Cost is per segment, so it must be
computed on the *rendered* text, after each row's ``@@column`` values have been substituted.

Two implementations with identical results:

* :func:`sms_info` -- plain Python, one string at a time; simple on purpose, it is the test oracle.
* :func:`encoding_expr`, :func:`units_expr`, :func:`segments_expr` -- polars expressions that
  run over a whole column with no per-row Python. A null text yields null in all three.

A multi-part message is cut into parts of 153 septets (67 UCS-2 units), but never inside a
two-septet escape sequence or a UTF-16 surrogate pair: such a character starts the next part,
so a message can need one segment more than ``ceil(units / per_part)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

__all__ = [
    "GSM7_BASIC",
    "GSM7_BASIC_TABLE",
    "GSM7_ESCAPE",
    "GSM7_EXTENSION",
    "GSM7_PART",
    "GSM7_SINGLE",
    "UCS2_PART",
    "UCS2_SINGLE",
    "Encoding",
    "SmsInfo",
    "encoding_expr",
    "segments_expr",
    "segments_of",
    "sms_info",
    "units_expr",
]

Encoding = Literal["gsm7", "ucs2"]

#: The GSM 03.38 default alphabet in code order: position ``i`` is septet ``0x{i:02X}``.
#: Note 0x09 is capital ``Ç`` (lowercase ``ç`` is *not* in the alphabet), 0x24 is ``¤`` (not
#: ``$``, which is 0x02), 0x40 is ``¡`` (``@`` is 0x00) and 0x60 is ``¿`` (no backtick).
GSM7_BASIC_TABLE: Final[str] = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

#: 0x1B is the escape to the extension table, not a character a message can contain.
GSM7_ESCAPE: Final[str] = "\x1b"

#: The 127 characters that cost one septet each.
GSM7_BASIC: Final[frozenset[str]] = frozenset(GSM7_BASIC_TABLE) - {GSM7_ESCAPE}

#: Extension-table characters. Each is sent as ESC (0x1B) followed by its own septet, so it
#: costs two septets. ``\x0c`` (form feed) is the table's "page break".
GSM7_EXTENSION: Final[frozenset[str]] = frozenset("\x0c^{}\\[~]|€")

#: Septets in a single-part GSM-7 SMS: 140 bytes * 8 / 7.
GSM7_SINGLE: Final[int] = 160
#: Septets per part of a concatenated GSM-7 SMS: the 6-byte concatenation header (48 bits,
#: padded to 49 = 7 septets) leaves 160 - 7.
GSM7_PART: Final[int] = 153
#: UTF-16 code units in a single-part UCS-2 SMS: 140 bytes / 2.
UCS2_SINGLE: Final[int] = 70
#: UTF-16 code units per part of a concatenated UCS-2 SMS: (140 - 6 header bytes) / 2.
UCS2_PART: Final[int] = 67


@dataclass(frozen=True, slots=True)
class SmsInfo:
    """Encoding, length in that encoding's units, and number of SMS segments billed."""

    encoding: Encoding
    units: int
    segments: int


def _segments(widths: list[int], single: int, part: int) -> int:
    """Parts of ``part`` units, filled in order; a 2-unit character is never split."""
    if sum(widths) <= single:
        return 1
    parts, used = 1, 0
    for width in widths:
        if used + width > part:
            parts, used = parts + 1, 0
        used += width
    return parts


def sms_info(text: str) -> SmsInfo:
    """Reference implementation: how ``text`` would be encoded and how many segments it costs.

    ``units`` are septets for GSM-7 (extension characters count 2) and UTF-16 code units for
    UCS-2 (a character above U+FFFF, e.g. most emoji, is a surrogate pair and counts 2).
    Empty text is 0 units but 1 segment: a message is still sent and billed, just with an
    empty body (which is usually a bug upstream, e.g. an empty ``@@`` variable).
    """
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        widths = [2 if c in GSM7_EXTENSION else 1 for c in text]
        return SmsInfo("gsm7", sum(widths), _segments(widths, GSM7_SINGLE, GSM7_PART))
    widths = [2 if ord(c) > 0xFFFF else 1 for c in text]
    return SmsInfo("ucs2", sum(widths), _segments(widths, UCS2_SINGLE, UCS2_PART))


def _char_class(chars: frozenset[str], *, negate: bool = False) -> str:
    r"""A Rust-regex character class matching exactly ``chars``.

    Every character is written as ``\x{HEX}``: inside a Rust class ``&&``, ``--`` and ``~~``
    are set operators and ``\<`` is a parse error, so hex escapes are the only spelling that
    needs no case analysis.
    """
    body = "".join(f"\\x{{{ord(c):X}}}" for c in sorted(chars))
    return f"[{'^' if negate else ''}{body}]"


#: Matches one character that rules out GSM-7 (anything outside basic + extension).
_NON_GSM7_RE: Final[str] = _char_class(GSM7_BASIC | GSM7_EXTENSION, negate=True)
#: Matches one extension-table character (the second septet of each one).
_EXTENSION_RE: Final[str] = _char_class(GSM7_EXTENSION)
#: Matches one character outside the BMP (the second UTF-16 code unit of each one).
_NON_BMP_RE: Final[str] = r"[\x{10000}-\x{10FFFF}]"


def _is_ucs2(text: pl.Expr) -> pl.Expr:
    return text.str.contains(_NON_GSM7_RE)


def encoding_expr(text: pl.Expr) -> pl.Expr:
    """``"gsm7"`` or ``"ucs2"`` (String) for each rendered text; see :func:`sms_info`."""
    return (
        pl.when(_is_ucs2(text))
        .then(pl.lit("ucs2"))
        .when(text.is_not_null())
        .then(pl.lit("gsm7"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def units_expr(text: pl.Expr) -> pl.Expr:
    """Length (UInt32) in the text's encoding units; see :func:`sms_info`.

    ``len_chars`` counts Unicode scalar values, so each 2-unit character is counted once there
    and once more by a regex match.
    """
    chars = text.str.len_chars()
    return (
        pl.when(_is_ucs2(text))
        .then(chars + text.str.count_matches(_NON_BMP_RE))
        .otherwise(chars + text.str.count_matches(_EXTENSION_RE))
        .cast(pl.UInt32)
    )


def segments_expr(text: pl.Expr) -> pl.Expr:
    """Number of SMS segments (UInt32) billed for each rendered text; see :func:`sms_info`."""
    return segments_of(text, units_expr(text), _is_ucs2(text), text.str.len_chars())


def segments_of(text: pl.Expr, units: pl.Expr, ucs2: pl.Expr, chars: pl.Expr) -> pl.Expr:
    """:func:`segments_expr` from the text's units, encoding and length already computed.

    ``ceil(units / per_part)`` in polars; the few multi-part texts with a 2-unit character,
    which a part boundary may not split, are counted again by :func:`sms_info`.
    """
    single = pl.when(ucs2).then(pl.lit(UCS2_SINGLE)).otherwise(pl.lit(GSM7_SINGLE))
    part = pl.when(ucs2).then(pl.lit(UCS2_PART)).otherwise(pl.lit(GSM7_PART))
    ceiling = (
        pl.when(units <= single)
        .then(pl.lit(1))
        .otherwise((units + part - 1) // part)
        .cast(pl.UInt32)
    )
    recount = (units > single) & (units != chars)  # some 2-unit character
    parts = pl.struct(text.alias("text"), ceiling.alias("ceiling"), recount.alias("recount"))
    return parts.map_batches(_recount, return_dtype=pl.UInt32)


def _recount(parts: pl.Series) -> pl.Series:
    frame = parts.struct.unnest()
    rows = frame["recount"].fill_null(False).arg_true()
    exact = [sms_info(text).segments for text in frame["text"].gather(rows)]
    return frame["ceiling"].scatter(rows, pl.Series(exact, dtype=pl.UInt32))
