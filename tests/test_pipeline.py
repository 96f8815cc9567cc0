"""End to end: ``listprep.prepare`` on sample_data/ and on random small inputs.

Every row that enters leaves in exactly one place (a list or the rejects), the frames keep
their contracts (pandera schemas), the manifest never carries a phone number, and the same
inputs give the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import phonenumbers
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import listprep
from listprep import RejectReason, Result, TemplateError
from listprep.pipeline import _read_ahead
from listprep.schemas import ListFileSchema, ListsSchema, RejectsSchema
from listprep.stages.template import template_report

EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
CRM = "customers_crm.csv"
POOL_NUMBERS = ["9876543210", "9123456780", "7012345678"]
BRANCH = "customers_branch.csv"


def data_rows(path: Path) -> int:
    """Records below the header, counted with Python's csv module (not listprep's reader)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return sum(1 for record in csv.reader(fh) if record) - 1


def run_sample(sample_dir: Path, kind: str) -> Result:
    inputs = [str(sample_dir / CRM), str(sample_dir / BRANCH)]
    registers = {
        "dnd": [str(sample_dir / "dnd_register.csv")],
        "suppress": [str(sample_dir / "suppression.txt")],
    }
    if kind == "voice":
        return listprep.prepare(inputs, channel="voice", method="static", **registers)
    return listprep.prepare(
        inputs, channel="sms", template_file=str(sample_dir / "sms_template.txt"), **registers
    )


@pytest.fixture(scope="module")
def samples(sample_dir: Path) -> Iterator[dict[str, Result]]:
    """Both sample runs, made once per module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        yield {kind: run_sample(sample_dir, kind) for kind in ("voice", "sms")}


@pytest.fixture(params=["voice", "sms"])
def sample(request: pytest.FixtureRequest, samples: dict[str, Result]) -> tuple[str, Result]:
    return request.param, samples[request.param]


# --- contracts -----------------------------------------------------------------------------------


def test_frames_match_their_schemas(sample: tuple[str, Result]) -> None:
    _, result = sample
    RejectsSchema.validate(result.rejects)
    ListsSchema.validate(result.lists)
    assert result.lists.height > 0 and result.rejects.height > 0


def test_conservation(sample: tuple[str, Result], sample_dir: Path) -> None:
    _, result = sample
    counts = result.manifest["counts"]
    crm_rows, branch_rows = data_rows(sample_dir / CRM), data_rows(sample_dir / BRANCH)
    assert counts["input_rows"] == crm_rows + branch_rows
    assert counts["input_rows"] == counts["output_rows"] + counts["rejected_rows"]
    assert counts["output_rows"] == result.lists.height
    assert counts["rejected_rows"] == result.rejects.height
    assert sum(counts["rejected_by_reason"].values()) == counts["rejected_rows"]
    by_reason = dict(result.rejects.group_by("reason").len().iter_rows())
    assert counts["rejected_by_reason"] == by_reason


def test_every_input_row_leaves_exactly_once(sample: tuple[str, Result], sample_dir: Path) -> None:
    _, result = sample
    crm, branch = str(sample_dir / CRM), str(sample_dir / BRANCH)
    out = pl.concat(
        [
            result.lists.select(pl.col("_source_file"), pl.col("_source_row")),
            result.rejects.select(
                pl.col("source_file").alias("_source_file"),
                pl.col("source_row").alias("_source_row"),
            ),
        ]
    )
    assert out.is_duplicated().sum() == 0
    # the header is row 1: data rows are 2..n+1 of each file
    expected = {(crm, r) for r in range(2, data_rows(sample_dir / CRM) + 2)}
    expected |= {(branch, r) for r in range(2, data_rows(sample_dir / BRANCH) + 2)}
    assert set(out.iter_rows()) == expected


def test_stage_funnel_adds_up(sample: tuple[str, Result]) -> None:
    _, result = sample
    stages = result.manifest["counts"]["stages"]
    per_stage = dict(result.rejects.group_by("stage").len().iter_rows())
    for name, figures in stages.items():
        if "rejected" in figures:
            assert figures["in"] - figures["out"] == figures["rejected"], name
            assert figures["rejected"] == per_stage.get(name, 0), name


def test_sample_mess_is_rejected_for_the_documented_reasons(sample: tuple[str, Result]) -> None:
    """sample_data/README.md: each kind of mess below is present in the inputs."""
    kind, result = sample
    reasons = set(result.rejects["reason"])
    expected = {
        RejectReason.EMPTY,
        RejectReason.NOT_A_NUMBER,
        RejectReason.MASKED,
        RejectReason.PRECISION_LOST,
        RejectReason.WRONG_TYPE,  # toll-free (voice); landlines too (sms)
        RejectReason.COMMERCIAL_SERIES,
        RejectReason.DUPLICATE,
        RejectReason.SUPPRESSED,
        RejectReason.DND_FULL,
        RejectReason.DND,  # partial registrations, no --category given
    }
    if kind == "sms":
        expected.add(RejectReason.EMPTY_VARIABLE)  # about 2% empty first_name cells
    assert {r.value for r in expected} <= reasons


# --- the facts, checked independently of listprep ------------------------------------------------


def _e164_of(raw: str) -> str | None:
    """phonenumbers' reading of a register cell (they are clean enough to parse directly)."""
    try:
        number = phonenumbers.parse(raw, "IN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_no_listed_number_is_suppressed_or_in_dnd(
    sample: tuple[str, Result], sample_dir: Path
) -> None:
    _, result = sample
    lines = (sample_dir / "suppression.txt").read_text(encoding="utf-8").splitlines()
    suppressed = {_e164_of(line) for line in lines} - {None}
    with (sample_dir / "dnd_register.csv").open(encoding="utf-8", newline="") as fh:
        dnd = {_e164_of(row["number"]) for row in csv.DictReader(fh)} - {None}
    assert len(suppressed) > 30 and len(dnd) > 500  # sanity: the files were read
    listed = set(result.lists["_e164"])
    assert not listed & suppressed
    assert not listed & dnd, "promotional, no --category: any DND registration blocks"


