"""Reading DND registers and suppression lists, and keying their numbers as integers.

A register entry's key is its E.164 digits as an Int64 (15 digits fit), so scrubbing is an
integer join or binary search, never a string join. Preferences are a bit mask of the
categories the subscriber *allows* (bit N for category N); ``0`` means fully blocked, so
combining entries for one number is a bitwise AND — the most restrictive registration wins.

Two keyings share one reader: :func:`load_register` classifies every number exactly (what the
pipeline does with a raw register), and :func:`fast_key` keys the common spellings without
phonenumbers, for building an index of a national register (:mod:`listprep.dndindex`).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from listprep.errors import InputError
from listprep.limits import Channel
from listprep.reader import PHONE_RAW, header_key, sha256_file

KEY = "_key"
ALLOWED = "_allowed"
LIST_NAME = "_list"
RAW = "_raw"
PREF = "_pref"
DATE = "_date"

#: Header names of a register's preference column, after :func:`listprep.reader.header_key`.
PREFERENCE_HEADERS = ("preferences", "preference", "pref", "prefs", "categories", "category", "dnd")
#: Header names of a column dating the register (the newest date counts as its snapshot date).
DATE_HEADERS = (
    "snapshot_date",
    "snapshot",
    "date",
    "as_of",
    "updated",
    "updated_at",
    "updated_on",
    "last_updated",
)
_NUMBER_HEADERS = ("number", "phone", "msisdn", "mobile", "phone_number", "mobile_number")
_HEADER_WORD = re.compile(r"[A-Za-z][\w .#/()-]*")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
#: A preference cell that can be read with certainty: codes 0–8 and separators, nothing else.
_TIDY_PREFERENCE = r"^[\s,;|]*[0-8]([\s,;|]+[0-8])*[\s,;|]*$"

# [1-9] then nine digits: a national significant number phonenumbers keeps as it is.
_NATIONAL_LOW, _NATIONAL_HIGH = 10**9, 10**10 - 1
_INDIA = 91 * 10**10


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
    snapshot_date: dt.date | None = None
    """When the register was taken: given by the caller, else the newest date in its date column."""

    def describe(self) -> dict[str, object]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "rows": self.rows,
            "entries": self.entries,
            "bad_rows": self.bad_rows,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterLayout:
    """How a register file is laid out, sniffed from its first line."""

    separator: str
    header: bool
    width: int
    number: int
    preference: int | None
    date: int | None


def e164_key(e164: pl.Expr) -> pl.Expr:
    """The integer key of an E.164 string: its digits as an Int64."""
    return e164.str.slice(1).cast(pl.Int64)


def preference_mask(text: pl.Expr) -> pl.Expr:
    """Allowed-category bit mask from a preference cell; ``0`` anywhere, or nothing, blocks all.

    The codes are a set: ``1,1`` allows category 1 (bit 1), not category 2. A cell that is
    not just codes 0–8 and separators (``9``, ``1-3``, a date, a word) cannot be read with
    certainty, and reading its digits as codes could allow what the subscriber blocked (a
    date ``2024-05-01`` would allow 1 and 5), so it blocks everything too.
    """
    cell = text.fill_null("")
    codes = cell.str.extract_all(r"\d").list.eval(pl.element().cast(pl.Int64)).list.unique()
    full = ~cell.str.contains(_TIDY_PREFERENCE) | codes.list.contains(0)
    bits = codes.list.eval(pl.lit(2, pl.Int64).pow(pl.element())).list.sum()
    return pl.when(full).then(0).otherwise(bits).cast(pl.UInt16)


def preference_masks(cells: pl.Series) -> tuple[pl.Series, int]:
    """Masks for a column of preference cells, plus how many cells were not tidy.

    A register has few distinct cells, so the mask is worked out once per distinct value and
    spread by the cells' categorical codes (a plain array lookup: far cheaper than a string
    join or ``replace``). Untidy cells (``"9"``, ``"1-3"``, ``"yes"``) block everything (see
    :func:`preference_mask`) and are counted, so a report can mention them.
    """
    cells = cells.cast(pl.Categorical)  # a no-op when the reader made them categorical
    distinct = cells.unique().drop_nulls()
    table = (
        distinct.cast(pl.String)
        .to_frame("cell")
        .select(
            preference_mask(pl.col("cell")).alias("mask"),
            (
                (pl.col("cell").str.strip_chars() != "")
                & ~pl.col("cell").str.contains(_TIDY_PREFERENCE)
            ).alias("odd"),
        )
    )
    codes = distinct.to_physical().to_numpy()
    size = int(codes.max()) + 2 if len(codes) else 1  # the last slot: empty cells (null)
    masks = np.zeros(size, np.uint16)
    masks[codes] = table["mask"].to_numpy()
    odd = np.zeros(size, np.bool_)
    odd[codes] = table["odd"].to_numpy()
    physical = cells.to_physical().fill_null(size - 1).to_numpy()
    return pl.Series(masks[physical]), int(odd[physical].sum()) if odd.any() else 0


def fast_key(raw: pl.Expr, region: str, *, strip: bool = True) -> pl.Expr:
    """Key the common spellings of Indian numbers by digit arithmetic alone; null otherwise.

    ``9876543210``, ``09876543210``, ``919876543210`` and ``+919876543210`` (also with spaces
    or dashes) become 919876543210; only ``+91…`` outside region IN. Validity is not checked,
    and need not be: a key can only ever meet a contact that passed normalisation, so the
    contact's own number is valid, and phonenumbers reads each of these spellings of it as
    that very number. An invalid register number keyed here therefore matches nothing. The
    national number must not start with 0 (where phonenumbers would strip a prefix); such
    values, and every other spelling, are left null for :func:`classify_values`.

    ``strip=False`` skips removing spaces and dashes: a cheaper first pass for the bulk of a
    register, whose leftovers are then keyed with ``strip=True``.
    """
    text = raw.str.replace_all(r"[ \-]", "") if strip else raw
    size = text.str.len_bytes()
    value = text.cast(pl.Int64, strict=False)
    plus = text.str.starts_with("+")
    national = value.is_between(_NATIONAL_LOW, _NATIONAL_HIGH)
    international = value.is_between(_INDIA + _NATIONAL_LOW, _INDIA + _NATIONAL_HIGH)
    if region.upper() != "IN":
        return pl.when(international & plus & (size == 13)).then(value)
    return (
        pl.when(national & ((size == 10) | ((size == 11) & ~plus)))
        .then(value + _INDIA)
        .when(international & ((size == 12) | ((size == 13) & plus)))
        .then(value)
    )


def exact_keys(values: pl.Series, region: str) -> pl.DataFrame:
    """``values`` with the key of each dialable number, or the reason it has none.

    This is the normaliser's own classification (each distinct value once): exact, and the
    reference that :func:`fast_key` must agree with.
    """
    # imported here: the stages package imports the scrub stage, which imports this module
    from listprep.stages.normalise import E164, classify_values

    values = values.fill_null("")
    table = classify_values(values, region, Channel.VOICE)
    return (
        values.to_frame(PHONE_RAW)
        .join(table, on=PHONE_RAW, how="left", maintain_order="left")
        .select(e164_key(pl.col(E164)).alias(KEY), pl.col("_reason"))
    )


def latest_date(values: pl.Series) -> dt.date | None:
    """The newest date in a date column (ISO, or Indian day-first ``dd/mm/yyyy``)."""
    distinct = values.drop_nulls().unique().str.strip_chars().str.slice(0, 10).to_frame("d")
    parsed = distinct.select(
        pl.coalesce(pl.col("d").str.to_date(f, strict=False) for f in _DATE_FORMATS)
    ).to_series()
    latest = parsed.max()
    return latest if isinstance(latest, dt.date) else None


def sniff_layout(path: Path) -> RegisterLayout:
    """Separator, header and columns of a register, from its first line.

    Tab if the line has one, else comma (semicolon when that is the only separator present).
    The first line is a header when it names a known column, or is all words. Without a
    header the number is the first column and the preference the second, if there is one.
    """
    first = _first_line(path)
    separator = "\t" if "\t" in first else ";" if ";" in first and "," not in first else ","
    fields = next(csv.reader([first], delimiter=separator), [""])
    keys = [header_key(f) for f in fields]
    named = any(k in _NUMBER_HEADERS + PREFERENCE_HEADERS + DATE_HEADERS for k in keys)
    header = named or all(_HEADER_WORD.fullmatch(f.strip()) for f in fields)

    def find(names: tuple[str, ...]) -> int | None:
        return next((i for i, k in enumerate(keys) if k in names), None)

    if not header:
        preference = 1 if len(fields) > 1 else None
        return RegisterLayout(
            separator=separator,
            header=False,
            width=len(fields),
            number=0,
            preference=preference,
            date=None,
        )
    return RegisterLayout(
        separator=separator,
        header=True,
        width=len(fields),
        number=find(_NUMBER_HEADERS) or 0,
        preference=find(PREFERENCE_HEADERS),
        date=find(DATE_HEADERS),
    )


def scan_register(path: Path, layout: RegisterLayout) -> pl.LazyFrame:
    """The register's rows as ``_raw``, ``_pref`` and ``_date`` strings (nulls where absent)."""
    names = [f"c{i}" for i in range(layout.width)]

    def column(index: int | None, alias: str) -> pl.Expr:
        return (pl.col(names[index]) if index is not None else pl.lit(None, pl.String)).alias(alias)

    return pl.scan_csv(
        path,
        has_header=False,
        schema=dict.fromkeys(names, pl.String),
        separator=layout.separator,
        skip_rows=int(layout.header),
        encoding="utf8-lossy",
        raise_if_empty=False,
    ).select(
        column(layout.number, RAW),
        column(layout.preference, PREF),
        column(layout.date, DATE),
    )


