"""The line-level structure check agrees with a real CSV parser on well-formed records."""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from listprep.csvfile import CsvStream, _fits, _width
from listprep.errors import InputError

cells = st.text(alphabet=st.sampled_from(list("ab ,;|\"'9+=") + ["\t"]), max_size=6)
records = st.lists(st.lists(cells, min_size=1, max_size=6), min_size=1, max_size=20)


@given(records, st.sampled_from([",", ";", "|", "\t"]))
def test_width_counts_fields_like_the_csv_module(rows: list[list[str]], sep: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\n").writerows(rows)
    lines = buffer.getvalue().splitlines()
    assert _width(pl.Series(lines, dtype=pl.String), sep).to_list() == [len(r) for r in rows]


quoted_cells = st.text(alphabet=st.sampled_from(list('a ,;|\t"\r')), max_size=4).map(
    lambda text: '"' + text.replace('"', '""') + '"'
)
junk = st.text(alphabet=st.sampled_from(list('a ,;|\t"\r')), max_size=4)


@given(
    st.lists(st.lists(st.one_of(cells, quoted_cells, junk), max_size=6), max_size=20),
    st.sampled_from([",", ";", "|", "\t"]),
    st.integers(1, 5),
)
def test_the_one_pass_check_agrees_with_the_field_count(
    rows: list[list[str]], sep: str, width: int
) -> None:
    """Well quoted or not: a line fits exactly when it counts ``width`` fields."""
    series = pl.Series([sep.join(row) for row in rows], dtype=pl.String)
    assert _fits(series, sep, width).to_list() == [n == width for n in _width(series, sep)]


@given(records, st.integers(1, 25))
def test_every_record_is_kept_or_malformed_once(rows: list[list[str]], batch_rows: int) -> None:
    """Whatever the widths and the batch size, each non-blank record is a row of the frame
    or a malformed one, numbered as a spreadsheet numbers it."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([["h1", "h2", "h3"], *rows])
    stream = CsvStream(buffer.getvalue().encode(), "x.csv", delimiter=",", batch_rows=batch_rows)
    parts = list(stream)
    numbers = [n for p in parts for n in [*p.rows, *p.malformed["_source_row"]]]
    # a line of only spaces is a blank line, counted apart (csv.writer quotes a lone "")
    blank = [i + 2 for i, r in enumerate(rows) if len(r) == 1 and r[0].strip() == ""]
    blank = [n for n in blank if rows[n - 2] != [""]]
    assert stream.blank_lines == len(blank)
    assert sorted(numbers + blank) == list(range(2, len(rows) + 2))
    kept = [r for r in rows if len(r) == 3]  # a 3-field record is never blank
    assert sum(p.frame.height for p in parts) == len(kept)


plain = st.text(alphabet=st.sampled_from(list("ab9 +-")), min_size=1, max_size=5)
phones = st.integers(6_000_000_000, 9_999_999_999).map(str)


@given(st.lists(st.tuples(plain, phones, plain), min_size=1, max_size=40), st.data())
def test_a_stray_quote_spoils_only_its_own_row(
    rows: list[tuple[str, str, str]], data: st.DataObject
) -> None:
    """A stray quote opening a cell (``"Delhi``) that nothing closes would make every later
    row part of that cell, and one closed by another stray quote (``Goa"``) would swallow the
    rows between; instead each row with a stray quote is malformed and every other row is
    read as it stands."""
    kinds = st.sampled_from(["open", "close"])
    broken = data.draw(
        st.dictionaries(st.integers(0, len(rows) - 1), kinds, min_size=1, max_size=4)
    )
    batch_rows = data.draw(st.integers(1, 25))

    def line(i: int, name: str, phone: str, city: str) -> str:
        kind = broken.get(i)
        return ",".join(
            (name, phone, f'"{city}' if kind == "open" else f'{city}"' if kind else city)
        )

    text = "\n".join(["h1,h2,h3", *(line(i, *r) for i, r in enumerate(rows)), ""])
    stream = CsvStream(text.encode(), "x.csv", delimiter=",", batch_rows=batch_rows)
    parts = list(stream)
    malformed = [n for p in parts for n in p.malformed["_source_row"]]
    assert sorted(malformed) == sorted(i + 2 for i in broken)
    kept = pl.concat([p.frame for p in parts])
    assert kept.rows() == [r for i, r in enumerate(rows) if i not in broken]
    assert [n for p in parts for n in p.rows] == [
        i + 2 for i in range(len(rows)) if i not in broken
    ]


def test_a_real_multiline_cell_is_kept() -> None:
    """An address over two lines is one cell, whatever the stray quotes around it."""
    data = b'h1,h2,h3\nAsha,9876543214,"Flat 2,\nMG Road, Pune"\nRavi,9876543210,"Pune\nZed,1,x\n'
    parts = list(CsvStream(data, "x.csv", delimiter=",", batch_rows=1))
    kept = [row for p in parts for row in p.frame.rows()]
    assert kept[0] == ("Asha", "9876543214", "Flat 2,\nMG Road, Pune")
    assert [n for p in parts for n in p.malformed["_source_row"]] == [3]


def test_quotes_inside_a_field_are_judged_alike_after_a_multiline_cell() -> None:
    """Once a cell spans lines the rest of the file is read by the csv module; a line it would
    take as it stands (``Goa"x``) is still malformed, as it is in a file without one."""
    tail = 'B,Goa"x,1\nC,"x"y,2\nD,ok,3\n'
    for head, first in (("A,fine,0\n", "fine"), ('A,"two\nlines",0\n', "two\nlines")):
        data = ("h1,h2,h3\n" + head + tail).encode()
        parts = list(CsvStream(data, "x.csv", delimiter=",", batch_rows=1))
        assert [n for p in parts for n in p.malformed["_source_row"]] == [3, 4]
        kept = [row for p in parts for row in p.frame.rows()]
        assert kept == [("A", first, "0"), ("D", "ok", "3")]


@given(st.integers(1, 300), st.data())
def test_mixed_encodings_name_the_line_of_the_first_bad_byte(
    rows: int, data: st.DataObject
) -> None:
    """UTF-8 rows, then a Windows-1252 byte: the error names the physical line holding it,
    whatever the batch size and the blank lines, CRLFs and multi-line cells before it. (After
    a multi-line cell the careful path read on without counting lines: a row from its first
    batch, so one that changed with --batch-rows.)"""
    note = b"x" * 40  # long lines: the bad byte is often past the header's first read (4 KB)
    lines = [b"name,phone,note", *(b"n%d,98765%05d,%s" % (i, i, note) for i in range(rows))]
    utf8 = data.draw(st.integers(1, rows))
    bad = data.draw(st.integers(utf8, rows))
    lines[utf8] = lines[utf8].replace(b"n", "ë".encode(), 1)
    lines[bad] = lines[bad].replace(b",", b"\xeb,", 1)  # Windows-1252 ë
    multiline = data.draw(st.none() | st.integers(1, bad))
    if multiline is not None:
        lines.insert(multiline, b'x,y,"two\nlines"')
    extras = st.sampled_from([b"", b"  "])
    for at in data.draw(st.lists(st.tuples(st.integers(1, rows + 1), extras), max_size=3)):
        lines.insert(*at)
    lines[:0] = [b""] * data.draw(st.integers(0, 2))
    end = data.draw(st.sampled_from([b"\n", b"\r\n"]))
    text = end.join(lines) + end
    batch_rows = data.draw(st.sampled_from([None, 1, 2, 7, 100]))
    with pytest.raises(InputError, match="mixes encodings") as info:
        list(CsvStream(text, "x.csv", batch_rows=batch_rows))
    assert info.value.row == text[: text.index(b"\xeb")].count(b"\n") + 1


@pytest.mark.parametrize(("given", "found"), [(";", ","), ("\t", ","), (",", ";"), ("|", "\t")])
def test_a_delimiter_the_header_lacks_is_refused(given: str, found: str) -> None:
    """Every row would be one column, rejected: the refusal names the delimiter the file uses;
    a one-column file, which has no delimiter at all, is read."""
    header = found.join(["name", "phone", "city"])
    data = f"{header}\nAsha{found}9876543210{found}Pune\n".encode()
    with pytest.raises(InputError, match="the file is not") as info:
        CsvStream(data, "x.csv", delimiter=given)
    assert info.value.row == 1
    assert ("tab" if found == "\t" else repr(found)) in (info.value.hint or "")
    assert CsvStream(b"phone\n9876543210\n", "x.csv", delimiter=given).names == ["phone"]


def test_a_lone_cr_inside_a_cell_is_text_on_both_paths() -> None:
    """polars ends lines at LF only; the csv module (the path after a multi-line cell) also at
    a lone CR, which split a row in two and shifted every later row number (so the output
    depended on --batch-rows). Both now read it as text."""
    tail = 'B,x\ry,1\nC,"q\rz",2\nD,ok,3\n'
    seen = []
    for head in ("A,fine,0\n", 'A,"two\nlines",0\n'):
        for batch_rows in (1, 1000):
            data = ("h1,h2,h3\n" + head + tail).encode()
            parts = list(CsvStream(data, "x.csv", delimiter=",", batch_rows=batch_rows))
            assert not any(p.malformed.height for p in parts)
            rows = [row for p in parts for row in p.frame.rows()][1:]
            seen.append((rows, [n for p in parts for n in p.rows]))
    assert seen[0][0] == [("B", "x\ry", "1"), ("C", "q\rz", "2"), ("D", "ok", "3")]
    assert all(s == seen[0] for s in seen)


@pytest.mark.parametrize("sep", ["\t", " ", ","])
def test_a_line_of_only_delimiters_and_spaces_is_blank_only_if_it_is_all_whitespace(
    sep: str,
) -> None:
    """A line that fits the header holds delimiters, so it is blank only when the delimiter is
    whitespace itself (tab, space); a blank line is counted, never a row or a reject."""
    header = sep.join(["name", "phone", "city"])
    filler = sep * 2
    data = f"{header}\n{filler}\nAsha{sep}9876543210{sep}Pune\n  \n".encode()
    stream = CsvStream(data, "x.csv", delimiter=sep)
    parts = list(stream)
    rows = [n for p in parts for n in p.rows]
    assert stream.blank_lines == (2 if sep.isspace() else 1)
    assert rows == ([3] if sep.isspace() else [2, 3])
    assert [n for p in parts for n in p.malformed["_source_row"]] == []


TRICKY = [
    '""',
    '"  "',
    "\t\t",
    "\t",
    "\r",
    "\x1c",
    "a\r,b",
    "\r,c",
    "x,y,z\r\r",  # a CR before the line's CRLF: data, whether or not polars rejoins the lines
    "z\r\r",
    'a 5"10,9,"P\nM"',  # a stray quote, then a cell spanning lines: broken quoting on both paths
    'a, "P" x,e',  # a stray quote in a line of the wrong width: 0 fields on both paths
    ",,",
    "  ",
    "",
    "x,y,z",
]


@given(
    st.lists(st.sampled_from(TRICKY), min_size=1, max_size=12),
    st.sampled_from([",", "\t"]),
    st.sampled_from([1, 3]),
    st.none() | st.integers(0, 12),
)
def test_the_batch_size_never_changes_what_a_line_reads_as(
    lines: list[str], sep: str, width: int, multiline_at: int | None
) -> None:
    """Blank or not, a quoted empty cell, a CR ending a field: the fast path (whole batches of
    lines) and the careful path (after a cell spanning lines) read every line alike, so any
    batch size gives the same rows, row numbers, rejects and blank count."""
    body = [line.replace(",", sep) for line in lines]
    if multiline_at is not None:
        body.insert(min(multiline_at, len(body)), sep.join(['"two\nlines"'] * width))
    header = sep.join(f"h{i}" for i in range(width))
    data = "\n".join([header, *body, ""]).encode()
    seen = []
    for batch_rows in (None, 1, 2, 3):
        stream = CsvStream(data, "x.csv", delimiter=sep, batch_rows=batch_rows)
        parts = list(stream)
        seen.append(
            (
                [(n, row) for p in parts for n, row in zip(p.rows, p.frame.rows(), strict=True)],
                [m for p in parts for m in p.malformed.rows()],
                stream.blank_lines,
            )
        )
    assert all(s == seen[0] for s in seen[1:]), seen
