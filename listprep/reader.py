"""Reading sources: CSV files or frames in, one text-only LazyFrame out.

Row identity is fixed here and never recomputed: ``_source_file`` is the path as given (or
``<frame N>``), ``_source_row`` is the row number a spreadsheet shows for that record (the
header is row 1, so the first data row is 2; for frames, the 1-based position), and ``_row_id``
is the global input order that every later stage sorts and dedupes by.
"""

from __future__ import annotations

import datetime as dt
import errno
import gzip
import hashlib
import io
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, TypeGuard, cast

import polars as pl

from listprep.config import ReadConfig
from listprep.csvfile import BROKEN_QUOTING, CsvStream, header_names
from listprep.errors import InputError, RejectReason
from listprep.privacy import mask_digit_runs

Source = str | os.PathLike[str] | pl.DataFrame | pl.LazyFrame | Any
"""A path, a polars DataFrame or LazyFrame, or a pandas DataFrame."""

SOURCE_FILE = "_source_file"
SOURCE_ROW = "_source_row"
ROW_ID = "_row_id"
PHONE_RAW = "_phone_raw"

#: Header names taken as the phone column, after :func:`header_key`.
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
    found = shown_headers(columns)
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
    # phone_2 is how a repeated "phone" header is kept apart: a second phone column
    exact = [c for c, k in keys.items() if re.sub(r"_\d+$", "", k) in PHONE_HEADERS]
    if len(exact) == 1:  # several (phone and mobile): which one to dial is the user's choice
        return exact[0], f"its header is a phone column name ({keys[exact[0]]!r})"
    candidates = exact or [
        c for c, k in keys.items() if any(w in k.split("_") for w in PHONE_WORDS)
    ]
    if len(candidates) == 1:
        return candidates[0], "the only header containing a phone word"
    what = "several possible phone columns" if candidates else "no phone column"
    if any(sum(ch.isdigit() for ch in c) >= 7 for c in columns):
        hint = "the first row looks like a contact, not a header: add a header row (phone,name,...)"
    elif len(columns) == 1 and " " in columns[0].strip():
        hint = (
            "the first line looks like a title above the header row (a report name): delete the "
            "lines above the header, or name the column with --phone-column"
        )
    else:
        hint = "name the column with --phone-column (phone_column= in the library)"
    raise InputError(f"{what}; headers found: {found}", file=where, hint=hint)


def shown_headers(columns: Sequence[str], most: int = 20, width: int = 40) -> str:
    """The headers for a message, cut short: a file read with the wrong encoding or delimiter
    can make one header of the whole file."""
    masked = [mask_digit_runs(c) for c in columns[:most]]  # before the cut, so a number is whole
    shown = [repr(c if len(c) <= width else c[:width] + "…") for c in masked]
    more = f" and {len(columns) - most} more" if len(columns) > most else ""
    return (", ".join(shown) + more) or "none"


class ReadOutput(NamedTuple):
    """The read stage's result: rows to process, malformed records rejected, and per-input facts."""

    kept: pl.LazyFrame
    rejected: pl.LazyFrame
    inputs: tuple[InputInfo, ...]


class Batch(NamedTuple):
    """Some consecutive rows of one input: rows to process, and its malformed records."""

    kept: pl.DataFrame
    """Every input's columns (empty where this input lacks one), identity and ``_phone_raw``."""
    rejected: pl.DataFrame
    """Malformed records as rejects rows."""


def read_sources(
    sources: Source | Iterable[Source], config: ReadConfig = ReadConfig()
) -> ReadOutput:
    """Read every source as text, add the row-identity columns, and stack them in order."""
    with open_sources(sources, config) as stream:
        batches = list(stream)
    kept = [b.kept for b in batches] or [stream.empty()]
    rejected = [b.rejected for b in batches] or [_malformed_rejects(_NO_MALFORMED, 0, "", 0)]
    return ReadOutput(pl.concat(kept).lazy(), pl.concat(rejected).lazy(), stream.inputs)


