"""dedupe: one row per E.164 across all inputs; the first in input order wins."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from listprep import RejectReason, read_sources
from listprep.phone import classify
from listprep.stages import dedupe, normalise

# a few mobiles so that random lists repeat them, each in several spellings
POOL = ["9876543210", "9123456780", "7012345678", "6398765432"]


def _spell(national: str, style: int) -> str:
    return [
        national,
        f"+91 {national[:5]} {national[5:]}",
        f"0{national}",
        f"91-{national[:5]}-{national[5:]}",
        f"{national}.0",
    ][style]


cells = st.one_of(
    st.builds(_spell, st.sampled_from(POOL), st.integers(0, 4)),
    st.sampled_from(["", "n/a", "12345"]),  # rows that never reach dedupe
)
files = st.lists(st.lists(cells, max_size=25), min_size=1, max_size=3)


def run(sources: list[object]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(dedupe input, kept, rejected) for the sources, normalised first."""
    frame = read_sources(sources)[0]
    unique_in = normalise(frame).kept
    out = dedupe(unique_in)
    return unique_in.collect(), out.kept.collect(), out.rejected.collect()


def frames(contents: list[list[str]]) -> list[object]:
    return [pl.DataFrame({"phone": c}, schema={"phone": pl.String}) for c in contents]


def first_seen(contents: list[list[str]]) -> dict[str, str]:
    """Reference: E.164 -> ``file:row`` of its first row, walking the inputs in order."""
    winners: dict[str, str] = {}
    many = len(contents) > 1
    for index, cells_ in enumerate(contents, start=1):
        name = f"<frame {index}>" if many else "<frame>"
        for row, raw in enumerate(cells_, start=1):  # frame rows are numbered from 1
            e164 = classify(raw).e164
            if e164 is not None:
                winners.setdefault(e164, f"{name}:{row}")
    return winners


@given(files)
def test_e164_unique_after_dedupe(contents: list[list[str]]) -> None:
    before, kept, _ = run(frames(contents))
    assert kept["_e164"].is_unique().all()
    assert set(kept["_e164"]) == set(before["_e164"]), "every number survives once"


@given(files)
def test_kept_plus_rejected_is_input(contents: list[list[str]]) -> None:
    before, kept, rejected = run(frames(contents))
    assert kept.height + rejected.height == before.height
    assert sorted(kept["_row_id"].to_list() + rejected["_row_id"].to_list()) == sorted(
        before["_row_id"].to_list()
    )
    assert set(rejected["reason"]) <= {RejectReason.DUPLICATE.value}
    assert set(rejected["stage"]) <= {"dedupe"}
    assert kept["_row_id"].is_sorted(), "kept rows stay in input order"


@given(files)
def test_first_row_in_input_order_wins(contents: list[list[str]]) -> None:
    _, kept, rejected = run(frames(contents))
    winners = first_seen(contents)
    got = {
        e164: f"{file}:{row}"
        for e164, file, row in kept.select("_e164", "_source_file", "_source_row").iter_rows()
    }
    assert got == winners
    # each duplicate names the row that was kept for its number
    by_raw = {
        (file, row): raw
        for index, cells_ in enumerate(contents, start=1)
        for row, raw in enumerate(cells_, start=1)
        for file in [f"<frame {index}>" if len(contents) > 1 else "<frame>"]
    }
    for file, row, detail in rejected.select("source_file", "source_row", "detail").iter_rows():
        e164 = classify(by_raw[(file, row)]).e164
        assert e164 is not None
        assert detail == f"duplicate of {winners[e164]}"
        assert winners[e164] != f"{file}:{row}"


def test_first_file_wins_and_detail_names_file_and_row(write_csv, tmp_path: Path) -> None:
    crm = write_csv(
        [["name", "phone"], ["Asha", "n/a"], ["Ravi", "+91 98765 43210"], ["Meena", "9123456780"]],
        name="crm.csv",
    )
    branch = write_csv(
        [["Mobile"], ["09123456780"], ["9876543210"], ["98765-43210"]], name="branch.csv"
    )
    _, kept, rejected = run([str(crm), str(branch)])
    rejected = rejected.sort("_row_id")
    assert kept.select("_source_file", "_source_row", "_e164").rows() == [
        (str(crm), 3, "+919876543210"),
        (str(crm), 4, "+919123456780"),
    ]
    assert rejected.select("source_file", "source_row", "detail").rows() == [
        (str(branch), 2, f"duplicate of {crm}:4"),
        (str(branch), 3, f"duplicate of {crm}:3"),
        (str(branch), 4, f"duplicate of {crm}:3"),
    ]
    assert rejected["raw_value"].to_list() == ["09123456780", "9876543210", "98765-43210"]


def test_input_order_not_string_order_decides() -> None:
    """The winner is the earlier row, even when its spelling sorts later."""
    _, kept, rejected = run([pl.DataFrame({"phone": ["919876543210", "+919876543210"]})])
    assert kept["_phone_raw"].to_list() == ["919876543210"]
    assert rejected["detail"].to_list() == ["duplicate of <frame>:1"]
