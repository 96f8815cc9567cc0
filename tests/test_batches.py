"""Batches change memory and speed, never the outputs.

``prepare`` reads and checks ``batch_rows`` rows at a time, carrying only the numbers already
kept from batch to batch, and ``prepare_to`` writes as it goes. Whatever the batch size,
both must give exactly the files a single batch gives: same lists, same rejects in the same
order, same manifest, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import listprep
from listprep import ListprepError

PHONES = [
    "9876543210", "+91 98765 43210", "098765-43210", "9812345678", "919812345678",
    "+1 650 253 0000", "022 2345 6789", "12345", "", "98765XXXXX", "9.19877E+11",
    "9876543210 / 9812345678", "=1+1", "7012345678", "7012345678",
]  # fmt: skip
NAMES = ["Asha", "Bala, K", 'Ram "R"', "multi\nline", "", "=cmd", "Zoë"]
EXTRA = ["", ",extra", ",a,b"]  # ragged rows become malformed-row rejects


@st.composite
def csv_file(draw: st.DrawFn) -> bytes:
    """A small contact export, with what varies between real ones: delimiter, line ends,
    a BOM, an encoding, blank and ragged lines, quoted fields that span lines."""
    sep = draw(st.sampled_from([",", ";"]))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    header = draw(st.sampled_from(["phone,name", "name,phone", "phone,name,city"]))
    columns = header.split(",")
    lines = [sep.join(columns)]
    for _ in range(draw(st.integers(0, 14))):
        if draw(st.integers(0, 9)) == 0:
            lines.append("")
            continue
        name = draw(st.sampled_from(NAMES))
        if set(name) & {sep, '"', "\n"}:
            name = '"' + name.replace('"', '""') + '"'
        cells = {"phone": draw(st.sampled_from(PHONES)), "name": name, "city": "Pune"}
        extra = draw(st.sampled_from(EXTRA)).replace(",", sep)
        lines.append(sep.join(cells[c] for c in columns) + extra)
    text = end.join(lines) + end
    if draw(st.booleans()):  # cp1252, as Excel on Windows writes it (ë is one byte)
        return text.encode("cp1252")
    return draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + text.encode()


OPTIONS: list[dict[str, Any]] = [
    {"list_rows": 2},
    {
        "channel": "sms",
        "template": "Hi @@name, call @@number. -ACME",
        "defaults": ("name=Friend",),
        "max_list_bytes": 120,
    },
    {"method": "inline", "multi": "split", "redact_rejects": True, "escape_formulas": True},
]


def outcome(run: Callable[[], dict[str, bytes]]) -> dict[str, bytes] | str:
    """The files of a run, or the error it stopped with."""
    try:
        return run()
    except ListprepError as exc:
        return f"{type(exc).__name__}: {exc}"


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(autouse=True)
def fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")


@given(
    files=st.lists(csv_file(), min_size=1, max_size=3),
    batch_rows=st.integers(1, 6),
    options=st.sampled_from(range(len(OPTIONS))),
)
def test_batch_size_never_changes_the_outputs(
    tmp_path_factory: pytest.TempPathFactory,
    files: list[bytes],
    batch_rows: int,
    options: int,
) -> None:
    folder = tmp_path_factory.mktemp("batches")
    paths = []
    for i, data in enumerate(files):
        path = folder / f"in{i}.csv"
        path.write_bytes(data)
        paths.append(str(path))
    chosen = OPTIONS[options]

    def whole() -> dict[str, bytes]:
        return dict(listprep.prepare(paths, **chosen).files)

    def batched() -> dict[str, bytes]:
        return dict(listprep.prepare(paths, batch_rows=batch_rows, **chosen).files)

    def written() -> dict[str, bytes]:
        out = folder / "out"
        listprep.prepare_to(out, paths, force=True, batch_rows=batch_rows, **chosen)
        return tree(out)

    expected = outcome(whole)
    assert isinstance(expected, dict) or expected.startswith("InputError"), expected
    assert outcome(batched) == expected
    assert outcome(written) == expected


def test_a_frame_in_batches_keeps_row_numbers_and_first_wins(tmp_path: Path) -> None:
    """Across a batch boundary the first occurrence still wins and names its row."""
    import polars as pl

    frame = pl.DataFrame({"phone": ["9876543210", "9812345678", "+91 98765 43210"]})
    result = listprep.prepare(frame, batch_rows=2)
    assert result.lists["_source_row"].to_list() == [1, 2]
    assert result.rejects.select("source_row", "reason", "detail").rows() == [
        (3, "duplicate", "duplicate of <frame>:1")
    ]


@pytest.mark.parametrize("batch_rows", [1, 3, 1000])
def test_a_late_windows_1252_byte_switches_the_rest_alike_in_any_batch(
    tmp_path: Path, batch_rows: int
) -> None:
    path = tmp_path / "late.csv"
    rows = [f"987654{i:04d},Asha" for i in range(20)] + ["9812345678,Zo\xeb"]
    path.write_bytes(("phone,name\n" + "\n".join(rows) + "\n").encode("cp1252"))
    result = listprep.prepare(str(path), batch_rows=batch_rows)
    assert result.manifest["inputs"][0]["encoding"] == "cp1252"
    assert "Zoë" in result.lists["name"].to_list()


@pytest.mark.parametrize("batch_rows", [1, 3, 1000])
def test_utf8_then_windows_1252_is_refused_in_any_batch(tmp_path: Path, batch_rows: int) -> None:
    """Decoding it all as cp1252 would turn the UTF-8 rows' ë into Ã«: refused instead."""
    path = tmp_path / "mixed.csv"
    body = "phone,name\n9876543210,Zoë\n" + "".join(f"98123456{i:02d},A\n" for i in range(9))
    path.write_bytes(body.encode() + "9812345699,Zo\xeb\n".encode("cp1252"))
    with pytest.raises(listprep.InputError, match="mixes encodings") as raised:
        listprep.prepare(str(path), batch_rows=batch_rows)
    assert raised.value.row == 12  # the header is row 1, the cp1252 line the 12th


