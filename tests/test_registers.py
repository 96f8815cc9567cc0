"""Reading DND registers and suppression lists: every format a contact input may have, and a
clear refusal (never a silent empty register) when no number can be read.

A register that reads as empty dials every number on it, which is illegal for promotional
calls; so each format below is checked to give exactly the numbers a plain UTF-8 CSV gives.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from scrub_rules import entry_mask

from listprep.cli import main
from listprep.dndindex import build_index, open_index
from listprep.errors import InputError
from listprep.reader import sha256_file
from listprep.registers import ALLOWED, KEY, bad_rows_warning, load_register

POOL = ["9876543210", "9123456780", "7012345678", "6398765432"]


def key(national: str) -> int:
    return int("91" + national)


def masks_of(entries: list[tuple[str, list[int]]]) -> dict[int, int]:
    """The register's meaning: each number's allowed mask, ANDed over its entries."""
    expected: dict[int, int] = {}
    for number, codes in entries:
        expected[key(number)] = expected.get(key(number), 0b111111111) & entry_mask(codes)
    return expected


def read_both(path: Path, folder: Path) -> tuple[dict[int, int], dict[int, int]]:
    """The register's masks as loaded raw and as indexed."""
    raw = load_register(path, "IN").frame
    build_index([path], folder / "idx")
    index = open_index(folder / "idx")
    return (
        dict(raw.select(KEY, ALLOWED).iter_rows()),
        dict(zip(index.keys.tolist(), index.allowed.tolist(), strict=True)),
    )


# --- one register, written every way a contact export may be --------------------------------------

HEADERS = ["number", "mobile_no", "Mobile No.", "MSISDN", "phone"]


@given(
    entries=st.lists(
        st.tuples(st.sampled_from(POOL), st.lists(st.integers(0, 8), max_size=3)),
        min_size=1,
        max_size=5,
    ),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    code_separator=st.sampled_from([",", ";", " ", "|"]),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
    header=st.none() | st.sampled_from(HEADERS),
    name_first=st.booleans(),
    compressed=st.booleans(),
)
def test_every_format_reads_the_same_numbers(
    entries: list[tuple[str, list[int]]],
    encoding: str,
    delimiter: str,
    code_separator: str,
    line_end: str,
    header: str | None,
    name_first: bool,
    compressed: bool,
) -> None:
    """Encoding (BOMs, cp1252), delimiter, line ends, gzip, and where the number column is
    (found by its name, as for contacts) change nothing: the same numbers, the same masks."""
    rows = [[n, code_separator.join(map(str, codes))] for n, codes in entries]
    if header is not None:  # a named number column, after a name column that is not numbers
        rows = [[header, "preferences"], *rows]
        if name_first:
            rows = [["Name", *rows[0]], *(["José", *r] for r in rows[1:])]
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator=line_end).writerows(rows)
    data = text.getvalue().encode(encoding)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / ("register.csv.gz" if compressed else "register.csv")
        path.write_bytes(gzip.compress(data) if compressed else data)
        raw, indexed = read_both(path, folder)
    assert raw == indexed == masks_of(entries)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("9876543210\r\n".encode("utf-16"), {key(POOL[0]): 0}),
        (b"mobile|preferences\n9876543210|0\n9123456780|1\n", {key(POOL[0]): 0, key(POOL[1]): 2}),
        (b"name,mobile_no\nx,9876543210\n", {key(POOL[0]): 0}),
        (b"\n\nnumber,pref\n9876543210,3\n", {key(POOL[0]): 8}),  # blank lines, then the header
        (b"9876543210\t1,2\n", {key(POOL[0]): 0b110}),  # headerless: the first delimiter counts
        (b"9876543210;1,2\n", {key(POOL[0]): 0b110}),
    ],
)
def test_the_reported_formats(tmp_path: Path, data: bytes, expected: dict[int, int]) -> None:
    path = tmp_path / "register.txt"
    path.write_bytes(data)
    raw, indexed = read_both(path, tmp_path)
    assert raw == indexed == expected
    suppression = load_register(path, "IN", suppression=True)
    assert set(suppression.frame[KEY]) == set(expected)
    assert suppression.bad_rows == 0 and suppression.bad_rows_warning() is None


