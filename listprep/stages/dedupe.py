"""Dedupe: one row per E.164 across all inputs; the first in input order wins."""

from __future__ import annotations

import polars as pl

from listprep.errors import RejectReason
from listprep.reader import ROW_ID, SOURCE_FILE, SOURCE_ROW
from listprep.rejects import StageOutput, rejects
from listprep.stages.normalise import E164


def dedupe(frame: pl.LazyFrame) -> StageOutput:
    """Keep the first row of each ``_e164``; name the kept row in each duplicate's reject."""
    first = pl.col(ROW_ID).min().over(E164)
    marked = frame.with_columns(
        (pl.col(ROW_ID) == first).alias("_first"),
        pl.col(SOURCE_FILE).sort_by(ROW_ID).first().over(E164).alias("_kept_file"),
        pl.col(SOURCE_ROW).sort_by(ROW_ID).first().over(E164).alias("_kept_row"),
    )
    kept = marked.filter(pl.col("_first")).drop("_first", "_kept_file", "_kept_row")
    detail = pl.format("duplicate of {}:{}", pl.col("_kept_file"), pl.col("_kept_row"))
    rejected = rejects(
        marked.filter(~pl.col("_first")),
        stage="dedupe",
        reason=RejectReason.DUPLICATE.value,
        detail=detail,
    )
    return StageOutput(kept, rejected)
