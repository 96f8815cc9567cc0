"""Reading sources: CSV files or frames in, one text-only LazyFrame out.

Row identity is fixed here and never recomputed: ``_source_file`` is the path as given (or
``<frame N>``), ``_source_row`` is the row number a spreadsheet shows for that record (the
header is row 1, so the first data row is 2; for frames, the 1-based position), and ``_row_id``
is the global input order that every later stage sorts and dedupes by.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from listprep.config import ReadConfig
from listprep.errors import InputError

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
    b"PK\x03\x04": "an XLSX workbook or ZIP archive",
    b"\xd0\xcf\x11\xe0": "a legacy Excel (.xls) workbook",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class InputInfo:
    """What the manifest says about one input."""

    path: str
    sha256: str | None
    rows: int
    phone_column: str
    columns: tuple[str, ...]


def header_key(name: str) -> str:
    """Compare headers loosely: ``" Mobile No."`` and ``mobile_no`` are the same key."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def find_phone_column(columns: Sequence[str], where: str, chosen: str | None = None) -> str:
    """The phone column of one input: ``chosen`` if given, else the one header that names it."""
    found = ", ".join(repr(c) for c in columns) or "none"
    if chosen is not None:
        if chosen in columns:
            return chosen
        loose = [c for c in columns if header_key(c) == header_key(chosen)]
        if len(loose) == 1:
            return loose[0]
        raise InputError(
            f"no column {chosen!r}; headers found: {found}",
            file=where,
            hint="check --phone-column against the header row",
        )
    keys = {c: header_key(c) for c in columns}
    for name in PHONE_HEADERS:
        exact = [c for c, k in keys.items() if k == name]
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1:
            break
    candidates = [c for c, k in keys.items() if k in PHONE_HEADERS] or [
        c for c, k in keys.items() if any(w in k.split("_") for w in PHONE_WORDS)
    ]
    if len(candidates) == 1:
        return candidates[0]
    what = "several possible phone columns" if candidates else "no phone column"
    raise InputError(
        f"{what}; headers found: {found}",
        file=where,
        hint="name the column with --phone-column (phone_column= in the library)",
    )


def read_sources(
    sources: Source | Iterable[Source], config: ReadConfig = ReadConfig()
) -> tuple[pl.LazyFrame, tuple[InputInfo, ...]]:
    """Read every source as text, add the row-identity columns, and stack them in order."""
    items: list[Source] = [sources] if _is_single(sources) else list(sources)  # type: ignore[arg-type]
    if not items:
        raise InputError("no inputs given", hint="pass at least one CSV file or frame")
    frames: list[pl.DataFrame] = []
    infos: list[InputInfo] = []
    offset = 0
    for index, source in enumerate(items, start=1):
        frame, name, digest, first_row = _load(source, index, len(items))
        phone = find_phone_column(frame.columns, name, config.phone_column)
        n = frame.height
        frame = frame.with_columns(
            pl.lit(name, pl.String).alias(SOURCE_FILE),
            pl.int_range(first_row, first_row + n, dtype=pl.Int64).alias(SOURCE_ROW),
            pl.int_range(offset, offset + n, dtype=pl.Int64).alias(ROW_ID),
            pl.col(phone).fill_null("").alias(PHONE_RAW),
        )
        offset += n
        frames.append(frame)
        infos.append(
            InputInfo(
                path=name,
                sha256=digest,
                rows=n,
                phone_column=phone,
                columns=tuple(c for c in frame.columns if not c.startswith("_")),
            )
        )
    stacked = pl.concat(frames, how="diagonal") if len(frames) > 1 else frames[0]
    return stacked.lazy(), tuple(infos)


def _is_single(sources: object) -> bool:
    return isinstance(sources, str | os.PathLike | pl.DataFrame | pl.LazyFrame) or _is_pandas(
        sources
    )


def _is_pandas(obj: object) -> bool:
    return type(obj).__module__.startswith("pandas") and hasattr(obj, "columns")


def _load(source: Source, index: int, count: int) -> tuple[pl.DataFrame, str, str | None, int]:
    """One source as an all-text frame, its display name, sha256 and first data row number."""
    if isinstance(source, pl.LazyFrame):
        source = source.collect()
    if _is_pandas(source):
        source = pl.from_pandas(source)
    if isinstance(source, pl.DataFrame):
        name = "<frame>" if count == 1 else f"<frame {index}>"
        text = source.rename({c: str(c) for c in source.columns}).select(pl.all().cast(pl.String))
        return _strip_headers(text), name, None, 1
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        return _read_csv(Path(name), name), name, sha256_file(Path(name)), 2
    raise InputError(
        f"cannot read a {type(source).__name__}",
        hint="give a CSV path, a polars DataFrame/LazyFrame or a pandas DataFrame",
    )


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_csv(path: Path, name: str) -> pl.DataFrame:
    head = _check_file(path, name)
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8", raise_if_empty=True)
    except pl.exceptions.NoDataError:
        raise InputError("the file is empty", file=name, hint="export the contacts again") from None
    except pl.exceptions.ComputeError as exc:
        if "utf-8" in str(exc).lower():
            raise _encoding_error(path, name) from None
        raise InputError(
            f"cannot parse the CSV: {str(exc).splitlines()[0]}",
            file=name,
            hint="check that every row has as many fields as the header",
        ) from None
    if frame.height == 0:
        raise InputError(
            f"the file has a header ({head!r}) but no data rows",
            file=name,
            hint="remove it from the inputs, or export the contacts again",
        )
    return _strip_headers(frame)


def _check_file(path: Path, name: str) -> str:
    """Refuse what is not a UTF-8 text CSV before polars sees it; return the header line."""
    if not path.exists():
        raise InputError("no such file", file=name, hint="check the path")
    if path.is_dir():
        raise InputError("this is a folder, not a CSV file", file=name, hint="name the CSV files")
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", file=name) from None
    if not head:
        raise InputError("the file is empty (0 bytes)", file=name, hint="export the contacts again")
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise InputError(
                f"this is {what}, not a CSV file",
                file=name,
                hint="open it and save or export it as 'CSV UTF-8'",
            )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            "the file is UTF-16 (Excel's 'Unicode text'); listprep reads UTF-8",
            file=name,
            hint="save it as 'CSV UTF-8 (comma delimited)'",
        )
    if b"\x00" in head:
        raise InputError("the file holds NUL bytes: it is binary, not CSV", file=name)
    return head.split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff").rstrip("\r")


def _encoding_error(path: Path, name: str) -> InputError:
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        line = None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
    return InputError(
        "the file is not valid UTF-8 (perhaps Windows-1252 or Latin-1)",
        file=name,
        row=line,
        hint="re-save it as 'CSV UTF-8', or convert it: iconv -f cp1252 -t utf-8",
    )


def _strip_headers(frame: pl.DataFrame) -> pl.DataFrame:
    """Trim spaces around headers; refuse names listprep reserves for itself."""
    renamed = {c: c.strip() for c in frame.columns if c != c.strip()}
    frame = frame.rename(renamed) if renamed else frame
    reserved = [c for c in frame.columns if c.startswith("_") and c in _RESERVED]
    if reserved:
        raise InputError(f"column {reserved[0]!r} is reserved by listprep", hint="rename it")
    return frame


_RESERVED = {SOURCE_FILE, SOURCE_ROW, ROW_ID, PHONE_RAW, "_e164", "_number_type"}
