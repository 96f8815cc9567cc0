"""Dedupe: one row per E.164 across all inputs; the first in input order wins."""

from __future__ import annotations

import polars as pl

from listprep.errors import RejectReason
from listprep.reader import ROW_ID, SOURCE_FILE, SOURCE_ROW
from listprep.registers import e164_key
from listprep.rejects import StageOutput, rejects
from listprep.stages.normalise import E164

_KEY = "_dedupe_key"


def dedupe(frame: pl.LazyFrame) -> StageOutput:
    """Keep the first row of each ``_e164``; name the kept row in each duplicate's reject.

    Integer keys and one pass (``is_first_distinct`` in input order), then a join of the
    duplicates alone to the rows they repeat: cheaper than window functions over strings.
    """
    ordered = frame.sort(ROW_ID, maintain_order=True)  # a split cell's numbers share a row id
    marked = ordered.with_columns(e164_key(pl.col(E164)).alias(_KEY))
    first = pl.col(_KEY).is_first_distinct()
    kept = marked.filter(first)
    originals = kept.select(
        _KEY, pl.col(SOURCE_FILE).alias("_kept_file"), pl.col(SOURCE_ROW).alias("_kept_row")
    )
    duplicates = marked.filter(~first).join(originals, on=_KEY, how="left", maintain_order="left")
    rejected = rejects(
        duplicates,
        stage="dedupe",
        reason=RejectReason.DUPLICATE.value,
        detail=pl.format("duplicate of {}:{}", pl.col("_kept_file"), pl.col("_kept_row")),
    )
    return StageOutput(kept.drop(_KEY), rejected)
