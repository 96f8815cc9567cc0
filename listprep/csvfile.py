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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

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


class Readable(Protocol):
    """What :class:`CsvStream` reads from: an open binary file, or one that hashes as read."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, position: int, /) -> int: ...

    def tell(self) -> int: ...


def _decode(data: bytes, name: str, encoding: str) -> bytes:
    try:
        return data.decode(encoding).lstrip("\ufeff").encode()
    except (LookupError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(
            f"cannot decode the file as {encoding!r}: {exc}",
            file=name,
            hint="give the file's real encoding with --encoding (utf-8, utf-16, cp1252, latin-1)",
        ) from None


def _split_lines(data: bytes) -> pl.Series:
    """UTF-8 text's lines, without line ends.

    polars splits the lines (a "CSV" of one unquoted column), much faster than Python; the
    unit separator it splits fields on never occurs in contact exports, and if it does the
    lines are split in Python instead.
    """
    if b"\x1f" in data:
        parts = data.split(b"\n")
        if data.endswith(b"\n"):
            parts.pop()
        return pl.Series("line", parts, dtype=pl.Binary).cast(pl.String).str.strip_suffix("\r")
    try:
        return pl.read_csv(
            data,
            has_header=False,
            separator="\x1f",
            quote_char=None,
            infer_schema=False,
            empty_string_is_null=False,
            new_columns=["line"],
        ).to_series()
    except pl.exceptions.NoDataError:
        return pl.Series("line", [], dtype=pl.String)


#: What a malformed record with broken quoting (``fields`` 0) says in rejects and errors.
BROKEN_QUOTING = (
    "broken quoting: a quote inside a field, text after a closing quote, or a quote that never "
    "closes (the rows after it are read on their own)"
)


def _unquoted(line: str) -> str:
    return "".join(line.split('"')[::2])


def sniff_delimiter(header: str) -> str:
    """The delimiter the header uses most, outside quotes; a comma when there is none."""
    unquoted = _unquoted(header)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _check_given_delimiter(header: str, sep: str, name: str, row: int) -> None:
    """A given delimiter the header lacks, where it has another: every row would be one
    column and be rejected, so the run stops and names the delimiter the file uses."""
    unquoted = _unquoted(header)
    sniffed = sniff_delimiter(header)
    if sep in unquoted or sniffed == sep or sniffed not in unquoted:
        return
    given, found = (repr(d) if d != "\t" else "tab" for d in (sep, sniffed))
    raise InputError(
        f"the header has no {given} but {unquoted.count(sniffed)} {found}: the file is not "
        f"{given}-delimited",
        file=name,
        row=row,
        hint=f"leave --delimiter out to sniff it, or give --delimiter {found}",
    )


#: More columns than any contact export has: a wrong delimiter or a damaged file.
MAX_COLUMNS = 10_000
#: Lines one record may span: more is taken for a quote that never closed (multi-line cells
#: in contact exports are addresses and notes of a few lines).
MAX_RECORD_LINES = 100


#: Bytes read per batch when no row count is given: about 300,000 contact rows.
BATCH_BYTES = 1 << 24
#: The most bytes read per batch, however long the lines: memory stays bounded.
MAX_BATCH_BYTES = 1 << 26
#: Bytes that Windows-1252 leaves undefined: a file holding one is Latin-1.
_CP1252_HOLES = re.compile(b"[\x81\x8d\x8f\x90\x9d]")


class CsvStream:
    """One CSV file's records in batches of about ``batch_rows`` lines, each a :class:`ParsedCsv`.

    The header is read when the stream is made, so the columns of every input are known
    before any batch is processed. ``data`` is the file's bytes (gzip undone) or an open
    binary file read as it goes, so a file far larger than memory can be prepared.

    The encoding: a BOM or ``encoding`` decides it (the file is then decoded whole), else
    UTF-8, else Windows-1252 (Latin-1 if a byte is undefined in it). UTF-8 is checked batch
    by batch; the first batch that is not UTF-8 switches the rest of the file to the
    fallback, which is right because ASCII reads the same in all three. A file whose earlier
    batches held UTF-8 beyond ASCII is refused: it mixes encodings.
    """

    def __init__(
        self,
        data: bytes | Readable,
        name: str,
        *,
        encoding: str | None = None,
        delimiter: str | None = None,
        batch_rows: int | None = None,
    ) -> None:
        self.name = name
        self.batch_bytes = BATCH_BYTES
        self.blank_lines = 0
        self.encoding = "utf-8"
        self._codec: str | None = None  # a fallback codec the rest is transcoded from
        self._ascii = True  # every byte so far was ASCII
        handle: Readable = io.BytesIO(data) if isinstance(data, bytes) else data
        head = handle.read(4)
        handle.seek(0)
        if encoding or head.startswith((b"\xff\xfe", b"\xfe\xff")):
            used = encoding or "utf-16"
            handle, self.encoding = io.BytesIO(_decode(handle.read(), name, used)), used
        elif head.startswith(b"\xef\xbb\xbf"):
            handle.seek(3)
        self._handle = handle
        self._pending: list[bytes] = []  # read and not yet handed out, in file order
        self._mac = False  # a file of bare CR line ends (classic Mac)
        self._started = False
        self._line = 0  # physical lines handed out so far
        self._records = 0  # records (rows) numbered so far: lines, until a fallback
        self.names, self.delimiter = self._header(delimiter, batch_rows)

    # -- blocks of whole lines ----------------------------------------------------------------

    def _block(self, size: int) -> bytes:
        """The next ``size`` bytes or so, up to the first line end from byte ``size`` on (or
        to the end of the file).

        The bytes are copied once, into the block: a batch is tens of MB, and each extra
        copy of it cost page faults as well as the copy.
        """
        pieces, self._pending = self._pending, []
        have = sum(len(piece) for piece in pieces)
        if have < size:
            pieces.append(self._read(size - have))
        extra = 1 << 12
        while (end := _line_end(pieces, size - 1)) is None:  # read on to the line's end
            more = self._read(extra)
            if not more:
                return b"".join(pieces)
            pieces.append(more)
            extra *= 2  # a long line: fewer reads
        index, cut = end
        rest = [pieces[index][cut + 1 :], *pieces[index + 1 :]]
        ahead = self._read(size // 4)
        if sum(len(piece) for piece in rest) + len(ahead) < size // 4:  # the file ends soon
            return b"".join([*pieces, ahead])  # (a short read is the end): no tiny last batch
        self._pending = [*rest, ahead]
        return b"".join([*pieces[:index], memoryview(pieces[index])[: cut + 1]])

    def _read(self, size: int) -> bytes:
        data = self._handle.read(size)
        if not self._started:  # bare CR line ends (classic Mac): seen in the first read
            self._started = True
            self._mac = b"\n" not in data and b"\r" in data
        return data.replace(b"\r", b"\n") if self._mac else data

    def _lines(self, block: bytes) -> tuple[bytes, pl.Series]:
        """``block`` as UTF-8 and its lines; polars checks the UTF-8 as it splits, and the
        first block that is not UTF-8 switches the rest of the file to a fallback codec."""
        if self._codec is None:
            try:
                lines = _split_lines(block)
            except (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError):
                bad = _first_invalid_utf8(block)
                if not self._ascii or not block[:bad].isascii():
                    raise InputError(
                        "the file mixes encodings: UTF-8 first, then bytes that are not UTF-8",
                        file=self.name,
                        row=self._line + block.count(b"\n", 0, bad) + 1,
                        hint="save it again as 'CSV UTF-8', or give --encoding",
                    ) from None
                self._codec = self.encoding = self._fallback(block)
            else:
                self._ascii = self._ascii and block.isascii()
                return block, lines
        text = block.decode(self._codec).encode()
        return text, _split_lines(text)

    def _fallback(self, block: bytes) -> str:
        """Windows-1252, unless this block or the rest of the file holds a byte it lacks."""
        found = any(_CP1252_HOLES.search(piece) for piece in [block, *self._pending])
        where = self._handle.tell()
        while not found and (ahead := self._handle.read(1 << 24)):
            found = _CP1252_HOLES.search(ahead) is not None
        self._handle.seek(where)
        return "latin-1" if found else "cp1252"

    # -- header and records --------------------------------------------------------------------

    def _header(self, delimiter: str | None, batch_rows: int | None) -> tuple[list[str], str]:
        """Find the first non-blank line, sniff the delimiter and name the columns; size the
        batches to ``batch_rows`` lines as long as the lines read so far."""
        while True:
            block = self._block(1 << 12)
            if not block:
                raise InputError(
                    "the file has only blank lines", file=self.name, hint="export it again"
                )
            text, lines = self._lines(block)
            _check_nul(text, self.name)
            nonblank = (lines.str.strip_chars() != "").arg_true()
            if nonblank.len():
                break
            self._line += lines.len()
            self.blank_lines += lines.len()
        first = int(nonblank[0])
        header = lines[first]
        self.blank_lines += first
        self._line += first + 1
        self._records = self._line
        self._pending.insert(0, block[_after_lines(block, first + 1) :])  # read again later
        if batch_rows is not None:
            estimate = len(text) * batch_rows // max(lines.len(), 1)
            self.batch_bytes = min(max(estimate, 1), MAX_BATCH_BYTES)
        sep = delimiter or sniff_delimiter(header)
        if len(sep) != 1 or len(sep.encode()) != 1:
            raise InputError(
                f"the delimiter must be one single-byte character, not {sep!r}",
                file=self.name,
                hint="use ',', ';', '|' or tab, or leave --delimiter out to sniff it",
            )
        _check_given_delimiter(header, sep, self.name, self._line)
        try:
            fields = next(csv.reader([header], delimiter=sep))
        except csv.Error as exc:
            raise InputError(
                f"cannot read the header row: {exc}",
                file=self.name,
                row=self._line,
                hint="the header holds a stray line break or quote: fix it in a text editor",
            ) from None
        return header_names(fields, self.name), sep

    def empty_frame(self) -> pl.DataFrame:
        return pl.DataFrame(schema=dict.fromkeys(self.names, pl.String))

    def __iter__(self) -> Iterator[ParsedCsv]:
        """Batches in file order; row numbers continue from batch to batch."""
        while True:
            block = self._block(self.batch_bytes)
            if not block:
                return
            text, lines = self._lines(block)
            _check_nul(text, self.name)
            fits = _fits(lines, self.delimiter, len(self.names))
            quotes = lines.filter(~fits).str.count_matches('"', literal=True)
            odd = (quotes % 2 == 1).any()  # a quoted field spans lines
            parsed = None if odd else self._parse_lines(lines, text, fits)
            self._line += lines.len()
            if parsed is None:
                yield self._records_to_end(text)
                return
            self._records = self._line
            yield parsed

    def _parse_lines(self, lines: pl.Series, text: bytes, fits: pl.Series) -> ParsedCsv | None:
        """The fast path; ``None`` when polars refuses what the line check let through.

        A line that fits is one record and, when it holds a delimiter that is not
        whitespace, not blank: only the other lines (usually none) are looked at one by one.
        """
        sep, names = self.delimiter, self.names
        look = ~fits
        if len(names) == 1 or sep.isspace():
            look |= lines.str.strip_chars() == ""
        numbers = pl.int_range(self._line + 1, self._line + 1 + lines.len(), eager=True)
        odd = pl.DataFrame({ROW: numbers.filter(look), "raw": lines.filter(look)})
        blank = odd["raw"].str.strip_chars() == ""
        # polars drops a CR that ends an unquoted field (before a delimiter, or at the line's
        # end when polars parses the lines rejoined); the careful path keeps it (a lone CR is
        # text): such lines are read by the csv module here too, whatever the batch
        cr = pl.repeat(False, lines.len(), dtype=pl.Boolean, eager=True)
        if b"\r" in text:  # (not in an LF file: two searches saved)
            cr = ~look & (lines.str.contains("\r" + sep, literal=True) | lines.str.ends_with("\r"))
        if odd.height or cr.any():  # polars parses only the well-formed lines
            text = lines.filter(~look & ~cr).str.join("\n").cast(pl.Binary).item()
        rows = numbers.filter(~look & ~cr)
        try:
            frame = pl.read_csv(
                text,
                has_header=False,
                new_columns=names,
                separator=sep,
                infer_schema=False,
                raise_if_empty=False,
            )
        except pl.exceptions.PolarsError:
            return None
        if rows.len() == 0:
            frame = self.empty_frame()
        if frame.height != rows.len() or frame.width != len(names):
            return None
        frame = _empty_as_null(frame)  # a quoted "" too, as the careful path reads it
        if cr.any():
            texts = lines.filter(cr).str.replace_all("\r", "\x00", literal=True)  # as below
            records = [next(csv.reader([line], delimiter=sep)) for line in texts]
            columns = [list(column) for column in zip(*records, strict=True)]
            extra = _text_frame(columns, names).with_columns(
                pl.all().str.replace_all("\x00", "\r", literal=True)
            )
            frame = pl.concat([frame, extra])
            rows = pl.concat([rows, numbers.filter(cr)])
            order = rows.arg_sort()
            frame, rows = frame[order], rows.gather(order)
        malformed = odd.filter(~blank)
        self.blank_lines += int(blank.sum())
        return ParsedCsv(
            frame=frame,
            rows=rows,
            malformed=_malformed(
                malformed.with_columns(_width(malformed["raw"], sep).alias("fields"))
            ),
            encoding=self.encoding,
            delimiter=sep,
            blank_lines=int(blank.sum()),
        )

    def _records_to_end(self, text: bytes) -> ParsedCsv:
        """The careful path from this batch to the end of the file (quoted fields spanning
        lines, or quoting polars refuses): Python's csv module sees whole records."""
        rest = [text]
        while block := self._block(self.batch_bytes):
            more, lines = self._lines(block)
            self._line += lines.len()  # the next block's first line: where _lines counts from
            rest.append(more)
        parsed = _parse_records(
            b"".join(rest).decode(),
            self.name,
            self.encoding,
            self.delimiter,
            self.names,
            self._records,
        )
        self.blank_lines += parsed.blank_lines
        return parsed


