"""split: which list and campaign each contact goes to, within Exotel's limits.

Frames here are tiny (only ``_row_id``), so hundreds of thousands of rows stay cheap.
"""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from listprep import LIMITS, Channel, ConfigError, Method, SplitConfig
from listprep.lists import header_bytes, list_exprs, row_bytes
from listprep.stages import split
from listprep.stages.split import balanced_sizes, plan_sizes


def ids(rows: int, seed: int | None = None) -> pl.DataFrame:
    """``rows`` contacts; shuffled when ``seed`` is given (split must restore input order)."""
    frame = pl.DataFrame({"_row_id": pl.int_range(0, rows, dtype=pl.Int64, eager=True)})
    return frame.sample(fraction=1.0, shuffle=True, seed=seed) if seed is not None else frame


def lists_of(out: pl.DataFrame) -> pl.DataFrame:
    """One row per list, in campaign then list order: its campaign, number, size and ids."""
    return (
        out.group_by("_campaign", "_chunk", maintain_order=True)
        .agg(pl.len().alias("size"), pl.col("_row_id"))
        .sort("_campaign", "_chunk")
    )


def check_split(out: pl.DataFrame, rows: int, cap: int, per_campaign: int) -> pl.DataFrame:
    """The laws every split obeys; returns the per-list summary for further checks."""
    assert out.height == rows
    assert out.schema["_campaign"] == pl.Int32 and out.schema["_chunk"] == pl.Int32
    lists = lists_of(out)
    sizes = lists["size"].to_list()
    assert all(size <= cap for size in sizes), "no list above its cap"
    assert len(sizes) == math.ceil(rows / cap), "the fewest lists the cap allows"
    if sizes:
        assert max(sizes) - min(sizes) <= 1, "balanced"
    # campaigns 1..C, each with lists 1..k, k <= per_campaign, and no campaign left half-empty
    per = lists.group_by("_campaign", maintain_order=True).agg(pl.col("_chunk"))
    assert per["_campaign"].to_list() == list(range(1, per.height + 1))
    for chunks in per["_chunk"].to_list():
        assert chunks == list(range(1, len(chunks) + 1))
        assert len(chunks) <= per_campaign
    assert per.height == math.ceil(len(sizes) / per_campaign)
    # concatenating the lists gives the input order
    assert lists["_row_id"].explode().drop_nulls().to_list() == list(range(rows))
    return lists


# --- properties -----------------------------------------------------------------------------------

row_counts = st.one_of(st.integers(0, 50), st.integers(0, 300_000))


@given(
    rows=row_counts,
    list_rows=st.none() | st.integers(1, 100_000),
    lists_per_campaign=st.none() | st.integers(1, 5),
    channel=st.sampled_from(list(Channel)),
    seed=st.integers(0, 2**16),
)
def test_static_split_laws(
    rows: int,
    list_rows: int | None,
    lists_per_campaign: int | None,
    channel: Channel,
    seed: int,
) -> None:
    assume(list_rows is None or rows / list_rows <= 5_000)  # keep the list count small
    config = SplitConfig(
        channel=channel,
        method=Method.STATIC,
        list_rows=list_rows,
        lists_per_campaign=lists_per_campaign,
    )
    out = split(ids(rows, seed), config)
    check_split(out, rows, list_rows or 100_000, lists_per_campaign or 5)


@given(rows=row_counts, list_rows=st.none() | st.integers(100, 5_000))
def test_inline_split_laws(rows: int, list_rows: int | None) -> None:
    config = SplitConfig(channel=Channel.VOICE, method=Method.INLINE, list_rows=list_rows)
    out = split(ids(rows), config)
    check_split(out, rows, list_rows or 5_000, 1)


@given(rows=st.integers(0, 1_600_000), channel=st.sampled_from(list(Channel)))
def test_dynamic_split_laws(rows: int, channel: Channel) -> None:
    """Past 5,00,000 rows a dynamic campaign needs a second list, in a campaign of its own."""
    out = split(ids(rows), SplitConfig(channel=channel, method=Method.DYNAMIC))
    check_split(out, rows, 500_000, 1)


# --- worked examples (Indian digit grouping in the names) -----------------------------------------


def test_one_and_a_half_lakh_makes_two_equal_lists() -> None:
    lists = check_split(split(ids(150_000), SplitConfig()), 150_000, 100_000, 5)
    assert lists["size"].to_list() == [75_000, 75_000]
    assert lists["_campaign"].to_list() == [1, 1]


def test_twelve_lakh_makes_thirteen_lists_in_three_campaigns() -> None:
    lists = check_split(split(ids(1_234_567), SplitConfig()), 1_234_567, 100_000, 5)
    sizes = lists["size"].to_list()
    assert len(sizes) == 13
    assert sorted(set(sizes)) == [94_966, 94_967]
    assert sizes.count(94_967) == 9 and sizes.count(94_966) == 4
    assert lists.group_by("_campaign").len().sort("_campaign")["len"].to_list() == [5, 5, 3]


