"""The DND index: building, opening, looking up, and scrubbing exactly like a raw register.

The property at the end scrubs small random registers both ways (raw register frames, and
indexes built from the same files) and checks both against plain-Python rules.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from unittest.mock import patch

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from scrub_rules import expected_outcome

import listprep
from listprep import Purpose, ScrubConfig, read_sources
from listprep import dndindex as dndindex_module
from listprep.cli import main
from listprep.dndindex import (
    DndIndex,
    build_index,
    check_register_age,
    load_dnd,
    open_index,
    report_register,
)
from listprep.errors import InputError
from listprep.phone import classify
from listprep.reader import sha256_file
from listprep.registers import (
    KEY,
    Register,
    exact_keys,
    fast_key,
    load_register,
    preference_mask,
    preference_masks,
)
from listprep.stages import normalise, scrub
from listprep.stages.scrub import DndLookup, combine_registers, combine_suppressions

assert listprep  # imported first: the package, then its modules

#: Valid Indian numbers (mobiles and a Delhi landline) and one that is not valid.
POOL = ["9876543210", "9123456780", "7012345678", "6398765432", "1123456789"]
INVALID = "5555555555"


def spell(national: str, style: int) -> str:
    """One number, the ways registers write it (styles 7+ need phonenumbers: the residue)."""
    return [
        national,
        f"0{national}",
        f"+91{national}",
        f"91{national}",
        f"{national[:5]} {national[5:]}",
        f"+91-{national[:5]}-{national[5:]}",
        f"0 {national[:3]}-{national[3:]}",
        f"0091{national}",
        f"(+91) {national}",
    ][style % 9]


def write(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return path


def key(national: str) -> int:
    return int("91" + national)


# --- keying ---------------------------------------------------------------------------------


@given(national=st.from_regex(r"[1-9][0-9]{9}", fullmatch=True), style=st.integers(0, 6))
def test_fast_key_agrees_with_the_normaliser(national: str, style: int) -> None:
    """Where the contact would pass normalisation, every spelling keys to its number."""
    raw = spell(national, style)
    fast = pl.select(fast_key(pl.lit(raw), "IN")).item()
    assert fast == key(national)
    contact = classify("+91" + national)
    if contact.e164 is not None:
        assert classify(raw).e164 == contact.e164


def test_fast_key_leaves_the_rest_to_the_normaliser() -> None:
    raws = ["0123456789", "+14155550123", "00919876543210", "n/a", "", "98765", "+9876543210"]
    keys = pl.select(fast_key(pl.lit(pl.Series(raws)), "IN")).to_series()
    assert keys.null_count() == len(raws)
    us = pl.select(fast_key(pl.lit(pl.Series(["9876543210", "+919876543210"])), "US"))
    assert us.to_series().to_list() == [None, 919876543210]


def test_exact_keys_give_reasons() -> None:
    keyed = exact_keys(pl.Series(["+91 98765 43210", None, "abc", INVALID]), "IN")
    assert keyed[KEY].to_list() == [919876543210, None, None, None]
    assert keyed["_reason"].to_list() == [None, "empty", "not-a-number", "invalid"]


@pytest.mark.parametrize(
    ("cell", "mask", "odd"),
    [
        ("0", 0, 0),
        ("", 0, 0),
        (None, 0, 0),
        ("0,2,3", 0, 0),
        ("2,0", 0, 0),
        ("1,3", 0b1010, 0),
        ("1;3|5 8", 0b100101010, 0),
        ("1,1", 0b10, 0),
        ("9", 0, 1),
        ("yes", 0, 1),
        ("1, 12", 0, 1),
        ("2024-05-01", 0, 1),
        ("1,3,", 0b1010, 0),
        (" ", 0, 0),
    ],
)
def test_preference_masks(cell: str | None, mask: int, odd: int) -> None:
    masks, odd_count = preference_masks(pl.Series([cell], dtype=pl.String))
    assert masks.to_list() == [mask]
    assert odd_count == odd
    assert pl.select(preference_mask(pl.lit(cell, pl.String))).item() == mask


# --- building -------------------------------------------------------------------------------


@pytest.fixture
def register(tmp_path: Path) -> Path:
    a, b, c, d, _ = POOL
    return write(
        tmp_path / "ncpr.csv",
        [
            ["msisdn", "preferences", "updated"],
            [a, "0", "2024-05-01"],
            ["+91 " + b, "1,3", "2024-05-03"],
            ["0" + b, "3;5", ""],  # b again: only category 3 survives
            ["91" + c, "", "02/05/2024"],  # empty: fully blocked
            ["0091" + d, "2|4", "junk"],  # the residue: classified by phonenumbers
            ["", "1", ""],
            ["n/a", "1", ""],
            ["12345", "1", ""],
        ],
    )


def test_build_index(register: Path, tmp_path: Path) -> None:
    a, b, c, d, _ = POOL
    seen: list[tuple[str, int]] = []
    info = build_index(
        [register], tmp_path / "idx", progress=lambda phase, n: seen.append((phase, n))
    )
    index = open_index(tmp_path / "idx")
    assert index.keys.tolist() == sorted(key(n) for n in (a, b, c, d))
    allowed = dict(zip(index.keys.tolist(), index.allowed.tolist(), strict=True))
    assert allowed == {key(a): 0, key(b): 0b1000, key(c): 0, key(d): 0b10100}
    assert (info.rows, info.entries, info.bad_rows) == (8, 4, 3)
    assert info.bad_reasons == {"empty": 1, "invalid": 1, "not-a-number": 1}
    assert info.snapshot_date == dt.date(2024, 5, 3)  # the newest date in the column
    assert info.sources[0].sha256 == sha256_file(register)
    assert info.sources[0].date_from == "column"
    assert index.info == info
    assert [p for p, _ in seen][-2:] == ["sort", "write"]
    meta = json.loads((tmp_path / "idx" / "meta.json").read_text())
    assert meta["format"] == "listprep-dnd-index" and meta["format_version"] == 1
    assert meta["phonenumbers_version"] and meta["listprep_version"]
    assert meta["snapshot_date"] == "2024-05-03"


def test_raw_register_reads_the_same_file(register: Path) -> None:
    loaded = load_register(register, "IN")
    assert (loaded.rows, loaded.entries, loaded.bad_rows) == (8, 4, 3)
    assert loaded.snapshot_date == dt.date(2024, 5, 3)


def test_duplicates_across_batches_and_windows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Most restrictive wins however the duplicates fall across batches and windows."""
    monkeypatch.setattr(dndindex_module, "_CHUNK", 3)
    rng = np.random.default_rng(1)
    rows = [[POOL[i % 4], ",".join(map(str, rng.choice(9, 3)))] for i in rng.integers(0, 4, 40)]
    path = write(tmp_path / "r.csv", [["number", "preference"], *rows])
    info = build_index([path], tmp_path / "idx", batch_rows=7)
    index = open_index(tmp_path / "idx")
    raw = load_register(path, "IN").frame.sort(KEY)
    assert index.keys.tolist() == raw[KEY].to_list()
    assert index.allowed.tolist() == raw["_allowed"].to_list()
    assert info.entries == raw.height


