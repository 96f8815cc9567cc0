"""The layout of an Exotel list file: which columns, in which order, and each row's bytes.

Static lists may carry only Exotel's standard columns; dynamic lists carry the template's
variables. The byte size of every row is computed exactly as polars writes it, so the
splitter can keep dynamic lists under 60 MB without writing them first.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from listprep.limits import STATIC_COLUMNS, Method
from listprep.privacy import escape_formula
from listprep.reader import header_key
from listprep.stages.normalise import E164

NUMBER = "number"

#: Input headers (after :func:`~listprep.reader.header_key`) that fill a standard column.
STATIC_ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name", "firstname", "first", "given_name", "name", "customer_name"),
    "last_name": ("last_name", "lastname", "last", "surname", "family_name"),
    "company_name": ("company_name", "company", "organisation", "organization", "business"),
    "email": ("email", "e_mail", "email_address", "email_id", "mail"),
    "tag": ("tag", "tags", "label", "segment"),
}


def list_columns(
    columns: Sequence[str], method: Method, variables: Sequence[str] = ()
) -> dict[str, list[str]]:
    """Output column -> the input columns that fill it (coalesced, first non-empty wins)."""
    user = [c for c in columns if not c.startswith("_")]
    if method is Method.DYNAMIC:
        # @@number is Exotel's own number column (the phone number), never an input column
        return {NUMBER: [E164], **{v: [v] for v in variables if v != NUMBER}}
    layout: dict[str, list[str]] = {NUMBER: [E164]}
    for standard in STATIC_COLUMNS:
        aliases = STATIC_ALIASES[standard]
        sources = sorted(
            (c for c in user if header_key(c) in aliases),
            key=lambda c: aliases.index(header_key(c)),
        )
        if sources:
            layout[standard] = sources
    return layout


def dropped_columns(columns: Sequence[str], layout: dict[str, list[str]]) -> list[str]:
    """Input columns that do not reach the list files (the manifest names them)."""
    used = {c for sources in layout.values() for c in sources}
    return [c for c in columns if not c.startswith("_") and c not in used]


def list_exprs(layout: dict[str, list[str]], *, escape: bool = False) -> list[pl.Expr]:
    """Select expressions for the list file; empty cells become null so they are written bare.

    With ``escape``, spreadsheet formulas are neutralised in every column but ``number``.
    """
    exprs = []
    for out, sources in layout.items():
        value = pl.coalesce([_blank_to_null(pl.col(s)) for s in sources])
        if escape and out != NUMBER:
            value = escape_formula(value)
        exprs.append(value.alias(out))
    return exprs


def _blank_to_null(col: pl.Expr) -> pl.Expr:
    return pl.when(col.str.strip_chars() == "").then(None).otherwise(col)


def _field_bytes(col: pl.Expr) -> pl.Expr:
    """Bytes polars writes for one field: quoted (and quotes doubled) when it must be."""
    text = col.fill_null("")
    # polars quotes a field holding a delimiter, quote or line end, and writes "" for an empty
    # string (null is written bare)
    needs_quotes = text.str.contains(r'[,"\r\n]') | (col.is_not_null() & (text == ""))
    return text.str.len_bytes().cast(pl.Int64) + pl.when(needs_quotes).then(
        2 + text.str.count_matches('"').cast(pl.Int64)
    ).otherwise(0)


def row_bytes(frame: pl.DataFrame, names: Sequence[str]) -> pl.Series:
    """Bytes of each written row of ``frame[names]``: fields, separators and the newline."""
    return frame.select(
        (pl.sum_horizontal([_field_bytes(pl.col(n)) for n in names]) + len(names)).alias("_bytes")
    ).to_series()


def header_bytes(names: Sequence[str]) -> int:
    return len(",".join(names).encode()) + 1
