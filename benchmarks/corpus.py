"""Cached messy benchmark corpora, made by sample_data/generate.py.

python benchmarks/corpus.py --rows 1000000 --seed 7
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "benchmarks" / ".data"
sys.path.insert(0, str(ROOT / "sample_data"))

from generate import write_csv  # noqa: E402


def write_corpus(path: Path, rows: int, seed: int = 7) -> Path:
    """Return ``path/messy_{rows}_seed{seed}.csv``, generating it only if it is not there yet.

    ``path`` is the cache folder (normally ``benchmarks/.data``). The file is written under a
    temporary name and renamed, so an interrupted run never leaves a truncated file behind.
    """
    path.mkdir(parents=True, exist_ok=True)
    target = path / f"messy_{rows}_seed{seed}.csv"
    if not target.exists():
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        write_csv(tmp, rows, seed)
        tmp.replace(target)
    return target


def main() -> None:
    p = argparse.ArgumentParser(description="Write (or reuse) a cached messy benchmark corpus.")
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--dir", type=Path, default=DATA_DIR)
    args = p.parse_args()
    start = time.perf_counter()
    out = write_corpus(args.dir, args.rows, args.seed)
    print(f"{out} ({out.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