def open_sources(sources: Source | Iterable[Source], config: ReadConfig = ReadConfig()) -> Inputs:
    """Open every source (headers read, phone columns found) without reading the rows yet."""
    items = source_list(sources)
    if not items:
        raise InputError("no inputs given", hint="pass at least one CSV file or frame")
    paths = [s for s in items if isinstance(s, str | os.PathLike)]
    refuse_repeats(paths, "the same file is given twice: its rows would be counted twice")
    _refuse_repeated_frames(items)
    opened: list[_Opened] = []
    try:
        for index, source in enumerate(items, start=1):
            opened.append(_open(source, index, len(items), config))
    except BaseException:
        Inputs(opened).close()  # the inputs before the one refused
        raise
    return Inputs(opened)


def refuse_repeats(
    paths: Iterable[str | os.PathLike[str]], message: str, hint: str = "give each input once"
) -> None:
    """Refuse a file given twice, by any path to it (inputs, DND registers, suppression lists)."""
    real = [os.path.realpath(p) for p in paths]
    twice = sorted({p for p in real if real.count(p) > 1})
    if twice:
        raise InputError(message, file=twice[0], hint=hint)


def _refuse_repeated_frames(items: list[Source]) -> None:
    """The same frame object given twice is refused as the same file is (an equal copy is
    another input, as a copy of a file is)."""
    first: dict[int, int] = {}  # a frame's id: the input it was first
    for index, source in enumerate(items, start=1):
        if isinstance(source, str | os.PathLike):
            continue
        earlier = first.setdefault(id(source), index)
        if earlier != index:
            raise InputError(
                f"the same frame is given twice (inputs {earlier} and {index}): its rows would "
                "be counted twice",
                file=f"<frame {index}>",
                hint="give each input once",
            )


class Inputs:
    """Opened inputs: their columns now, their rows in batches as iterated (once), their
    facts after. Used as a context manager, it closes the files however the run ends."""

    def __init__(self, opened: list[_Opened]) -> None:
        self._opened = opened
        self.columns: list[str] = list(dict.fromkeys(c for o in opened for c in o.columns))
        """Every input's columns, in order of first appearance."""
        self._infos: list[InputInfo] = []

    def __enter__(self) -> Inputs:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every input file (each closes once its rows are read: this is for a run that
        stops before, on an error)."""
        for opened in self._opened:
            if opened.handle is not None:
                opened.handle.close()

    @property
    def headers(self) -> list[tuple[str, list[str]]]:
        """Each input's name and columns (``columns`` is their union)."""
        return [(o.name, o.columns) for o in self._opened]

    @property
    def inputs(self) -> tuple[InputInfo, ...]:
        """What the manifest says of each input (complete once every batch is read)."""
        return tuple(self._infos)

    def empty(self) -> pl.DataFrame:
        return self._frame(pl.DataFrame(schema={SOURCE_ROW: pl.Int64}), "", 0, "")

    def _frame(self, frame: pl.DataFrame, name: str, offset: int, phone: str) -> pl.DataFrame:
        have = set(frame.columns)
        return frame.select(
            *(pl.col(c) if c in have else pl.lit(None, pl.String).alias(c) for c in self.columns),
            pl.col(SOURCE_ROW).cast(pl.Int64),
            pl.lit(name, pl.String).alias(SOURCE_FILE),
            (pl.col(SOURCE_ROW).cast(pl.Int64) + offset).alias(ROW_ID),
            (pl.col(phone).fill_null("") if phone else pl.lit("")).alias(PHONE_RAW),
        )

    def __iter__(self) -> Iterator[Batch]:
        offset = 0
        for opened in self._opened:
            rows = last = 0
            for frame, malformed in opened.batches:
                rows += frame.height + malformed.height
                last = max(last, _last_row(frame), _last_row(malformed))
                yield Batch(
                    self._frame(frame, opened.name, offset, opened.phone),
                    _malformed_rejects(malformed, offset, opened.name, len(opened.columns)),
                )
            if rows == 0 and opened.is_file:
                raise InputError(
                    "the file has a header but no data rows",
                    file=opened.name,
                    hint="remove it from the inputs, or export the contacts again",
                )
            self._infos.append(opened.info(rows))
            offset += last + 1


