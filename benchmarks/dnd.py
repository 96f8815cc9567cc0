"""DND at national scale: build an index of a generated register, then scrub contacts against it.

python benchmarks/dnd.py                      # 250,000,000 entries (≈4 GB CSV, cached)
python benchmarks/dnd.py --entries 10000000 --build-runs 3 --scrub-runs 5

The register (number + preference column, in the spellings registers use, deterministic for
a seed) is cached under benchmarks/.data/. Each build runs in a child process that reports
its own time and peak RSS; scrubs run in another child, which resets its peak RSS before each
run (``/proc/self/clear_refs``) so the figure is the scrub's extra memory alone. Medians are
printed. ``--cold`` also times a scrub after evicting the index from the page cache.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "benchmarks" / ".data"
GENERATE_ROWS = 5_000_000

# Spellings and their shares; the last two go through phonenumbers (the residue), 10 ppm each.
SPELLINGS = ("plain", "plus91", "zero", "91", "spaced", "dashed", "0091", "junk")
SHARES = (0.79997, 0.07, 0.05, 0.05, 0.02, 0.01, 0.00001, 0.00002)


def write_register(folder: Path, entries: int, seed: int = 7) -> Path:
    """Return ``folder/dnd_{entries}_seed{seed}.csv``, generating it only if it is not there.

    Numbers are random Indian mobiles (so some repeat, as in a real register); 60% are fully
    blocked (``0``), the rest allow a random set of categories (``"1,3,5"``). Written under a
    temporary name and renamed, so an interrupted run leaves no truncated file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"dnd_{entries}_seed{seed}.csv"
    if target.exists():
        return target
    rng = np.random.default_rng(seed)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        for start in range(0, entries, GENERATE_ROWS):
            chunk = _register_chunk(rng, min(GENERATE_ROWS, entries - start))
            chunk.write_csv(fh, include_header=start == 0)
    tmp.replace(target)
    return target


def _register_chunk(rng: np.random.Generator, rows: int) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "n": rng.integers(6_000_000_000, 10_000_000_000, rows, dtype=np.int64),
            "style": rng.choice(len(SPELLINGS), rows, p=SHARES),
            "mask": rng.integers(1, 256, rows),
            "full": rng.random(rows) < 0.6,
        }
    )
    n = pl.col("n").cast(pl.String)
    forms = [
        n,
        "+91" + n,
        "0" + n,
        "91" + n,
        n.str.slice(0, 5) + " " + n.str.slice(5),
        n.str.slice(0, 5) + "-" + n.str.slice(5),
        "0091" + n,
        pl.lit("n/a"),
    ]
    number = pl.coalesce(pl.when(pl.col("style") == i).then(f) for i, f in enumerate(forms))
    codes = [pl.when(pl.col("mask") & (1 << (c - 1)) > 0).then(pl.lit(str(c))) for c in range(1, 9)]
    preference = (
        pl.when(pl.col("full"))
        .then(pl.lit("0"))
        .otherwise(pl.concat_str(codes, separator=",", ignore_nulls=True))
    )
    return frame.select(number.alias("number"), preference.alias("preferences"))


