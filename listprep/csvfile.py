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
import re
import sys
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
    except (LookupError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(
            f"cannot decode the file as {encoding!r}: {exc}",
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
    except pl.exceptions.NoDataError:  # nothing but a byte-order mark
        lines = pl.Series("line", [], dtype=pl.String)
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


#: More columns than any contact export has: a wrong delimiter or a damaged file.
MAX_COLUMNS = 10_000


def parse(
    data: bytes, name: str, *, encoding: str | None = None, delimiter: str | None = None
) -> ParsedCsv:
    """Parse a whole CSV file into text columns, setting ragged records aside."""
    lines, utf8, used = to_lines(data, name, encoding)
    if lines.str.contains("\x00", literal=True).any():
        raise InputError(
            "the file holds NUL characters: it is binary, not CSV",
            file=name,
            hint="if it is UTF-16 text without a byte-order mark, give --encoding utf-16-le",
        )
    nonblank = (lines.str.strip_chars() != "").arg_true()
    if nonblank.len() == 0:
        raise InputError("the file has only blank lines", file=name, hint="export it again")
    first = int(nonblank[0])
    sep = delimiter or sniff_delimiter(lines[first])
    if len(sep) != 1 or len(sep.encode()) != 1:
        raise InputError(
            f"the delimiter must be one single-byte character, not {sep!r}",
            file=name,
            hint="use ',', ';', '|' or tab, or leave --delimiter out to sniff it",
        )
    try:
        fields = next(csv.reader([lines[first]], delimiter=sep))
    except csv.Error as exc:
        raise InputError(
            f"cannot read the header row: {exc}",
            file=name,
            row=first + 1,
            hint="the header holds a stray line break or quote: fix it in a text editor",
        ) from None
    names = header_names(fields, name)
    if (lines.str.count_matches('"', literal=True) % 2 == 1).any():
        return _parse_records(utf8.decode(), name, used, sep)
    parsed = _parse_lines(lines, utf8, first, names, used, sep)
    return parsed or _parse_records(utf8.decode(), name, used, sep)


def header_names(fields: list[str], name: str) -> list[str]:
    """Column names from the header's fields: trimmed, empty ones named ``column_N``, repeated
    ones numbered (``phone``, ``phone_2``) so that every column can be told apart."""
    if len(fields) > MAX_COLUMNS:
        raise InputError(
            f"the header has {len(fields):,} columns (listprep reads at most {MAX_COLUMNS:,})",
            file=name,
            hint="check the delimiter (--delimiter) and that the file is a contact export",
        )
    seen: dict[str, int] = {}
    names = []
    for position, raw in enumerate(fields, start=1):
        base = raw.strip() or f"column_{position}"
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return names


def _width(lines: pl.Series, sep: str) -> pl.Series:
    """Fields per line, counted as a CSV parser does; ``0`` for a line whose quoting is broken.

    A quoted field starts right after a delimiter (or the line start) and must end right
    before one (or the line end); anything else (``A, "x,y"``, ``"98765"43210``) is malformed.
    """
    plain = lines.str.count_matches(sep, literal=True).cast(pl.Int64)
    quoted = lines.str.contains('"', literal=True)
    if not quoted.any():
        return plain + 1
    escaped = re.escape(sep)
    # each quoted section becomes a NUL (refused in input, so it marks only sections; an
    # escaped "" makes two touching ones); a section that does not sit between delimiters, or
    # a quote left over, is broken quoting
    marked = lines.filter(quoted).str.replace_all('"[^"]*"', "\x00")
    misplaced = f"[^{escaped}\x00]\x00|\x00[^{escaped}\x00]"
    broken = marked.str.contains('"', literal=True) | marked.str.contains(misplaced)
    counted = pl.when(broken).then(-1).otherwise(marked.str.count_matches(sep, literal=True))
    fixed = pl.select(counted.cast(pl.Int64)).to_series()
    return plain.scatter(quoted.arg_true(), fixed) + 1


def _parse_lines(
    lines: pl.Series, data: bytes, first: int, names: list[str], encoding: str, sep: str
) -> ParsedCsv | None:
    """The fast path; ``None`` when polars refuses what the line check let through."""
    rows = pl.DataFrame({"raw": lines, "fields": _width(lines, sep)}).with_row_index(ROW, offset=1)
    body = rows.slice(first + 1)
    blank = body["raw"].str.strip_chars() == ""
    good = ~blank & (body["fields"] == len(names))
    kept = body.filter(good)
    if first > 0 or kept.height < body.height:  # parse only the header and well-formed lines
        data = pl.concat([lines.slice(first, 1), kept["raw"]]).str.join("\n").item().encode()
    try:
        frame = pl.read_csv(data, separator=sep, infer_schema=False, raise_if_empty=False)
    except pl.exceptions.PolarsError:
        return None
    if frame.height != kept.height or frame.width != len(names):
        return None
    return ParsedCsv(
        frame=frame.rename(dict(zip(frame.columns, names, strict=True))),
        rows=kept[ROW].cast(pl.Int64),
        malformed=_malformed(body.filter(~blank & ~good)),
        encoding=encoding,
        delimiter=sep,
        blank_lines=int(blank.sum()) + first,
    )


def _parse_records(text: str, name: str, encoding: str, sep: str) -> ParsedCsv:
    """The careful path (quoted fields spanning lines, or quoting polars refuses): Python's csv
    module sees whole records; each malformed record keeps its raw text."""
    physical = text.split("\n")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header: list[str] | None = None
    columns: list[list[str]] = []
    numbers: list[int] = []
    bad: list[tuple[int, int, str]] = []
    blank = 0
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)  # a 10 MB cell is a cell, not an error
    number = 0
    try:
        while True:
            start = reader.line_num
            number += 1
            try:
                record = next(reader)
            except StopIteration:
                break
            if not record or (len(record) == 1 and not record[0].strip()):
                blank += 1
            elif header is None:
                header = record
                columns = [[] for _ in record]
            elif len(record) != len(header):
                raw = "\n".join(physical[start : reader.line_num]).rstrip("\r")
                bad.append((number, len(record), raw))
            else:
                numbers.append(number)
                for column, value in zip(columns, record, strict=True):
                    column.append(value)
    except csv.Error as exc:
        raise InputError(
            f"cannot parse the CSV: {exc}",
            file=name,
            row=number,
            hint="check the quoting of that row (an unclosed quote swallows the rest of the file)",
        ) from None
    finally:
        csv.field_size_limit(limit)
    if header is None:
        raise InputError("the file has only blank lines", file=name, hint="export it again")
    names = header_names(header, name)
    frame = pl.DataFrame(
        {n: pl.Series(c, dtype=pl.String) for n, c in zip(names, columns, strict=True)}
    ).with_columns(pl.when(pl.all() == "").then(None).otherwise(pl.all()).name.keep())
    malformed = pl.DataFrame(
        bad, schema={ROW: pl.Int64, "fields": pl.UInt32, "raw": pl.String}, orient="row"
    )
    rows = pl.Series(ROW, numbers, dtype=pl.Int64)
    return ParsedCsv(frame, rows, _malformed(malformed), encoding, sep, blank)


def _malformed(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col(ROW).cast(pl.Int64), pl.col("fields").cast(pl.UInt32), pl.col("raw"))
