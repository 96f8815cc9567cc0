"""The one rejects frame every stage writes into, with fixed columns."""

from __future__ import annotations

from typing import IO, NamedTuple

import polars as pl

from listprep.privacy import escape_formula, mask_digit_runs, mask_expr
from listprep.reader import PHONE_RAW, ROW_ID, SOURCE_FILE, SOURCE_ROW

REJECT_COLUMNS = ("source_file", "source_row", "stage", "reason", "detail", "raw_value")
REJECT_SCHEMA = pl.Schema(
    {
        "source_file": pl.String,
        "source_row": pl.Int64,
        "stage": pl.String,
        "reason": pl.String,
        "detail": pl.String,
        "raw_value": pl.String,
        ROW_ID: pl.Int64,
    }
)


Frame = pl.DataFrame | pl.LazyFrame
"""What a stage takes: a DataFrame or a LazyFrame (it returns LazyFrames either way)."""


def lazy(frame: Frame) -> pl.LazyFrame:
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


class StageOutput(NamedTuple):
    """What every stage returns: the rows it keeps and the rows it rejects (with reasons)."""

    kept: pl.LazyFrame
    rejected: pl.LazyFrame


def rejects(
    frame: pl.LazyFrame, *, stage: str, reason: pl.Expr | str, detail: pl.Expr | str = ""
) -> pl.LazyFrame:
    """Turn rejected rows into rejects rows; ``_row_id`` stays so the file keeps input order."""
    return frame.select(
        pl.col(SOURCE_FILE).alias("source_file"),
        pl.col(SOURCE_ROW).alias("source_row"),
        pl.lit(stage).alias("stage"),
        _expr(reason).cast(pl.String).alias("reason"),
        _expr(detail).cast(pl.String).alias("detail"),
        pl.col(PHONE_RAW).alias("raw_value"),
        pl.col(ROW_ID),
    )


def _expr(value: pl.Expr | str) -> pl.Expr:
    return pl.lit(value) if isinstance(value, str) else value


def no_rejects() -> pl.LazyFrame:
    return pl.LazyFrame(schema=REJECT_SCHEMA)


def write_rejects(
    frame: pl.DataFrame, handle: IO[bytes], *, redact: bool = False, header: bool = True
) -> None:
    """rejects.csv's rows, written to ``handle``: formulas neutralised in every cell that can
    hold the input's text (it is opened in spreadsheets); ``header=False`` for the batches after
    the first.

    ``stage`` and ``reason`` are listprep's own words, so they are written as they are.
    """
    raw = mask_expr(pl.col("raw_value")) if redact else pl.col("raw_value")
    detail = pl.col("detail").map_batches(_mask_details, pl.String) if redact else pl.col("detail")
    safe = frame.select(
        escape_formula(pl.col("source_file")).alias("source_file"),
        "source_row",
        "stage",
        "reason",
        escape_formula(detail).alias("detail"),
        escape_formula(raw).alias("raw_value"),
    )
    safe.write_csv(handle, include_header=header)


def _mask_details(details: pl.Series) -> pl.Series:
    """Details quote cells (a rule's ``value '+91 98765 43219'``): with ``redact``, their
    digit runs are masked as messages' are. Details repeat, so each distinct one is masked once."""
    texts = details.drop_nulls().unique().to_list()
    return details.replace({t: mask_digit_runs(t) for t in texts if any(c.isdigit() for c in t)})