def test_caller_date_and_several_registers(register: Path, tmp_path: Path) -> None:
    other = write(tmp_path / "plain.txt", [[POOL[4]], [INVALID]])
    info = build_index([register, other], tmp_path / "idx", snapshot_date=dt.date(2024, 1, 2))
    assert info.snapshot_date == dt.date(2024, 1, 2)
    assert [s.date_from for s in info.sources] == ["caller", "caller"]
    assert info.rows == 10
    assert info.entries == 6  # the invalid number is keyed too: it can match no contact
    undated = build_index([other], tmp_path / "idx2")
    assert undated.snapshot_date is None


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("number\tpref\n9876543210\t1,2\n", {919876543210: 0b110}),
        ("9876543210;1\n9123456780;0\n", {919876543210: 0b10, 919123456780: 0}),
        ("Mobile No\n9876543210\n", {919876543210: 0}),
        ('9876543210,"1,2"\n', {919876543210: 0b110}),
    ],
)
def test_layouts(tmp_path: Path, text: str, keys: dict[int, int]) -> None:
    path = tmp_path / "r.txt"
    path.write_text(text, encoding="utf-8")
    build_index([path], tmp_path / "idx")
    index = open_index(tmp_path / "idx")
    assert dict(zip(index.keys.tolist(), index.allowed.tolist(), strict=True)) == keys
    assert index.info.bad_rows == 0