def _last_row(frame: pl.DataFrame) -> int:
    return cast(int, frame[SOURCE_ROW].max() or 0) if frame.height else 0


def _malformed_rejects(malformed: pl.DataFrame, offset: int, name: str, width: int) -> pl.DataFrame:
    return malformed.select(
        pl.lit(name, pl.String).alias("source_file"),
        pl.col(SOURCE_ROW).cast(pl.Int64).alias("source_row"),
        pl.lit("read").alias("stage"),
        pl.lit(RejectReason.MALFORMED_ROW.value).alias("reason"),
        pl.when(pl.col("fields") == 0)
        .then(pl.lit(BROKEN_QUOTING))
        .otherwise(pl.format("{} field(s) where the header has {}", "fields", pl.lit(width)))
        .alias("detail"),
        pl.col("raw").alias("raw_value"),
        (pl.col(SOURCE_ROW).cast(pl.Int64) + offset).alias(ROW_ID),
    )


def source_list(sources: Source | Iterable[Source]) -> list[Source]:
    """One source or several, as a list."""
    if isinstance(sources, pl.Series) or (_is_pandas(sources, "name") and not _is_frame(sources)):
        raise InputError(
            "a Series is one column, not a table of contacts",
            hint="pass the DataFrame it came from, or series.to_frame()",
        )
    if _is_single(sources):
        return [sources]
    if not isinstance(sources, Iterable):
        raise InputError(
            f"cannot read a {type(sources).__name__}",
            hint="give a path, a polars or pandas DataFrame, a LazyFrame, or a list of them",
        )
    return list(sources)


def _is_single(sources: object) -> bool:
    return isinstance(sources, str | os.PathLike | pl.DataFrame | pl.LazyFrame) or _is_frame(
        sources
    )


def _is_frame(obj: object) -> TypeGuard[Any]:
    """A pandas DataFrame (pandas is not a dependency: recognised, not imported)."""
    return _is_pandas(obj, "columns")


def _is_pandas(obj: object, attribute: str) -> bool:
    return type(obj).__module__.startswith("pandas") and hasattr(obj, attribute)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Opened:
    """One input, opened: its name, columns and phone column; ``batches`` yields its rows
    (text columns plus ``_source_row``) and malformed records; ``info`` is read after."""

    name: str
    columns: list[str]
    phone: str
    batches: Iterator[tuple[pl.DataFrame, pl.DataFrame]]
    facts: dict[str, Any]
    """The manifest's other facts (sha256, encoding …): complete once ``batches`` is done."""
    handle: _HashingReader | None = None
    """A file's: ``batches`` closes it when done, :meth:`Inputs.close` if they never are."""

    @property
    def is_file(self) -> bool:
        return self.handle is not None

    def info(self, rows: int) -> InputInfo:
        return InputInfo(
            path=self.name,
            rows=rows,
            phone_column=self.phone,
            columns=tuple(self.columns),
            **self.facts,
        )


def _collect(frame: pl.LazyFrame, name: str) -> pl.DataFrame:
    """A LazyFrame's rows; its own errors (a scan's file, a cell its schema refused) become
    listprep's, with any number they quote masked."""
    try:
        return frame.collect()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(
            f"the LazyFrame failed to collect: {str(exc).splitlines()[0]}",
            file=name,
            hint="scan CSV exports with infer_schema=False, so that every cell stays text",
        ) from None


def _from_pandas(frame: Any, name: str) -> pl.DataFrame:
    """A pandas frame in polars: object columns (which mix ints and strings) as text first,
    the typed ones as they are, so that :func:`_as_shown` reads them as a spreadsheet would."""
    repeated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if repeated:
        raise InputError(
            f"the frame has two columns named {repeated[0]!r}",
            file=name,
            hint="rename or drop one of them (files get phone_2 …; a frame is taken as given)",
        )
    mixed = {c: "string" for c, dtype in frame.dtypes.items() if dtype.kind == "O"}
    return pl.from_pandas(frame.astype(mixed))


