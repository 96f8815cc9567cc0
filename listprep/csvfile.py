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


def decode(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and the encoding used: a BOM decides, else UTF-8, else Windows-1252."""
    if encoding:
        try:
            return data.decode(encoding).lstrip("\ufeff"), encoding
        except (LookupError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot decode as {encoding}: {exc}", file=name) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise InputError("the file has a UTF-16 mark but is not UTF-16", file=name) from None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


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
    text, used = decode(data, name, encoding)
    if "\x00" in text:
        raise InputError("the file holds NUL characters: it is binary, not CSV", file=name)
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")  # classic Mac line ends
    header = text.split("\n", 1)[0].rstrip("\r")
    sep = delimiter or sniff_delimiter(header)
    if len(sep) != 1:
        raise InputError(f"the delimiter must be one character, not {sep!r}", file=name)
    lines = pl.Series(text.split("\n"), dtype=pl.String).str.strip_suffix("\r")
    if text.endswith("\n"):
        lines = lines.head(-1)
    if (lines.str.count_matches('"', literal=True) % 2 == 1).any():
        return _parse_records(text, name, used, sep)
    return _parse_lines(text, lines, name, used, sep)


def _width(lines: pl.Series, sep: str) -> pl.Series:
    """Fields per line: delimiters outside quoted sections, plus one."""
    plain = lines.str.count_matches(sep, literal=True)
    quoted = lines.str.contains('"', literal=True)
    if not quoted.any():
        return plain + 1
    unquoted = lines.filter(quoted).str.replace_all(r'"[^"]*"', "")
    return plain.scatter(quoted.arg_true(), unquoted.str.count_matches(sep, literal=True)) + 1


def _parse_lines(text: str, lines: pl.Series, name: str, encoding: str, sep: str) -> ParsedCsv:
    widths = _width(lines, sep)
    expected = widths[0]
    rows = pl.DataFrame({"raw": lines, "fields": widths}).with_row_index(ROW, offset=1)
    body = rows.slice(1)
    blank = body["raw"].str.strip_chars() == ""
    good = ~blank & (body["fields"] == expected)
    malformed = body.filter(~blank & ~good)
    kept = body.filter(good)
    if kept.height < body.height:  # parse only the well-formed lines
        text = "\n".join([lines[0], *kept["raw"].to_list()])
    return ParsedCsv(
        frame=_read(text, name, sep),
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


def _read(source: str, name: str, sep: str) -> pl.DataFrame:
    try:
        return pl.read_csv(source.encode(), separator=sep, infer_schema=False, raise_if_empty=False)
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
