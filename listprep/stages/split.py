"""Split: decide which list and campaign each contact goes to, within Exotel's limits.

Pure: it adds ``_campaign`` and ``_chunk`` (the list's number inside its campaign) and writes
nothing. Lists are balanced (sizes differ by at most one row), keep input order, and are
grouped into campaigns in order.
"""

from __future__ import annotations

import math

import polars as pl

from listprep.config import SplitConfig
from listprep.errors import ConfigError
from listprep.limits import Method
from listprep.reader import ROW_ID, SOURCE_FILE, SOURCE_ROW

CAMPAIGN = "_campaign"
CHUNK = "_chunk"
DAY = "_day"


def balanced_sizes(rows: int, parts: int) -> list[int]:
    """``rows`` split into ``parts`` sizes that differ by at most one, larger first."""
    base, extra = divmod(rows, parts)
    return [base + 1] * extra + [base] * (parts - extra)


def plan_sizes(
    rows: int,
    cap: int,
    row_bytes: pl.Series | None = None,
    max_bytes: int | None = None,
    header_bytes: int = 0,
) -> list[int]:
    """The fewest balanced list sizes that respect the row cap and, if given, the byte cap."""
    if rows == 0:
        return []
    parts = math.ceil(rows / cap)
    if row_bytes is None or max_bytes is None:
        return balanced_sizes(rows, parts)
    cumulative = row_bytes.cast(pl.Int64).cum_sum().to_list()
    room = max_bytes - header_bytes
    if room < 1:
        raise ConfigError(f"the {max_bytes:,}-byte list limit leaves no room after the header")
    parts = max(parts, math.ceil(cumulative[-1] / room))
    while parts <= rows:
        sizes = balanced_sizes(rows, parts)
        start, fits = 0, True
        for size in sizes:
            end = start + size
            used = cumulative[end - 1] - (cumulative[start - 1] if start else 0)
            if used > room:
                fits = False
                break
            start = end
        if fits:
            return sizes
        parts += 1
    raise ConfigError(f"a single row is larger than the {max_bytes:,}-byte list limit")


def split(
    frame: pl.DataFrame | pl.LazyFrame,
    config: SplitConfig = SplitConfig(),
    *,
    row_bytes: pl.Series | None = None,
    header_bytes: int = 0,
    day_capacity: int | None = None,
) -> pl.DataFrame:
    """Add ``_campaign``, ``_chunk`` (the list inside its campaign) and ``_day`` to each row.

    ``row_bytes`` (bytes of each row as written, see :func:`listprep.lists.row_bytes`) lets
    lists respect a byte cap. ``day_capacity`` (contacts that finish in one day's window) first
    splits the contacts into balanced days, each with campaigns of its own; without it all
    lists of the run are balanced together.
    """
    ordered = frame.lazy().sort(ROW_ID, maintain_order=True).collect()
    rows = ordered.height
    days = balanced_sizes(rows, math.ceil(rows / day_capacity)) if day_capacity and rows else [rows]
    per_campaign = 1 if config.method is Method.INLINE else config.max_lists
    campaign_of: list[int] = []
    chunk_of: list[int] = []
    day_of: list[int] = []
    list_sizes: list[int] = []
    if row_bytes is not None and config.max_bytes is not None:
        _refuse_a_row_too_large(ordered, row_bytes, config.max_bytes, header_bytes)
    start = first_campaign = 0
    for day, size in enumerate(days, start=1):
        day_bytes = row_bytes.slice(start, size) if row_bytes is not None else None
        sizes = plan_sizes(size, config.rows_per_list, day_bytes, config.max_bytes, header_bytes)
        for i in range(len(sizes)):
            campaign_of.append(first_campaign + i // per_campaign + 1)
            chunk_of.append(i % per_campaign + 1)
            day_of.append(day)
        list_sizes += sizes
        first_campaign += math.ceil(len(sizes) / per_campaign)
        start += size
    counts = pl.Series(list_sizes, dtype=pl.UInt32)

    def spread(values: list[int]) -> pl.Series:
        return pl.Series(values, dtype=pl.Int32).repeat_by(counts).explode().head(rows)

    return ordered.with_columns(
        spread(campaign_of).alias(CAMPAIGN),
        spread(chunk_of).alias(CHUNK),
        spread(day_of).alias(DAY),
    )


def _refuse_a_row_too_large(
    frame: pl.DataFrame, row_bytes: pl.Series, max_bytes: int, header_bytes: int
) -> None:
    """No list can hold a row larger than the byte cap: name the first such row."""
    big = (row_bytes > max_bytes - header_bytes).arg_true()
    if big.len() == 0 or not {SOURCE_FILE, SOURCE_ROW} <= set(frame.columns):
        return  # (plan_sizes refuses it too, without a place to name)
    first = frame.row(int(big[0]), named=True)
    raise ConfigError(
        f"a row is {int(row_bytes[int(big[0])]):,} bytes as written, more than the "
        f"{max_bytes:,}-byte list limit leaves after the header",
        file=str(first[SOURCE_FILE]),
        row=int(first[SOURCE_ROW]),
        hint="raise --max-list-bytes, or shorten that row's long cells",
    )
