"""Where a run's rows and files go: memory (``prepare``) or a staging folder (``prepare_to``).

Both receive each batch's kept rows, rendered list rows and rejects as they are made, hand
back slices of the list rows once the split is known, and take the finished files; rejects.csv
is written batch by batch in either case, so the two give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol, cast

import polars as pl

from listprep.rejects import REJECT_SCHEMA, write_rejects
from listprep.writer import Staging


class Outputs(Protocol):
    keeps_frames: bool
    """Whether the kept rows are kept whole (``Result.lists`` has every input column)."""

    def add(self, kept: pl.DataFrame, listed: pl.DataFrame, rejected: pl.DataFrame) -> None:
        """Take one batch: kept rows (all columns), their list-file rows, and its rejects."""

    def listed(self, start: int, rows: int) -> pl.DataFrame:
        """List-file rows ``start`` to ``start + rows`` of the whole run."""

    def put(self, relative: str, data: bytes) -> None:
        """Take a finished file (a request body, the manifest, the report)."""

    def put_csv(self, relative: str, frame: pl.DataFrame) -> tuple[int, str]:
        """Write ``frame`` as a CSV file (a list); its bytes and sha256."""

    def rejects_entry(self) -> dict[str, Any]:
        """Finish rejects.csv and describe it for the manifest."""


class InMemory:
    """Everything kept in memory: the frames become :class:`Result`'s, the files its files."""

    keeps_frames = True

    def __init__(self, *, redact: bool) -> None:
        self.kept: list[pl.DataFrame] = []
        self.listed_parts: list[pl.DataFrame] = []
        self.rejected: list[pl.DataFrame] = []
        self.files: dict[str, bytes] = {}
        self._listed: pl.DataFrame | None = None
        self._lock = threading.Lock()
        self._rejects = RejectsFile(io.BytesIO(), redact=redact)

    def add(self, kept: pl.DataFrame, listed: pl.DataFrame, rejected: pl.DataFrame) -> None:
        self.kept.append(kept)
        self.listed_parts.append(listed)
        self.rejected.append(rejected)
        self._rejects.add(rejected)

    def listed(self, start: int, rows: int) -> pl.DataFrame:
        with self._lock:  # lists are written a few at a time: concatenate once
            if self._listed is None:
                self._listed = pl.concat(self.listed_parts, rechunk=True)
        return self._listed.slice(start, rows)

    def put(self, relative: str, data: bytes) -> None:
        self.files[relative] = data

    def put_csv(self, relative: str, frame: pl.DataFrame) -> tuple[int, str]:
        buffer = io.BytesIO()
        written = write_csv(frame, buffer)
        self.files[relative] = buffer.getvalue()
        return written

    def rejects_entry(self) -> dict[str, Any]:
        entry = self._rejects.entry()
        self.files["rejects.csv"] = cast(io.BytesIO, self._rejects.handle).getvalue()
        return entry


class OnDisk:
    """Files straight into the staging folder; list rows spilled (Arrow IPC) until split.

    A batch's spill and rejects are written by a thread of their own while the next batch is
    checked, one batch at a time (a failed write stops the run at the next batch). After the
    last batch this overlaps the split: 0.06-0.08 s of a 1M-row run's last, single-threaded
    step. Use it as a context manager: it waits for the writes however the run ends.
    """

    keeps_frames = False

    def __init__(self, staging: Staging, *, redact: bool) -> None:
        self.staging = staging
        self._spilled: list[Path] = []
        with staging.writing():
            handle = staging.file("rejects.csv").open("wb")
        self._rejects = RejectsFile(handle, redact=redact)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="listprep-write")
        self._writing: Future[None] | None = None

    def __enter__(self) -> OnDisk:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is None:
                self._wait()
        finally:  # after an error, the writes finish (or fail) before the folder goes
            self._writer.shutdown(wait=True)
            self._rejects.handle.close()
            for part in self._spilled:
                part.unlink(missing_ok=True)

    def add(self, kept: pl.DataFrame, listed: pl.DataFrame, rejected: pl.DataFrame) -> None:
        self._wait()  # the previous batch's (and its error, if it failed)
        part = self.staging.file(f".listed-{len(self._spilled):05d}.arrow")
        self._spilled.append(part)
        self._writing = self._writer.submit(self._write, part, listed, rejected)

    def _write(self, part: Path, listed: pl.DataFrame, rejected: pl.DataFrame) -> None:
        with self.staging.writing():
            listed.write_ipc(part)
            self._rejects.add(rejected)

    def _wait(self) -> None:
        """Until the last batch handed over is written (its error, if it failed): every
        caller waits, so the lists written a few at a time all read a whole spill."""
        if self._writing is not None:
            self._writing.result()

    def listed(self, start: int, rows: int) -> pl.DataFrame:
        self._wait()
        return pl.scan_ipc(self._spilled).slice(start, rows).collect()

    def put(self, relative: str, data: bytes) -> None:
        self.staging.write(relative, data)

    def put_csv(self, relative: str, frame: pl.DataFrame) -> tuple[int, str]:
        path = self.staging.file(relative)
        with self.staging.writing(), path.open("wb") as handle:
            return write_csv(frame, handle)

    def rejects_entry(self) -> dict[str, Any]:
        self._wait()
        with self.staging.writing():
            entry = self._rejects.entry()
            self._rejects.handle.close()
        return entry


class Digesting:
    """A binary handle that keeps the sha256 and size of what is written through it: polars
    writes a CSV straight to the file in a few large chunks, without a copy of it in memory."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.bytes = 0
        self._digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        self.bytes += len(data)
        return self.handle.write(data)

    def writer(self) -> IO[bytes]:
        """Itself, typed as what ``write_csv`` takes (it only calls ``write``)."""
        return cast(IO[bytes], self)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def write_csv(frame: pl.DataFrame, handle: BinaryIO) -> tuple[int, str]:
    """``frame`` as CSV into ``handle``, straight from polars; the bytes and sha256 written."""
    sink = Digesting(handle)
    frame.write_csv(sink.writer())
    return sink.bytes, sink.hexdigest()


class RejectsFile:
    """rejects.csv written batch by batch: the header once, then each batch's rows."""

    def __init__(self, handle: BinaryIO, *, redact: bool) -> None:
        self.handle = handle
        self.redact = redact
        self._sink = Digesting(handle)
        self._rows = 0
        self._header = True

    def add(self, rejected: pl.DataFrame) -> None:
        write_rejects(rejected, self._sink.writer(), redact=self.redact, header=self._header)
        self._header = False
        self._rows += rejected.height

    def entry(self) -> dict[str, Any]:
        if self._header:
            self.add(pl.DataFrame(schema=REJECT_SCHEMA))
        return {
            "file": "rejects.csv",
            "rows": self._rows,
            "bytes": self._sink.bytes,
            "sha256": self._sink.hexdigest(),
        }
