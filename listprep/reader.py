"""Reading sources: CSV files or frames in, one text-only LazyFrame out.

Row identity is fixed here and never recomputed: ``_source_file`` is the path as given (or
``<frame N>``), ``_source_row`` is the row number a spreadsheet shows for that record (the
header is row 1, so the first data row is 2; for frames, the 1-based position), and ``_row_id``
is the global input order that every later stage sorts and dedupes by.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeGuard, cast

import polars as pl

from listprep.config import ReadConfig
from listprep.csvfile import parse
from listprep.errors import InputError, RejectReason

Source = str | os.PathLike[str] | pl.DataFrame | pl.LazyFrame | Any
"""A path, a polars DataFrame or LazyFrame, or a pandas DataFrame."""

SOURCE_FILE = "_source_file"
SOURCE_ROW = "_source_row"
ROW_ID = "_row_id"
PHONE_RAW = "_phone_raw"

#: Header names taken as the phone column, after :func:`header_key`, most specific first.
PHONE_HEADERS = (
    "number",
    "phone",
    "phone_number",
    "phone_no",
    "mobile",
    "mobile_number",
    "mobile_no",
    "msisdn",
    "contact",
    "contact_number",
    "contact_no",
    "cell",
    "cell_phone",
    "telephone",
    "tel",
    "whatsapp",
    "whatsapp_number",
)
#: Words that mark a phone column inside a longer header (``Customer Mobile``).
PHONE_WORDS = ("phone", "mobile", "msisdn", "cell", "whatsapp")

_MAGIC = {
    b"PK\x03\x04": "an XLSX workbook or ZIP archive (an .xlsx name is read as a workbook)",
    b"\xd0\xcf\x11\xe0": "a legacy Excel (.xls) workbook",
    b"%PDF": "a PDF document",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class InputInfo:
    """What the manifest says about one input."""

    path: str
    sha256: str | None
    rows: int
    phone_column: str
    columns: tuple[str, ...]
    encoding: str | None = None
    delimiter: str | None = None
    blank_lines: int = 0
    sheet: str | None = None


def header_key(name: str) -> str:
    """Compare headers loosely: ``" Mobile No."`` and ``mobile_no`` are the same key."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def find_phone_column(columns: Sequence[str], where: str, chosen: str | None = None) -> str:
    """The phone column of one input: ``chosen`` if given, else the one header that names it."""
    return choose_phone_column(columns, where, chosen)[0]


def choose_phone_column(
    columns: Sequence[str], where: str, chosen: str | None = None
) -> tuple[str, str]:
    """The phone column and why it was picked (``listprep inspect`` shows the why)."""
    found = ", ".join(repr(c) for c in columns) or "none"
    if chosen is not None:
        loose = [c for c in columns if header_key(c) == header_key(chosen)]
        if chosen in columns or len(loose) == 1:
            return (chosen if chosen in columns else loose[0]), "given with --phone-column"
        raise InputError(
            f"no column {chosen!r}; headers found: {found}",
            file=where,
            hint="check --phone-column against the header row",
        )
    keys = {c: header_key(c) for c in columns}
    for name in PHONE_HEADERS:
        exact = [c for c, k in keys.items() if k == name]
        if len(exact) == 1:
            return exact[0], f"its header is a phone column name ({name!r})"
        if len(exact) > 1:
            break
    candidates = [c for c, k in keys.items() if k in PHONE_HEADERS] or [
        c for c, k in keys.items() if any(w in k.split("_") for w in PHONE_WORDS)
    ]
    if len(candidates) == 1:
        return candidates[0], "the only header containing a phone word"
    what = "several possible phone columns" if candidates else "no phone column"
    headerless = any(sum(ch.isdigit() for ch in c) >= 7 for c in columns)
    raise InputError(
        f"{what}; headers found: {found}",
        file=where,
        hint="the first row looks like a contact, not a header: add a header row (phone,name,...)"
        if headerless
        else "name the column with --phone-column (phone_column= in the library)",
    )


class ReadOutput(NamedTuple):
    """The read stage's result: rows to process, malformed records rejected, and per-input facts."""

    kept: pl.LazyFrame
    rejected: pl.LazyFrame
    inputs: tuple[InputInfo, ...]