def _digits(text: str) -> str:
    """The cell's digits in ASCII, whatever the script (Devanagari, full-width …)."""
    return "".join(str(unicodedata.decimal(ch)) for ch in text if ch.isdecimal())


def test_listed_numbers_are_what_their_cells_say(sample: tuple[str, Result]) -> None:
    """Each listed number is a valid number of the right type whose digits are in its cell,
    and it is what phonenumbers itself reads wherever it can read the cell alone."""
    kind, result = sample
    types = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
    if kind == "voice":
        types.add(phonenumbers.PhoneNumberType.FIXED_LINE)
    read_directly = 0
    for raw, e164 in result.lists.select("_phone_raw", "_e164").iter_rows():
        number = phonenumbers.parse(e164)
        assert phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in types
        assert str(number.national_number) in _digits(raw), raw
        direct = _e164_of(raw)
        if direct is not None:
            assert direct == e164, raw
            read_directly += 1
    assert read_directly > result.lists.height // 2  # sanity: most cells are plain


def test_list_files_hold_the_lists(sample: tuple[str, Result]) -> None:
    kind, result = sample
    names = sorted(n for n in result.files if n.startswith("lists/"))
    assert names, "static and dynamic runs write list files"
    frames = [pl.read_csv(io.BytesIO(result.files[n]), infer_schema=False) for n in names]
    for frame in frames:
        ListFileSchema.validate(frame)
    written = pl.concat(frames, how="diagonal")["number"].to_list()
    assert (
        written == result.lists.sort("_campaign", "_chunk", maintain_order=True)["_e164"].to_list()
    )
    if kind == "sms":  # dynamic: the number and exactly the template's variables
        assert all(f.columns == ["number", "first_name", "due_amount", "due_date"] for f in frames)
    else:  # static: only Exotel's standard columns
        allowed = {"number", "first_name", "last_name", "company_name", "email", "tag"}
        assert all(f.columns[0] == "number" and set(f.columns) <= allowed for f in frames)


def test_sms_cost_is_computed_on_the_rendered_text(
    samples: dict[str, Result], sample_dir: Path
) -> None:
    result = samples["sms"]
    template = (sample_dir / "sms_template.txt").read_text(encoding="utf-8").rstrip("\r\n")
    seen = set()
    for row in result.lists.iter_rows(named=True):
        text = template
        for name in ("first_name", "due_amount", "due_date"):
            text = text.replace("@@" + name, row[name])
        figures = _sms_figures(text)
        assert (row["_sms_encoding"], row["_sms_segments"]) == figures
        seen.add(figures)
    assert len(seen) > 1  # sanity: the sample's messages differ in cost