def _open(source: Source, index: int, count: int, config: ReadConfig) -> _Opened:
    """One source as batches of text rows with their row numbers."""
    if isinstance(source, pl.LazyFrame):
        source = _collect(source, "<frame>" if count == 1 else f"<frame {index}>")
    if _is_frame(source):
        source = _from_pandas(source, "<frame>" if count == 1 else f"<frame {index}>")
    if isinstance(source, pl.DataFrame):
        name = "<frame>" if count == 1 else f"<frame {index}>"
        nested = [
            (c, t)
            for c, t in source.schema.items()
            if t.is_nested() or t == pl.Object or isinstance(t, pl.Duration)
        ]
        if nested:
            column, dtype = nested[0]
            raise InputError(
                f"column {column!r} holds {dtype} values, not text cells",
                file=name,
                column=str(column),
                hint="make it text first (e.g. pl.col(...).list.join(', ')), or drop it",
            )
        text = _as_shown(source.rename({c: str(c) for c in source.columns}))
        text = _strip_headers(text, name).with_columns(
            pl.int_range(1, text.height + 1, dtype=pl.Int64).alias(SOURCE_ROW)
        )
        return _frame_input(name, text, config, sha256=None)
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        path = Path(name)
        if path.suffix.lower() in EXCEL_SUFFIXES:
            frame, sheet = _load_excel(path, name, config.sheet)
            return _frame_input(name, frame, config, sha256=sha256_file(path), sheet=sheet)
        return _csv_input(path, name, config)
    raise InputError(
        f"cannot read a {type(source).__name__}",
        hint="give a CSV path, a polars DataFrame/LazyFrame or a pandas DataFrame",
    )


def _frame_input(
    name: str,
    frame: pl.DataFrame,
    config: ReadConfig,
    *,
    sha256: str | None,
    sheet: str | None = None,
) -> _Opened:
    columns = [c for c in frame.columns if c != SOURCE_ROW]
    phone = find_phone_column(columns, name, config.phone_column)
    step = config.batch_rows
    batches = (
        (frame.slice(start, step), _NO_MALFORMED) for start in range(0, max(frame.height, 1), step)
    )
    return _Opened(
        name=name,
        columns=columns,
        phone=phone,
        batches=batches,
        facts={"sha256": sha256, "sheet": sheet},
    )


def _csv_input(path: Path, name: str, config: ReadConfig) -> _Opened:
    handle = open_csv(path, name, config.encoding)
    try:
        stream = CsvStream(
            handle,
            name,
            encoding=config.encoding,
            delimiter=config.delimiter,
            batch_rows=config.batch_rows,
        )
        columns = _check_headers(stream.names, name)
        phone = find_phone_column(columns, name, config.phone_column)
    except BaseException:
        handle.close()
        raise

    facts: dict[str, Any] = {}

    def batches() -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
        try:
            for parsed in stream:
                yield parsed.frame.with_columns(parsed.rows.alias(SOURCE_ROW)), parsed.malformed
            facts.update(
                sha256=handle.hexdigest(),
                encoding=stream.encoding,
                delimiter=stream.delimiter,
                blank_lines=stream.blank_lines,
            )
        finally:
            handle.close()

    return _Opened(
        name=name,
        columns=columns,
        phone=phone,
        batches=batches(),
        facts=facts,
        handle=handle,
    )


EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


def _load_excel(path: Path, name: str, sheet: str | int | None) -> tuple[pl.DataFrame, str]:
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
    # fastexcel names an empty header cell __UNNAMED__<i>: named as a CSV's would be
    # (column_<i+1>, repeats numbered), by the same function
    unnamed = [("" if re.fullmatch(r"__UNNAMED__\d+", c) else c) for c in frame.columns]
    frame = frame.rename(dict(zip(frame.columns, header_names(unnamed, name), strict=True)))
    if frame.width == 0:
        raise InputError(f"sheet {sheet_name!r} is empty", file=name, hint="choose another --sheet")
    text = _dates_as_shown(_strip_headers(frame.select(pl.all().cast(pl.String)), name))
    if text.height == 0:
        raise InputError(f"sheet {sheet_name!r} has a header but no data rows", file=name)
    rows = pl.int_range(2, text.height + 2, dtype=pl.Int64, eager=True).alias(SOURCE_ROW)
    return text.with_columns(rows), sheet_name