def test_prepare_to_checks_the_output_folder_before_reading(tmp_path: Path) -> None:
    """A run that could not be written fails first, not after the work (the input here does
    not even exist, and the error is still about the output folder)."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(listprep.OutputError, match="not empty"):
        listprep.prepare_to(out, str(tmp_path / "missing.csv"))
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left


@pytest.mark.parametrize("batch_rows", [1, 2, 7])
def test_batch_rows_bounds_the_rows_of_a_batch(batch_rows: int) -> None:
    """The header's read-ahead once made the first batch hundreds of rows at batch_rows=1,
    so small files were hardly split and the batch-size laws went untested."""
    from listprep.csvfile import CsvStream

    data = b"name,phone\n" + b"".join(b"n%d,98765%05d\n" % (i, i) for i in range(300))
    heights = [parsed.frame.height for parsed in CsvStream(data, "x", batch_rows=batch_rows)]
    assert sum(heights) == 300
    assert max(heights) <= 2 * batch_rows + 1


def test_one_thread_hashes_every_input(tmp_path: Path) -> None:
    import threading

    paths = []
    for i in range(30):
        paths.append(tmp_path / f"part{i}.csv")
        paths[-1].write_text(f"phone\n98765{i:05d}\n")
    listprep.prepare(paths)
    hashers = [t for t in threading.enumerate() if t.name.startswith("listprep-sha256")]
    assert len(hashers) <= 1


@pytest.mark.parametrize("fails_at", [1, 3])
def test_a_write_that_fails_in_the_writer_thread_stops_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails_at: int
) -> None:
    """Batches are written by a thread of their own: its error still stops the run as an
    OutputError, leaves no folder, and the thread is gone."""
    import errno
    import threading

    from listprep.outputs import RejectsFile

    path = tmp_path / "in.csv"
    path.write_text("phone\n" + "".join(f"98765{i:05d}\nnot a number\n" for i in range(20)))
    calls = []
    add = RejectsFile.add

    def full(self: RejectsFile, rejected: object) -> None:
        calls.append(threading.current_thread().name)
        if len(calls) == fails_at:
            raise OSError(errno.ENOSPC, "No space left on device")
        add(self, rejected)  # type: ignore[arg-type]

    monkeypatch.setattr(RejectsFile, "add", full)
    out = tmp_path / "out"
    with pytest.raises(listprep.OutputError, match="No space left"):
        listprep.prepare_to(out, str(path), batch_rows=4)
    assert calls[0].startswith("listprep-write")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]  # no output, no staging
    assert not [t for t in threading.enumerate() if t.name.startswith("listprep-write")]


def test_lists_written_side_by_side_wait_for_the_last_spill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every list written side by side reads the spill only once the last batch's is written
    (only the first of them waited, and the others read a half-written file)."""
    import time

    from listprep.outputs import OnDisk

    path = tmp_path / "in.csv"
    path.write_text("phone\n" + "".join(f"98765{i:05d}\n" for i in range(40)))
    write = OnDisk._write

    def slow(self: OnDisk, *args: Any) -> None:
        time.sleep(0.3)  # the last batch's spill is still being written when the lists start
        write(self, *args)

    monkeypatch.setattr(OnDisk, "_write", slow)
    listprep.prepare_to(tmp_path / "out", str(path), batch_rows=20, list_rows=10)
    lists = sorted((tmp_path / "out" / "lists").rglob("*.csv"))
    assert len(lists) == 4
    assert sum(len(p.read_text().splitlines()) - 1 for p in lists) == 40
