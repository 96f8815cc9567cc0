"""Scrub: drop suppressed numbers always, DND-registered ones unless the purpose is transactional.

Suppression wins over DND when a number is in both: it is the customer's own explicit
instruction, and naming the list is the more useful reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from listprep.config import Purpose, ScrubConfig
from listprep.errors import RejectReason
from listprep.registers import ALLOWED, KEY, LIST_NAME, Register, e164_key
from listprep.rejects import StageOutput, rejects
from listprep.stages.normalise import E164


def combine_registers(registers: Sequence[Register]) -> pl.DataFrame | None:
    """One DND lookup from several registers: the most restrictive entry per number wins."""
    if not registers:
        return None
    stacked = pl.concat([r.frame for r in registers])
    return stacked.group_by(KEY).agg(pl.col(ALLOWED).bitwise_and())


def combine_suppressions(lists: Sequence[Register]) -> pl.DataFrame | None:
    """One suppression lookup; a number on several lists is reported against the first."""
    if not lists:
        return None
    return pl.concat([s.frame for s in lists]).unique(KEY, keep="first", maintain_order=True)


def scrub(
    frame: pl.LazyFrame,
    config: ScrubConfig = ScrubConfig(),
    *,
    dnd: pl.DataFrame | None = None,
    suppress: pl.DataFrame | None = None,
) -> StageOutput:
    """Reject ``suppressed``, ``dnd-full``, ``dnd-category`` and ``dnd`` rows.

    ``dnd`` and ``suppress`` are lookups from :func:`combine_registers` and
    :func:`combine_suppressions`.
    """
    keyed = frame.with_columns(e164_key(pl.col(E164)).alias(KEY))
    listed = pl.lit(None, pl.String)
    allowed = pl.lit(None, pl.UInt16)
    if suppress is not None:
        keyed = keyed.join(suppress.lazy(), on=KEY, how="left", maintain_order="left")
        listed = pl.col(LIST_NAME)
    if dnd is not None and config.purpose is not Purpose.TRANSACTIONAL:
        keyed = keyed.join(dnd.lazy(), on=KEY, how="left", maintain_order="left")
        allowed = pl.col(ALLOWED)
    if config.category is None:
        partial_blocks: pl.Expr = pl.lit(True)
        partial_reason = RejectReason.DND
    else:
        partial_blocks = (allowed.cast(pl.Int64) // 2**config.category) % 2 == 0
        partial_reason = RejectReason.DND_CATEGORY
    reason = (
        pl.when(listed.is_not_null())
        .then(pl.lit(RejectReason.SUPPRESSED.value))
        .when(allowed == 0)
        .then(pl.lit(RejectReason.DND_FULL.value))
        .when(allowed.is_not_null() & partial_blocks)
        .then(pl.lit(partial_reason.value))
    )
    marked = keyed.with_columns(reason.alias("_reason"), listed.alias("_listed"))
    detail = (
        pl.when(pl.col("_reason") == RejectReason.SUPPRESSED.value)
        .then(pl.format("on suppression list {}", pl.col("_listed")))
        .when(pl.col("_reason") == RejectReason.DND_FULL.value)
        .then(pl.lit("fully blocked in the DND register"))
        .when(pl.col("_reason") == RejectReason.DND_CATEGORY.value)
        .then(pl.lit(f"DND registration does not allow category {config.category}"))
        .otherwise(pl.lit("in the DND register (give --category to allow partial registrations)"))
    )
    internal = [KEY, LIST_NAME, ALLOWED, "_reason", "_listed"]
    failed = pl.col("_reason").is_not_null()
    kept = marked.filter(~failed).drop(internal, strict=False)
    rejected = rejects(
        marked.filter(failed), stage="scrub", reason=pl.col("_reason"), detail=detail
    )
    return StageOutput(kept, rejected)
