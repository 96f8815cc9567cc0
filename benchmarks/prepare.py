"""End-to-end speed of ``listprep.prepare`` against the I/O floor, measured in the same run.

python benchmarks/prepare.py --rows 1000000 --runs 3

The floor is what any tool must pay: polars reading the same CSV as text and writing it back.
Figures are medians of ``--runs`` runs; the machine is shared and noisy, so compare ratios.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
from corpus import DATA_DIR, write_corpus

import listprep


def median_seconds(job: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    corpus = write_corpus(DATA_DIR, args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)

        def floor() -> None:
            pl.read_csv(corpus, infer_schema=False).write_csv(out / "floor.csv")

        def run() -> None:
            listprep.prepare(corpus).write(out / "prepare", force=True)

        floor_s = median_seconds(floor, args.runs)
        prepare_s = median_seconds(run, args.runs)
    print(f"rows: {args.rows:,}  runs: {args.runs} (medians)")
    for label, seconds in (
        ("I/O floor (polars read+write)", floor_s),
        ("listprep prepare+write", prepare_s),
    ):
        print(f"{label:30} {seconds:7.2f} s {args.rows / seconds:12,.0f} rows/s")
    print(f"ratio to the floor: {prepare_s / floor_s:.1f}x")


if __name__ == "__main__":
    main()