def contacts_frame(keys: np.ndarray[Any, Any], rows: int, seed: int) -> pl.LazyFrame:
    """``rows`` normalised contacts (E.164), half of them drawn from the register."""
    rng = np.random.default_rng(seed)
    numbers = np.unique(rng.choice(keys, rows // 2))
    while len(numbers) < rows:  # the rest at random (mostly unlisted), all distinct
        more = 91 * 10**10 + rng.integers(6_000_000_000, 10_000_000_000, rows - len(numbers))
        numbers = np.unique(np.concatenate([numbers, more]))
    rng.shuffle(numbers)
    e164 = pl.Series(numbers).cast(pl.String)
    return pl.DataFrame(
        {
            "_source_file": "contacts.csv",
            "_source_row": np.arange(len(numbers)) + 2,
            "_phone_raw": e164,
            "_row_id": np.arange(len(numbers)),
            "_e164": "+" + e164,
        }
    ).lazy()


# --- children: one build, or several scrubs --------------------------------------------------


def child_build(register: Path, index: Path) -> dict[str, Any]:
    from listprep.dndindex import build_index

    start = time.perf_counter()
    info = build_index([register], index, snapshot_date=dt.date.today())
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_bytes": usage.ru_maxrss * 1024,
        "entries": info.entries,
        "rows": info.rows,
    }


def child_scrub(index_path: Path, contacts: int, runs: int, cold: bool) -> dict[str, Any]:
    from listprep.config import ScrubConfig
    from listprep.dndindex import open_index
    from listprep.stages.scrub import scrub

    keys = np.load(index_path / "keys.npy", mmap_mode="r")
    frame = contacts_frame(keys, contacts, seed=11).collect().lazy()
    del keys  # unmapped: the pages sampling touched are not counted against the scrub
    index = open_index(index_path)
    results = []
    for run in range(runs + int(cold)):
        if cold and run == runs:
            _evict(index_path)
        _reset_peak()
        base = _status("VmRSS")
        start = time.perf_counter()
        kept, rejected = pl.collect_all(list(scrub(frame, ScrubConfig(category=3), dnd=index)))
        seconds = time.perf_counter() - start
        extra = _status("VmHWM") - base
        results.append({"seconds": seconds, "extra_bytes": extra, "rejected": rejected.height})
    return {
        "runs": results[:runs],
        "cold": results[runs:],
        "contacts": kept.height + rejected.height,
    }


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _evict(index_path: Path) -> None:
    """Drop the index's pages from the page cache (clean pages: no root needed)."""
    for name in ("keys.npy", "allowed.npy"):
        fd = os.open(index_path / name, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


# --- the parent ---------------------------------------------------------------------------


def run_child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def main() -> None:
    p = argparse.ArgumentParser(description="Benchmark building and scrubbing a DND index.")
    p.add_argument("--entries", type=int, default=250_000_000)
    p.add_argument("--contacts", type=int, default=1_000_000)
    p.add_argument("--build-runs", type=int, default=1)
    p.add_argument("--scrub-runs", type=int, default=5)
    p.add_argument("--cold", action="store_true", help="also scrub once with a cold page cache")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--dir", type=Path, default=DATA_DIR)
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "build":
            out = child_build(Path(rest[0]), Path(rest[1]))
        else:
            out = child_scrub(Path(rest[0]), int(rest[1]), int(rest[2]), rest[3] == "cold")
        print(json.dumps(out))
        return
    start = time.perf_counter()
    register = write_register(args.dir, args.entries, args.seed)
    size = register.stat().st_size / 1e9
    print(f"register {register.name}: {size:.2f} GB ({time.perf_counter() - start:.0f} s)")
    index = args.dir / f"dnd_{args.entries}_seed{args.seed}.index"
    builds = [run_child("build", str(register), str(index)) for _ in range(args.build_runs)]
    print(
        f"build: {_median(builds, 'seconds'):.1f} s (CPU {_median(builds, 'cpu_seconds'):.1f} s), "
        f"peak RSS {_median(builds, 'peak_bytes') / 1e9:.2f} GB (median of {len(builds)}; "
        f"{builds[0]['rows']:,} rows -> {builds[0]['entries']:,} keys; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    print(
        "  runs: "
        + ", ".join(f"{b['seconds']:.1f} s / {b['peak_bytes'] / 1e9:.2f} GB" for b in builds)
    )
    cold = "cold" if args.cold else "warm"
    scrubs = run_child("scrub", str(index), str(args.contacts), str(args.scrub_runs), cold)
    runs = scrubs["runs"]
    print(
        f"scrub {scrubs['contacts']:,} contacts: {_median(runs, 'seconds'):.3f} s, extra peak RSS "
        f"{_median(runs, 'extra_bytes') / 1e6:.0f} MB (median of {len(runs)}, warm page cache)"
    )
    print(
        "  runs: "
        + ", ".join(f"{r['seconds']:.3f} s / {r['extra_bytes'] / 1e6:.0f} MB" for r in runs)
    )
    for run in scrubs["cold"]:
        print(
            f"scrub, cold page cache: {run['seconds']:.3f} s, "
            f"extra peak RSS {run['extra_bytes'] / 1e6:.0f} MB"
        )


def _median(rows: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in rows))


if __name__ == "__main__":
    main()