# GSM 03.38, written out here (not taken from listprep): the default alphabet, then the
# extension table, whose characters cost two septets (exotel-facts.md section 4)
_GSM7 = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = "\f^{}\\[~]|€"


def _sms_figures(text: str) -> tuple[str, int]:
    """Encoding and segments: 160 septets in one SMS, 153 per part; else UCS-2, 70 and 67."""
    if all(ch in _GSM7 or ch in _GSM7_EXTENSION for ch in text):
        units = len(text) + sum(ch in _GSM7_EXTENSION for ch in text)
        return "gsm7", 1 if units <= 160 else -(-units // 153)
    units = len(text.encode("utf-16-le")) // 2
    return "ucs2", 1 if units <= 70 else -(-units // 67)


# --- privacy and reproducibility -----------------------------------------------------------------


def test_manifest_holds_no_phone_number(sample: tuple[str, Result]) -> None:
    _, result = sample
    text = result.files["manifest.json"].decode()
    assert json.loads(text) == json.loads(json.dumps(result.manifest))
    digit_runs = set(re.findall(r"(?<![0-9A-Za-z])\+?\d{7,}(?![0-9A-Za-z])", text))
    for e164 in result.lists["_e164"]:
        assert e164 not in text
        assert e164 not in digit_runs and e164[1:] not in digit_runs
        assert e164[-10:] not in digit_runs, "not even the national number"


def test_same_inputs_same_bytes(monkeypatch: pytest.MonkeyPatch, sample_dir: Path) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    first = run_sample(sample_dir, "sms")
    second = run_sample(sample_dir, "sms")
    assert list(first.files) == list(second.files)
    for name, data in first.files.items():
        assert second.files[name] == data, name
    assert first.manifest["created_at"].startswith("2026-01-01T00:00:00")


def test_result_write_puts_files_on_disk(sample: tuple[str, Result], tmp_path: Path) -> None:
    _, result = sample
    out = result.write(tmp_path / "out")
    on_disk = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert on_disk == dict(result.files)


# --- frames as input -----------------------------------------------------------------------------

FRAME = {
    "name": ["Asha", "Ravi", "Meena", "Ravi again", "Nobody"],
    "phone": ["+91 98765 43210", "09123456780", "98765XXXXX", "9123456780", ""],
}


def test_the_first_batch_is_read_while_the_main_thread_warms_up() -> None:
    """``meanwhile`` (the normaliser's warm-up) runs while the first item is made: each
    waits for the other to have started, so either order alone would time out."""
    started, warmed = threading.Event(), threading.Event()

    def items() -> Iterator[int]:
        started.set()
        if not warmed.wait(timeout=10):
            raise AssertionError("the warm-up ran after the first item was made")
        yield from (1, 2)

    def warm_up() -> None:
        if not started.wait(timeout=10):
            raise AssertionError("the warm-up ran before the first item was begun")
        warmed.set()

    assert list(_read_ahead(items(), meanwhile=warm_up)) == [1, 2]


@pytest.mark.parametrize("lazy", [False, True])
def test_frames_as_input(lazy: bool, write_csv: Any) -> None:
    frame = pl.DataFrame(FRAME)
    result = listprep.prepare(frame.lazy() if lazy else frame)
    RejectsSchema.validate(result.rejects)
    ListsSchema.validate(result.lists)
    assert result.lists.select("_source_file", "_source_row", "_e164").rows() == [
        ("<frame>", 1, "+919876543210"),
        ("<frame>", 2, "+919123456780"),
    ]
    assert result.rejects.select("source_row", "reason").rows() == [
        (3, "masked"),
        (4, "duplicate"),
        (5, "empty"),
    ]
    # the same rows from a CSV file give the same outcome, one row number further down
    path = write_csv([list(FRAME), *zip(*FRAME.values(), strict=True)])
    from_csv = listprep.prepare(str(path))
    assert from_csv.lists["_e164"].to_list() == result.lists["_e164"].to_list()
    assert from_csv.rejects.select(pl.col("source_row") - 1, "reason").rows() == (
        result.rejects.select("source_row", "reason").rows()
    )


def test_several_frames_are_numbered_separately() -> None:
    result = listprep.prepare([pl.DataFrame(FRAME), pl.DataFrame({"mobile": ["9876543210"]})])
    rejected = result.rejects.filter(pl.col("reason") == "duplicate")
    assert ("<frame 2>", 1) in set(rejected.select("source_file", "source_row").iter_rows())
    assert "<frame 1>:1" in rejected.filter(pl.col("source_file") == "<frame 2>")["detail"][0]


@given(
    st.lists(
        st.tuples(st.sampled_from(["", "Ram", "Sita"]), st.sampled_from(POOL_NUMBERS)),
        min_size=1,
        max_size=12,
    ),
    st.integers(1, 13),
)
def test_the_first_row_of_a_number_that_can_be_sent_is_the_one_kept(
    rows: list[tuple[str, str]], batch_rows: int
) -> None:
    """A first copy with an empty @@variable is rejected for it, not kept in the way of a
    later copy that can be sent; the later copies name the kept row as their original."""
    frame = pl.DataFrame({"name": [n for n, _ in rows], "phone": [p for _, p in rows]})
    result = listprep.prepare(
        frame, channel="sms", template="Hi @@name", purpose="transactional", batch_rows=batch_rows
    )
    first_sendable: dict[str, int] = {}
    for row, (name, phone) in enumerate(rows, start=1):
        if name:
            first_sendable.setdefault(phone, row)
    assert sorted(result.lists["_source_row"].to_list()) == sorted(first_sendable.values())
    duplicates = result.rejects.filter(pl.col("reason") == "duplicate")
    for row, detail in duplicates.select("source_row", "detail").iter_rows():
        assert detail == f"duplicate of <frame>:{first_sendable[rows[row - 1][1]]}"


def test_unknown_template_variable_stops_the_run(sample_dir: Path) -> None:
    with pytest.raises(TemplateError) as info:
        listprep.prepare(
            [str(sample_dir / CRM)], channel="sms", template="Hi @@First_Name, pay now"
        )
    assert "first_name" in str(info.value) + (info.value.hint or "")


def test_template_variable_named_number_keeps_e164_in_the_number_column() -> None:
    """The list's ``number`` column is the E.164 number, even if @@number is a variable."""
    frame = pl.DataFrame({"mobile": ["09876543210"], "number": ["ORD-1"]})
    result = listprep.prepare(frame, phone_column="mobile", template="Order @@number is ready")
    lists = [pl.read_csv(io.BytesIO(d), infer_schema=False) for n, d in result.files.items()
             if n.startswith("lists/")]  # fmt: skip
    assert lists
    for frame_ in lists:
        ListFileSchema.validate(frame_)


def test_underscore_column_cannot_change_the_outcome() -> None:
    """An input column named like one listprep uses inside is refused, never obeyed."""
    frame = pl.DataFrame({"phone": ["9876543210", "not a number"], "_reason": [None, None]})
    with pytest.raises(listprep.InputError, match="'_'") as info:
        listprep.prepare(frame)
    assert "_reason" in str(info.value)


def test_same_file_twice_is_refused(write_csv: Any) -> None:
    """Its rows would be counted twice, and each would be a duplicate of itself."""
    path = str(write_csv([["phone"], ["9876543210"], ["9123456780"]]))
    with pytest.raises(listprep.InputError, match="given twice"):
        listprep.prepare([path, path])


def test_same_frame_twice_is_refused() -> None:
    """As the same file is: the same object given twice. An equal copy is another input, as a
    copy of a file is, and its rows are duplicates."""
    frame = pl.DataFrame({"phone": ["9876543210", "9123456780"]})
    with pytest.raises(listprep.InputError, match="given twice") as info:
        listprep.prepare([frame, frame])
    assert info.value.file == "<frame 2>"
    rejects = listprep.prepare([frame, frame.clone()]).rejects
    assert rejects["reason"].to_list() == [RejectReason.DUPLICATE.value] * 2


@pytest.mark.parametrize("option", ["dnd", "suppress"])
def test_same_register_twice_is_refused(
    write_csv: Any, monkeypatch: pytest.MonkeyPatch, option: str
) -> None:
    """By any path to it, as an input file given twice is: it would be read, listed in the
    manifest and its warnings given twice."""
    contacts = write_csv([["phone"], ["9876543210"]])
    register = write_csv([["number"], ["9123456780"], ["not a number"]], name="register.csv")
    monkeypatch.chdir(register.parent)
    with pytest.raises(listprep.InputError, match="given twice") as info:
        listprep.prepare(str(contacts), **{option: [str(register), "register.csv"]})
    assert info.value.file == str(register.resolve())


def test_inline_numbers_go_to_requests_not_the_manifest() -> None:
    frame = pl.DataFrame({"phone": ["9876543210", "9123456780", "n/a"]})
    result = listprep.prepare(frame, method="inline")
    bodies = [json.loads(d) for n, d in result.files.items() if n.startswith("requests/")]
    assert [b["from"] for b in bodies] == [["+919876543210", "+919123456780"]]
    assert not [n for n in result.files if n.startswith("lists/")]
    text = result.files["manifest.json"].decode()
    assert "9876543210" not in text and "9123456780" not in text


# --- conservation on random inputs --------------------------------------------------------------

MOBILES = st.integers(6_000_000_000, 9_999_999_999).map(str)
SPELLED = st.builds(
    lambda n, style: [n, f"+91 {n[:5]} {n[5:]}", f"0{n}", f"{n}.0", f"91-{n}"][style],
    MOBILES,
    st.integers(0, 4),
)
JUNK = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
    st.sampled_from(["", "n/a", "12345", "98765XXXXX", "9.19877E+11", "1800 123 4567"]),
)


@st.composite
def csv_inputs(draw: st.DrawFn) -> list[list[list[str]]]:
    """1-3 files of (phone, name) rows: valid numbers, junk, and repeats of earlier cells."""
    files: list[list[list[str]]] = []
    seen: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        rows: list[list[str]] = []
        for _ in range(draw(st.integers(1, 12))):
            options = [SPELLED, JUNK] + ([st.sampled_from(seen)] if seen else [])
            cell = draw(st.one_of(options))
            seen.append(cell)
            rows.append([cell, draw(JUNK.filter(lambda s: s.strip() != ""))])
        files.append(rows)
    return files


@given(csv_inputs(), st.sampled_from(["voice", "sms"]))
def test_conservation_on_random_csv(files: list[list[list[str]]], channel: str) -> None:
    options = {"template": "Hi @@name"} if channel == "sms" else {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, rows in enumerate(files):
            path = Path(tmp) / f"in{i}.csv"
            with path.open("w", encoding="utf-8", newline="") as fh:
                # CRLF records, so that a bare CR or LF inside a cell is always quoted
                csv.writer(fh, lineterminator="\r\n").writerows([["phone", "name"], *rows])
            paths.append(str(path))
        result = listprep.prepare(paths, channel=channel, **options)
    counts = result.manifest["counts"]
    assert counts["input_rows"] == sum(len(rows) for rows in files)
    assert counts["output_rows"] + counts["rejected_rows"] == counts["input_rows"]
    RejectsSchema.validate(result.rejects)
    ListsSchema.validate(result.lists)
    left = list(result.lists.select("_source_file", "_source_row").iter_rows())
    left += list(result.rejects.select("source_file", "source_row").iter_rows())
    expected = [
        (p, r) for p, rows in zip(paths, files, strict=True) for r in range(2, len(rows) + 2)
    ]
    assert sorted(left) == sorted(expected)
    # each row's raw cell arrives intact, wherever it ends
    raw = {(p, r + 2): row[0] for p, rows in zip(paths, files, strict=True)
           for r, row in enumerate(rows)}  # fmt: skip
    for file, row, value in result.lists.select("_source_file", "_source_row", "_phone_raw").rows():
        assert value == raw[(file, row)]
    for file, row, stage, value in result.rejects.select(
        "source_file", "source_row", "stage", "raw_value"
    ).rows():
        if stage != "read":  # a malformed record's raw value is its whole line
            assert value == raw[(file, row)]


def test_a_variable_column_missing_from_one_input_stops_the_run(write_csv: Any) -> None:
    """Another input has the column, so the union of headers has it; without this check all
    rows of the input lacking it would be rejected as empty-variable."""
    first = str(write_csv([["first_name", "phone", "city"], ["Asha", "9876543210", "Pune"]]))
    second = str(write_csv([["First_Name", "Mobile"], ["Ravi", "9123456780"]], "branch.csv"))
    template = "Hi @@first_name from @@city"
    with pytest.raises(TemplateError) as info:
        listprep.prepare([first, second], channel="sms", template=template)
    assert info.value.file == second and info.value.column == "first_name"
    assert "'First_Name'" in (info.value.hint or "") and "--default" in (info.value.hint or "")
    config = listprep.PipelineConfig.from_options(channel="sms", template=template)
    with pytest.raises(TemplateError, match="@@first_name"):
        template_report(config, [first, second])
    result = listprep.prepare(
        [first, second],
        channel="sms",
        template=template,
        defaults={"first_name": "there", "city": "here"},
    )
    assert result.lists.select("first_name", "city").rows() == [("Asha", "Pune"), ("there", "here")]


def test_a_frame_column_of_lists_is_refused_by_name() -> None:
    frame = pl.DataFrame({"phone": ["9876543210"], "tags": [["vip", "renewal"]]})
    with pytest.raises(listprep.InputError, match="'tags' holds List") as info:
        listprep.prepare(frame)
    assert info.value.column == "tags"


def test_template_details_read_plainly_in_rejects_csv() -> None:
    """rejects.csv escapes cells a spreadsheet would run as formulas (a leading ``@``): the
    template checks' own details do not start with one, so they are written as they read."""
    frame = pl.DataFrame({"phone": ["9876543210"], "name": [" "]})
    result = listprep.prepare(frame, template="Hi @@name")
    rows = list(csv.DictReader(io.StringIO(result.files["rejects.csv"].decode())))
    assert [r["detail"] for r in rows] == ["the variable @@name is empty"]


@pytest.mark.parametrize(
    ("options", "said"),
    [({"category": 1}, "--category) has no effect"), ({"sheet": "Leads"}, "--sheet) has no")],
)
def test_options_this_run_cannot_use_are_warned(options: dict[str, Any], said: str) -> None:
    result = listprep.prepare(pl.DataFrame({"phone": ["9876543210"]}), **options)
    assert [w for w in result.manifest["warnings"] if said in w] != []
    plain = listprep.prepare(pl.DataFrame({"phone": ["9876543210"]}))
    assert [w for w in plain.manifest["warnings"] if "has no effect" in w] == []


@pytest.mark.parametrize("kind", ["polars", "pandas"])
def test_frame_cells_read_as_a_spreadsheet_shows_them(kind: str) -> None:
    """polars wrote 1500.0, 2026-12-05 00:00:00.000000 and NaN into the messages (and a
    pandas frame was made text in pandas first, with the same result)."""
    frame = pl.DataFrame(
        {
            "phone": [9876543210.0, 9123456780.0, float("nan")],
            "amt": [1500.0, 1500.5, 7.0],
            "due": [dt.datetime(2026, 12, 5), dt.datetime(2026, 12, 6), None],
            "at": [dt.datetime(2026, 12, 5, 10, 30, 0, 123), None, None],
        }
    )
    source = frame.to_pandas() if kind == "pandas" else frame
    result = listprep.prepare(source, channel="sms", template="Rs @@amt by @@due. -ACME")
    assert result.lists.select("phone", "amt", "due", "at").rows() == [
        ("9876543210", "1500", "2026-12-05", "2026-12-05 10:30:00"),
        ("9123456780", "1500.5", "2026-12-06", None),
    ]
    assert result.rejects["reason"].to_list() == ["empty"], "NaN is an empty cell"


def test_frame_columns_without_a_text_form_are_refused_by_name() -> None:
    pd = pytest.importorskip("pandas")
    with pytest.raises(listprep.InputError, match="two columns named 'phone'"):
        listprep.prepare(pd.DataFrame([["9876543210", "x"]], columns=["phone", "phone"]))
    with pytest.raises(listprep.InputError, match="holds Duration"):
        listprep.prepare(pl.DataFrame({"phone": ["9876543210"], "d": [dt.timedelta(days=1)]}))


def test_an_unknown_variable_lists_the_inputs_headers_only() -> None:
    """@@number is Exotel's own variable, not a header the input has: it was listed."""
    frame = pl.DataFrame({"phone": ["9876543210"], "name": ["Asha"]})
    with pytest.raises(TemplateError) as info:
        listprep.prepare(frame, template="Hi @@nmae")
    assert "headers found: 'phone', 'name'\n" in str(info.value) + "\n"


def test_a_row_too_large_for_the_byte_cap_is_named() -> None:
    frame = pl.DataFrame({"phone": ["9876543210", "9123456780"], "name": ["Asha", "B" * 200]})
    with pytest.raises(listprep.ConfigError) as info:
        listprep.prepare(frame, max_list_bytes=100)
    assert info.value.file == "<frame>"
    assert info.value.row == 2
    assert "215 bytes as written" in str(info.value)