def test_inline_twelve_thousand_makes_three_campaigns() -> None:
    config = SplitConfig(channel=Channel.VOICE, method=Method.INLINE)
    lists = check_split(split(ids(12_345), config), 12_345, 5_000, 1)
    assert lists["_campaign"].to_list() == [1, 2, 3]
    assert all(size <= 5_000 for size in lists["size"])


def test_no_rows_no_lists() -> None:
    out = split(ids(0), SplitConfig())
    assert out.height == 0
    assert {"_campaign", "_chunk"} <= set(out.columns)


@pytest.mark.parametrize(
    "options",
    [
        {"list_rows": 100_001},
        {"lists_per_campaign": 6},
        {"channel": Channel.VOICE, "method": Method.INLINE, "list_rows": 5_001},
        {"channel": Channel.SMS, "method": Method.DYNAMIC, "lists_per_campaign": 2},
    ],
)
def test_caps_above_exotel_limits_are_refused(options: dict[str, object]) -> None:
    """Refused when the config is made or, at the latest, when it is used."""
    with pytest.raises(ConfigError):
        split(ids(10), SplitConfig(**options))  # type: ignore[arg-type]


# --- byte cap -----------------------------------------------------------------------------------


@given(
    sizes=st.lists(st.integers(1, 60), min_size=1, max_size=120),
    cap=st.integers(1, 200),
    header=st.integers(0, 30),
    spare=st.integers(0, 400),
)
def test_plan_sizes_respects_byte_cap(sizes: list[int], cap: int, header: int, spare: int) -> None:
    max_bytes = header + max(sizes) + spare  # every single row fits with its header
    plan = plan_sizes(len(sizes), cap, pl.Series(sizes), max_bytes, header)
    assert sum(plan) == len(sizes)
    assert all(1 <= n <= cap for n in plan)
    assert max(plan) - min(plan) <= 1
    starts = [sum(plan[:i]) for i in range(len(plan))]
    for start, n in zip(starts, plan, strict=True):
        assert header + sum(sizes[start : start + n]) <= max_bytes
    # the fewest balanced lists: no smaller count of balanced, in-order lists fits
    for parts in range(math.ceil(len(sizes) / cap), len(plan)):
        candidate = balanced_sizes(len(sizes), parts)
        start, fits = 0, True
        for n in candidate:
            fits &= header + sum(sizes[start : start + n]) <= max_bytes
            start += n
        assert not fits, f"{parts} lists would do"


@given(sizes=st.lists(st.integers(2, 60), min_size=1, max_size=50), header=st.integers(0, 30))
def test_plan_sizes_refuses_a_row_larger_than_the_cap(sizes: list[int], header: int) -> None:
    max_bytes = header + max(sizes) - 1
    with pytest.raises(ConfigError, match="a single row is larger"):
        plan_sizes(len(sizes), 10, pl.Series(sizes), max_bytes, header)


@given(header=st.integers(0, 30))
def test_plan_sizes_refuses_a_cap_the_header_fills(header: int) -> None:
    with pytest.raises(ConfigError, match="no room after the header"):
        plan_sizes(3, 10, pl.Series([1, 1, 1]), header, header)


def test_dynamic_split_keeps_each_list_under_the_file_limit() -> None:
    limit = LIMITS[(Channel.SMS, Method.DYNAMIC)].max_list_bytes
    assert limit is not None
    rows, each, header = 20, 7_000_000, 40
    out = split(
        ids(rows),
        SplitConfig(channel=Channel.SMS, method=Method.DYNAMIC),
        row_bytes=pl.Series([each] * rows),
        header_bytes=header,
    )
    lists = check_split(out, rows, 8, 1)  # 8 rows of 7 MB fit under 60 MB; 9 do not
    assert all(header + n * each <= limit for n in lists["size"])


# --- row_bytes is what polars writes -----------------------------------------------------------

NAMES = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=8),
    min_size=1,
    max_size=4,
    unique=True,
)
CELLS = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.text(alphabet=",\"\n\r x'é😀क", max_size=10),
)


@st.composite
def frames(draw: st.DrawFn) -> pl.DataFrame:
    names = draw(NAMES)
    height = draw(st.integers(1, 8))
    data = {n: draw(st.lists(CELLS, min_size=height, max_size=height)) for n in names}
    return pl.DataFrame(data, schema=dict.fromkeys(names, pl.String))


def assert_row_bytes_exact(frame: pl.DataFrame) -> None:
    names = frame.columns
    got = row_bytes(frame, names).to_list()
    for i, n in enumerate(got):
        written = frame.slice(i, 1).write_csv(include_header=False).encode()
        assert n == len(written), (frame.row(i), written)
    assert header_bytes(names) + sum(got) == len(frame.write_csv().encode())


@given(frames())
def test_row_bytes_matches_write_csv_for_list_rows(frame: pl.DataFrame) -> None:
    """As the pipeline uses it: after :func:`list_exprs` (blank cells become bare nulls)."""
    layout = {name: [name] for name in frame.columns}
    assert_row_bytes_exact(frame.select(list_exprs(layout)))


@given(frames())
def test_row_bytes_matches_write_csv_for_any_text(frame: pl.DataFrame) -> None:
    """The function's own promise: the bytes of each written row of ``frame[names]``."""
    assert_row_bytes_exact(frame)
