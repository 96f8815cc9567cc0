"""scrub: suppression lists always, DND registers unless the purpose is transactional.

``expected_outcome`` is a plain-Python statement of the rules; the property compares the stage
(with registers loaded from real files) against it on small random registers.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scrub_rules import expected_outcome

from listprep import Purpose, ScrubConfig, read_sources
from listprep.registers import load_register
from listprep.stages import normalise, scrub
from listprep.stages.scrub import combine_registers, combine_suppressions

POOL = ["9876543210", "9123456780", "7012345678", "6398765432", "8800112233", "9988776655"]
E164 = {n: f"+91{n}" for n in POOL}


def spell(national: str, style: int) -> str:
    """The spellings registers use (sample_data/README.md): one number, five ways."""
    return [
        national,
        f"0{national}",
        f"+91{national}",
        f"91{national}",
        f"+91 {national[:5]} {national[5:]}",
    ][style % 5]


# --- the rules, in plain Python -----------------------------------------------------------------


# --- running the stage on files -----------------------------------------------------------------


@dataclass
class Entry:
    number: str
    style: int
    codes: list[int]
    separator: str

    @property
    def preference(self) -> str:
        return self.separator.join(str(c) for c in self.codes)


def write_register(path: Path, entries: Sequence[Entry]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["number", "preferences"])
        writer.writerows([spell(e.number, e.style), e.preference] for e in entries)
    return path


def write_suppression(path: Path, numbers: Sequence[tuple[str, int]]) -> Path:
    path.write_text("".join(spell(n, style) + "\n" for n, style in numbers), encoding="utf-8")
    return path


def run_scrub(
    contacts: Sequence[str],
    dnd: Sequence[Path],
    suppress: Sequence[Path],
    config: ScrubConfig,
) -> tuple[dict[str, str | None], pl.DataFrame, pl.DataFrame]:
    """Scrub the contacts; return ({e164: reason or None}, kept, rejected).

    Every row of one number must get the same outcome (checked here).
    """
    frame = read_sources(pl.DataFrame({"phone": list(contacts)}))[0]
    normalised = normalise(frame)
    assert normalised.rejected.collect().height == 0
    out = scrub(
        normalised.kept,
        config,
        dnd=combine_registers([load_register(p, "IN") for p in dnd]),
        suppress=combine_suppressions([load_register(p, "IN", suppression=True) for p in suppress]),
    )
    kept, rejected = out.kept.collect(), out.rejected.collect()
    number_of = dict(normalised.kept.collect().select("_row_id", "_e164").iter_rows())
    rows: dict[int, str | None] = dict.fromkeys(kept["_row_id"])
    rows |= dict(rejected.select("_row_id", "reason").iter_rows())
    assert sorted(rows) == sorted(number_of), "each row leaves exactly once"
    outcome: dict[str, str | None] = {}
    for row_id, reason in rows.items():
        assert outcome.setdefault(number_of[row_id], reason) == reason, "one outcome per number"
    return outcome, kept, rejected


# --- examples -----------------------------------------------------------------------------------


@pytest.fixture
def registers(tmp_path: Path) -> dict[str, Path]:
    a, b, c, d, e, f = POOL
    dnd = write_register(
        tmp_path / "dnd.csv",
        [
            Entry(a, 0, [0], ","),  # fully blocked
            Entry(b, 1, [1, 3], ","),  # allows 1 and 3
            Entry(c, 2, [0, 2, 5], ","),  # a 0 in the list: fully blocked
            Entry(d, 3, [], ","),  # no preference: fully blocked
            Entry(e, 4, [2, 5, 7], ";"),  # allows 2, 5, 7
        ],
    )
    second = write_register(tmp_path / "dnd2.csv", [Entry(b, 0, [3, 5], ", ")])
    suppress = write_suppression(tmp_path / "optout.txt", [(a, 4), (f, 1)])
    return {"dnd": dnd, "dnd2": second, "suppress": suppress}


def test_suppression_wins_over_dnd(registers: dict[str, Path]) -> None:
    a, *_, f = POOL
    outcome, _, rejected = run_scrub(
        [a, f], [registers["dnd"]], [registers["suppress"]], ScrubConfig()
    )
    assert outcome == {E164[a]: "suppressed", E164[f]: "suppressed"}
    assert all(str(registers["suppress"]) in d for d in rejected["detail"]), "names the list"


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        (None, ["dnd-full", "dnd", "dnd-full", "dnd-full", "dnd", None]),
        (3, ["dnd-full", None, "dnd-full", "dnd-full", "dnd-category", None]),
        (2, ["dnd-full", "dnd-category", "dnd-full", "dnd-full", None, None]),
    ],
)
def test_dnd_preferences(
    registers: dict[str, Path], category: int | None, expected: list[str | None]
) -> None:
    outcome, kept, rejected = run_scrub(
        POOL, [registers["dnd"]], [], ScrubConfig(category=category)
    )
    assert [outcome[E164[n]] for n in POOL] == expected
    assert kept.height + rejected.height == len(POOL)
    if category is not None:
        partial = rejected.filter(pl.col("reason") == "dnd-category")["detail"]
        assert all(str(category) in d for d in partial)


def test_transactional_skips_dnd_but_not_suppression(registers: dict[str, Path]) -> None:
    outcome, _, _ = run_scrub(
        POOL,
        [registers["dnd"]],
        [registers["suppress"]],
        ScrubConfig(purpose=Purpose.TRANSACTIONAL),
    )
    a, *_, f = POOL
    assert {n for n, r in outcome.items() if r} == {E164[a], E164[f]}
    assert set(outcome.values()) == {None, "suppressed"}


def test_several_registers_most_restrictive_wins(registers: dict[str, Path]) -> None:
    b = POOL[1]  # allows {1, 3} in one register and {3, 5} in the other: only 3 remains
    both = [registers["dnd"], registers["dnd2"]]
    for category, reason in [(1, "dnd-category"), (3, None), (5, "dnd-category")]:
        outcome, _, _ = run_scrub([b], both, [], ScrubConfig(category=category))
        assert outcome[E164[b]] == reason, category


@pytest.mark.parametrize(("category", "reason"), [(1, None), (2, "dnd-category")])
def test_repeated_category_code_is_one_category(
    tmp_path: Path, category: int, reason: str | None
) -> None:
    """``1,1`` allows category 1 only, the same as ``1``: a set of codes, not a sum."""
    b = POOL[1]
    dnd = write_register(tmp_path / "dnd.csv", [Entry(b, 0, [1, 1], ",")])
    outcome, _, _ = run_scrub([b], [dnd], [], ScrubConfig(category=category))
    assert outcome[E164[b]] == reason


@pytest.mark.parametrize(
    ("dnd", "suppress"),
    [
        (None, f"{POOL[0]}\r\n+91 {POOL[1]}\r\n".encode("utf-16")),  # Windows Notepad's "Unicode"
        (f"mobile|preferences\n{POOL[0]}|0\n{POOL[1]}|0,2\n".encode(), None),
        (f"name,mobile_no\nRavi,{POOL[0]}\nAsha,{POOL[1]}\n".encode(), None),
    ],
)
def test_lists_in_other_formats_still_block(
    tmp_path: Path, dnd: bytes | None, suppress: bytes | None
) -> None:
    """Each of these was once read as no numbers at all, and every number on it was dialled."""
    a, b, c, *_ = POOL
    files = {"dnd": [], "suppress": []}
    for kind, data in (("dnd", dnd), ("suppress", suppress)):
        if data is not None:
            (tmp_path / kind).write_bytes(data)
            files[kind].append(tmp_path / kind)
    outcome, _, _ = run_scrub([a, b, c], files["dnd"], files["suppress"], ScrubConfig())
    reason = "suppressed" if suppress else "dnd-full"
    assert outcome == {E164[a]: reason, E164[b]: reason, E164[c]: None}


def test_no_registers_keeps_everything() -> None:
    outcome, kept, _ = run_scrub(POOL, [], [], ScrubConfig(category=1))
    assert set(outcome.values()) == {None}
    assert kept["_row_id"].is_sorted()


# --- the property -------------------------------------------------------------------------------

entries = st.builds(
    Entry,
    number=st.sampled_from(POOL),
    style=st.integers(0, 4),
    codes=st.lists(st.integers(0, 8), max_size=4),
    separator=st.sampled_from([",", ";", ", ", " "]),
)
suppression_entries = st.tuples(st.sampled_from(POOL), st.integers(0, 4))


@given(
    contacts=st.lists(st.sampled_from(POOL), min_size=1, max_size=12),
    dnd=st.lists(st.lists(entries, min_size=1, max_size=8), max_size=3),  # none: refused
    suppress=st.lists(st.lists(suppression_entries, min_size=1, max_size=4), max_size=2),
    purpose=st.sampled_from(list(Purpose)),
    category=st.none() | st.integers(1, 8),
)
def test_scrub_matches_reference(
    contacts: list[str],
    dnd: list[list[Entry]],
    suppress: list[list[tuple[str, int]]],
    purpose: Purpose,
    category: int | None,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        dnd_files = [write_register(folder / f"dnd{i}.csv", r) for i, r in enumerate(dnd)]
        sup_files = [write_suppression(folder / f"sup{i}.txt", s) for i, s in enumerate(suppress)]
        outcome, kept, rejected = run_scrub(
            contacts, dnd_files, sup_files, ScrubConfig(purpose=purpose, category=category)
        )
    assert kept.height + rejected.height == len(contacts)
    assert set(rejected["stage"]) <= {"scrub"}
    registers = [[(e.number, e.codes) for e in r] for r in dnd]
    suppressed = {n for s in suppress for n, _ in s}
    for number in set(contacts):
        want = expected_outcome(number, registers, suppressed, purpose, category)
        assert outcome[E164[number]] == want, number


def test_scrub_reads_the_registers_its_config_names(tmp_path: Path) -> None:
    """A job that composes the stages and names its registers only in the config must not
    dial them (scrub used to use only its dnd= and suppress= arguments)."""
    dnd = tmp_path / "dnd.csv"
    dnd.write_text("number,preferences\n9876543210,0\n9123456780,3\n")
    suppress = tmp_path / "optout.txt"
    suppress.write_text("7012345678\n")
    frame = pl.DataFrame({"phone": ["9876543210", "9123456780", "7012345678", "6398765432"]})
    kept = normalise(read_sources(frame).kept).kept
    config = ScrubConfig(dnd=(dnd,), suppress=(suppress,), category=1)
    out = scrub(kept, config)
    assert out.kept.collect()["_e164"].to_list() == ["+916398765432"]
    reasons = out.rejected.collect().sort("source_row")["reason"].to_list()
    assert reasons == ["dnd-full", "dnd-category", "suppressed"]
    # the same as giving the loaded lookups
    given_lookups = scrub(
        kept,
        ScrubConfig(category=1),
        dnd=combine_registers([load_register(dnd, "IN")]),
        suppress=combine_suppressions([load_register(suppress, "IN", suppression=True)]),
    )
    assert given_lookups.rejected.collect().sort("source_row")["reason"].to_list() == reasons
