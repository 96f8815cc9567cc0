"""Issue #7: bad input and faults. Nothing crashes, nothing is lost.

Every expectation here was worked out by hand from the input bytes (``tests/data/make_data.py``
writes them; the comments there number the rows). Row numbers are the ones a spreadsheet shows:
the header is row 1, the first contact row 2, a blank line still takes a number.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import importlib.util
import io
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import phonenumbers
import polars as pl
import pytest
from click.testing import CliRunner, Result
from hypothesis import assume, given
from hypothesis import strategies as st

import listprep
from listprep.cli import main

DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parent.parent

A, B, C, D = "9876543210", "9812345678", "9822345678", "9833345678"
E, F = "9845012345", "9900112233"


def e164(national: str) -> str:
    return "+91" + national


def data(name: str) -> str:
    path = DATA / name
    assert path.exists(), f"{name}: run python tests/data/make_data.py"
    return str(path)


def cli(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(main, ["prepare", *args])


def assert_refused(result: Result, *needles: str) -> None:
    """Exit 1 with a clear message: no traceback, names what it must, says what to do."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle.lower() in result.output.lower(), (needle, result.output)
    assert "hint:" in result.output, f"the message does not say what to do: {result.output!r}"


def list_rows(result: listprep.Result) -> list[tuple[int, str]]:
    return list(result.lists.select("_source_row", "_e164").iter_rows())


def list_file(result: listprep.Result) -> list[dict[str, str]]:
    """The one list file of a small run, as dicts (what Exotel receives)."""
    names = [n for n in result.files if n.startswith("lists/")]
    assert len(names) == 1, names
    return list(csv.DictReader(io.StringIO(result.files[names[0]].decode("utf-8"))))


def rejects_file(files: dict[str, bytes] | Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files["rejects.csv"].decode("utf-8"), newline="")))


def manifest_input(result: listprep.Result) -> dict[str, Any]:
    (entry,) = result.manifest["inputs"]
    assert isinstance(entry, dict)
    return entry