def parse_error(exc: Exception, name: str) -> InputError:
    """The error for a register polars cannot parse, most often an unquoted ``1,2,3``."""
    first = str(exc).splitlines()[0]
    hint = None
    if "more fields" in first:
        hint = 'quote preference cells that contain commas ("1,2,3") or separate codes with ;'
    return InputError(f"cannot parse the register: {first}", file=name, hint=hint)


def check_register_file(path: Path) -> str:
    """``path`` as a name for messages, if it is a non-empty file; raise otherwise."""
    name = str(path)
    if not path.is_file():
        raise InputError("no such register file", file=name, hint="check --dnd / --suppress paths")
    if path.stat().st_size == 0:
        raise InputError("the register is empty", file=name)
    return name


def load_register(
    path: Path, region: str, *, suppression: bool = False, snapshot_date: dt.date | None = None
) -> Register:
    """Read a register (CSV/TSV with a number column, or one number per line) and key it."""
    name = check_register_file(path)
    layout = sniff_layout(path)
    try:
        body = scan_register(path, layout).collect()
    except pl.exceptions.PolarsError as exc:
        raise parse_error(exc, name) from None
    if body.height == 0 and not layout.header:
        raise InputError("the register is empty", file=name)
    # only numbers a campaign could dial can match a contact; anything else is a bad row
    masks, _ = preference_masks(body[PREF])
    keyed = pl.concat(
        [exact_keys(body[RAW], region), masks.alias(ALLOWED).to_frame()], how="horizontal"
    ).filter(pl.col(KEY).is_not_null())
    if suppression:
        frame = (
            keyed.select(KEY)
            .unique(maintain_order=True)
            .with_columns(pl.lit(name).alias(LIST_NAME))
        )
    else:
        frame = keyed.group_by(KEY, maintain_order=True).agg(pl.col(ALLOWED).bitwise_and())
    return Register(
        path=name,
        sha256=sha256_file(path),
        rows=body.height,
        entries=frame.height,
        bad_rows=body.height - keyed.height,
        frame=frame,
        snapshot_date=snapshot_date or latest_date(body[DATE]),
    )


def _first_line(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    line = head.decode("utf-8-sig", errors="replace").splitlines()
    return line[0] if line else ""