def read_sources(
    sources: Source | Iterable[Source], config: ReadConfig = ReadConfig()
) -> ReadOutput:
    """Read every source as text, add the row-identity columns, and stack them in order."""
    items: list[Source] = [sources] if _is_single(sources) else list(sources)  # type: ignore[arg-type]
    if not items:
        raise InputError("no inputs given", hint="pass at least one CSV file or frame")
    paths = [os.path.realpath(s) for s in items if isinstance(s, str | os.PathLike)]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:
        raise InputError(
            "the same file is given twice: its rows would be counted twice",
            file=twice[0],
            hint="give each input once",
        )
    frames: list[pl.DataFrame] = []
    malformed: list[pl.DataFrame] = []
    infos: list[InputInfo] = []
    offset = 0
    for index, source in enumerate(items, start=1):
        loaded = _load(source, index, len(items), config)
        name, frame = loaded.name, loaded.frame
        phone = find_phone_column(_user_columns(frame), name, config.phone_column)
        identity = [
            pl.lit(name, pl.String).alias(SOURCE_FILE),
            (pl.col(SOURCE_ROW) + offset).alias(ROW_ID),
        ]
        frames.append(frame.with_columns(*identity, pl.col(phone).fill_null("").alias(PHONE_RAW)))
        malformed.append(
            loaded.malformed.with_columns(*identity)
            .select(
                SOURCE_FILE,
                SOURCE_ROW,
                pl.lit("read").alias("stage"),
                pl.lit(RejectReason.MALFORMED_ROW.value).alias("reason"),
                pl.when(pl.col("fields") == 0)
                .then(
                    pl.lit("broken quoting: a quote inside a field, or text after a closing quote")
                )
                .otherwise(
                    pl.format(
                        "{} field(s) where the header has {}",
                        "fields",
                        pl.lit(len(_user_columns(frame))),
                    )
                )
                .alias("detail"),
                pl.col("raw").alias("raw_value"),
                ROW_ID,
            )
            .rename({SOURCE_FILE: "source_file", SOURCE_ROW: "source_row"})
        )
        last_row = pl.concat([frame[SOURCE_ROW], loaded.malformed[SOURCE_ROW]]).max()
        offset += cast(int, last_row or 0) + 1
        infos.append(
            InputInfo(
                path=name,
                sha256=loaded.sha256,
                rows=frame.height + loaded.malformed.height,
                phone_column=phone,
                columns=tuple(_user_columns(frame)),
                encoding=loaded.encoding,
                delimiter=loaded.delimiter,
                blank_lines=loaded.blank_lines,
                sheet=loaded.sheet,
            )
        )
    stacked = pl.concat(frames, how="diagonal") if len(frames) > 1 else frames[0]
    return ReadOutput(stacked.lazy(), pl.concat(malformed).lazy(), tuple(infos))


def _user_columns(frame: pl.DataFrame) -> list[str]:
    return [c for c in frame.columns if c != SOURCE_ROW]


def _is_single(sources: object) -> bool:
    return isinstance(sources, str | os.PathLike | pl.DataFrame | pl.LazyFrame) or _is_pandas(
        sources
    )


def _is_pandas(obj: object) -> TypeGuard[Any]:
    return type(obj).__module__.startswith("pandas") and hasattr(obj, "columns")


class _Loaded(NamedTuple):
    name: str
    frame: pl.DataFrame
    """Text columns plus ``_source_row``."""
    malformed: pl.DataFrame
    sha256: str | None
    encoding: str | None
    delimiter: str | None
    blank_lines: int
    sheet: str | None = None


def _load(source: Source, index: int, count: int, config: ReadConfig) -> _Loaded:
    """One source as an all-text frame with its row numbers and what the manifest says of it."""
    if isinstance(source, pl.LazyFrame):
        source = source.collect()
    if _is_pandas(source):  # as text in pandas first: object columns mix ints and strings
        source = pl.from_pandas(source.astype("string"))
    if isinstance(source, pl.DataFrame):
        name = "<frame>" if count == 1 else f"<frame {index}>"
        text = source.rename({c: str(c) for c in source.columns}).select(pl.all().cast(pl.String))
        text = _strip_headers(text, name).with_columns(
            pl.int_range(1, text.height + 1, dtype=pl.Int64).alias(SOURCE_ROW)
        )
        return _Loaded(name, text, _NO_MALFORMED, None, None, None, 0)
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        path = Path(name)
        if path.suffix.lower() in EXCEL_SUFFIXES:
            return _load_excel(path, name, config.sheet)
        digest, data = _read_bytes(path, name, config.encoding)
        parsed = parse(data, name, encoding=config.encoding, delimiter=config.delimiter)
        if parsed.frame.height + parsed.malformed.height == 0:
            raise InputError(
                "the file has a header but no data rows",
                file=name,
                hint="remove it from the inputs, or export the contacts again",
            )
        return _Loaded(
            name,
            _strip_headers(parsed.frame, name).with_columns(parsed.rows.alias(SOURCE_ROW)),
            parsed.malformed,
            digest,
            parsed.encoding,
            parsed.delimiter,
            parsed.blank_lines,
        )
    raise InputError(
        f"cannot read a {type(source).__name__}",
        hint="give a CSV path, a polars DataFrame/LazyFrame or a pandas DataFrame",
    )


EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


def _load_excel(path: Path, name: str, sheet: str | int | None) -> _Loaded:
    """One worksheet, every cell as text (fastexcel): a phone column never goes through floats
    as far as the workbook allows (a number cell holds at most 15 significant digits)."""
    if not path.is_file():
        raise InputError("no such file", file=name, hint="check the path")
    try:
        import fastexcel
    except ImportError:
        raise InputError(
            "reading Excel workbooks needs the fastexcel package",
            file=name,
            hint="pip install 'listprep[xlsx]', or export the sheet as CSV UTF-8",
        ) from None
    try:
        workbook = fastexcel.read_excel(str(path))
        names = workbook.sheet_names
        chosen = names[0] if sheet is None else sheet
        if isinstance(chosen, str) and chosen.isdecimal() and chosen not in names:
            chosen = int(chosen)
        if isinstance(chosen, int) and not 0 <= chosen < len(names):
            raise InputError(f"no sheet number {chosen}; sheets: {', '.join(names)}", file=name)
        if isinstance(chosen, str) and chosen not in names:
            raise InputError(f"no sheet {chosen!r}; sheets: {', '.join(names)}", file=name)
        frame = workbook.load_sheet(chosen, dtypes="string").to_polars()
    except fastexcel.FastExcelError as exc:
        raise InputError(
            f"cannot read the workbook: {str(exc).splitlines()[0]}",
            file=name,
            hint="open it in a spreadsheet program and save it again, or export it as CSV UTF-8",
        ) from None
    sheet_name = names[chosen] if isinstance(chosen, int) else chosen
    text = _strip_headers(frame.select(pl.all().cast(pl.String)), name)
    if text.height == 0:
        raise InputError(f"sheet {sheet_name!r} has a header but no data rows", file=name)
    rows = pl.int_range(2, text.height + 2, dtype=pl.Int64, eager=True).alias(SOURCE_ROW)
    return _Loaded(
        name, text.with_columns(rows), _NO_MALFORMED, sha256_file(path), None, None, 0, sheet_name
    )


_NO_MALFORMED = pl.DataFrame(schema={SOURCE_ROW: pl.Int64, "fields": pl.UInt32, "raw": pl.String})


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_bytes(path: Path, name: str, encoding: str | None = None) -> tuple[str, bytes]:
    """The file's sha256 and its bytes (gzip undone), after refusing what is clearly not CSV."""
    if not path.exists():
        raise InputError("no such file", file=name, hint="check the path")
    if path.is_dir():
        raise InputError("this is a folder, not a CSV file", file=name, hint="name the CSV files")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", file=name) from None
    digest = hashlib.sha256(data).hexdigest()
    if data.startswith(b"\x1f\x8b"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(
                f"the gzip file is damaged: {exc}", file=name, hint="copy or export it again"
            ) from None
    if not data.removeprefix(b"\xef\xbb\xbf").removeprefix(b"\xff\xfe").strip():
        raise InputError("the file is empty", file=name, hint="export the contacts again")
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise InputError(
                f"this is {what}, not a CSV file",
                file=name,
                hint="open it and save or export it as 'CSV UTF-8'",
            )
    if b"\x00" in data[:65536] and not data.startswith((b"\xff\xfe", b"\xfe\xff")) and not encoding:
        raise InputError(
            "the file holds NUL bytes: it is binary, not CSV",
            file=name,
            hint="if it is UTF-16 text without a byte-order mark, give --encoding utf-16-le",
        )
    return digest, data


def _strip_headers(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Trim spaces around headers; refuse names listprep keeps for its own columns.

    Every name starting with ``_`` is listprep's (``_e164``, ``_source_row`` and the stages'
    working columns), so an input column of that shape could silently change the outcome.
    """
    stripped = [c.strip() for c in frame.columns]
    repeated = sorted({c for c in stripped if stripped.count(c) > 1})
    if repeated:
        raise InputError(
            f"the header has {repeated[0]!r} more than once (after trimming spaces)",
            file=name,
            column=repeated[0],
            hint="rename one of them, or name the phone column with --phone-column",
        )
    frame = frame.rename(dict(zip(frame.columns, stripped, strict=True)))
    reserved = [c for c in frame.columns if c.startswith("_")]
    if reserved:
        raise InputError(
            f"column names starting with '_' are listprep's own; {reserved[0]!r} is one",
            file=name,
            column=reserved[0],
            hint="rename the column (e.g. without the leading underscore)",
        )
    return frame
