"""The line-level structure check agrees with a real CSV parser on well-formed records."""

from __future__ import annotations

import csv
import io

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from listprep.csvfile import CsvStream, _width

cells = st.text(alphabet=st.sampled_from(list("ab ,;|\"'9+=") + ["\t"]), max_size=6)
records = st.lists(st.lists(cells, min_size=1, max_size=6), min_size=1, max_size=20)


@given(records, st.sampled_from([",", ";", "|", "\t"]))
def test_width_counts_fields_like_the_csv_module(rows: list[list[str]], sep: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\n").writerows(rows)
    lines = buffer.getvalue().splitlines()
    assert _width(pl.Series(lines, dtype=pl.String), sep).to_list() == [len(r) for r in rows]


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