_TIMESTAMP = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?$"


def _as_shown(frame: pl.DataFrame) -> pl.DataFrame:
    """A frame's cells as text, the way a spreadsheet shows them: polars would write
    ``1500.0``, ``2026-12-05 00:00:00.000000`` and ``NaN`` into messages. Whole floats lose
    ``.0`` (a pandas int column with a gap is float), NaN is empty, a timestamp column all at
    midnight is dates, other timestamps lose their fractions (and are shown in their zone)."""
    columns = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if dtype.is_float():
            whole = (column == column.round(0)) & (column.abs() < 2**53)
            column = (
                pl.when(column.is_nan())
                .then(None)
                .when(whole)
                .then(column.cast(pl.Int64).cast(pl.String))
                .otherwise(column.cast(pl.String))
            )
        elif isinstance(dtype, pl.Datetime):
            midnight = frame[name].dt.time().drop_nulls() == dt.time(0)
            column = (
                column.dt.date().cast(pl.String)
                if midnight.all()
                else column.dt.strftime("%Y-%m-%d %H:%M:%S")
            )
        columns.append(column.cast(pl.String).alias(name))
    return frame.select(columns)


def _dates_as_shown(frame: pl.DataFrame) -> pl.DataFrame:
    """fastexcel writes a date cell as ``2026-12-05 00:00:00``: in a column whose every
    timestamp is at midnight, the cells are dates and lose the time (an SMS would otherwise
    read "due by 2026-12-05 00:00:00"). A column with any other time keeps its times."""
    dated = []
    for column in frame.columns:
        stamps = frame[column].str.contains(_TIMESTAMP)
        if stamps.any() and frame[column].filter(stamps).str.ends_with(" 00:00:00").all():
            dated.append(column)
    return frame.with_columns(pl.col(dated).str.strip_suffix(" 00:00:00"))


_NO_MALFORMED = pl.DataFrame(schema={SOURCE_ROW: pl.Int64, "fields": pl.UInt32, "raw": pl.String})


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_HASHER = ThreadPoolExecutor(1, thread_name_prefix="listprep-sha256")
"""One thread hashes every input, in the order the reads happen (one per file was 300 threads
for 300 inputs, all opened up front)."""


class _HashingReader:
    """A binary file that hashes each byte once as it is read (reading ahead and seeking
    back, as the encoding check may, does not hash twice).

    The hashing runs in a thread of its own, in read order: sha256 costs about 0.5 s a GB,
    and the thread that reads is the one the other stages wait for. (hashlib lets go of the
    GIL on large buffers.)
    """

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._digest = hashlib.sha256()
        self._hashed = 0
        self._last: Future[None] | None = None  # the hasher runs in order: the last one ends last

    def read(self, size: int = -1) -> bytes:
        start = self._handle.tell()
        data = self._handle.read(size)
        skip = self._hashed - start
        if skip < len(data):
            self._last = _HASHER.submit(self._digest.update, memoryview(data)[max(skip, 0) :])
            self._hashed = start + len(data)
        return data

    def seek(self, position: int) -> int:
        return self._handle.seek(position)

    def tell(self) -> int:
        return self._handle.tell()

    def close(self) -> None:
        self._handle.close()

    def hexdigest(self) -> str:
        """The whole file's sha256 (the rest is read and hashed if it was not yet)."""
        while self.read(1 << 20):
            pass
        if self._last is not None:
            self._last.result()
        return self._digest.hexdigest()


