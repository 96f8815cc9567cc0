"""Scrub: drop suppressed numbers always, DND-registered ones unless the purpose is transactional.

Suppression wins over DND when a number is in both: it is the customer's own explicit
instruction, and naming the list is the more useful reason.

A DND source is a lookup frame (a raw register, joined) or a :class:`DndIndex` (a national
register, binary-searched inside the query plan); several sources combine like duplicate
entries: a number's masks are ANDed, so the most restrictive registration wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from typing import Protocol, runtime_checkable

import polars as pl

from listprep.config import Purpose, ScrubConfig
from listprep.errors import RejectReason
from listprep.registers import ALLOWED, KEY, LIST_NAME, Register, e164_key, load_register
from listprep.rejects import Frame, StageOutput, lazy, rejects
from listprep.stages.normalise import E164


@runtime_checkable
class KeyLookup(Protocol):
    """A prebuilt index (:class:`listprep.dndindex.DndIndex`): masks for integer keys, null when
    unlisted. A protocol, so this stage need not import the index module (which imports it)."""

    def lookup(self, keys: pl.Series) -> pl.Series: ...


DndLookup = pl.DataFrame | Register | KeyLookup
"""A lookup frame (``_key``, ``_allowed``), a loaded raw register, or an opened index."""


def combine_registers(registers: Sequence[Register]) -> pl.DataFrame | None:
    """One DND lookup from several registers: the most restrictive entry per number wins."""
    if not registers:
        return None
    return _combine_frames([r.frame for r in registers])


def combine_suppressions(lists: Sequence[Register]) -> pl.DataFrame | None:
    """One suppression lookup; a number on several lists is reported against the first."""
    if not lists:
        return None
    return pl.concat([s.frame for s in lists]).unique(KEY, keep="first", maintain_order=True)


def scrub(
    frame: Frame,
    config: ScrubConfig = ScrubConfig(),
    *,
    dnd: DndLookup | Sequence[DndLookup] | None = None,
    suppress: pl.DataFrame | None = None,
) -> StageOutput:
    """Reject ``suppressed``, ``dnd-full``, ``dnd-category`` and ``dnd`` rows.

    ``dnd`` is a lookup from :func:`combine_registers`, a :class:`DndIndex`, or a list of
    lookups, registers and indexes; ``suppress`` is a lookup from :func:`combine_suppressions`.
    Without them, the files named in ``config`` are read (``prepare`` reads them once for
    all batches, and also refuses a stale register).
    """
    if dnd is None and config.dnd:
        from listprep.dndindex import load_dnd  # it imports this module

        dnd = [load_dnd(p, config.region, snapshot_date=config.register_date) for p in config.dnd]
    if suppress is None and config.suppress:
        suppress = combine_suppressions(
            [load_register(p, config.region, suppression=True) for p in config.suppress]
        )
    keyed = lazy(frame).with_columns(e164_key(pl.col(E164)).alias(KEY))
    listed = pl.lit(None, pl.String)
    allowed = pl.lit(None, pl.UInt16)
    if suppress is not None:
        keyed = keyed.join(suppress.lazy(), on=KEY, how="left", maintain_order="left")
        listed = pl.col(LIST_NAME)
    lookups = _lookups(dnd)
    if lookups and config.purpose is not Purpose.TRANSACTIONAL:
        keyed = _with_allowed(keyed, lookups)
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


def _lookups(dnd: DndLookup | Sequence[DndLookup] | None) -> list[DndLookup]:
    if dnd is None:
        return []
    if isinstance(dnd, pl.DataFrame | Register | KeyLookup):
        return [dnd]
    return list(dnd)


def _with_allowed(keyed: pl.LazyFrame, lookups: Sequence[DndLookup]) -> pl.LazyFrame:
    """Add ``_allowed``: each number's combined mask over all sources, null if in none."""
    frames = [_frame(s) for s in lookups if not isinstance(s, KeyLookup)]
    # not elementwise: one call over the whole column, not one per morsel (whose sorted
    # searches would each sweep the whole index, from several threads at once)
    masks = [
        pl.col(KEY).map_batches(s.lookup, return_dtype=pl.UInt16)
        for s in lookups
        if isinstance(s, KeyLookup)
    ]
    if frames:
        table = frames[0] if len(frames) == 1 else _combine_frames(frames)
        keyed = keyed.join(table.lazy(), on=KEY, how="left", maintain_order="left")
        masks.insert(0, pl.col(ALLOWED))
    return keyed.with_columns(reduce(_and_listed, masks).alias(ALLOWED))


def _frame(source: pl.DataFrame | Register) -> pl.DataFrame:
    return source.frame if isinstance(source, Register) else source


def _combine_frames(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(frames).group_by(KEY).agg(pl.col(ALLOWED).bitwise_and())


def _and_listed(left: pl.Expr, right: pl.Expr) -> pl.Expr:
    """Bitwise AND of two masks where both list the number; whichever lists it otherwise."""
    return (
        pl.when(left.is_null()).then(right).when(right.is_null()).then(left).otherwise(left & right)
    )
