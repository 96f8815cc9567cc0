"""Dedupe: one row per E.164 across all inputs; the first in input order wins."""

from __future__ import annotations

import numpy as np
import polars as pl

from listprep.errors import RejectReason
from listprep.reader import ROW_ID, SOURCE_FILE, SOURCE_ROW
from listprep.registers import e164_key
from listprep.rejects import Frame, StageOutput, lazy, rejects
from listprep.stages.normalise import E164

_KEY = "_dedupe_key"
_KEPT_FILE = "_kept_file"
_KEPT_ROW = "_kept_row"


class SeenNumbers:
    """The numbers kept by earlier batches, and where each was kept.

    Batches come in input order, so a number seen in an earlier batch makes every later row
    with it a duplicate. Sorted integer keys with parallel arrays: 20 bytes a number, a
    binary search per lookup, and a linear merge per batch.
    """

    def __init__(self) -> None:
        self._keys = np.empty(0, np.int64)
        self._rows = np.empty(0, np.int64)
        self._files = np.empty(0, np.int32)
        self._names: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def lookup(self, keys: pl.Series) -> pl.DataFrame:
        """``_kept_file`` and ``_kept_row`` of each key seen before (null when new)."""
        wanted = keys.to_numpy()
        if not len(self._keys):
            return pl.DataFrame(
                {_KEPT_FILE: [None] * len(wanted), _KEPT_ROW: [None] * len(wanted)},
                schema={_KEPT_FILE: pl.String, _KEPT_ROW: pl.Int64},
            )
        order = np.argsort(wanted)  # numpy's binary searches are fast over sorted queries
        at = np.empty(len(wanted), np.int64)
        at[order] = np.searchsorted(self._keys, wanted[order])
        at = np.minimum(at, len(self._keys) - 1)
        found = pl.Series(self._keys[at] == wanted)
        names = pl.Series(list(self._names), dtype=pl.String)
        return pl.DataFrame(
            {
                _KEPT_FILE: names.gather(pl.Series(self._files[at])),
                _KEPT_ROW: pl.Series(self._rows[at]),
            }
        ).select(pl.when(found).then(pl.all()))

    def add(self, kept: pl.DataFrame) -> None:
        """Remember the rows a batch kept (their numbers are new: none was seen before)."""
        if not kept.height:
            return
        files = kept.get_column(SOURCE_FILE)
        for name in files.unique(maintain_order=True).to_list():
            self._names.setdefault(name, len(self._names))
        new = kept.select(
            e164_key(pl.col(E164)).alias("key"),
            pl.col(SOURCE_ROW).cast(pl.Int64).alias("row"),
            pl.col(SOURCE_FILE).replace_strict(self._names, return_dtype=pl.Int32).alias("file"),
        ).sort("key")
        keys = new["key"].to_numpy()
        at = np.searchsorted(self._keys, keys)
        self._keys = np.insert(self._keys, at, keys)
        self._rows = np.insert(self._rows, at, new["row"].to_numpy())
        self._files = np.insert(self._files, at, new["file"].to_numpy())


def dedupe(frame: Frame, seen: SeenNumbers | None = None) -> StageOutput:
    """Keep the first row of each ``_e164``; name the kept row in each duplicate's reject.

    With ``seen`` (numbers kept by earlier batches), a row repeating one of them is a
    duplicate too; the caller adds this batch's kept rows to ``seen`` afterwards. Integer
    keys and one pass (``is_first_distinct`` in input order), then a join of the duplicates
    alone to the rows they repeat: cheaper than window functions over strings.
    """
    ordered = lazy(frame).sort(ROW_ID, maintain_order=True)  # a split cell's numbers share a row id
    marked = ordered.with_columns(e164_key(pl.col(E164)).alias(_KEY)).collect()
    if seen is not None and len(seen):
        marked = marked.hstack(seen.lookup(marked.get_column(_KEY)))
    else:
        marked = marked.with_columns(
            pl.lit(None, pl.String).alias(_KEPT_FILE), pl.lit(None, pl.Int64).alias(_KEPT_ROW)
        )
    first = pl.col(_KEY).is_first_distinct() & pl.col(_KEPT_ROW).is_null()
    kept = marked.lazy().filter(first)
    originals = kept.select(
        _KEY, pl.col(SOURCE_FILE).alias("_first_file"), pl.col(SOURCE_ROW).alias("_first_row")
    )
    duplicates = (
        marked.lazy().filter(~first).join(originals, on=_KEY, how="left", maintain_order="left")
    )
    rejected = rejects(
        duplicates,
        stage="dedupe",
        reason=RejectReason.DUPLICATE.value,
        detail=pl.format(
            "duplicate of {}:{}",
            pl.coalesce(_KEPT_FILE, "_first_file"),
            pl.coalesce(_KEPT_ROW, "_first_row"),
        ),
    )
    return StageOutput(kept.drop(_KEY, _KEPT_FILE, _KEPT_ROW), rejected)
