"""Loading DND registers and suppression lists into integer-keyed lookup frames.

A register entry's key is its E.164 digits as an Int64 (15 digits fit), so scrubbing is an
integer join, never a string join. Preferences are a bit mask of the categories the
subscriber *allows* (bit N for category N); ``0`` means fully blocked, so combining entries
for one number is a bitwise AND — the most restrictive registration wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from listprep.errors import InputError
from listprep.limits import Channel
from listprep.reader import PHONE_RAW, header_key, sha256_file
from listprep.stages.normalise import E164, classify_values

KEY = "_key"
ALLOWED = "_allowed"
LIST_NAME = "_list"

#: Header names of a register's preference column, after :func:`listprep.reader.header_key`.
PREFERENCE_HEADERS = ("preferences", "preference", "pref", "prefs", "categories", "category", "dnd")
_NUMBER_HEADERS = ("number", "phone", "msisdn", "mobile", "phone_number", "mobile_number")
_CATEGORY = re.compile(r"\d+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Register:
    """One loaded DND register or suppression list, with what the manifest reports."""

    path: str
    sha256: str
    rows: int
    entries: int
    """Distinct valid numbers."""
    bad_rows: int
    """Rows without a dialable number (empty, junk, invalid, toll-free …): counted, not lost."""
    frame: pl.DataFrame
    """``_key`` (Int64) plus ``_allowed`` (UInt16, registers) or ``_list`` (suppression)."""

    def describe(self) -> dict[str, object]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "rows": self.rows,
            "entries": self.entries,
            "bad_rows": self.bad_rows,
        }


def e164_key(e164: pl.Expr) -> pl.Expr:
    """The integer key of an E.164 string: its digits as an Int64."""
    return e164.str.slice(1).cast(pl.Int64)


def preference_mask(text: pl.Expr) -> pl.Expr:
    """Allowed-category bit mask from a preference cell; ``0`` anywhere, or nothing, blocks all."""
    codes = text.fill_null("").str.extract_all(r"\d+").list.eval(pl.element().cast(pl.Int64))
    full = codes.list.contains(0) | (codes.list.len() == 0)
    bits = codes.list.eval(
        pl.when(pl.element().is_between(1, 8))
        .then(pl.lit(2, pl.Int64).pow(pl.element()))
        .otherwise(0)
    ).list.sum()
    return pl.when(full).then(0).otherwise(bits).cast(pl.UInt16)


def load_register(path: Path, region: str, *, suppression: bool = False) -> Register:
    """Read a register (CSV with a number column, or one number per line) and key it."""
    name = str(path)
    if not path.is_file():
        raise InputError("no such register file", file=name, hint="check --dnd / --suppress paths")
    try:
        raw = pl.read_csv(path, infer_schema=False, has_header=False, raise_if_empty=False)
    except pl.exceptions.ComputeError as exc:
        raise InputError(
            f"cannot parse the register: {str(exc).splitlines()[0]}", file=name
        ) from None
    if raw.height == 0:
        raise InputError("the register is empty", file=name)
    first = [str(v or "") for v in raw.row(0)]
    has_header = any(header_key(v) in _NUMBER_HEADERS + PREFERENCE_HEADERS for v in first)
    body = raw.slice(1) if has_header else raw
    keys = [header_key(v) for v in first] if has_header else []
    number_col = raw.columns[next((i for i, k in enumerate(keys) if k in _NUMBER_HEADERS), 0)]
    pref_idx = next((i for i, k in enumerate(keys) if k in PREFERENCE_HEADERS), None)
    numbers = body.select(
        pl.col(number_col).fill_null("").alias("_raw"),
        (pl.col(raw.columns[pref_idx]) if pref_idx is not None else pl.lit(None, pl.String)).alias(
            "_pref"
        ),
    )
    # only numbers a campaign could dial can match a contact; anything else is a bad row
    table = classify_values(numbers["_raw"], region, Channel.VOICE).filter(
        pl.col(E164).is_not_null()
    )
    joined = numbers.join(table, left_on="_raw", right_on=PHONE_RAW, how="inner")
    keyed = joined.select(e164_key(pl.col(E164)).alias(KEY), pl.col("_pref"))
    if suppression:
        frame = (
            keyed.select(KEY)
            .unique(maintain_order=True)
            .with_columns(pl.lit(name).alias(LIST_NAME))
        )
    else:
        frame = keyed.group_by(KEY, maintain_order=True).agg(
            preference_mask(pl.col("_pref")).bitwise_and().alias(ALLOWED)
        )
    return Register(
        path=name,
        sha256=sha256_file(path),
        rows=body.height,
        entries=frame.height,
        bad_rows=body.height - joined.height,
        frame=frame,
    )