def test_unquoted_codes_are_an_error_not_a_guess(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", [["number", "pref"], ["9876543210", "1"]])
    with path.open("a") as fh:
        fh.write("9123456780,2,0\n")  # "2,0" unquoted: reading "2" alone would allow category 2
    with pytest.raises(InputError, match="3 fields where the header has 2") as err:
        build_index([path], tmp_path / "idx")
    assert err.value.row == 3
    assert err.value.hint and "quote" in err.value.hint
    assert not (tmp_path / "idx").exists()


def test_replaces_an_index_but_nothing_else(register: Path, tmp_path: Path) -> None:
    out = tmp_path / "idx"
    build_index([register], out)
    build_index([register], out, snapshot_date=dt.date(2024, 6, 1))
    assert open_index(out).info.snapshot_date == dt.date(2024, 6, 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx", "ncpr.csv"]
    with pytest.raises(InputError, match="not a DND index"):
        build_index([register], register)
    with pytest.raises(InputError, match="no such DND register"):
        build_index([tmp_path / "missing.csv"], tmp_path / "new")


# --- opening and looking up -----------------------------------------------------------------


@pytest.fixture
def index(register: Path, tmp_path: Path) -> DndIndex:
    build_index([register], tmp_path / "idx")
    return open_index(tmp_path / "idx")


def test_lookup_in_input_order(index: DndIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, c, d, e = POOL
    query = pl.Series([key(d), None, key(e), key(a), key(b), key(d), 1, 10**15])
    expected = [0b10100, None, None, 0, 0b1000, 0b10100, None, None]
    assert index.lookup(query).to_list() == expected
    monkeypatch.setattr(dndindex_module, "_LOOKUP_CHUNK", 2)  # chunks and page releases
    monkeypatch.setattr(dndindex_module, "_RELEASE_EVERY", 1)
    present = query.drop_nulls()
    assert index.lookup(present.to_numpy()).to_list() == [
        e for e, q in zip(expected, query, strict=True) if q is not None
    ]
    assert index.lookup(np.empty(0, np.int64)).to_list() == []


@given(
    entries=st.lists(st.tuples(st.integers(0, 12), st.integers(0, 511)), max_size=40),
    window=st.integers(1, 9),
)
def test_duplicates_fold_into_the_most_restrictive(
    entries: list[tuple[int, int]], window: int
) -> None:
    """The in-place, window-by-window compaction against a dict (any window size)."""
    entries.sort()
    keys = np.array([k for k, _ in entries], np.int64)
    masks = np.array([m for _, m in entries], np.uint16)
    expected: dict[int, int] = {}
    for k, m in entries:
        expected[k] = expected.get(k, 0b111111111) & m
    with patch.object(dndindex_module, "_CHUNK", window):
        size = dndindex_module._combine_duplicates(keys, masks)
    assert dict(zip(keys[:size].tolist(), masks[:size].tolist(), strict=True)) == expected
    assert keys[:size].tolist() == sorted(expected)


def test_empty_index(tmp_path: Path) -> None:
    """No register builds one (a register without numbers is refused), but one with no
    entries still opens and matches nothing: its arrays cannot be memory-mapped."""
    path = write(tmp_path / "r.csv", [["number"], [POOL[0]]])
    build_index([path], tmp_path / "idx")
    np.save(tmp_path / "idx" / "keys.npy", np.empty(0, np.int64))
    np.save(tmp_path / "idx" / "allowed.npy", np.empty(0, np.uint16))
    meta = json.loads((tmp_path / "idx" / "meta.json").read_text())
    (tmp_path / "idx" / "meta.json").write_text(json.dumps({**meta, "entries": 0}))
    index = open_index(tmp_path / "idx")
    assert index.info.entries == 0
    assert index.lookup(pl.Series([key(POOL[0])])).to_list() == [None]


def test_a_register_without_numbers_builds_no_index(tmp_path: Path) -> None:
    """Indexed as it is, it would block nothing: every number on it would be dialled."""
    good = write(tmp_path / "good.csv", [["number"], [POOL[0]]])
    junk = write(tmp_path / "junk.csv", [["number"], ["n/a"], ["12345"]])
    with pytest.raises(InputError, match="no usable phone number") as err:
        build_index([good, junk], tmp_path / "idx")
    assert err.value.file == str(junk)
    assert "not-a-number 1" in str(err.value) and "invalid 1" in str(err.value)
    assert not (tmp_path / "idx").exists()


def test_open_refuses_what_is_not_a_current_index(index: DndIndex, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a DND index"):
        open_index(tmp_path / "nothing")
    meta_path = index.path / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(InputError, match="format 99") as err:
        open_index(index.path)
    assert err.value.hint and "rebuild" in err.value.hint
    meta_path.write_text(json.dumps({**meta, "format": "other"}))
    with pytest.raises(InputError, match="not a listprep DND index"):
        open_index(index.path)
    meta_path.write_text(json.dumps({k: v for k, v in meta.items() if k != "sources"}))
    with pytest.raises(InputError, match="metadata is damaged"):
        open_index(index.path)
    meta_path.write_text(json.dumps({**meta, "entries": meta["entries"] + 1}))
    with pytest.raises(InputError, match="damaged|holds"):
        open_index(index.path)
    meta_path.write_text(json.dumps(meta))
    data = bytearray((index.path / "allowed.npy").read_bytes())
    data[-1] ^= 1
    (index.path / "allowed.npy").write_bytes(bytes(data))
    assert open_index(index.path).info.entries == 4  # cheap by default
    with pytest.raises(InputError, match="digest"):
        open_index(index.path, verify=True)


def test_load_dnd_opens_an_index_as_built(register: Path, tmp_path: Path) -> None:
    build_index([register], tmp_path / "idx")
    register.write_text("number\n9876543210\n")  # the source changed: the index is not rebuilt
    loaded = load_dnd(tmp_path / "idx", "IN")
    assert isinstance(loaded, DndIndex) and loaded.info.entries == 4
    raw = load_dnd(register, "IN", snapshot_date=dt.date(2024, 2, 1))
    assert isinstance(raw, Register) and raw.snapshot_date == dt.date(2024, 2, 1)


def test_reports_and_age(index: DndIndex, register: Path) -> None:
    today = dt.date(2024, 6, 2)
    from_index = report_register(index, today=today)
    assert from_index.describe() == {
        "path": str(index.path),
        "kind": "index",
        "sha256": index.info.sha256,
        "entries": 4,
        "rows": index.info.rows,
        "bad_rows": index.info.bad_rows,
        "snapshot_date": "2024-05-03",
        "age_days": 30,
        "sources": [{"path": str(register), "sha256": sha256_file(register)}],
    }
    assert index.describe()["sha256"] == index.info.sha256
    from_file = report_register(load_register(register, "IN"), today=today)
    assert (from_file.kind, from_file.age_days, from_file.entries) == ("register", 30, 4)
    raw = Register(path="x", sha256="0", rows=0, entries=0, bad_rows=0, frame=pl.DataFrame())
    unknown = report_register(raw, today=today)
    assert unknown.age_days is None and unknown.kind == "register"
    bad_rows = f"{index.path}: 3 of the DND index's 8 rows have no usable number"
    assert check_register_age([from_index]) == [
        f"{bad_rows} and are ignored (empty 1, invalid 1, not-a-number 1)"
    ]
    assert check_register_age([from_file])[0].startswith(f"{register}: 3 of the DND register's")
    assert "age is unknown" in check_register_age([unknown])[0]
    aged = check_register_age([from_index], max_age_days=7, allow_stale=True)
    assert "30 days old" in aged[0] and aged[1].startswith(bad_rows)
    with pytest.raises(InputError, match="stale") as err:
        check_register_age([from_index], max_age_days=7)
    assert str(err.value).count(str(index.path)) == 1, "the file is named once"
    assert "stale: 30 days old (more than the 7 allowed)" in str(err.value)
    # an undated register cannot be shown stale: a warning, as the issue asks, not a refusal
    assert "age is unknown" in check_register_age([unknown], max_age_days=31)[0]
    assert check_register_age([from_index], max_age_days=31) == [aged[1]]


# --- scrubbing: the index must do exactly what the raw register does ------------------------


@dataclass
class Entry:
    number: str
    style: int
    codes: list[int]
    separator: str


def write_register(path: Path, entries: Sequence[Entry], junk: Sequence[str]) -> Path:
    rows = [[spell(e.number, e.style), e.separator.join(map(str, e.codes))] for e in entries]
    return write(path, [["number", "preferences"], *rows, *([j, "1"] for j in junk)])


def outcomes(
    frame: pl.LazyFrame,
    config: ScrubConfig,
    dnd: DndLookup | Sequence[DndLookup] | None,
    suppress: pl.DataFrame | None,
) -> dict[str, str | None]:
    out = scrub(frame, config, dnd=dnd, suppress=suppress)
    kept, rejected = pl.collect_all([out.kept, out.rejected])
    numbers = dict(frame.select("_row_id", "_e164").collect().iter_rows())
    result: dict[str, str | None] = {numbers[r]: None for r in kept["_row_id"]}
    result |= {numbers[r]: reason for r, reason in rejected.select("_row_id", "reason").rows()}
    assert len(result) == len(numbers)
    return result


def index_of(registers: Sequence[Path], out: Path) -> DndIndex:
    build_index(registers, out)
    return open_index(out)


entries = st.builds(
    Entry,
    number=st.sampled_from([*POOL, INVALID]),
    style=st.integers(0, 8),
    codes=st.lists(st.integers(0, 8), max_size=4),
    separator=st.sampled_from([",", ";", "|", " ", ", "]),
)
#: A register with at least one valid number: one without any is refused (test_registers.py).
registers = st.lists(entries, min_size=1, max_size=8).filter(
    lambda r: any(e.number != INVALID for e in r)
)


@given(
    contacts=st.lists(st.sampled_from(POOL), min_size=1, max_size=5, unique=True),
    dnd=st.lists(registers, min_size=1, max_size=3),
    junk=st.lists(st.sampled_from(["", "n/a", "12345", "+1 415 555 0123", INVALID]), max_size=2),
    suppress=st.lists(st.tuples(st.sampled_from(POOL), st.integers(0, 8)), max_size=3),
    purpose=st.sampled_from(list(Purpose)),
    category=st.none() | st.integers(1, 8),
)
def test_index_scrubs_like_the_raw_register(
    contacts: list[str],
    dnd: list[list[Entry]],
    junk: list[str],
    suppress: list[tuple[str, int]],
    purpose: Purpose,
    category: int | None,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = [write_register(folder / f"d{i}.csv", r, junk) for i, r in enumerate(dnd)]
        sup = write(folder / "sup.txt", [[spell(n, s)] for n, s in suppress])
        frame = normalise(read_sources(pl.DataFrame({"phone": contacts}))[0]).kept
        config = ScrubConfig(purpose=purpose, category=category)
        lists = combine_suppressions(
            [load_register(sup, "IN", suppression=True)] if suppress else []
        )
        raw = combine_registers([load_register(f, "IN") for f in files])
        assert raw is not None
        per_file = [index_of([f], folder / f"i{i}") for i, f in enumerate(files)]
        together = index_of(files, folder / "all")
        ways = {
            "raw": outcomes(frame, config, raw, lists),
            "index per register": outcomes(frame, config, per_file, lists),
            "one index": outcomes(frame, config, together, lists),
            "index and raw": outcomes(frame, config, [per_file[0], raw], lists),
        }
    suppressed = {n for n, _ in suppress}
    registers = [[(e.number, e.codes) for e in r] for r in dnd]
    want = {
        "+91" + n: expected_outcome(n, registers, suppressed, purpose, category) for n in contacts
    }
    for way, got in ways.items():
        assert got == want, way


def test_prepare_refuses_a_stale_register_unless_allowed(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--max-register-age is checked on the run's date (SOURCE_DATE_EPOCH fixes it)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1779948000")  # 2026-05-28 11:30 IST
    contacts = tmp_path / "c.csv"
    contacts.write_text("phone\n9876543210\n9876543211\n")
    register = tmp_path / "dnd.csv"
    register.write_text("number,preferences\n9876543210,0\n")
    base = ["prepare", str(contacts), "--dnd", str(register), "--register-date", "2026-05-01"]
    stale = runner.invoke(main, [*base, "-o", str(tmp_path / "a")])
    assert stale.exit_code == 1 and "27 days old" in stale.output
    assert "Traceback" not in stale.output
    assert not (tmp_path / "a").exists()
    allowed = runner.invoke(main, [*base, "-o", str(tmp_path / "b"), "--allow-stale-register"])
    assert allowed.exit_code == 0, allowed.output
    manifest = json.loads((tmp_path / "b/manifest.json").read_text())
    assert manifest["registers"]["dnd"][0]["age_days"] == 27
    assert manifest["counts"]["rejected_by_reason"] == {"dnd-full": 1}
    assert any("27 days old" in w for w in manifest["warnings"])
    fresh = runner.invoke(main, [*base, "-o", str(tmp_path / "c"), "--max-register-age", "30"])
    assert fresh.exit_code == 0, fresh.output