# --- a cell naming numbers with a label, or several: every one of them blocks ----------------

SPELLINGS = [
    lambda n: n,
    lambda n: f"+91 {n[:5]} {n[5:]}",
    lambda n: f"0{n}",
    lambda n: f"{n[:5]}-{n[5:]}",
]
LABELS = ["{}", "Mob: {}", "{} (M)", "Ph-{}", "{} whatsapp", "tel {}"]
JOINERS = [", ", " / ", " or ", "; ", " & ", " ", "-", "."]


@given(
    rows=st.lists(
        st.tuples(
            st.lists(
                st.tuples(st.sampled_from(POOL), st.sampled_from(SPELLINGS)),
                min_size=1,
                max_size=3,
            ),
            st.sampled_from(LABELS),
            st.sampled_from(JOINERS),
            st.lists(st.integers(0, 8), max_size=2),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_a_labelled_or_several_number_cell_blocks_every_number(
    rows: list[tuple[list[tuple[str, object]], str, str, list[int]]],
) -> None:
    """CRM exports write ``Mob: 98…``, ``98… (M)`` or ``98…, 97…`` in one cell: a register
    that read only a plain first number would let the others be dialled."""
    entries = [(number, codes) for numbers, _, _, codes in rows for number, _ in numbers]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["number", "preferences"])
    for numbers, label, joiner, codes in rows:
        cell = joiner.join(label.format(spell(n)) for n, spell in numbers)  # type: ignore[operator]
        writer.writerow([cell, ",".join(map(str, codes))])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8")
        raw, indexed = read_both(path, Path(tmp))
        suppression = load_register(path, "IN", suppression=True)
    expected = masks_of(entries)
    assert raw == indexed
    # every number blocks with its row's preferences; digit runs read in pairs may block a
    # number the cell did not mean as well, the safe side
    assert {k: raw[k] for k in expected} == expected
    assert set(suppression.frame[KEY]) >= set(expected)
    assert suppression.bad_rows == 0


# --- refusals: never an empty register in silence -------------------------------------------------


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"number\nn/a\n12345\n", "no usable phone number"),
        (b"abc\nn/a\n", "no usable phone number"),
        (b"number,preferences\n", "header but no rows"),
        ("name;x\nRavi;y\n".encode("utf-16"), "no phone column"),  # headers, none a number
    ],
)
@pytest.mark.parametrize("suppression", [False, True])
def test_no_usable_number_is_refused(
    tmp_path: Path, data: bytes, needle: str, suppression: bool
) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(data)
    with pytest.raises(InputError, match=needle) as err:
        load_register(path, "IN", suppression=suppression)
    assert err.value.file == str(path) and err.value.hint
    what = "suppression list" if suppression else "DND register"
    assert what in str(err.value) or needle == "no phone column"
    if not suppression:
        with pytest.raises(InputError, match=needle):
            build_index([path], tmp_path / "idx")
        assert not (tmp_path / "idx").exists()


def test_dnd_build_refuses_a_register_without_numbers(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "register.csv"
    path.write_text("number,preferences\nsee attached,0\n")
    result = runner.invoke(main, ["dnd", "build", str(path), "-o", str(tmp_path / "idx")])
    assert result.exit_code == 1, result.output
    assert "no usable phone number" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "idx").exists()


@pytest.mark.parametrize("suppression", [False, True])
@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b" \r\n\n"])
def test_an_empty_file_names_what_it_is(tmp_path: Path, data: bytes, suppression: bool) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(data)
    what = "suppression list" if suppression else "DND register"
    with pytest.raises(InputError, match=f"the {what} is empty"):
        load_register(path, "IN", suppression=suppression)


