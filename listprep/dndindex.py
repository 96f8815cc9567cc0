"""A DND index: a national register normalised once, then looked up by binary search.

An index is a folder (format version 1)::

    keys.npy     int64, sorted ascending, unique: E.164 digits as an integer (registers.e164_key)
    allowed.npy  uint16, one per key: allowed-category mask (bit N = category N; 0 = fully blocked)
    meta.json    sources and their sha256, rows, entries, bad rows, snapshot date, versions

Both arrays are plain ``.npy`` files that numpy memory-maps, so opening an index costs nothing
and a scrub touches only the pages its contacts fall in. Building streams the register in
batches into one packed int64 array (``key << 9 | mask``): a single in-place sort then orders
keys and groups duplicates, with no Python object per number and no hash table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import mmap
import os
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from listprep.errors import InputError
from listprep.reader import sha256_file
from listprep.registers import (
    ALLOWED,
    CELL,
    DATE,
    KEY,
    PREF,
    RAW,
    Register,
    RegisterLayout,
    bad_rows_warning,
    cell_keys,
    check_register_file,
    fast_key,
    latest_date,
    load_register,
    no_numbers_error,
    parse_error,
    preference_masks,
    scan_register,
    sniff_layout,
)
from listprep.writer import output_error

FORMAT = "listprep-dnd-index"
FORMAT_VERSION = 1
META_FILE = "meta.json"
KEYS_FILE = "keys.npy"
ALLOWED_FILE = "allowed.npy"

Keys = npt.NDArray[np.int64]
Masks = npt.NDArray[np.uint16]
Progress = Callable[[str, int], None]
"""``progress(phase, count)``: ``"read"`` with rows so far, ``"sort"`` and ``"write"`` with keys."""

_SHIFT = 9  # masks use bits 0-8; keys (< 10**15 < 2**50) shifted by 9 still fit an int64
_MASK_BITS = (1 << _SHIFT) - 1
_LOW_WORD = 0 if sys.byteorder == "little" else 3
_CHUNK = 1 << 24  # elements per step of post-sort passes: bounds their temporaries (~128 MB)
_LOOKUP_CHUNK = 1024  # sorted query keys searched per slice of the index (see DndIndex._search)
_RELEASE_EVERY = 1 << 20  # keys passed before their pages are let go (8 MB: few madvise calls)
_BATCH_ROWS = 4_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceInfo:
    """One register file an index was built from."""

    path: str
    sha256: str
    size: int
    rows: int
    bad_rows: int
    snapshot_date: dt.date | None
    date_from: str | None
    """``"caller"`` (given at build), ``"column"`` (newest date in the file) or ``None``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexInfo:
    """An index's ``meta.json``: what was indexed, how, and what came of it."""

    format_version: int
    created: str
    region: str
    rows: int
    entries: int
    """Distinct keys. Well-formed but invalid numbers count too: they can match no contact."""
    bad_rows: int
    """Rows with no number that can be keyed (empty, junk, foreign …), by reason in bad_reasons."""
    bad_reasons: dict[str, int]
    odd_preferences: int
    """Rows whose preference cell was not just codes 0–8 and separators: read as fully blocked."""
    snapshot_date: dt.date | None
    """The oldest source's date: an index is only as fresh as its stalest register."""
    sha256: str
    """Digest of keys.npy then allowed.npy: the same data gives the same digest."""
    sources: tuple[SourceInfo, ...]
    listprep_version: str
    phonenumbers_version: str

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, **_jsonable(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndexInfo:
        sources = tuple(
            SourceInfo(**{**s, "snapshot_date": _date(s["snapshot_date"])}) for s in data["sources"]
        )
        fields = {k: v for k, v in data.items() if k != "format"}
        return cls(**{**fields, "snapshot_date": _date(data["snapshot_date"]), "sources": sources})


@dataclass(frozen=True, slots=True)
class _Mapped:
    """One memory-mapped ``.npy`` column whose pages can be handed back after use."""

    array: npt.NDArray[Any]
    buffer: mmap.mmap | None
    offset: int

    def release(self, start: int, stop: int) -> None:
        """Drop the process's mapping of elements [start, stop); the page cache keeps them."""
        if self.buffer is None:
            return
        size = self.array.itemsize
        first = (self.offset + start * size) // mmap.PAGESIZE * mmap.PAGESIZE
        last = (self.offset + stop * size) // mmap.PAGESIZE * mmap.PAGESIZE
        if last > first:
            self.buffer.madvise(mmap.MADV_DONTNEED, first, last - first)


@dataclass(frozen=True, slots=True)
class DndIndex:
    """An opened index: memory-mapped keys and masks, and the metadata they were built with."""

    path: Path
    info: IndexInfo
    _keys: _Mapped = field(repr=False)
    _allowed: _Mapped = field(repr=False)

    @property
    def keys(self) -> Keys:
        array: Keys = self._keys.array
        return array

    @property
    def allowed(self) -> Masks:
        array: Masks = self._allowed.array
        return array

    def lookup(self, keys: pl.Series | Keys) -> pl.Series:
        """Each key's allowed-category mask (UInt16), null where the number is not listed.

        The query keys are searched in sorted order, so successive binary searches share
        pages; pages are let go as the search moves past them, which keeps the memory of a
        scrub small however large the index is.
        """
        query = _int64(keys)
        order = np.argsort(query)
        masks, found = self._search(query[order])
        result = np.empty_like(masks)
        result[order] = masks
        listed = np.empty_like(found)
        listed[order] = found
        frame = pl.DataFrame({ALLOWED: result, "listed": listed})
        return frame.select(pl.when("listed").then(pl.col(ALLOWED))).to_series()

    def describe(self) -> dict[str, object]:
        """What the manifest records of an index it scrubbed against."""
        return {
            "path": str(self.path),
            "kind": "index",
            "sha256": self.info.sha256,
            "rows": self.info.rows,
            "entries": self.info.entries,
            "bad_rows": self.info.bad_rows,
            "snapshot_date": _iso(self.info.snapshot_date),
            "sources": [{"path": s.path, "sha256": s.sha256} for s in self.info.sources],
        }

    def _search(self, ordered: Keys) -> tuple[Masks, npt.NDArray[np.bool_]]:
        """Search sorted queries chunk by chunk, each within the slice of keys it spans.

        A plain searchsorted over the whole array probes pages all over it (numpy bisects
        from the previous hit to the end for each query), so a million queries would map
        most of the index. Here each chunk's slice is found by galloping forward from the
        last one, its binary searches stay inside it, and the pages behind it are let go:
        a scrub maps only a few slices at a time, however large the index.
        """
        keys, allowed = self.keys, self.allowed
        masks = np.zeros(len(ordered), np.uint16)
        found = np.zeros(len(ordered), np.bool_)
        low = done = 0
        for start in range(0, len(ordered), _LOOKUP_CHUNK):
            part = ordered[start : start + _LOOKUP_CHUNK]
            low = _gallop(keys, low, int(part[0]), "left")
            high = _gallop(keys, low, int(part[-1]), "right")
            where = np.searchsorted(keys[low:high], part)
            hit = where < high - low
            hit[hit] = keys[low:high][where[hit]] == part[hit]
            found[start : start + len(part)] = hit
            masks[start : start + len(part)][hit] = allowed[low:high][where[hit]]
            if low - done >= _RELEASE_EVERY:
                self._release(done, low)
                done = low
        self._release(done, self.info.entries)
        return masks, found

    def _release(self, start: int, stop: int) -> None:
        self._keys.release(start, stop)
        self._allowed.release(start, stop)


def _gallop(keys: Keys, start: int, value: int, side: Literal["left", "right"]) -> int:
    """``searchsorted(keys, value, side)``, knowing the answer is at or after ``start``.

    Probes start+1, +2, +4 … before bisecting, so it touches only pages between ``start``
    and the answer (a bisection of the whole array would touch its middle, quarters …).
    """
    low, high, step = start, start, 1
    while high < len(keys) and (keys[high] < value or (side == "right" and keys[high] == value)):
        low, high, step = high + 1, start + step, step * 2
    high = min(high, len(keys))
    return low + int(np.searchsorted(keys[low:high], value, side=side))


@dataclass(slots=True)
class _Tally:
    """What reading one register found, besides its keys."""

    rows: int = 0
    keys: int = 0
    """Rows keyed: none at all means the register could not be read (see _read_source)."""
    bad: Counter[str] = field(default_factory=Counter)
    odd_preferences: int = 0
    latest: dt.date | None = None


class _Packed:
    """A growing int64 buffer of ``key << 9 | mask``.

    It grows with ``ndarray.resize`` (realloc: large blocks are remapped, not copied), so
    the peak is the final array, not twice it; pages not yet written are not resident.
    """

    def __init__(self) -> None:
        self._data: Keys = np.empty(1 << 20, np.int64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, keys: Keys, masks: Masks) -> None:
        end = self._size + len(keys)
        if end > len(self._data):
            self._data.resize(max(end, len(self._data) * 3 // 2), refcheck=False)
        out = self._data[self._size : end]
        np.left_shift(keys, _SHIFT, out=out)
        out |= masks
        self._size = end

    def take(self) -> Keys:
        self._data.resize(self._size, refcheck=False)
        data, self._data, self._size = self._data, np.empty(0, np.int64), 0
        return data


def build_index(
    registers: Sequence[Path],
    out: Path,
    *,
    region: str = "IN",
    snapshot_date: dt.date | None = None,
    progress: Progress | None = None,
    batch_rows: int = _BATCH_ROWS,
) -> IndexInfo:
    """Normalise registers once into an index folder at ``out`` (replacing an older index).

    ``snapshot_date`` dates every register; without it a register's newest date column value
    counts. The index is written beside ``out`` and renamed into place, so a failed build
    leaves any previous index untouched.
    """
    if not registers:
        raise InputError("give at least one register to index")
    for path in registers:
        check_register_file(path)
    _check_target(out)
    staging = out.with_name(f".{out.name}.{os.getpid()}.building")
    try:  # before the long read: a folder that cannot be made is said at once
        staging.mkdir(parents=True)
    except OSError as exc:
        raise output_error("cannot create the index folder", exc, out) from None
    try:
        info = _build(registers, staging, out, region, snapshot_date, progress, batch_rows)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return info


def _build(
    registers: Sequence[Path],
    staging: Path,
    out: Path,
    region: str,
    snapshot_date: dt.date | None,
    progress: Progress | None,
    batch_rows: int,
) -> IndexInfo:
    report = progress or (lambda phase, count: None)
    packed = _Packed()
    tallies: list[_Tally] = []
    with ThreadPoolExecutor(max_workers=1) as pool:  # hashing overlaps reading
        digests = [pool.submit(sha256_file, path) for path in registers]
        for path in registers:
            before = sum(t.rows for t in tallies)
            tallies.append(_read_source(path, region, packed, report, batch_rows, before))
        sources = tuple(
            _source_info(path, digest.result(), tally, snapshot_date)
            for path, digest, tally in zip(registers, digests, tallies, strict=True)
        )
    report("sort", len(packed))
    keys, allowed = _finish(packed.take())
    report("write", len(keys))
    try:
        np.save(staging / KEYS_FILE, keys)
        np.save(staging / ALLOWED_FILE, allowed)
        info = _index_info(staging, region, len(keys), sources, tallies)
        (staging / META_FILE).write_text(json.dumps(info.to_json(), indent=2) + "\n", "utf-8")
        _install(staging, out)
    except OSError as exc:
        raise output_error("cannot write the index", exc, out) from None
    return info


def open_index(path: Path, *, verify: bool = False) -> DndIndex:
    """Memory-map an index; ``verify`` re-hashes its arrays against the recorded digest."""
    info = _read_meta(path)
    keys = _map(path / KEYS_FILE, np.dtype(np.int64), info.entries)
    allowed = _map(path / ALLOWED_FILE, np.dtype(np.uint16), info.entries)
    if verify and _digest(path) != info.sha256:
        raise InputError(
            "the index's arrays do not match its recorded digest",
            file=str(path),
            hint="rebuild it with `listprep dnd build`",
        )
    return DndIndex(path, info, keys, allowed)


def is_index(path: Path) -> bool:
    return path.is_dir() and (path / META_FILE).is_file()


def load_dnd(
    path: Path, region: str, *, snapshot_date: dt.date | None = None
) -> Register | DndIndex:
    """A DND source by path: an index folder is opened as built (never rebuilt, however old
    its sources); a file is read as a raw register. ``snapshot_date`` dates a raw register only:
    an index's date was fixed when it was built.
    """
    if path.is_dir():
        return open_index(path)
    return load_register(path, region, snapshot_date=snapshot_date)


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterReport:
    """What the manifest says of one DND source: which data, how much, and how old."""

    path: str
    kind: str
    """``"register"`` (a raw file) or ``"index"``."""
    sha256: str
    entries: int
    rows: int
    bad_rows: int
    """Rows without a usable number: counted and reported, never silently dropped."""
    snapshot_date: dt.date | None
    age_days: int | None
    sources: tuple[tuple[str, str], ...] = ()
    """An index's registers as (path, sha256)."""
    bad_reasons: Mapping[str, int] = field(default_factory=dict)
    """Bad rows by reason, for the warning (the manifest keeps the count)."""

    def describe(self) -> dict[str, object]:
        described: dict[str, object] = {
            "path": self.path,
            "kind": self.kind,
            "sha256": self.sha256,
            "entries": self.entries,
            "rows": self.rows,
            "bad_rows": self.bad_rows,
            "snapshot_date": _iso(self.snapshot_date),
            "age_days": self.age_days,
        }
        if self.sources:
            described["sources"] = [{"path": p, "sha256": s} for p, s in self.sources]
        return described


def report_register(source: Register | DndIndex, *, today: dt.date | None = None) -> RegisterReport:
    """A source's manifest entry, with its age in days on ``today`` (default: today)."""
    day = today or dt.date.today()
    if isinstance(source, DndIndex):
        info = source.info
        return RegisterReport(
            path=str(source.path),
            kind="index",
            sha256=info.sha256,
            entries=info.entries,
            rows=info.rows,
            bad_rows=info.bad_rows,
            snapshot_date=info.snapshot_date,
            age_days=_age(info.snapshot_date, day),
            sources=tuple((s.path, s.sha256) for s in info.sources),
            bad_reasons=info.bad_reasons,
        )
    return RegisterReport(
        path=source.path,
        kind="register",
        sha256=source.sha256,
        entries=source.entries,
        rows=source.rows,
        bad_rows=source.bad_rows,
        snapshot_date=source.snapshot_date,
        age_days=_age(source.snapshot_date, day),
        bad_reasons=source.bad_reasons,
    )


def check_register_age(
    reports: Sequence[RegisterReport],
    *,
    max_age_days: int | None = None,
    allow_stale: bool = False,
) -> list[str]:
    """Warnings about the registers' dates and unusable rows, for the manifest; nothing is
    printed.

    With ``max_age_days``, a register older than that raises :class:`InputError` unless
    ``allow_stale`` (then it is a warning). A register of unknown date is a warning: its age
    cannot be shown, and the manifest says so. So are rows without a usable number: a
    number the register meant to block there is not blocked.
    """
    if max_age_days is not None and not allow_stale:
        for r in reports:
            if r.age_days is not None and r.age_days > max_age_days:
                raise InputError(  # the error names the file: the message must not repeat it
                    f"the DND register is stale: {r.age_days} days old "
                    f"(more than the {max_age_days} allowed)",
                    file=r.path,
                    hint="scrub against a fresh register, or allow it with --allow-stale-register",
                )
    what = {"index": "DND index", "register": "DND register"}
    warnings = [
        w
        for r in reports
        for w in (
            _age_warning(r, max_age_days),
            bad_rows_warning(r.path, what.get(r.kind, r.kind), r.rows, r.bad_rows, r.bad_reasons),
        )
    ]
    return [w for w in warnings if w]


def _age_warning(report: RegisterReport, max_age_days: int | None) -> str | None:
    age = report.age_days
    if age is None:
        return (
            f"{report.path}: the DND register has no snapshot date, so its age is unknown "
            "(give its date when building the index or loading the register)"
        )
    if age < 0:
        return f"{report.path}: the DND register's snapshot date is in the future"
    if max_age_days is not None and age > max_age_days:
        return (
            f"{report.path}: the DND register is {age} days old "
            f"(more than the {max_age_days} allowed)"
        )
    return None


def _read_source(
    path: Path, region: str, packed: _Packed, progress: Progress, rows: int, rows_before: int
) -> _Tally:
    """Stream one register into ``packed``: fast keys first, the residue classified exactly."""
    layout = sniff_layout(path)
    tally = _Tally()
    try:
        for batch in _batches(path, layout, region, rows):
            _key_batch(batch, region, packed, tally, dated=layout.date is not None)
            progress("read", rows_before + tally.rows)
    except pl.exceptions.PolarsError as exc:
        raise parse_error(exc, path, layout) from None
    if tally.keys == 0:  # unreadable, not empty: indexed as it is, it would block nothing
        raise no_numbers_error(str(path), layout.what, tally.rows, tally.bad)
    return tally


def _batches(path: Path, layout: RegisterLayout, region: str, rows: int) -> Iterator[pl.DataFrame]:
    plan = (
        scan_register(path, layout)
        .with_columns(fast_key(pl.col(RAW), region, strip=False).alias(KEY))
        .select(
            KEY,
            pl.when(pl.col(KEY).is_null()).then(pl.col(RAW).fill_null("")).alias(RAW),
            pl.col(PREF).cast(pl.Categorical),  # see preference_masks
            DATE,
        )
    )
    return iter(plan.collect_batches(chunk_size=rows))


def _key_batch(
    batch: pl.DataFrame, region: str, packed: _Packed, tally: _Tally, *, dated: bool
) -> None:
    masks, odd = preference_masks(batch[PREF])
    keys = batch[KEY]
    good = keys.is_not_null()
    packed.append(keys.filter(good).to_numpy(), masks.filter(good).to_numpy())
    tally.keys += int(good.sum())
    if not good.all():
        _key_leftovers(batch[RAW], (~good).arg_true(), masks, region, packed, tally)
    tally.rows += batch.height
    tally.odd_preferences += odd
    latest = latest_date(batch[DATE]) if dated else None
    if latest is not None and (tally.latest is None or latest > tally.latest):
        tally.latest = latest


def _key_leftovers(
    raw: pl.Series,
    missing: pl.Series,
    masks: pl.Series,
    region: str,
    packed: _Packed,
    tally: _Tally,
) -> None:
    """Key the rows the plain-digits pass left: first with spaces and dashes stripped, then
    every number each cell names (:func:`cell_keys`, for the residue: few rows). Rows still
    without a key are bad rows."""
    stripped = raw.gather(missing).to_frame(RAW).select(fast_key(pl.col(RAW), region)).to_series()
    fast = stripped.is_not_null()
    packed.append(stripped.filter(fast).to_numpy(), masks.gather(missing.filter(fast)).to_numpy())
    tally.keys += int(fast.sum())
    residue = missing.filter(~fast)
    if residue.len():
        pairs, reasons = cell_keys(raw.gather(residue), region)
        rows = residue.gather(pairs[CELL])
        packed.append(pairs[KEY].to_numpy(), masks.gather(rows).to_numpy())
        tally.keys += rows.n_unique()
        tally.bad.update(reasons)


def _finish(packed: Keys) -> tuple[Keys, Masks]:
    """Sort, split into keys and masks, and AND the masks of a number's duplicate rows."""
    packed.sort()
    allowed = np.empty(len(packed), np.uint16)
    # the low 16 bits of each int64, read in place: no temporary the size of the register
    np.bitwise_and(packed.view(np.uint16)[_LOW_WORD::4], _MASK_BITS, out=allowed)
    np.right_shift(packed, _SHIFT, out=packed)
    size = _combine_duplicates(packed, allowed)
    return packed[:size], allowed[:size]


def _combine_duplicates(keys: Keys, allowed: Masks) -> int:
    """Compact sorted ``keys`` in place to distinct values, ANDing their masks; the new length.

    Works window by window (each ending on a change of key) to keep temporaries small;
    writing never overtakes reading, so the compaction can share the arrays.
    """
    size, start, total = 0, 0, len(keys)
    while start < total:
        stop = min(start + _CHUNK, total)
        while stop < total and keys[stop] == keys[stop - 1]:
            stop += 1
        window, masks = keys[start:stop], allowed[start:stop].copy()
        repeats = window[1:] == window[:-1]  # repeats[i]: entry i + 1 repeats entry i
        _and_into_first(masks, np.flatnonzero(repeats))
        keep = np.concatenate(([True], ~repeats))
        distinct = window[keep]
        keys[size : size + len(distinct)] = distinct
        allowed[size : size + len(distinct)] = masks[keep]
        size += len(distinct)
        start = stop
    return size


def _and_into_first(masks: Masks, repeated: npt.NDArray[np.intp]) -> None:
    """AND each run of a number's masks into its first.

    ``masks[i] &= masks[i + 1]`` for every ``i`` in ``repeated`` at once: after k rounds
    ``masks[i]`` is the AND of entries i..i+k of its run, and a round that changes nothing
    means every run has folded (pairs, by far the most common, take one round and a check).
    """
    while len(repeated):
        folded = masks[repeated] & masks[repeated + 1]
        if np.array_equal(folded, masks[repeated]):
            return
        masks[repeated] = folded


def _source_info(
    path: Path, digest: str, tally: _Tally, snapshot_date: dt.date | None
) -> SourceInfo:
    date_from = "caller" if snapshot_date else "column" if tally.latest else None
    return SourceInfo(
        path=str(path),
        sha256=digest,
        size=path.stat().st_size,
        rows=tally.rows,
        bad_rows=sum(tally.bad.values()),
        snapshot_date=snapshot_date or tally.latest,
        date_from=date_from,
    )


def _index_info(
    folder: Path,
    region: str,
    entries: int,
    sources: tuple[SourceInfo, ...],
    tallies: Sequence[_Tally],
) -> IndexInfo:
    dates = [s.snapshot_date for s in sources]
    bad: Counter[str] = sum((t.bad for t in tallies), Counter())
    return IndexInfo(
        format_version=FORMAT_VERSION,
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        region=region.upper(),
        rows=sum(s.rows for s in sources),
        entries=entries,
        bad_rows=sum(bad.values()),
        bad_reasons=dict(sorted(bad.items())),
        odd_preferences=sum(t.odd_preferences for t in tallies),
        snapshot_date=None if None in dates else min(d for d in dates if d is not None),
        sha256=_digest(folder),
        sources=sources,
        listprep_version=version("listprep"),
        phonenumbers_version=version("phonenumbers"),
    )


def _check_target(out: Path) -> None:
    if out.exists() and not is_index(out):
        raise InputError(
            "the output exists and is not a DND index; not replacing it",
            file=str(out),
            hint="give a new folder (or an existing index, which is replaced)",
        )


def _install(staging: Path, out: Path) -> None:
    """Rename the new index into place; an older index there is removed only afterwards."""
    old = out.with_name(f".{out.name}.{os.getpid()}.old")
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def _read_meta(path: Path) -> IndexInfo:
    name = str(path)
    hint = "build an index with `listprep dnd build REGISTER... -o INDEX`"
    if not is_index(path):
        raise InputError("not a DND index (no meta.json)", file=name, hint=hint)
    try:
        data = json.loads((path / META_FILE).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the index metadata: {exc}", file=name, hint=hint) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError("not a listprep DND index", file=name, hint=hint)
    if data.get("format_version") != FORMAT_VERSION:
        raise InputError(
            f"index format {data.get('format_version')} is not {FORMAT_VERSION}, which this "
            "listprep reads",
            file=name,
            hint="rebuild the index from its registers with this listprep",
        )
    try:
        return IndexInfo.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"the index metadata is damaged: {exc!r}", file=name, hint=hint) from None


def _map(path: Path, dtype: np.dtype[Any], entries: int) -> _Mapped:
    """Map a 1-d ``.npy`` file read-only, checking it holds what meta.json says."""
    name = str(path)
    try:
        with path.open("rb") as fh:
            major, _ = np.lib.format.read_magic(fh)
            read = np.lib.format.read_array_header_1_0 if major == 1 else None
            read = read or np.lib.format.read_array_header_2_0
            shape, fortran, found = read(fh)
            offset = fh.tell()
            if shape != (entries,) or found != dtype:
                raise InputError(
                    f"holds {found} {shape}, not {dtype} ({entries},)",
                    file=name,
                    hint="the index is damaged; rebuild it",
                )
            buffer = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if entries else None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot map the index: {exc}", file=name) from None
    if buffer is None:  # mmap cannot map an empty range
        return _Mapped(np.empty(0, dtype), None, 0)
    array = np.frombuffer(buffer, dtype=dtype, count=entries, offset=offset)
    return _Mapped(array, buffer, offset)


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in (KEYS_FILE, ALLOWED_FILE):
        with (folder / name).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                digest.update(block)
    return digest.hexdigest()


def _int64(keys: pl.Series | Keys) -> Keys:
    """Query keys as int64; nulls become -1, which no number has."""
    if isinstance(keys, pl.Series):
        array: Keys = keys.cast(pl.Int64).fill_null(-1).to_numpy()
        return array
    return np.asarray(keys, dtype=np.int64)


def _age(snapshot: dt.date | None, today: dt.date) -> int | None:
    return None if snapshot is None else (today - snapshot).days


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {k: _jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
