"""Parsing one CSV file's bytes: encoding, delimiter, line ends and ragged rows.

polars parses well-formed CSV fast but cannot report a row with too few or too many fields
(it pads or fails). So the structure is checked first, vectorised over lines: each line's
delimiters outside quotes are counted, and lines of the wrong width become ``malformed``
records. Only a file whose quoted fields span lines falls back to Python's csv module, which
sees records rather than lines.

Row numbers are record numbers as a spreadsheet shows them: the header is row 1. Blank lines
are not records (as in Python's csv module and pandas) but still count in the numbering; the
manifest reports how many there were.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import NamedTuple

import polars as pl

from listprep.errors import InputError

DELIMITERS = (",", ";", "\t", "|")
ROW = "_source_row"


@dataclass(frozen=True, slots=True)
class ParsedCsv:
    frame: pl.DataFrame
    """Text columns, as named in the header."""
    rows: pl.Series
    """The row number of each of ``frame``'s rows (Int64)."""
    malformed: pl.DataFrame
    """``_source_row``, ``fields`` and ``raw`` of records with the wrong number of fields."""
    encoding: str
    delimiter: str
    blank_lines: int


def _decode(data: bytes, name: str, encoding: str) -> bytes:
    try:
        return data.decode(encoding).lstrip("\ufeff").encode()
    except (LookupError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot decode the file as {encoding}: {exc}",
            file=name,
            hint="give the file's real encoding with --encoding (utf-8, utf-16, cp1252, latin-1)",
        ) from None


class Lines(NamedTuple):
    lines: pl.Series
    """The file's lines, without line ends."""
    data: bytes
    """The file as UTF-8 with ``\n`` or ``\r\n`` line ends, ready for polars."""
    encoding: str
    """The encoding the file was read in."""


def _split_lines(data: bytes, encoding: str) -> Lines | None:
    """The file's lines as text, or ``None`` if the bytes are not UTF-8.

    polars splits the lines (a "CSV" of one unquoted column), much faster than Python; the
    unit separator it splits fields on never occurs in contact exports, and if it does the
    lines are split in Python instead.
    """
    if b"\n" not in data and b"\r" in data:
        data = data.replace(b"\r", b"\n")  # classic Mac line ends
    try:
        if b"\x1f" in data:
            parts = data.split(b"\n")
            if data.endswith(b"\n"):
                parts.pop()
            lines = pl.Series(parts, dtype=pl.Binary).cast(pl.String).str.strip_suffix("\r")
        else:
            lines = pl.read_csv(
                data,
                has_header=False,
                separator="\x1f",
                quote_char=None,
                infer_schema=False,
                empty_string_is_null=False,
                new_columns=["line"],
            ).to_series()
    except pl.exceptions.ComputeError:
        return None
    return Lines(lines, data, encoding)


def to_lines(data: bytes, name: str, encoding: str | None = None) -> Lines:
    """The file's lines as UTF-8: a BOM decides the encoding, else UTF-8, else Windows-1252.

    UTF-8 is checked by polars while splitting, so a UTF-8 file is never decoded in Python.
    """
    if encoding:
        used = encoding
        data = _decode(data, name, encoding)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        used, data = "utf-16", _decode(data, name, "utf-16")
    else:
        used = "utf-8"
        data = data.removeprefix(b"\xef\xbb\xbf")
    lines = _split_lines(data, used)
    if lines is None:
        used = "cp1252" if _decodes(data, "cp1252") else "latin-1"
        lines = _split_lines(_decode(data, name, used), used)
    assert lines is not None  # re-encoded text is UTF-8
    return lines


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(header: str) -> str:
    """The delimiter the header uses most, outside quotes; a comma when there is none."""
    unquoted = "".join(header.split('"')[::2])
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse(
    data: bytes, name: str, *, encoding: str | None = None, delimiter: str | None = None
) -> ParsedCsv:
    """Parse a whole CSV file into text columns, setting ragged records aside."""
    lines, utf8, used = to_lines(data, name, encoding)
    if lines.str.contains("\x00", literal=True).any():
        raise InputError("the file holds NUL characters: it is binary, not CSV", file=name)
    sep = delimiter or sniff_delimiter(lines[0])
    if len(sep) != 1:
        raise InputError(f"the delimiter must be one character, not {sep!r}", file=name)
    if (lines.str.count_matches('"', literal=True) % 2 == 1).any():
        return _parse_records(utf8.decode(), name, used, sep)
    return _parse_lines(lines, utf8, name, used, sep)


