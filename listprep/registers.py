"""Reading DND registers and suppression lists, and keying their numbers as integers.

A register entry's key is its E.164 digits as an Int64 (15 digits fit), so scrubbing is an
integer join or binary search, never a string join. Preferences are a bit mask of the
categories the subscriber *allows* (bit N for category N); ``0`` means fully blocked, so
combining entries for one number is a bitwise AND — the most restrictive registration wins.

Two keyings share one reader: :func:`load_register` classifies every number exactly (what the
pipeline does with a raw register), and :func:`fast_key` keys the common spellings without
phonenumbers, for building an index of a national register (:mod:`listprep.dndindex`). Both
key every number a cell names (:func:`cell_keys`): a register blocks, so a label or a second
number in a cell must not let a number through.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from listprep.csvfile import BROKEN_QUOTING, DELIMITERS, ROW, CsvStream, Readable
from listprep.errors import InputError
from listprep.limits import Channel
from listprep.reader import (
    EXCEL_SUFFIXES,
    PHONE_HEADERS,
    PHONE_RAW,
    choose_phone_column,
    header_key,
    open_csv,
    sha256_file,
)

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
_HEADER_WORD = re.compile(r"[A-Za-z][\w .#/()-]*")
_WIDE_HINT = (
    'quote cells that contain the delimiter, such as a preference "0,2,3": unquoted, its codes '
    "read as extra columns"
)
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
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
    bad_reasons: Mapping[str, int] = field(default_factory=dict)
    """Bad rows by reason (``empty``, ``not-a-number`` …), for the warning."""
    suppression: bool = False

    def describe(self) -> dict[str, object]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "rows": self.rows,
            "entries": self.entries,
            "bad_rows": self.bad_rows,
        }

    def bad_rows_warning(self) -> str | None:
        """The warning for rows without a usable number (see :func:`bad_rows_warning`)."""
        return bad_rows_warning(
            self.path, _what(self.suppression), self.rows, self.bad_rows, self.bad_reasons
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterLayout:
    """How to read a register file: its layout, sniffed from its first line, and its text."""

    separator: str
    header: bool
    width: int
    number: int
    preference: int | None
    date: int | None
    skip: int = 0
    """Lines before the first row: blank lines, and the header."""
    what: str = "DND register"
    """``"DND register"`` or ``"suppression list"``, for messages."""
    text: bytes | None = field(default=None, repr=False)
    """The file as UTF-8, when polars cannot scan it as stored (gzip, UTF-16, CR line ends)."""


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


_SPAN = r"\+?\d[\d \-.()]*\d"
"""A number written with spaces, dashes, dots or brackets inside: one candidate in a cell."""
CELL = "_row"


def cell_keys(values: pl.Series, region: str) -> tuple[pl.DataFrame, dict[str, int]]:
    """Every number a register's cells name, as ``_row`` (position in ``values``) and
    ``_key`` pairs; and, of the rows with no number at all, how many have each reason.

    A cell is read as a whole (:func:`exact_keys`); a cell that is not one number is read in
    spans (runs of digits and the punctuation numbers are written with), and a span that is
    not one number in its digit runs, alone and in neighbouring pairs (``98765 43210 97654
    32109``). A label (``Mob: 98…``, ``98… (M)``) or a second number (``98…, 97…``, ``98…
    97…``) must not let an opted-out number be dialled; reading more than the cell meant can
    only block more, the safe side for a register.
    """
    values = values.fill_null("")
    rows = pl.int_range(values.len(), dtype=pl.UInt32, eager=True)
    whole = exact_keys(values, region).with_columns(rows.alias(CELL))
    spans = _pieces(values, rows, whole[KEY].is_null() | ~values.str.contains(r"^[\d +\-]*$"))
    spans = spans.with_columns(exact_keys(spans["piece"], region)[KEY])
    runs = spans.filter(pl.col(KEY).is_null()).select(
        CELL, pl.col("piece").str.extract_all(r"\d+").alias("runs")
    )
    pairs = runs.select(CELL, pl.col("runs").list.eval(pl.element() + pl.element().shift(-1)))
    parts = pl.concat([_pieces_of(runs, "runs"), _pieces_of(pairs, "runs")])
    parts = parts.with_columns(exact_keys(parts["piece"], region)[KEY])
    found = (
        pl.concat([whole.select(CELL, KEY), spans.select(CELL, KEY), parts.select(CELL, KEY)])
        .drop_nulls(KEY)
        .unique(maintain_order=True)
    )
    none = whole.filter(~pl.col(CELL).is_in(found[CELL].implode()))
    reasons = dict(none["_reason"].drop_nulls().value_counts().iter_rows())
    return found.sort(CELL, maintain_order=True), reasons


def _pieces(values: pl.Series, rows: pl.Series, chosen: pl.Series) -> pl.DataFrame:
    """The spans of the chosen cells, one row each."""
    spans = values.filter(chosen).str.extract_all(_SPAN)
    return _pieces_of(pl.DataFrame({CELL: rows.filter(chosen), "spans": spans}), "spans")


def _pieces_of(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """``_row`` and ``piece``: one row per item of the list column ``column``."""
    return frame.explode(column).drop_nulls(column).select(CELL, pl.col(column).alias("piece"))


def latest_date(values: pl.Series) -> dt.date | None:
    """The newest date in a date column (ISO, or Indian day-first ``dd/mm/yyyy``)."""
    distinct = values.drop_nulls().unique().str.strip_chars().str.slice(0, 10).to_frame("d")
    parsed = distinct.select(
        pl.coalesce(pl.col("d").str.to_date(f, strict=False) for f in _DATE_FORMATS)
    ).to_series()
    latest = parsed.max()
    return latest if isinstance(latest, dt.date) else None


def sniff_layout(path: Path, *, suppression: bool = False) -> RegisterLayout:
    """How to read a register: encoding, delimiter and header as a contact input's
    (:class:`~listprep.csvfile.CsvStream`; gzip undone and binary refused as for contacts),
    then which columns hold the number, the preference and the date.

    The first line is a header when it names a known column, or is all words; the number
    column is then found by name as a contact's phone column is (``mobile_no``), never
    guessed. Without a header the number is the first column and the preference the second:
    the delimiter is the first one on the line (a number holds none; a preference may), and a
    third column is refused, since unquoted codes (``2,0``) would be read as the first code
    alone.
    """
    name, what = str(path), _what(suppression)
    compressed = _refuse_workbook(path, name, what)
    handle = open_csv(path, name)
    try:
        stream = CsvStream(handle, name)
        header = _is_header(stream.names)
        inner = [d for d in DELIMITERS if d in stream.names[0]]
        if not header and inner:  # the sniffed delimiter is not the first on the line
            handle.seek(0)
            first = min(inner, key=stream.names[0].index)
            stream = CsvStream(handle, name, delimiter=first)
        text = _utf8_text(handle, compressed=compressed, utf16=stream.encoding == "utf-16")
    finally:
        handle.close()
    names, skip = stream.names, stream.blank_lines
    if not header:
        if len(names) > 2 and not suppression:
            raise InputError(
                f"the row has {len(names)} fields: a {what} without a header has a number "
                "and at most one preference column",
                file=name,
                row=skip + 1,
                hint=f"{_WIDE_HINT}; or add a header row (number,preferences,...)",
            )
        return RegisterLayout(
            separator=stream.delimiter,
            header=False,
            width=len(names),
            number=0,
            preference=1 if len(names) > 1 else None,
            date=None,
            skip=skip,
            what=what,
            text=text,
        )
    keys = [header_key(n) for n in names]

    def find(known: tuple[str, ...]) -> int | None:
        return next((i for i, k in enumerate(keys) if k in known), None)

    return RegisterLayout(
        separator=stream.delimiter,
        header=True,
        width=len(names),
        number=_number_column(names, name, what),
        preference=find(PREFERENCE_HEADERS),
        date=find(DATE_HEADERS),
        skip=skip + 1,
        what=what,
        text=text,
    )


def scan_register(path: Path, layout: RegisterLayout) -> pl.LazyFrame:
    """The register's rows as ``_raw``, ``_pref`` and ``_date`` strings (nulls where absent);
    blank lines are skipped, as in contact files (they are not rows without a number)."""
    names = [f"c{i}" for i in range(layout.width)]

    def column(index: int | None, alias: str) -> pl.Expr:
        return (pl.col(names[index]) if index is not None else pl.lit(None, pl.String)).alias(alias)

    rows = pl.scan_csv(
        path if layout.text is None else layout.text,
        has_header=False,
        schema=dict.fromkeys(names, pl.String),
        separator=layout.separator,
        skip_rows=layout.skip,
        encoding="utf8-lossy",  # numbers and codes are ASCII: cp1252 names cannot change them
        raise_if_empty=False,
    )
    return rows.filter(pl.any_horizontal(pl.col(names).is_not_null())).select(
        column(layout.number, RAW),
        column(layout.preference, PREF),
        column(layout.date, DATE),
    )


def parse_error(exc: Exception, path: Path, layout: RegisterLayout) -> InputError:
    """The error for a register polars cannot parse, located by the contact reader: most
    often a row with more fields than the header (an unquoted ``0,2,3``), which must not be
    guessed at, since reading ``0,2,3`` as ``0`` or ``2`` alone changes what it blocks."""
    name = str(path)
    with path.open("rb") as fh:
        stream = CsvStream(
            fh if layout.text is None else layout.text, name, delimiter=layout.separator
        )
        for parsed in stream:
            wrong = parsed.malformed.filter(
                (pl.col("fields") > layout.width) | (pl.col("fields") == 0)
            )
            if wrong.height:
                row, fields = int(wrong[ROW][0]), int(wrong["fields"][0])
                if fields == 0:
                    return InputError(
                        BROKEN_QUOTING, file=name, row=row, hint="fix that row's quotes"
                    )
                first = "header" if layout.header else "first row"
                message = f"the row has {fields} fields where the {first} has {layout.width}"
                return InputError(message, file=name, row=row, hint=_WIDE_HINT)
    first = str(exc).splitlines()[0]
    return InputError(
        f"cannot parse the {layout.what}: {first}", file=name, hint="export it again as CSV"
    )


def check_register_file(path: Path, *, suppression: bool = False) -> str:
    """``path`` as a name for messages, if it is a file with some text; raise otherwise."""
    name, what = str(path), _what(suppression)
    if not path.is_file():
        raise InputError(f"no such {what} file", file=name, hint="check --dnd / --suppress paths")
    size = path.stat().st_size
    if size == 0 or (size < 1 << 16 and not _without_boms(path.read_bytes()).strip()):
        raise InputError(
            f"the {what} is empty",
            file=name,
            hint="export it again, or leave it out if nothing is on it",
        )
    return name


def no_numbers_error(name: str, what: str, rows: int, reasons: Mapping[str, int]) -> InputError:
    """The error for a register with no usable number: used as it is, it would block nothing
    and every number on it would be dialled."""
    if rows == 0:
        return InputError(
            f"the {what} has a header but no rows",
            file=name,
            hint="export it again, or leave it out if nothing is on it",
        )
    return InputError(
        f"no usable phone number in the {what} ({rows:,} {'row' if rows == 1 else 'rows'}: "
        f"{_commonest(reasons)})",
        file=name,
        hint="give the numbers (10-digit, 0-prefixed or +91) one per line, or in a column "
        "headed number, mobile or msisdn; check that the file is CSV text",
    )


def bad_rows_warning(
    path: str, what: str, rows: int, bad_rows: int, reasons: Mapping[str, int]
) -> str | None:
    """A warning for rows without a usable number: how many and the commonest reasons, never
    a value (a junk cell may hold most of a number). Such a row blocks nothing."""
    if bad_rows <= 0:
        return None
    return (
        f"{path}: {bad_rows:,} of the {what}'s {rows:,} rows have no usable number and are "
        f"ignored ({_commonest(reasons)})"
    )


def load_register(
    path: Path, region: str, *, suppression: bool = False, snapshot_date: dt.date | None = None
) -> Register:
    """Read a register (CSV/TSV with a number column, or one number per line) and key it."""
    name = check_register_file(path, suppression=suppression)
    layout = sniff_layout(path, suppression=suppression)
    try:
        body = scan_register(path, layout).collect()
    except pl.exceptions.PolarsError as exc:
        raise parse_error(exc, path, layout) from None
    # only numbers a campaign could dial can match a contact; anything else is a bad row
    masks, _ = preference_masks(body[PREF])
    pairs, reasons = cell_keys(body[RAW], region)
    keyed = pairs.select(KEY, masks.gather(pairs[CELL]).alias(ALLOWED))
    if keyed.height == 0:
        raise no_numbers_error(name, layout.what, body.height, reasons)
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
        bad_rows=body.height - pairs[CELL].n_unique(),
        frame=frame,
        snapshot_date=snapshot_date or latest_date(body[DATE]),
        bad_reasons=reasons,
        suppression=suppression,
    )


def _what(suppression: bool) -> str:
    return "suppression list" if suppression else "DND register"


def _commonest(reasons: Mapping[str, int]) -> str:
    ranked = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    shown = ", ".join(f"{reason} {count:,}" for reason, count in ranked[:3])
    rest = sum(count for _, count in ranked[3:])
    return f"{shown}, {rest:,} more for other reasons" if rest else shown


def _is_header(names: list[str]) -> bool:
    keys = [header_key(n) for n in names]
    named = any(k in PHONE_HEADERS + PREFERENCE_HEADERS + DATE_HEADERS for k in keys)
    return named or all(_HEADER_WORD.fullmatch(n) for n in names)


def _number_column(names: list[str], name: str, what: str) -> int:
    """The number column of a register with a header, found as a contact's phone column is;
    a lone column is the number whatever its name."""
    try:
        return names.index(choose_phone_column(names, name)[0])
    except InputError as exc:
        if len(names) == 1:
            return 0
        raise InputError(
            f"the {what} has {exc.message}",
            file=name,
            hint="head the number column number, mobile or msisdn (or give one number per line)",
        ) from None


def _refuse_workbook(path: Path, name: str, what: str) -> bool:
    """Refuse a spreadsheet (registers are read as text only); whether the file is gzip."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if path.suffix.lower() in EXCEL_SUFFIXES or head.startswith(_WORKBOOK_MAGIC):
        raise InputError(
            f"the {what} is a spreadsheet workbook; listprep reads registers as CSV or text",
            file=name,
            hint="open it and save it as CSV (CSV UTF-8)",
        )
    return head.startswith(b"\x1f\x8b")


def _utf8_text(handle: Readable, *, compressed: bool, utf16: bool) -> bytes | None:
    """The whole file as UTF-8 when polars cannot scan it as stored: gzip (already undone by
    the reader), UTF-16, or bare-CR line ends (old Mac exports); None when it can."""
    handle.seek(0)
    head = handle.read(1 << 16)
    if not (compressed or utf16 or _bare_cr(head)):
        return None
    handle.seek(0)
    data = handle.read()
    if utf16:  # CsvStream decoded it already: it is valid UTF-16
        data = data.decode("utf-16").encode()
    return data.replace(b"\r", b"\n") if _bare_cr(data[: 1 << 16]) else data


def _bare_cr(head: bytes) -> bool:
    return b"\n" not in head and b"\r" in head


def _without_boms(data: bytes) -> bytes:
    return data.removeprefix(b"\xef\xbb\xbf").removeprefix(b"\xff\xfe").removeprefix(b"\xfe\xff")