def open_csv(path: Path, name: str, encoding: str | None = None) -> _HashingReader:
    """The file opened for reading (a gzip file decompressed), after refusing what is clearly
    not CSV (closed again then); its sha256 is of the file as stored."""
    if not path.exists():
        raise InputError("no such file", file=name, hint="check the path")
    if path.is_dir():
        raise InputError("this is a folder, not a CSV file", file=name, hint="name the CSV files")
    if not path.is_file():  # a pipe or a device: the encoding check reads ahead and seeks back
        raise InputError(
            "this is a pipe or a device, not a file",
            file=name,
            hint="save the data to a file first (… > contacts.csv) and give that file",
        )
    try:
        handle = _HashingReader(path.open("rb"))
    except OSError as exc:
        raise _unreadable(exc, name) from None
    try:
        return _refuse_not_csv(handle, name, encoding)
    except BaseException:
        handle.close()  # refused: not left open until the garbage collector finds it
        raise


def _unreadable(exc: OSError, name: str) -> InputError:
    """The error for a file that cannot be opened or read."""
    denied = exc.errno in (errno.EACCES, errno.EPERM)
    return InputError(
        f"cannot read the file: {exc.strerror}",
        file=name,
        hint="check that you have permission to read it, or copy it somewhere you do"
        if denied
        else "check the file, or copy it to a local disk",
    )


def _refuse_not_csv(handle: _HashingReader, name: str, encoding: str | None) -> _HashingReader:
    """``handle`` (or, for a gzip file, its content), unless it is clearly not CSV."""
    try:
        head = handle.read(65536)
    except OSError as exc:
        raise _unreadable(exc, name) from None
    if head.startswith(b"\x1f\x8b"):
        data = head + handle.read()
        digest = handle.hexdigest()
        handle.close()  # read whole: the content is kept instead
        try:
            head = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(
                f"the gzip file is damaged: {exc}", file=name, hint="copy or export it again"
            ) from None
        handle = _Decompressed(head, digest)
    handle.seek(0)
    rest = head.removeprefix(b"\xef\xbb\xbf").removeprefix(b"\xff\xfe")
    if not rest.strip() and len(head) < 65536:
        raise InputError("the file is empty", file=name, hint="export the contacts again")
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise InputError(
                f"this is {what}, not a CSV file",
                file=name,
                hint="open it and save or export it as 'CSV UTF-8'",
            )
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if b"\x00" in head[:65536] and not utf16 and not encoding:
        raise InputError(
            "the file holds NUL bytes: it is binary, not CSV",
            file=name,
            hint="if it is UTF-16 text without a byte-order mark, give --encoding utf-16-le "
            "(or utf-16-be if the NUL bytes come first)",
        )
    return handle


class _Decompressed(_HashingReader):
    """A gzip file's content in memory, with the sha256 of the file as stored."""

    def __init__(self, data: bytes, digest: str) -> None:
        super().__init__(io.BytesIO(data))
        self._stored = digest

    def read(self, size: int = -1) -> bytes:
        return self._handle.read(size)

    def hexdigest(self) -> str:
        return self._stored


def _check_headers(columns: Sequence[str], name: str) -> list[str]:
    """Headers trimmed of spaces; names listprep keeps for its own columns are refused.

    Every name starting with ``_`` is listprep's (``_e164``, ``_source_row`` and the stages'
    working columns), so an input column of that shape could silently change the outcome.
    """
    stripped = [c.strip() for c in columns]
    repeated = sorted({c for c in stripped if stripped.count(c) > 1})
    if repeated:
        raise InputError(
            f"the header has {repeated[0]!r} more than once (after trimming spaces)",
            file=name,
            column=repeated[0],
            hint="rename one of them, or name the phone column with --phone-column",
        )
    reserved = [c for c in stripped if c.startswith("_")]
    if reserved:
        raise InputError(
            f"column names starting with '_' are listprep's own; {reserved[0]!r} is one",
            file=name,
            column=reserved[0],
            hint="rename the column (e.g. without the leading underscore)",
        )
    return stripped


def _strip_headers(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """``frame`` with its headers checked and trimmed (see :func:`_check_headers`)."""
    columns = _check_headers(frame.columns, name)
    return frame.rename(dict(zip(frame.columns, columns, strict=True)))