def _width(lines: pl.Series, sep: str) -> pl.Series:
    """Fields per line: delimiters outside quoted sections, plus one."""
    plain = lines.str.count_matches(sep, literal=True)
    quoted = lines.str.contains('"', literal=True)
    if not quoted.any():
        return plain + 1
    unquoted = lines.filter(quoted).str.replace_all(r'"[^"]*"', "")
    return plain.scatter(quoted.arg_true(), unquoted.str.count_matches(sep, literal=True)) + 1


def _parse_lines(lines: pl.Series, data: bytes, name: str, encoding: str, sep: str) -> ParsedCsv:
    widths = _width(lines, sep)
    expected = widths[0]
    rows = pl.DataFrame({"raw": lines, "fields": widths}).with_row_index(ROW, offset=1)
    body = rows.slice(1)
    blank = body["raw"].str.strip_chars() == ""
    good = ~blank & (body["fields"] == expected)
    malformed = body.filter(~blank & ~good)
    kept = body.filter(good)
    if kept.height < body.height:  # parse only the well-formed lines
        data = pl.concat([lines.head(1), kept["raw"]]).str.join("\n").item().encode()
    return ParsedCsv(
        frame=_read(data, name, sep),
        rows=kept[ROW].cast(pl.Int64),
        malformed=_malformed(malformed),
        encoding=encoding,
        delimiter=sep,
        blank_lines=int(blank.sum()),
    )


def _parse_records(text: str, name: str, encoding: str, sep: str) -> ParsedCsv:
    """Slow path for quoted fields spanning lines: Python's csv module sees whole records."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        header = next(reader)
        columns: list[list[str]] = [[] for _ in header]
        numbers: list[int] = []
        bad: list[tuple[int, int, str]] = []
        blank = 0
        for number, record in enumerate(reader, start=2):
            if not record or (len(record) == 1 and not record[0].strip()):
                blank += 1
            elif len(record) != len(header):
                bad.append((number, len(record), sep.join(record)))
            else:
                numbers.append(number)
                for column, value in zip(columns, record, strict=True):
                    column.append(value)
    except csv.Error as exc:
        raise InputError(f"cannot parse the CSV: {exc}", file=name, row=reader.line_num) from None
    names = _unique_names([h.strip() for h in header])
    frame = pl.DataFrame(
        {n: pl.Series(c, dtype=pl.String) for n, c in zip(names, columns, strict=True)}
    ).with_columns(
        pl.when(pl.all() == "").then(None).otherwise(pl.all()).name.keep(),
    )
    malformed = pl.DataFrame(
        bad, schema={ROW: pl.Int64, "fields": pl.UInt32, "raw": pl.String}, orient="row"
    )
    rows = pl.Series(ROW, numbers, dtype=pl.Int64)
    return ParsedCsv(frame, rows, _malformed(malformed), encoding, sep, blank)


def _read(data: bytes, name: str, sep: str) -> pl.DataFrame:
    try:
        return pl.read_csv(data, separator=sep, infer_schema=False, raise_if_empty=False)
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"cannot parse the CSV: {str(exc).splitlines()[0]}", file=name) from None


def _malformed(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col(ROW).cast(pl.Int64), pl.col("fields").cast(pl.UInt32), pl.col("raw"))


def _unique_names(names: list[str]) -> list[str]:
    """Make duplicate or empty headers distinct the way polars does (``x_duplicated_0``)."""
    seen: dict[str, int] = {}
    out = []
    for position, raw in enumerate(names):
        name = raw or f"column_{position + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_duplicated_{seen[name] - 1}"
        else:
            seen[name] = 0
        out.append(name)
    return out