def test_data_files_are_what_make_data_writes() -> None:
    """The committed inputs are reproducible: ``python tests/data/make_data.py`` rewrites them."""
    spec = importlib.util.spec_from_file_location("make_data", DATA / "make_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.files()
    assert expected == module.files()  # deterministic
    on_disk = {p.name: p.read_bytes() for p in DATA.iterdir() if p.name != "make_data.py"}
    assert on_disk == expected


# --- inputs that must work ----------------------------------------------------------------------

# (file, encoding, delimiter, phone column, [(row, e164, name, company)])
TWO = [(2, e164(A), "José Müller", "Café Ltd"), (3, e164(B), "Zoë", "Crème, Brûlée & Co")]
WORKING = [
    ("enc_utf8.csv", "utf-8", ",", TWO),
    ("enc_utf8_bom.csv", "utf-8", ",", TWO),
    ("enc_utf16_excel.txt", "utf-16", "\t", [*TWO, (4, e164(C), "राम", "Ω Systems")]),
    (
        "enc_cp1252.csv",
        "cp1252",
        ";",
        [(2, e164(A), "José Müller", "€uro Œuvre"), (3, e164(B), "O’Brien", "Crème")],
    ),
    # latin-1 text whose characters cp1252 shares: detected as cp1252, same characters
    ("enc_latin1.csv", "cp1252", ",", TWO),
    # 0x81 is undefined in cp1252: only latin-1 decodes it (to U+0081)
    ("enc_latin1_c1.csv", "latin-1", ",", [(2, e164(A), "Ana\x81", "Ñandú SA")]),
]


@pytest.mark.parametrize(("name", "encoding", "delimiter", "expected"), WORKING)
def test_encodings_are_detected(
    name: str, encoding: str, delimiter: str, expected: list[tuple[int, str, str, str]]
) -> None:
    result = listprep.prepare(data(name))
    entry = manifest_input(result)
    assert (entry["encoding"], entry["delimiter"], entry["phone_column"]) == (
        encoding,
        delimiter,
        "phone",
    )
    got = result.lists.select("_source_row", "_e164", "name", "company").rows()
    assert got == expected
    assert result.rejects.height == 0
    assert [(r["first_name"], r["company_name"]) for r in list_file(result)] == [
        (n, c) for _, _, n, c in expected
    ]


@pytest.mark.parametrize(
    ("name", "encoding", "company"),
    [
        ("enc_cp1252.csv", "cp1252", "€uro Œuvre"),
        ("enc_latin1.csv", "latin-1", "Café Ltd"),
        ("enc_utf8.csv", "utf-8", "Café Ltd"),
        ("enc_utf16_excel.txt", "utf-16", "Café Ltd"),
    ],
)
def test_encoding_option_is_used_and_recorded(
    runner: CliRunner, tmp_path: Path, name: str, encoding: str, company: str
) -> None:
    out = tmp_path / "out"
    result = cli(runner, data(name), "-o", str(out), "--encoding", encoding)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"][0]["encoding"] == encoding
    rows = list(csv.DictReader((out / "lists/campaign-01/list-01.csv").open(encoding="utf-8")))
    assert rows[0]["first_name"] == "José Müller"
    assert rows[0]["company_name"] == company


def test_wrong_encoding_option_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    result = cli(runner, data("enc_cp1252.csv"), "-o", str(tmp_path / "o"), "--encoding", "utf-8")
    assert_refused(result, "enc_cp1252.csv", "utf-8", "--encoding")
    assert not (tmp_path / "o").exists()


def test_unknown_encoding_name_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    result = cli(runner, data("enc_utf8.csv"), "-o", str(tmp_path / "o"), "--encoding", "klingon")
    assert_refused(result, "enc_utf8.csv", "klingon")


def test_utf16_without_bom_is_refused_clearly(runner: CliRunner, tmp_path: Path) -> None:
    """Every other byte is NUL: listprep cannot tell it from binary without a BOM."""
    result = cli(runner, data("enc_utf16le_nobom.csv"), "-o", str(tmp_path / "o"))
    assert_refused(result, "enc_utf16le_nobom.csv")


def test_utf16_without_bom_reads_with_encoding_option() -> None:
    """Saying the encoding must be enough to read a BOM-less UTF-16 file."""
    result = listprep.prepare(data("enc_utf16le_nobom.csv"), encoding="utf-16-le")
    assert result.lists.select("_source_row", "_e164", "name").rows() == [
        (r, n, name) for r, n, name, _ in TWO
    ]


def test_shift_jis_is_read_as_cp1252_documented() -> None:
    """Any byte string decodes as cp1252 or latin-1, so a Shift-JIS file is not refused: it is
    read as cp1252 (mojibake in the text columns, which the manifest's encoding reveals); the
    phone column, being ASCII, still comes out right. ``--encoding shift_jis`` reads it properly.
    """
    result = listprep.prepare(data("enc_shift_jis.csv"))
    assert manifest_input(result)["encoding"] == "cp1252"
    assert list_rows(result) == [(2, e164(A))]
    assert result.lists["name"][0] == "山田".encode("shift_jis").decode("cp1252")
    right = listprep.prepare(data("enc_shift_jis.csv"), encoding="shift_jis")
    assert right.lists.select("name", "company").row(0) == ("山田", "株式会社")


# Each file holds the other delimiters inside its one contact's fields.
@pytest.mark.parametrize(
    ("name", "delimiter"),
    [
        ("delim_comma.csv", ","),
        ("delim_semicolon.csv", ";"),
        ("delim_tab.tsv", "\t"),
        ("delim_pipe.txt", "|"),
    ],
)
def test_delimiters_are_sniffed(name: str, delimiter: str) -> None:
    result = listprep.prepare(data(name))
    assert manifest_input(result)["delimiter"] == delimiter
    assert result.lists.select("_source_row", "_e164", "name", "company").rows() == [
        (2, e164(A), "Rao, Anil; Jr", "A|B\tC")
    ]


@pytest.mark.parametrize("word", ["tab", "\t"])
def test_delimiter_option_accepts_tab(runner: CliRunner, tmp_path: Path, word: str) -> None:
    out = tmp_path / "out"
    result = cli(runner, data("delim_tab.tsv"), "-o", str(out), "--delimiter", word)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"][0]["delimiter"] == "\t"
    assert manifest["counts"]["output_rows"] == 1


def test_delimiter_option_overrides_the_sniffer(runner: CliRunner, tmp_path: Path) -> None:
    """The header ``name;alias;tag,phone`` has more semicolons, but commas are right."""
    out = tmp_path / "out"
    result = cli(runner, data("delim_override.csv"), "-o", str(out), "--delimiter", ",")
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"][0]["delimiter"] == ","
    assert manifest["inputs"][0]["phone_column"] == "phone"
    rows = list(csv.DictReader((out / "lists/campaign-01/list-01.csv").open()))
    assert [r["number"] for r in rows] == [e164(A)]


def test_delimiter_option_of_two_characters_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    result = cli(runner, data("enc_utf8.csv"), "-o", str(tmp_path / "o"), "--delimiter", ";;")
    assert result.exit_code in (1, 2), result.output
    assert isinstance(result.exception, SystemExit)
    assert "delimiter" in result.output


def test_quoted_fields_with_delimiters_quotes_and_newlines() -> None:
    result = listprep.prepare(data("quoted.csv"))
    assert result.lists.select("_source_row", "_e164", "name", "note").rows() == [
        (2, e164(A), "Rao, Anil", 'said "hi", then left'),
        (3, e164(B), "Multi\nLine", "a,b\nc"),
        (4, e164(C), "Plain", "x"),
    ]
    assert result.rejects.height == 0
    assert result.manifest["counts"]["input_rows"] == 3


@pytest.mark.parametrize(
    "name",
    ["crlf.csv", "cr_only.csv", "trailing_blank.csv", "no_final_newline.csv", "input.csv.gz"],
)
def test_line_ends_and_gzip(name: str) -> None:
    result = listprep.prepare(data(name))
    assert result.lists.select("_source_row", "_e164", "name").rows() == [
        (2, e164(A), "Asha"),
        (3, e164(B), "Bala"),
    ]
    assert result.rejects.height == 0
    assert result.manifest["counts"]["input_rows"] == 2


def test_gzip_manifest_hash_is_of_the_file_as_given() -> None:
    result = listprep.prepare(data("input.csv.gz"))
    digest = hashlib.sha256((DATA / "input.csv.gz").read_bytes()).hexdigest()
    assert manifest_input(result)["sha256"] == digest


@given(
    rows=st.integers(1, 40),
    width=st.sampled_from([0, 100, 3000]),
    batch_rows=st.integers(1, 6),
    ending=st.sampled_from(["", "\n", "\r\n"]),
    late_byte=st.booleans(),
)
def test_manifest_hash_is_of_the_whole_file_however_it_is_read(
    rows: int, width: int, batch_rows: int, ending: str, late_byte: bool
) -> None:
    """The file is hashed as it is read, batch by batch and after the encoding checks'
    read-ahead (64 KB at the start, to the end after a late byte): the digest is the file's."""
    lines = ["name,phone,note", *(f"n{i},98765{i:05d},{'x' * width}" for i in range(rows))]
    if late_byte:  # Windows-1252 in the last row: the reader looks ahead, then seeks back
        lines[-1] = lines[-1].replace("n", "\xe9", 1)
    data = "\n".join(lines).encode("cp1252") + ending.encode()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contacts.csv"
        path.write_bytes(data)
        result = listprep.prepare(path, batch_rows=batch_rows)
    assert manifest_input(result)["sha256"] == hashlib.sha256(data).hexdigest()
    assert result.manifest["counts"]["input_rows"] == rows


# --- headers ----------------------------------------------------------------------------------


def test_duplicate_phone_header_is_a_choice_for_the_user(runner: CliRunner, tmp_path: Path) -> None:
    """``name,phone,phone``: two phone columns (the second kept apart as ``phone_2``), so the
    run asks which, as for ``Phone,phone``; either can then be chosen."""
    result = cli(runner, data("hdr_duplicate.csv"), "-o", str(tmp_path / "o"))
    assert_refused(result, "hdr_duplicate.csv", "'phone'", "'phone_2'", "--phone-column")
    first = listprep.prepare(data("hdr_duplicate.csv"), phone_column="phone")
    assert list_rows(first) == [(2, e164(A))]  # A is in the first phone column, B the second
    second = listprep.prepare(data("hdr_duplicate.csv"), phone_column="phone_2")
    assert list_rows(second) == [(2, e164(B))]


def test_duplicate_phone_header_of_different_case_is_a_clear_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = cli(runner, data("hdr_duplicate_case.csv"), "-o", str(tmp_path / "o"))
    assert_refused(result, "hdr_duplicate_case.csv", "'Phone'", "'phone'", "--phone-column")
    chosen = listprep.prepare(data("hdr_duplicate_case.csv"), phone_column="phone")
    assert list_rows(chosen) == [(2, e164(B))]  # the lower-case column holds B


def test_duplicate_header_after_trimming_spaces(runner: CliRunner, tmp_path: Path) -> None:
    """``name,phone,name `` (trailing space): a clear error naming the column, or the first
    ``name`` used -- never an internal error."""
    out = tmp_path / "o"
    result = cli(runner, data("hdr_duplicate_after_trim.csv"), "-o", str(out))
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        assert_refused(result, "hdr_duplicate_after_trim.csv", "name")
    else:
        rows = list(csv.DictReader((out / "lists/campaign-01/list-01.csv").open()))
        assert [(r["number"], r["first_name"]) for r in rows] == [(e164(A), "Asha")]


def test_empty_header_names_work() -> None:
    result = listprep.prepare(data("hdr_empty.csv"))
    assert manifest_input(result)["phone_column"] == "phone"
    assert list_rows(result) == [(2, e164(A))]


@pytest.mark.parametrize(
    ("name", "phone_column"),
    [
        ("hdr_spaces.csv", "phone"),
        ("hdr_upper.csv", "PHONE"),
        ("hdr_mobile_no.csv", "Mobile No."),
    ],
)
def test_header_spacing_and_case(name: str, phone_column: str) -> None:
    result = listprep.prepare(data(name))
    assert manifest_input(result)["phone_column"] == phone_column
    assert list_rows(result) == [(2, e164(A))]
    assert [(r["number"], r["first_name"]) for r in list_file(result)] == [(e164(A), "Asha")]


def test_leading_blank_line_before_the_header(runner: CliRunner, tmp_path: Path) -> None:
    """Works (the header is on line 2, so Asha is row 3), or says the first line is blank."""
    out = tmp_path / "o"
    result = cli(runner, data("hdr_leading_blank_line.csv"), "-o", str(out))
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code == 0:
        rows = list(csv.DictReader((out / "lists/campaign-01/list-01.csv").open()))
        assert [r["number"] for r in rows] == [e164(A)]
    else:
        assert_refused(result, "hdr_leading_blank_line.csv")
        message = result.output.replace("hdr_leading_blank_line.csv", "")
        assert "blank" in message or "empty" in message, result.output


# --- refused clearly ----------------------------------------------------------------------------

REFUSED = [
    ("empty.csv", "empty"),
    ("blank_lines_only.csv", "empty"),
    ("bom_only.csv", "empty"),
    ("utf16_bom_only.csv", "empty"),
    ("header_only.csv", "no data rows"),
    ("header_only_crlf.csv", "no data rows"),
    ("no_phone_column.csv", "phone column"),
    ("binary.csv", "binary"),
    ("nul_inside.csv", "NUL"),
    ("damaged.csv.gz", "gzip"),
    ("workbook_as.csv", "XLSX"),
    ("legacy_xls.csv", ".xls"),
    ("document_pdf.csv", "PDF"),
    ("damaged.xlsx", "workbook"),
]


@pytest.mark.parametrize(("name", "needle"), REFUSED)
def test_bad_files_are_refused_clearly(
    runner: CliRunner, tmp_path: Path, name: str, needle: str
) -> None:
    out = tmp_path / "o"
    result = cli(runner, data(name), "-o", str(out))
    assert_refused(result, name)
    message = result.output.replace(data(name), "")  # the needle must be in the words
    assert needle.lower() in message.lower(), (needle, result.output)
    assert not out.exists()


@pytest.fixture
def opened_files(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every file opened with ``Path.open`` (as inputs are) while the test runs."""
    files: list[Any] = []
    real = Path.open

    def spy(path: Path, *args: Any, **kwargs: Any) -> Any:
        files.append(real(path, *args, **kwargs))
        return files[-1]

    monkeypatch.setattr(Path, "open", spy)
    return files


@pytest.mark.parametrize(("name", "needle"), REFUSED)
def test_a_refused_file_is_closed_and_so_are_the_inputs_before_it(
    opened_files: list[Any], name: str, needle: str
) -> None:
    """Closed when refused, not when the garbage collector finds it (a ResourceWarning under
    ``python -X dev``, and a lock on the file on Windows)."""
    with pytest.raises(listprep.InputError, match=needle):
        listprep.prepare([data("crlf.csv"), data(name)])
    assert opened_files and all(f.closed for f in opened_files)


@pytest.mark.parametrize("stop", ["suppress", "template", None])
def test_inputs_are_closed_however_the_run_ends(
    opened_files: list[Any], tmp_path: Path, stop: str | None
) -> None:
    """A run stopped after the inputs were opened and before they were read (a missing
    suppression list, a template naming no column) closes them; so does a run that ends
    well, a gzip input's stored file included."""
    sources = [data("crlf.csv"), data("input.csv.gz")]
    if stop is None:
        listprep.prepare(sources)
    else:
        options: dict[str, Any] = {
            "suppress": {"suppress": [tmp_path / "missing.csv"]},
            "template": {"channel": "sms", "template": "Hi @@nosuch"},
        }[stop]
        with pytest.raises(listprep.ListprepError):
            listprep.prepare(sources, **options)
    assert len(opened_files) >= 2 and all(f.closed for f in opened_files)


def test_missing_file_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    result = cli(runner, str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o"))
    assert_refused(result, "nope.csv", "no such file")


def test_directory_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    result = cli(runner, str(folder), "-o", str(tmp_path / "o"))
    assert_refused(result, "exports", "folder")


def test_one_bad_file_among_good_ones_names_the_bad_one(runner: CliRunner, tmp_path: Path) -> None:
    result = cli(runner, data("enc_utf8.csv"), data("empty.csv"), "-o", str(tmp_path / "o"))
    assert_refused(result, "empty.csv")
    assert "enc_utf8.csv" not in result.output
    assert not (tmp_path / "o").exists()


def test_unreadable_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening it fails as a file without read permission does (chmod cannot stop root, who
    runs CI, so the failure is made at the open call)."""
    path = tmp_path / "secret.csv"
    path.write_bytes(b"name,phone\nAsha,9876543210\n")
    real_open = Path.open

    def denied(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    result = cli(runner, str(path), "-o", str(tmp_path / "o"))
    assert_refused(result, "secret.csv")
    assert "Permission denied" in result.output and "permission" in result.output.split("hint")[-1]


def test_ten_megabyte_field_works() -> None:
    """One 10 MB cell in a plain file: read whole, nothing lost, no hang."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big_field.csv"
        path.write_text(f"name,phone\n{'x' * 10_000_000},{A}\nBala,{B}\n")
        start = time.monotonic()
        result = listprep.prepare(str(path))
        elapsed = time.monotonic() - start
    assert list_rows(result) == [(2, e164(A)), (3, e164(B))]
    assert result.lists["name"].str.len_chars().to_list() == [10_000_000, 4]
    assert elapsed < 20


def test_ten_megabyte_field_with_a_multiline_record(runner: CliRunner, tmp_path: Path) -> None:
    """The same 10 MB cell in a file that also has a quoted field spanning two lines: it must
    work too, or be a clear error naming the file and the row (row 3: the header is row 1 and
    the two-line record is row 2)."""
    path = tmp_path / "big_multiline.csv"
    path.write_text(f'name,phone,note\n"Two\nlines",{A},x\nBala,{B},{"y" * 10_000_000}\n')
    out = tmp_path / "o"
    result = cli(runner, str(path), "-o", str(out))
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code == 1:
        assert_refused(result, "big_multiline.csv", "row 3")
    else:
        assert result.exit_code == 0, result.output
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["counts"]["output_rows"] == 2


def test_ten_megabyte_phone_cell_is_rejected_not_hung() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big_phone.csv"
        path.write_text(f"name,phone\nAsha,{'9' * 10_000_000}\nBala,{B}\n")
        start = time.monotonic()
        result = listprep.prepare(str(path))
        elapsed = time.monotonic() - start
    assert list_rows(result) == [(3, e164(B))]
    assert result.rejects.select("source_row", "stage").rows() == [(2, "normalise")]
    assert elapsed < 20


WIDE_SCRIPT = """
import sys, time, listprep
start = time.monotonic()
try:
    result = listprep.prepare(sys.argv[1])
    print("ok", result.lists.height, result.manifest["counts"]["input_rows"])
except listprep.ListprepError as exc:
    print("refused", str(exc).splitlines()[0][:200])
print("seconds", round(time.monotonic() - start, 2))
"""


def test_very_wide_header_is_quick(tmp_path: Path) -> None:
    """100,000 columns: read in a few seconds (or refused clearly), never a near-hang."""
    columns = 100_000
    path = tmp_path / "wide.csv"
    header = ",".join(["phone", *(f"c{i}" for i in range(columns - 1))])
    row = ",".join([A, *("v" for _ in range(columns - 1))])
    path.write_text(f"{header}\n{row}\n")
    try:
        done = subprocess.run(
            [sys.executable, "-c", WIDE_SCRIPT, str(path)],
            capture_output=True,
            text=True,
            timeout=8,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("100,000 columns took more than 8 s (import included)")
    assert done.returncode == 0, done.stderr[-2000:]
    first = done.stdout.splitlines()[0]
    assert first == "ok 1 1" or first.startswith("refused"), done.stdout
    seconds = float(done.stdout.split("seconds")[1])
    assert seconds < 5, f"100,000 columns took {seconds} s in prepare()"


# --- ragged rows --------------------------------------------------------------------------------


def test_ragged_rows_are_rejected_with_row_and_raw_text() -> None:
    result = listprep.prepare(data("ragged.csv"))
    assert result.rejects.select("source_row", "stage", "reason", "raw_value").rows() == [
        (3, "read", "malformed-row", f"Bala,{B}"),
        (4, "read", "malformed-row", f"Chen,{C},Goa,extra"),
        (7, "read", "malformed-row", f'"Esha, K",{E}'),
    ]
    assert result.lists.select("_source_row", "_e164", "city").rows() == [
        (2, e164(A), "Pune"),
        (6, e164(D), "Delhi"),
        (8, e164(F), "Agra"),
    ]
    counts = result.manifest["counts"]
    assert (counts["input_rows"], counts["output_rows"], counts["rejected_rows"]) == (6, 3, 3)
    on_disk = rejects_file(result.files)
    assert [(r["source_row"], r["reason"]) for r in on_disk] == [
        ("3", "malformed-row"),
        ("4", "malformed-row"),
        ("7", "malformed-row"),
    ]
    assert all(r["source_file"].endswith("ragged.csv") for r in on_disk)
    assert "2 field" in on_disk[0]["detail"] and "3" in on_disk[0]["detail"]


def test_ragged_rows_in_a_file_with_multiline_records() -> None:
    """Rows are records: the two-line record is row 2, so Bala is row 3. The raw text is the
    record as it stands in the file."""
    result = listprep.prepare(data("ragged_multiline.csv"))
    assert result.lists.select("_source_row", "_e164").rows() == [(2, e164(A)), (5, e164(D))]
    assert result.rejects.select("source_row", "reason").rows() == [
        (3, "malformed-row"),
        (4, "malformed-row"),
    ]
    assert result.rejects["raw_value"].to_list() == [f"Bala,{B}", f'"Q, R",{C},y,z']


def test_space_before_a_quote_makes_one_malformed_row_not_a_refused_file() -> None:
    """``A, "x,y",9876543210``: a quote after a space is data (RFC 4180, Python's csv), so the
    row has 4 fields where the header has 3. That row is rejected; row 3 is still processed."""
    result = listprep.prepare(data("ragged_space_quote.csv"))
    assert result.rejects.select("source_row", "reason", "raw_value").rows() == [
        (2, "malformed-row", f'A, "x,y",{A}')
    ]
    assert list_rows(result) == [(3, e164(B))]


def test_stray_quote_in_a_phone_cell_does_not_refuse_the_file() -> None:
    """``Asha,"98765"43210``: whatever is made of row 2, row 3 is processed and each row is
    accounted for exactly once."""
    result = listprep.prepare(data("stray_quote.csv"))
    rows = result.lists["_source_row"].to_list() + result.rejects["source_row"].to_list()
    assert sorted(rows) == [2, 3]
    assert (3, e164(B)) in list_rows(result)


# --- faults: atomic output ------------------------------------------------------------------

KILL_ROWS = 60_000
"""Rows of the kill test's input. 200,000 rows take ~6 s of CPU per run here, and each kill in
the write phase needs a full run, so the test would not fit its 30 s budget; 60,000 rows keep
the pipeline ~1.5 s and still write ~40 files."""


@pytest.fixture(scope="session")
def big_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "contacts.csv"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "sample_data" / "generate.py"),
            "--rows",
            str(KILL_ROWS),
            "--seed",
            "1",
            "-o",
            str(path),
        ],
        check=True,
        capture_output=True,
    )
    return path


def complete(outdir: Path) -> bool:
    """OUTDIR holds a manifest and exactly the files it lists, each with its sha256."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    expected = {"manifest.json", "rejects.csv"}
    for entry in manifest["lists"]:
        data = (outdir / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]
        assert len(data) == entry["bytes"]
        expected.add(entry["file"])
    for campaign in manifest["campaigns"]:
        body = (outdir / campaign["request_file"]).read_bytes()
        assert hashlib.sha256(body).hexdigest() == campaign["request_sha256"]
        expected.add(campaign["request_file"])
    present = {p.relative_to(outdir).as_posix() for p in outdir.rglob("*") if p.is_file()}
    assert present - {"report.html"} == expected  # report.html: not hashed in the manifest
    rejects = list(csv.reader((outdir / "rejects.csv").open(newline="")))
    assert len(rejects) - 1 == manifest["counts"]["rejected_rows"]
    return True


def start_run(src: Path, outdir: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "listprep", "prepare", str(src), "-o", str(outdir), "-q"]
        + ["--list-rows", "1500", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_during_write(proc: subprocess.Popen[bytes], outdir: Path, delay: float) -> None:
    """SIGKILL ``delay`` seconds after the staging folder appears (or at exit, if sooner)."""
    pattern = str(outdir.parent / f".{outdir.name}.listprep-tmp-*")
    deadline = time.monotonic() + 60
    while proc.poll() is None and not glob.glob(pattern) and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_sigkill_leaves_outdir_absent_or_complete(big_input: Path, tmp_path: Path) -> None:
    rng = random.Random(20261130)
    plans = [("early", rng.uniform(0.05, 1.0)), ("write", 0.0)] + [
        ("write", rng.uniform(0.0, 0.12)) for _ in range(3)
    ]
    outcomes: Counter[str] = Counter()
    for index, (kind, delay) in enumerate(plans):
        work = tmp_path / f"run{index}"
        work.mkdir()
        outdir = work / "out"
        proc = start_run(big_input, outdir)
        if kind == "early":
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        else:
            kill_during_write(proc, outdir, delay)
        if outdir.exists():
            assert complete(outdir)
        staging = [p for p in work.iterdir() if p != outdir]
        for path in staging:
            assert path.name.startswith(".out.listprep-tmp-"), path.name
        outcomes["complete" if outdir.exists() else "mid-write" if staging else "absent"] += 1
    # killed at once when the staging folder appeared, the run was caught writing
    assert outcomes["mid-write"] >= 1, outcomes

    # the check is not vacuous: an uninterrupted run is complete
    work = tmp_path / "forced"
    work.mkdir()
    outdir = work / "out"
    assert start_run(big_input, outdir).wait(timeout=120) == 0
    assert complete(outdir)
    # --force over a complete folder, killed while writing: the old or the new output, whole
    kill_during_write(start_run(big_input, outdir, "--force"), outdir, rng.uniform(0.0, 0.12))
    if outdir.exists():
        assert complete(outdir)
    else:  # killed between its two renames: the old output waits beside it
        (old,) = [p for p in work.iterdir() if p.name.startswith(".out.listprep-old-")]
        assert complete(old)
    for path in work.iterdir():
        assert path == outdir or path.name.startswith(
            (".out.listprep-tmp-", ".out.listprep-old-")
        ), path.name


def test_unwritable_target_is_a_clear_error(runner: CliRunner) -> None:
    result = cli(runner, data("enc_utf8.csv"), "-o", "/proc/listprep-test/out")
    assert_refused(result, "/proc/listprep-test/out")
    assert not Path("/proc/listprep-test").exists()


def test_output_inside_a_file_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("keep me")
    result = cli(runner, data("enc_utf8.csv"), "-o", str(blocker / "out"))
    assert_refused(result, "afile")
    assert blocker.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_output_that_is_a_file_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("keep me")
    result = cli(runner, data("enc_utf8.csv"), "-o", str(target), "--force")
    assert_refused(result, "out.csv")
    assert target.read_text() == "keep me"


DISK_FULL = """
import resource, signal, sys
from listprep.cli import main
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))
sys.argv = ["listprep", "prepare", *sys.argv[1:]]
main()
"""


def test_disk_full_while_writing_leaves_nothing(sample_dir: Path, tmp_path: Path) -> None:
    """Files larger than 2,000 bytes cannot be written (RLIMIT_FSIZE, as a full disk would)."""
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", DISK_FULL, str(sample_dir / "customers_crm.csv"), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert str(out) in done.stderr
    assert "hint:" in done.stderr, done.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # the staging folder is gone too


def test_non_empty_outdir_needs_force(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("from last week")
    result = cli(runner, data("enc_utf8.csv"), "-o", str(out))
    assert_refused(result, str(out), "--force")
    assert [p.name for p in out.iterdir()] == ["old.txt"]

    result = cli(runner, data("enc_utf8.csv"), "-o", str(out), "--force")
    assert_refused(result, str(out), "old.txt")
    assert [p.name for p in out.iterdir()] == ["old.txt"], "not listprep's: never deleted"

    (out / "old.txt").unlink()
    assert cli(runner, data("enc_utf8.csv"), "-o", str(out)).exit_code == 0
    result = cli(runner, data("enc_utf8.csv"), "-o", str(out), "--force")
    assert result.exit_code == 0, result.output
    assert complete(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_force_never_deletes_an_input(runner: CliRunner, tmp_path: Path) -> None:
    """An input, register or suppression list inside OUTDIR (even inside its lists/) stops the
    run before any work: --force would delete it with the old output."""
    out = tmp_path / "out"
    assert cli(runner, data("enc_utf8.csv"), "-o", str(out)).exit_code == 0
    listed = next((out / "lists").rglob("*.csv"))
    suppress = out / "lists" / "optout.txt"
    suppress.write_text("9876543210\n")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for args in ([str(listed)], [data("enc_utf8.csv"), "--suppress", str(suppress)]):
        result = cli(runner, *args, "-o", str(out), "--force")
        assert_refused(result, "holds an input", "--force would delete it")
        assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_empty_outdir_is_used_without_force(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = cli(runner, data("enc_utf8.csv"), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert complete(out)


# --- conservation and determinism -------------------------------------------------------------

POOL = [A, B, C, D, E, F, "9123456789", "7012345678", "6398765432", "9988776655"]
SPELLINGS = [
    lambda n: n,
    lambda n: "+91 " + n[:5] + " " + n[5:],
    lambda n: "0" + n,
    lambda n: "91-" + n,
    lambda n: n + ".0",
]
JUNK = st.sampled_from(
    ["", " ", "-", "N/A", "98765XXXXX", "98******10", "9.19877E+11", "1800123456", "12345"]
)
cells = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8)
phone_cells = st.one_of(
    st.builds(lambda n, s: s(n), st.sampled_from(POOL), st.sampled_from(SPELLINGS)),
    JUNK,
    cells,
)
rows_strategy = st.lists(st.tuples(cells, phone_cells, cells), min_size=1, max_size=25)


@given(
    rows=rows_strategy,
    dnd=st.dictionaries(st.sampled_from(POOL), st.sampled_from(["0", "1,2", "3", ""]), max_size=4),
    suppress=st.lists(st.sampled_from(POOL), max_size=3),
    ragged=st.lists(st.integers(0, 25), max_size=3),
)
def test_every_row_ends_in_exactly_one_place(
    rows: list[tuple[str, str, str]],
    dnd: dict[str, str],
    suppress: list[str],
    ragged: list[int],
) -> None:
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "1767225600")
        base = Path(folder)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")  # quotes any CR or LF in a cell
        writer.writerow(["name", "phone", "city"])
        records = [list(r) for r in rows]
        for index in ragged:  # some records get a fourth field
            if index < len(records):
                records[index].append("extra")
        writer.writerows(records)
        src = base / "in.csv"
        src.write_text(buffer.getvalue(), encoding="utf-8")
        options: dict[str, Any] = {}
        if dnd:
            dnd_path = base / "dnd.csv"
            lines = "".join(f'{n},"{p}"\n' for n, p in dnd.items())
            dnd_path.write_text("number,preferences\n" + lines)
            options["dnd"] = [str(dnd_path)]
        if suppress:
            sup_path = base / "suppress.txt"
            sup_path.write_text("".join(f"{n}\n" for n in suppress))
            options["suppress"] = [str(sup_path)]
        first = listprep.prepare(str(src), **options)
        second = listprep.prepare(str(src), **options)

    counts = first.manifest["counts"]
    assert counts["input_rows"] == len(rows)
    assert counts["input_rows"] == counts["output_rows"] + counts["rejected_rows"]
    assert first.lists.height == counts["output_rows"]
    assert len(rejects_file(first.files)) == counts["rejected_rows"]
    places = list(first.lists.select("_source_file", "_source_row").iter_rows()) + list(
        first.rejects.select("source_file", "source_row").iter_rows()
    )
    assert sorted(places) == [(str(src), row) for row in range(2, len(rows) + 2)]
    listed = sum(
        len(list(csv.reader(io.StringIO(body.decode(), newline="")))) - 1
        for name, body in first.files.items()
        if name.startswith("lists/")
    )
    assert listed == counts["output_rows"]
    kept = set(first.lists["_e164"].to_list())
    assert len(kept) == first.lists.height
    assert not kept & {e164(n) for n in [*dnd, *suppress]}
    malformed = first.rejects.filter(pl.col("reason") == "malformed-row")["source_row"]
    assert sorted(malformed.to_list()) == sorted({i + 2 for i in ragged if i < len(rows)})
    assert dict(first.files) == dict(second.files)


@given(rows=rows_strategy, method=st.sampled_from(["static", "dynamic"]))
def test_prepared_lists_prepared_again_are_unchanged(
    rows: list[tuple[str, str, str]], method: str
) -> None:
    """Idempotence end to end: listprep's own list files, given back to it, lose no row and
    come out byte for byte the same."""
    options: dict[str, Any] = {"method": method}
    if method == "dynamic":
        options["template"] = "Hi @@name from @@city"
        options["defaults"] = {"name": "there", "city": "here"}
    with tempfile.TemporaryDirectory() as folder:
        src = Path(folder) / "in.csv"
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([["name", "phone", "city"], *rows])
        src.write_text(buffer.getvalue(), encoding="utf-8")
        first = listprep.prepare(str(src), **options)
        lists = sorted(name for name in first.files if name.startswith("lists/"))
        paths = []
        for index, name in enumerate(lists):
            path = Path(folder) / f"list-{index}.csv"
            path.write_bytes(first.files[name])
            paths.append(str(path))
        assume(paths)  # some list was written
        again = listprep.prepare(paths, **options)
    assert again.rejects.height == 0
    assert again.lists["_e164"].to_list() == first.lists["_e164"].to_list()
    assert [n for n in again.files if n.startswith("lists/")] == lists
    assert all(again.files[name] == first.files[name] for name in lists)


_valid_mobiles = (
    st.integers(6_000_000_000, 9_999_999_999)
    .map(str)
    .filter(lambda n: phonenumbers.is_valid_number(phonenumbers.parse(n, "IN")))
)


@given(
    numbers=st.lists(_valid_mobiles, min_size=1, max_size=60, unique=True),
    list_rows=st.integers(1, 20),
    per_campaign=st.integers(1, 5),
    max_bytes=st.one_of(st.none(), st.integers(21, 400)),
)
def test_written_lists_keep_every_cap(
    numbers: list[str], list_rows: int, per_campaign: int, max_bytes: int | None
) -> None:
    """Whatever the caps, each list file written keeps them, each campaign holds at most its
    number of lists, and the lists in campaign order give back the numbers in input order."""
    frame = pl.DataFrame({"phone": numbers})
    result = listprep.prepare(
        frame, list_rows=list_rows, lists_per_campaign=per_campaign, max_list_bytes=max_bytes
    )
    entries = result.manifest["lists"]
    written: list[str] = []
    for entry in entries:
        body = result.files[entry["file"]]
        rows = list(csv.reader(io.StringIO(body.decode(), newline="")))[1:]
        assert len(rows) == entry["rows"] <= list_rows
        assert max_bytes is None or len(body) <= max_bytes
        written += [row[0] for row in rows]
    assert written == ["+91" + n for n in numbers]
    for campaign in result.manifest["campaigns"]:
        assert 1 <= len(campaign["lists"]) <= per_campaign
    assert sum(len(c["lists"]) for c in result.manifest["campaigns"]) == len(entries)


def test_a_pipe_is_refused_without_blocking(runner: CliRunner, tmp_path: Path) -> None:
    """A named pipe (or /dev/stdin from a pipe) cannot be read twice, as the encoding check
    does: refused before it is opened (opening a FIFO with no writer would hang)."""
    fifo = tmp_path / "contacts.csv"
    os.mkfifo(fifo)
    result = cli(runner, str(fifo), "-o", str(tmp_path / "o"))
    assert_refused(result, "contacts.csv", "pipe", "save the data to a file")


def test_a_header_of_the_whole_file_is_cut_short_in_the_message(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Read with the wrong encoding a file can be one 'header' (a tester's: 126 KB, in the
    error): headers are shown 40 characters each, 20 at most."""
    path = tmp_path / "wide.csv"
    path.write_text(";".join(f"col{i}" + "x" * 100 for i in range(30)) + "\n1;2\n")
    result = cli(runner, str(path), "-o", str(tmp_path / "o"))
    assert_refused(result, "no phone column", "and 10 more")
    assert len(result.output) < 1500


def test_the_current_folder_is_never_the_output(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``-o .`` (or a folder above it) would replace the folder the user stands in; it was an
    internal error that left the staging folder, numbers and all, beside it."""
    here = tmp_path / "work"
    here.mkdir()
    monkeypatch.chdir(here)
    for target in (".", str(tmp_path)):
        result = cli(runner, data("enc_utf8.csv"), "-o", target, "--force")
        assert_refused(result, "the current folder", "-o out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]


def test_a_symlinked_output_folder_is_written_through_its_link(
    runner: CliRunner, tmp_path: Path
) -> None:
    real, link = tmp_path / "real", tmp_path / "link"
    real.mkdir()
    link.symlink_to(real)
    for _ in range(2):  # new, then replaced with --force
        assert cli(runner, data("enc_utf8.csv"), "-o", str(link), "--force").exit_code == 0
    assert link.is_symlink() and complete(real)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]
