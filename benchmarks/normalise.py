"""Normalisation on a messy 1,000,000-row export: speed against a plain phonenumbers loop, and
exactness of the fast path against the scalar reference over every distinct value.

python benchmarks/normalise.py                       # 1,000,000 rows, seed 7, 5 runs
python benchmarks/normalise.py --rows 200000 --runs 3 --no-check
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version
from pathlib import Path

import phonenumbers
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from corpus import DATA_DIR, write_corpus  # noqa: E402

from listprep import fastphone  # noqa: E402
from listprep.config import NormaliseConfig  # noqa: E402
from listprep.limits import Channel  # noqa: E402
from listprep.phonemeta import region_spec  # noqa: E402
from listprep.reader import PHONE_RAW, ROW_ID, SOURCE_FILE, SOURCE_ROW  # noqa: E402
from listprep.stages.normalise import classify_values, normalise  # noqa: E402

KEY = [PHONE_RAW, fastphone.PART]


def median_seconds(run: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    """Median wall time of ``runs`` calls (after one warm-up call that is not counted)."""
    run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def phonenumbers_loop(values: list[str], region: str) -> int:
    """What a plain script does: parse, validate, type and format every row."""
    valid = 0
    for raw in values:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            phonenumbers.number_type(number)
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            valid += 1
    return valid


def stage_input(values: pl.Series) -> pl.LazyFrame:
    """The normalise stage's input, as the reader makes it (identity columns + raw cell)."""
    n = values.len()
    return pl.DataFrame(
        {
            SOURCE_FILE: pl.repeat("corpus.csv", n, eager=True),
            SOURCE_ROW: pl.int_range(2, n + 2, eager=True),
            ROW_ID: pl.int_range(0, n, eager=True),
            PHONE_RAW: values,
        }
    ).lazy()


def run_stage(values: pl.Series, config: NormaliseConfig) -> None:
    out = normalise(stage_input(values), config)
    pl.collect_all([out.kept, out.rejected])


def _reference_chunk(args: tuple[list[str], NormaliseConfig]) -> pl.DataFrame:
    return fastphone.reference(*args)


def disagreements(values: pl.Series, config: NormaliseConfig, workers: int) -> int:
    """Rows (value, part) where the fast path's table differs from the scalar reference's."""
    fast = fastphone.classify_table(values, config).sort(KEY)
    distinct = sorted(values.unique().drop_nulls().to_list())
    size = -(-len(distinct) // (workers * 8))
    chunks = [(distinct[k : k + size], config) for k in range(0, len(distinct), size)]
    # spawn, not fork: a forked child inherits polars' thread pool mid-flight and can hang
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        ref = pl.concat(pool.map(_reference_chunk, chunks)).sort(KEY)
    both = fast.join(ref, on=KEY, how="full", suffix="_ref", nulls_equal=True)
    columns = [c for c in fast.columns if c not in KEY]
    differ = pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}_ref")) for c in columns)
    missing = pl.col(PHONE_RAW).is_null() | pl.col(f"{PHONE_RAW}_ref").is_null()
    bad = both.filter(differ | missing)
    if bad.height:
        with pl.Config(tbl_cols=20, fmt_str_lengths=40):
            print(bad.head(10))
    return bad.height


def residue_share(values: pl.Series, config: NormaliseConfig) -> tuple[int, int, int, int]:
    """(distinct values, of which left to the reference, rows, of which left)."""
    distinct = values.unique().drop_nulls()
    spec = region_spec(config.region)
    assert spec is not None
    left = distinct.gather(fastphone.fast_path(distinct, spec, config)[1])
    return distinct.len(), left.len(), values.len(), int(values.is_in(left.implode()).sum())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--loop-sample", type=int, default=50_000)
    p.add_argument("--region", default="IN")
    p.add_argument("--no-check", action="store_true", help="skip the full differential check")
    args = p.parse_args()
    config = NormaliseConfig(region=args.region, channel=Channel.VOICE)

    path = write_corpus(DATA_DIR, args.rows, args.seed)
    values = pl.read_csv(path, infer_schema=False, columns=["phone"])["phone"].fill_null("")
    cores = os.cpu_count() or 1
    print(f"corpus      {path.name}: {values.len():,} rows, {values.n_unique():,} distinct")
    print(
        f"versions    phonenumbers {version('phonenumbers')}, polars {pl.__version__}, "
        f"Python {platform.python_version()}; {cores} cores, {pl.thread_pool_size()} polars "
        f"threads; load average {os.getloadavg()[0]:.1f} at start"
    )

    fast, fast_times = median_seconds(
        lambda: classify_values(values, config.region, config.channel), args.runs
    )
    stage, stage_times = median_seconds(lambda: run_stage(values, config), args.runs)
    sample = values.head(args.loop_sample).to_list()
    loop, loop_times = median_seconds(
        lambda: phonenumbers_loop(sample, config.region), max(1, args.runs // 2)
    )
    fast_rate, stage_rate, loop_rate = values.len() / fast, values.len() / stage, len(sample) / loop
    print(f"classify    {fast_rate:>12,.0f} rows/s  (median of {args.runs}: {fast:.3f} s; "
          f"runs {', '.join(f'{t:.3f}' for t in fast_times)})")  # fmt: skip
    print(f"stage       {stage_rate:>12,.0f} rows/s  (normalise stage, every row: {stage:.3f} s; "
          f"runs {', '.join(f'{t:.3f}' for t in stage_times)})")  # fmt: skip
    print(f"loop        {loop_rate:>12,.0f} rows/s  (phonenumbers, {len(sample):,}-row sample: "
          f"{loop:.3f} s; runs {', '.join(f'{t:.3f}' for t in loop_times)})")  # fmt: skip
    print(f"ratio       {fast_rate / loop_rate:>12.1f} x  (stage: {stage_rate / loop_rate:.1f} x)")

    distinct, left, rows, left_rows = residue_share(values, config)
    print(
        f"residue     {left:,} of {distinct:,} distinct values ({left / distinct:.4%}), "
        f"{left_rows:,} of {rows:,} rows ({left_rows / rows:.4%}) go to the scalar reference"
    )
    if not args.no_check:
        start = time.perf_counter()
        bad = disagreements(values, config, workers=cores)
        print(
            f"exactness   {bad} disagreements between the fast path and the scalar reference "
            f"over all {distinct:,} distinct values ({time.perf_counter() - start:.0f} s)"
        )


if __name__ == "__main__":
    main()
