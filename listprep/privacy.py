"""Keeping output safe to open and to share: formula escaping and number masking."""

from __future__ import annotations

import re

import polars as pl


def mask(number: str | None) -> str:
    """A number safe for logs: keep the first two and last two digits (``98XXXXXX10``)."""
    if not number:
        return ""
    digits = [ch for ch in number if ch.isdigit()]
    if len(digits) <= 4:
        return "X" * len(digits)
    return "".join(digits[:2]) + "X" * (len(digits) - 4) + "".join(digits[-2:])


def escape_formula(value: pl.Expr) -> pl.Expr:
    """OWASP's rule against CSV injection: a cell starting ``= + - @``, tab or CR gets a ``'``."""
    risky = value.str.slice(0, 1).is_in(["=", "+", "-", "@", "\t", "\r"])
    return pl.when(risky).then(pl.lit("'") + value).otherwise(value)


def mask_expr(raw: pl.Expr) -> pl.Expr:
    """Vectorised :func:`mask`: keep the first and last two digits only."""
    digits = raw.fill_null("").str.replace_all(r"\D", "")
    n = digits.str.len_chars()
    middle = digits.str.slice(2, n - 4).str.replace_all(r"\d", "X")
    return (
        pl.when(n <= 4)
        .then(digits.str.replace_all(r"\d", "X"))
        .otherwise(pl.concat_str([digits.str.slice(0, 2), middle, digits.str.slice(-2)]))
    )


#: What may sit between the digits of a number the normaliser accepts: spaces (any kind), dots,
#: dashes (any kind), brackets, a slash, the invisible characters it strips, and their ``repr``
#: escapes (``\xa0``, ``\u200b``), since messages often quote a cell with ``!r``; and an
#: underscore, which a spreadsheet or a database export puts in place of a space.
_GAP = (
    r"(?:[\s._\-\u2010-\u2015\u2212()\[\]/\u00ad\u200b-\u200d\u2060\ufeff]"
    r"|\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[tnr]))"
)
#: A phone-number-like run: 7 or more digits, up to three gap characters between two digits.
_DIGIT_RUN = re.compile(rf"\+?\d(?:{_GAP}{{0,3}}\d){{6,}}")
#: An ISO 8601 date (``2026-12-01``; or ``01/12/2026``, as India writes dates), maybe with a
#: time and an offset (RFC 3339: ``2026-12-01T10:00:00+05:30``).
_DATE = re.compile(
    r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?)?)?"
    r"|(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|1[0-2])/\d{4}"
)
_RUN_ENDS = re.compile(rf"\d{_GAP}{{0,3}}\Z")
_RUN_STARTS = re.compile(rf"{_GAP}{{0,3}}\d")


def mask_digit_runs(text: str) -> str:
    """Mask every phone-number-like run of digits in free text (samples, messages).

    Dates and timestamps are digit runs too, but a message about a schedule must show them: a
    date stays as written unless digits run on from it on either side, so that no number
    spelled like a date (``2012-11-23 45``) slips through.
    """
    parts, done = [], 0
    for date in _DATE.finditer(text):
        start, end = date.span()
        if _RUN_ENDS.search(text, max(0, start - 20), start) or _RUN_STARTS.match(text, end):
            continue
        parts += [_DIGIT_RUN.sub(_mask_match, text[done:start]), date.group()]
        done = end
    return "".join([*parts, _DIGIT_RUN.sub(_mask_match, text[done:])])


def _mask_match(match: re.Match[str]) -> str:
    text = match.group()
    return ("+" if text.startswith("+") else "") + mask(text)  # +91XXXXXXXX10 stays E.164-like
