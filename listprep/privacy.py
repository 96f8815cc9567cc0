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


#: A phone-number-like run: 7 or more digits, possibly split by spaces, dots or dashes.
_DIGIT_RUN = re.compile(r"\+?\d(?:[\s.\-]?\d){6,}")


def mask_digit_runs(text: str) -> str:
    """Mask every phone-number-like run of digits in free text (samples, messages)."""
    return _DIGIT_RUN.sub(lambda m: mask(m.group()), text)