def _line_end(pieces: list[bytes], start: int) -> tuple[int, int] | None:
    """(piece, offset) of the first line end at or after byte ``start`` of the pieces joined."""
    offset = 0
    for index, piece in enumerate(pieces):
        found = piece.find(b"\n", max(start - offset, 0))
        if found >= 0:
            return index, found
        offset += len(piece)
    return None


def _first_invalid_utf8(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return len(data)


def _after_lines(text: bytes, count: int) -> int:
    """The offset just after the first ``count`` line ends of ``text``."""
    position = 0
    for _ in range(count):
        found = text.find(b"\n", position)
        if found < 0:
            return len(text)
        position = found + 1
    return position


def _check_nul(text: bytes, name: str) -> None:
    if b"\x00" in text:  # (a byte search: a sixth of a search over the lines)
        raise InputError(
            "the file holds NUL characters: it is binary, not CSV",
            file=name,
            hint="if it is UTF-16 text without a byte-order mark, give --encoding utf-16-le "
            "(or utf-16-be if the NUL bytes come first)",
        )


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


def _fits(lines: pl.Series, sep: str, width: int) -> pl.Series:
    """Lines of exactly ``width`` fields, each unquoted or quoted in full: a real export's
    lines, found in one regex pass (half the time of counting fields); :func:`_width` counts
    the others."""
    field, delimiter = _field(sep), f"[{re.escape(sep)}]"
    try:
        return lines.str.contains(f"^{field}(?:{delimiter}{field}){{{width - 1}}}$")
    except pl.exceptions.ComputeError:  # a pattern too large to compile (thousands of columns)
        return pl.repeat(False, lines.len(), dtype=pl.Boolean, eager=True)


def _field(sep: str) -> str:
    """One field under the quoting rule: unquoted, without a quote or the delimiter; or quoted
    in full, ``""`` standing for a quote."""
    return f'(?:"(?:[^"]|"")*"|[^"{re.escape(sep)}]*)'


def _width(lines: pl.Series, sep: str) -> pl.Series:
    """Fields per line, counted as a CSV parser does; ``0`` for a line whose quoting is broken.

    A quoted field starts right after a delimiter (or the line start) and must end right
    before one (or the line end); anything else (``A, "x,y"``, ``"98765"43210``) is malformed.
    """
    escaped = re.escape(sep)
    one = f"[{escaped}]"  # a one-character class counts faster than the literal (measured)
    plain = lines.str.count_matches(one).cast(pl.Int64)
    quoted = lines.str.contains('"', literal=True)
    if not quoted.any():
        return plain + 1
    # each quoted section becomes a NUL (refused in input, so it marks only sections; an
    # escaped "" makes two touching ones); a section that does not sit between delimiters, or
    # a quote left over, is broken quoting
    marked = lines.filter(quoted).str.replace_all('"[^"]*"', "\x00")
    misplaced = f"[^{escaped}\x00]\x00|\x00[^{escaped}\x00]"
    broken = marked.str.contains(f'"|{misplaced}')
    counted = pl.when(broken).then(-1).otherwise(marked.str.count_matches(one))
    fixed = pl.select(counted.cast(pl.Int64)).to_series()
    return plain.scatter(quoted.arg_true(), fixed) + 1


def _parse_records(
    text: str, name: str, encoding: str, sep: str, names: list[str], start: int
) -> ParsedCsv:
    """Records of ``text`` (after the header) with Python's csv module, numbered from
    ``start + 1``; each malformed record keeps its raw text.

    A stray quote would make the rest of the file one cell, or, closed by another stray quote
    below, swallow the rows between. So a record spanning lines is doubted: the csv module
    reads strictly, and a record it refuses (text after a closing quote, the end of the file
    inside quotes), one running over :data:`MAX_RECORD_LINES` lines, or one with a line
    inside that reads as a whole row (a row's delimiters, no quote, a phone-like number) is
    malformed (its first line), and reading starts again on the line after it. One-line
    records are then held to the fast path's quoting rule (see :func:`_width`), so both paths
    judge a line alike.
    """
    # a lone CR is text to the fast path (polars ends lines at LF) but a line end to the csv
    # module: it stands in as NUL (refused in input) while the csv module reads
    lone_cr = "\r" in text.replace("\r\n", "")
    if lone_cr:
        text = _LONE_CR.sub("\x00", text)
    physical = io.StringIO(text, newline="").readlines()  # lines as the csv module counts them
    columns: list[list[str]] = [[] for _ in names]
    numbers: list[int] = []
    quoted: list[tuple[int, str]] = []  # (number, raw line) of one-line records with a quote
    bad: list[tuple[int, int, str]] = []
    blank = 0
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)  # a 10 MB cell is a cell, not an error
    number, offset = start, 0
    record_start = 0
    # the one-line quoting rule (see _fits), for the first line of a record spanning lines with
    # its open quote closed: a stray quote before the cell that spans lines is broken quoting,
    # as it is on a line read alone
    sound = re.compile(f"{_field(sep)}(?:[{re.escape(sep)}]{_field(sep)})*")

    def lines(begin: int) -> Iterator[str]:
        """The lines from ``begin``, ending a record that would run over the cap (the reader
        then refuses it): a restart never reads further than that, so reading is linear."""
        for at in range(begin, len(physical)):
            if at - record_start >= MAX_RECORD_LINES:
                return
            yield physical[at]

    try:
        while offset < len(physical):
            record_start = offset
            reader = csv.reader(lines(offset), delimiter=sep, strict=True)
            restart = len(physical)
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    break
                except csv.Error:
                    record = None
                number += 1
                first, stop = record_start, offset + reader.line_num
                record_start = stop
                spans = stop - first > 1
                if (
                    record is None
                    or (spans and not sound.fullmatch(physical[first].rstrip("\r\n") + '"'))
                    or _swallowed(physical[first + 1 : stop], sep, len(names))
                ):
                    bad.append((number, 0, physical[first].rstrip("\r\n")))
                    restart = first + 1
                    break
                if not spans and _is_blank(physical[first]):
                    blank += 1
                    continue
                if not spans and '"' in physical[first]:  # judged below as the fast path would
                    quoted.append((number, physical[first].rstrip("\r\n")))
                if len(record) != len(names):
                    raw = "".join(physical[first:stop]).rstrip("\r\n")
                    bad.append((number, len(record), raw))
                else:
                    numbers.append(number)
                    for column, value in zip(columns, record, strict=True):
                        column.append(value)
            offset = restart
    finally:
        csv.field_size_limit(limit)
    frame = _text_frame(columns, names)
    rows = pl.Series(ROW, numbers, dtype=pl.Int64)
    if lone_cr:
        frame = frame.with_columns(pl.all().str.replace_all("\x00", "\r", literal=True))
        bad = [(row, fields, raw.replace("\x00", "\r")) for row, fields, raw in bad]
        quoted = [(at, line.replace("\x00", "\r")) for at, line in quoted]
    if quoted:  # the csv module reads a stray quote as text; to the fast path it is broken
        widths = _width(pl.Series([line for _, line in quoted], dtype=pl.String), sep)
        broken = {number for (number, _), width in zip(quoted, widths, strict=True) if not width}
        kept = broken.intersection(numbers)
        bad = [(row, 0 if row in broken else fields, raw) for row, fields, raw in bad]
        bad += [(number, 0, line) for number, line in quoted if number in kept]
        keep = ~rows.is_in(sorted(kept))
        frame, rows = frame.filter(keep), rows.filter(keep)
    malformed = pl.DataFrame(
        bad, schema={ROW: pl.Int64, "fields": pl.UInt32, "raw": pl.String}, orient="row"
    ).sort(ROW)
    return ParsedCsv(frame, rows, _malformed(malformed), encoding, sep, blank)