def test_bad_rows_are_a_warning_without_numbers(tmp_path: Path) -> None:
    junk = "98765 4321"  # nine digits: invalid, and what a careless message would print
    path = tmp_path / "optout.txt"
    path.write_text(f"9876543210\n{junk}\nn/a\nabc\n\n9123456780\n")
    loaded = load_register(path, "IN", suppression=True)
    assert (loaded.rows, loaded.entries, loaded.bad_rows) == (5, 2, 3)  # the blank line is none
    assert loaded.bad_reasons == {"not-a-number": 2, "invalid": 1}
    warning = loaded.bad_rows_warning()
    assert warning is not None
    assert warning.startswith(f"{path}: 3 of the suppression list's 5 rows")
    assert "not-a-number 2" in warning and "invalid 1" in warning
    assert not re.search(r"\d{4}", warning.removeprefix(str(path))), "no digits of a number"


# --- parse errors: located and explained, never polars' own text ----------------------------------

WIDE = [
    ("number,preferences\n9876543210,0,2,3\n", 2),
    ("number,preferences\n9876543210,1\n\n9123456780,2,0\n", 4),
    ("9876543210,2,0\n", 1),  # headerless: reading "2" alone would allow category 2
    ("9876543210,1\n9123456780,2,0\n", 2),
]


@pytest.mark.parametrize(("text", "row"), WIDE)
def test_unquoted_codes_name_the_row(tmp_path: Path, text: str, row: int) -> None:
    path = tmp_path / "dnd.csv"
    path.write_text(text)
    for read in (lambda: load_register(path, "IN"), lambda: build_index([path], tmp_path / "i")):
        with pytest.raises(InputError) as err:
            read()
        assert (err.value.file, err.value.row) == (str(path), row)
        assert err.value.hint and '"0,2,3"' in err.value.hint
        assert "schema" not in str(err.value) and "extra_columns" not in str(err.value)


@pytest.mark.parametrize("name", ["dnd.xlsx", "dnd.csv"])
def test_a_workbook_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 60)
    with pytest.raises(InputError, match="workbook") as err:
        load_register(path, "IN")
    assert err.value.hint and "save it as CSV" in err.value.hint


def test_gzip_register(tmp_path: Path) -> None:
    path = tmp_path / "dnd.csv.gz"
    path.write_bytes(gzip.compress(b'number,preferences\n9876543210,"0,2,3"\n'))
    loaded = load_register(path, "IN")
    assert loaded.frame.rows() == [(key(POOL[0]), 0)]
    assert loaded.sha256 == sha256_file(path)  # the file as stored


def test_prepare_warns_of_bad_register_rows(tmp_path: Path, runner: CliRunner) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(f"phone\n{POOL[0]}\n{POOL[1]}\n")
    register = tmp_path / "dnd.csv"
    register.write_text(f"number,preferences\n{POOL[0]},0\n98765 4321,0\nn/a,0\n")
    out = tmp_path / "out"
    result = runner.invoke(main, ["prepare", str(contacts), "--dnd", str(register), "-o", str(out)])
    assert result.exit_code == 0, result.output
    warning = f"warning: {register}: 2 of the DND register's 3 rows have no usable number"
    assert warning in result.output
    assert "98765" not in result.output


def test_blank_lines_are_not_bad_rows(tmp_path: Path) -> None:
    """As in contact files, a blank line is not a row: no bad row, no warning."""
    path = tmp_path / "dnd.csv"
    path.write_text("number\n9876543210\n\n9123456780\n\n")
    register = load_register(path, "IN")
    assert (register.rows, register.bad_rows) == (2, 0)
    assert register.bad_rows_warning() is None


def test_the_warning_counts_the_reasons_it_does_not_name() -> None:
    """Three reasons are named; the rows of the others are counted, so the figures add up."""
    warning = bad_rows_warning(
        "r.csv", "DND register", 10, 7, {"a": 3, "b": 1, "c": 1, "d": 1, "e": 1}
    )
    assert warning is not None
    assert warning.endswith("(a 3, b 1, c 1, 2 more for other reasons)")
