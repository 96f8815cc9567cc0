"""Normalise: raw phone cells to E.164, each distinct raw value classified once."""

from __future__ import annotations

import polars as pl

from listprep.config import NormaliseConfig
from listprep.limits import Channel
from listprep.phone import classify
from listprep.reader import PHONE_RAW
from listprep.rejects import StageOutput, rejects

E164 = "_e164"
NUMBER_TYPE = "_number_type"

_TABLE_SCHEMA = pl.Schema(
    {
        PHONE_RAW: pl.String,
        E164: pl.String,
        NUMBER_TYPE: pl.String,
        "_reason": pl.String,
        "_detail": pl.String,
    }
)


def classify_values(values: pl.Series, region: str, channel: Channel) -> pl.DataFrame:
    """A lookup table: one row per distinct raw value with its E.164, type or reason."""
    rows = []
    for raw in values.unique().drop_nulls().to_list():
        e164, kind, reason, detail = classify(raw, region, channel)
        rows.append((raw, e164, kind, reason.value if reason else None, detail))
    return pl.DataFrame(rows, schema=_TABLE_SCHEMA, orient="row")


def normalise(frame: pl.LazyFrame, config: NormaliseConfig = NormaliseConfig()) -> StageOutput:
    """Add ``_e164`` and ``_number_type``; reject cells that are not dialable numbers."""
    raw = frame.select(pl.col(PHONE_RAW)).collect().to_series()
    table = classify_values(raw, config.region, config.channel)
    joined = frame.join(table.lazy(), on=PHONE_RAW, how="left", maintain_order="left")
    failed = pl.col("_reason").is_not_null()
    kept = joined.filter(~failed).drop("_reason", "_detail")
    rejected = rejects(
        joined.filter(failed), stage="normalise", reason=pl.col("_reason"), detail=pl.col("_detail")
    )
    return StageOutput(kept, rejected)
