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
from listprep.reader import ROW_ID

CAMPAIGN = "_campaign"
CHUNK = "_chunk"


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
    frame: pl.DataFrame,
    config: SplitConfig = SplitConfig(),
    *,
    row_bytes: pl.Series | None = None,
    header_bytes: int = 0,
) -> pl.DataFrame:
    """Add ``_campaign`` and ``_chunk`` to each row, in input order.

    ``row_bytes`` (bytes of each row as written) lets dynamic lists respect the file-size
    limit; see :func:`listprep.lists.row_bytes`.
    """
    ordered = frame.sort(ROW_ID)
    limit = config.limit
    if config.list_rows and config.list_rows > limit.rows_per_list:
        raise ConfigError(
            f"list_rows {config.list_rows:,} is above Exotel's limit of "
            f"{limit.rows_per_list:,} ({limit.source})"
        )
    if config.lists_per_campaign and config.lists_per_campaign > limit.lists_per_campaign:
        raise ConfigError(
            f"lists_per_campaign {config.lists_per_campaign} is above Exotel's limit of "
            f"{limit.lists_per_campaign} ({limit.source})"
        )
    sizes = plan_sizes(
        ordered.height, config.rows_per_list, row_bytes, limit.max_list_bytes, header_bytes
    )
    per_campaign = 1 if config.method is Method.INLINE else config.max_lists
    lists = pl.Series("_list", range(len(sizes)), pl.Int64).repeat_by(
        pl.Series(sizes, dtype=pl.UInt32)
    )
    index = lists.explode() if len(sizes) else pl.Series("_list", [], pl.Int64)
    return ordered.with_columns(
        (index // per_campaign + 1).cast(pl.Int32).alias(CAMPAIGN),
        (index % per_campaign + 1).cast(pl.Int32).alias(CHUNK),
    )
