"""Normalise: raw phone cells to E.164, each distinct raw value classified once.

The common spellings are classified by polars expressions built from libphonenumber's own
metadata (:mod:`listprep.fastphone`); the rest by the scalar reference
(:func:`listprep.phone.classify_cell`). Both give the same answer for every value.

Kept rows gain ``_e164`` and ``_number_type``, plus what the manifest counts:
``_had_extension`` (an extension was dropped), ``_multi_number`` (the cell held several
numbers) and ``_part`` (0, or 1, 2 … for the extra contacts of ``multi=split``, which share
their cell's source row).
"""

from __future__ import annotations

import polars as pl

from listprep.config import ExtensionPolicy, MultiPolicy, NormaliseConfig
from listprep.fastphone import (
    CELL,
    DETAIL,
    E164,
    HAD_EXTENSION,
    MULTI_NUMBER,
    NUMBER_TYPE,
    PART,
    REASON,
    TABLE_SCHEMA,
    classify_distinct,
    classify_table,
)
from listprep.limits import Channel
from listprep.reader import PHONE_RAW, ROW_ID
from listprep.rejects import Frame, StageOutput, lazy, rejects

__all__ = [
    "E164",
    "HAD_EXTENSION",
    "MULTI_NUMBER",
    "NUMBER_TYPE",
    "PART",
    "TABLE_SCHEMA",
    "classify_values",
    "normalise",
]


def classify_values(
    values: pl.Series,
    region: str,
    channel: Channel,
    *,
    extensions: ExtensionPolicy = ExtensionPolicy.KEEP,
    multi: MultiPolicy = MultiPolicy.FIRST,
    allow_regions: tuple[str, ...] = (),
) -> pl.DataFrame:
    """A lookup table: one row per distinct raw value with its E.164, type or reason.

    Under ``multi=split`` a value holding several numbers has one row per number (``_part``).
    """
    config = NormaliseConfig(
        region=region,
        channel=channel,
        extensions=extensions,
        multi=multi,
        allow_regions=allow_regions,
    )
    return classify_table(values, config)


def normalise(
    frame: Frame, config: NormaliseConfig = NormaliseConfig(), *, threads: int | None = None
) -> StageOutput:
    """Add ``_e164`` and ``_number_type``; reject cells that are not dialable numbers.

    ``threads``: how many threads classify a large frame's values side by side (default: one
    per polars thread); fewer when other work keeps the cores busy meanwhile.
    """
    data = lazy(frame).collect()
    if config.multi is MultiPolicy.SPLIT:  # a cell may make several rows: join on the value
        table = classify_table(data[PHONE_RAW], config, threads=threads)
        joined = data.join(table, on=PHONE_RAW, how="left", maintain_order="left")
        joined = joined.sort(ROW_ID, PART, maintain_order=True)
    else:
        joined = data.hstack(_outcomes(data[PHONE_RAW], config, threads))
    failed = pl.col(REASON).is_not_null()
    kept = joined.lazy().filter(~failed).drop(REASON, DETAIL)
    rejected = rejects(
        joined.lazy().filter(failed),
        stage="normalise",
        reason=pl.col(REASON),
        detail=pl.col(DETAIL),
    )
    return StageOutput(kept, rejected)


def _outcomes(raw: pl.Series, config: NormaliseConfig, threads: int | None) -> pl.DataFrame:
    """Each row's outcome, row-aligned with ``raw`` (one outcome per cell).

    The first row of each value is classified (once), in row order; only the repeats are
    matched back by value, which is cheaper than joining every row's string.
    """
    raw = raw.fill_null("")
    first = raw.is_first_distinct()
    distinct = raw.filter(first)
    table = classify_distinct(distinct, config, threads=threads)
    repeats = raw.to_frame(PHONE_RAW).with_row_index("_row").filter(~first)
    cells = distinct.to_frame(PHONE_RAW).with_row_index(CELL)
    repeats = repeats.join(cells, on=PHONE_RAW, how="left")
    cell = pl.zeros(raw.len(), pl.UInt32, eager=True)
    cell = cell.scatter(first.arg_true(), pl.int_range(distinct.len(), dtype=pl.UInt32, eager=True))
    cell = cell.scatter(repeats["_row"], repeats[CELL])
    position = pl.zeros(distinct.len(), pl.UInt32, eager=True).scatter(
        table[CELL], pl.int_range(table.height, dtype=pl.UInt32, eager=True)
    )
    return table.drop(PHONE_RAW, CELL)[position.gather(cell)]