def _text_frame(columns: list[list[str]], names: list[str]) -> pl.DataFrame:
    """Columns from the csv module as a frame of text."""
    return _empty_as_null(
        pl.DataFrame(
            {n: pl.Series(c, dtype=pl.String) for n, c in zip(names, columns, strict=True)}
        )
    )


def _empty_as_null(frame: pl.DataFrame) -> pl.DataFrame:
    """An empty field is null, quoted (``""``) or not: the csv module cannot tell them apart,
    so both paths read both alike (1.5 ms a batch)."""
    return frame.with_columns(pl.when(pl.all() == "").then(None).otherwise(pl.all()).name.keep())


_LONE_CR = re.compile(r"\r(?!\n)")
#: What polars' ``strip_chars()`` strips (Unicode White_Space, Rust's ``char::is_whitespace``;
#: Python's ``str.strip`` also strips ``\x1c``-``\x1f``): the careful path's blank lines are
#: then the fast path's.
_WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    map(chr, range(0x2000, 0x200B))
)


def _is_blank(line: str) -> bool:
    """A physical line of whitespace only (a lone CR, standing in as NUL, is whitespace)."""
    return not line.replace("\x00", "\r").strip(_WHITE_SPACE)


#: A phone-like run of digits (the masker's shape): a line inside a quoted cell holding one,
#: and a row's delimiters, is more likely rows swallowed by a stray quote than a cell's text.
_NUMBER_LIKE = re.compile(r"\d(?:[ .\-]?\d){6,}")


def _swallowed(after: list[str], sep: str, width: int) -> bool:
    """Whether the lines after the first of a record read as rows (the last up to its
    closing quote, where a stray one would stand at the end of a field)."""
    if not after:
        return False
    *inside, last = after
    ends = [*inside, last[: last.rfind('"')]]
    return any(
        '"' not in line and line.count(sep) == width - 1 and _NUMBER_LIKE.search(line)
        for line in ends
    )


def _malformed(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col(ROW).cast(pl.Int64), pl.col("fields").cast(pl.UInt32), pl.col("raw"))
