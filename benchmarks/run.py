"""End-to-end benchmark: listprep against the naive script and the I/O floor, side by side.

    python benchmarks/run.py --rows 1000000 --runs 3

Each job runs in a fresh Python process (so its peak RSS is its own; its imports are timed,
from bytecode as an installed package has it) on the same two input files: a deterministic
messy corpus split in halves, so duplicates cross files. Printed: median seconds of ``--runs``
runs, rows/s, peak RSS, the ratio to the I/O floor and how many times faster listprep is
than the naive script. The machine is shared and noisy: compare ratios measured in the same
run, never absolute seconds across runs.

Jobs:
  floor     polars reads both files as text and writes them back: what any tool pays
  naive     pandas read_csv, .apply(phonenumbers parse/validate/format), drop_duplicates,
            to_csv — what people write without listprep, doing far less
  listprep  prepare_to() end to end, as the CLI runs it (normalise, dedupe, DND scrub,
            template check, split, write), against a prebuilt DND index of --dnd-entries
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import polars as pl
from corpus import DATA_DIR, write_corpus

JOBS: dict[str, str] = {
    "floor": """
        import polars as pl
        for i, path in enumerate(INPUTS):
            pl.read_csv(path, infer_schema=False).write_csv(f"{OUT}/floor-{i}.csv")
    """,
    "naive": """
        import pandas as pd, phonenumbers
        def e164(raw):
            try:
                number = phonenumbers.parse(raw, "IN")
            except phonenumbers.NumberParseException:
                return None
            if not phonenumbers.is_valid_number(number):
                return None
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        frame = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in INPUTS])
        frame["number"] = frame["phone"].apply(e164)
        frame = frame.dropna(subset=["number"]).drop_duplicates(subset=["number"])
        frame.to_csv(f"{OUT}/naive.csv", index=False)
    """,
    "listprep": """
        import listprep
        listprep.prepare_to(
            f"{OUT}/listprep", INPUTS, force=True,
            channel="sms", dnd=[DND], category=1, max_register_age=100_000,
            template="Dear @@first_name, Rs @@due_amount is due on @@due_date. -ACME",
        )
    """,
}

TIMED = """
import json, sys, time
INPUTS, OUT, DND = {inputs!r}, {out!r}, {dnd!r}
start = time.perf_counter()
{body}
seconds = time.perf_counter() - start
# VmHWM, not ru_maxrss: the latter keeps the parent's high-water mark across exec
status = open("/proc/self/status").read().splitlines()
peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
print(json.dumps({{"seconds": seconds, "peak_mb": peak_kb / 1024}}))
"""


STARTUP_ROWS = 1_000
"""The scaling table's start-up run: imports, opening the index and first-call set-up, with
next to no rows (a thousand rows cost about 3 ms of a run's time)."""


def split_corpus(rows: int) -> list[Path]:
    """The corpus as two files (halves), written once and cached."""
    corpus = write_corpus(DATA_DIR, rows)
    halves = [DATA_DIR / f"{corpus.stem}-part{i}.csv" for i in (1, 2)]
    if not all(p.exists() for p in halves):
        frame = pl.read_csv(corpus, infer_schema=False)
        middle = frame.height // 2
        frame.head(middle).write_csv(halves[0])
        frame.slice(middle).write_csv(halves[1])
    return halves


def dnd_index(entries: int, inputs: list[Path]) -> Path:
    """A DND index of ``entries`` numbers: random mobiles plus a tenth of the corpus' own
    numbers (fully blocked), built once with listprep and cached."""
    path = DATA_DIR / f"dnd_{entries}.index"
    if path.exists():
        return path
    import numpy as np

    from listprep.dndindex import build_index

    register = DATA_DIR / f"dnd_{entries}.csv"
    rng = np.random.default_rng(11)
    numbers = rng.integers(6_000_000_000, 9_999_999_999, entries, dtype=np.int64)
    prefs = rng.choice(np.array(["0", "1,3", "2;5", "1", "4,6,8"]), entries)
    frame = pl.DataFrame({"number": numbers.astype(str), "preferences": prefs})
    own = pl.read_csv(inputs[0], infer_schema=False).select(pl.col("phone").alias("number"))
    own = own.sample(fraction=0.1, seed=3).with_columns(pl.lit("0").alias("preferences"))
    pl.concat([frame, own.drop_nulls()]).write_csv(register)
    build_index([register], path, snapshot_date=datetime.date.today())
    register.unlink()
    return path


JOB_ENV = {
    k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "_RJEM_MALLOC_CONF")
}
"""The jobs' environment, as a fresh shell's would be:

- without ``PYTHONDONTWRITEBYTECODE`` (set on some machines), so bytecode is written and read
  as an installed package has it; an editable install would otherwise compile listprep's
  modules in every run, 0.04 s that its dependencies, installed with their bytecode, never pay;
- without ``_RJEM_MALLOC_CONF``, which polars, imported here, put in this process's
  environment: inherited, it made every job run with polars' allocator defaults, and
  listprep's own setting (see ``listprep/_allocator.py``) never applied in a benchmark.
"""


def run_job(name: str, inputs: list[Path], out: Path, dnd: Path) -> dict[str, float]:
    shutil.rmtree(out / "listprep", ignore_errors=True)  # replacing old output is not timed
    code = TIMED.format(
        inputs=[str(p) for p in inputs],
        out=str(out),
        dnd=str(dnd),
        body=textwrap.dedent(JOBS[name]),
    )
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=JOB_ENV
    )
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def measure(name: str, inputs: list[Path], out: Path, dnd: Path, runs: int) -> dict[str, float]:
    # an untimed import first, so that every timed run finds the bytecode written
    subprocess.run([sys.executable, "-c", "import listprep"], check=True, env=JOB_ENV)
    samples = [run_job(name, inputs, out, dnd) for _ in range(runs)]
    print(f"  {name}: {[round(s['seconds'], 2) for s in samples]} s", file=sys.stderr)
    return {
        "seconds": statistics.median(s["seconds"] for s in samples),
        "peak_mb": max(s["peak_mb"] for s in samples),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="listprep vs the naive script vs the I/O floor")
    parser.add_argument(
        "--rows", default="1000000", help="rows of the corpus; several (100000,1000000) for scaling"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dnd-entries", type=int, default=100_000_000)
    parser.add_argument("--jobs", default="floor,naive,listprep")
    parser.add_argument("--naive-runs", type=int, default=None, help="fewer runs for the slow one")
    args = parser.parse_args()
    sizes = [int(r) for r in args.rows.split(",")]
    jobs = args.jobs.split(",")
    scaling = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for rows in sizes:
            inputs = split_corpus(rows)
            dnd = dnd_index(args.dnd_entries, inputs)
            results = {
                name: measure(
                    name,
                    inputs,
                    out,
                    dnd,
                    args.naive_runs if name == "naive" and args.naive_runs else args.runs,
                )
                for name in jobs
            }
            print_table(rows, args.dnd_entries, results)
            scaling.append((rows, results))
    if "listprep" in jobs and len(sizes) > 1:
        tiny = split_corpus(STARTUP_ROWS)
        startup = measure("listprep", tiny, out, dnd_index(args.dnd_entries, tiny), args.runs)
        print_scaling(scaling, startup["seconds"])


def print_table(rows: int, entries: int, results: dict[str, dict[str, float]]) -> None:
    floor = results.get("floor", {}).get("seconds")
    naive = results.get("naive", {}).get("seconds")
    print(f"\n{rows:,} rows in 2 files, DND register of {entries:,} entries")
    print("| job | runs | median s | rows/s | peak RSS MB | × floor | naive ÷ job |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        ratio = f"{r['seconds'] / floor:.1f}" if floor else "—"
        speedup = f"{naive / r['seconds']:.1f}" if naive else "—"
        print(
            f"| {name} | {int(r['runs'])} | {r['seconds']:.2f} | {rows / r['seconds']:,.0f} "
            f"| {r['peak_mb']:,.0f} | {ratio} | {speedup} |"
        )


def print_scaling(scaling: list[tuple[int, dict[str, dict[str, float]]]], startup: float) -> None:
    """Time per row at each size, per row after the start-up (a run of ``STARTUP_ROWS`` rows),
    and per row added since the previous size: the last two are the cost of a row, free of
    imports, opening the index and first-call set-up. The floor's time per row is shown beside
    them: start-up weighs on it at small sizes too."""
    print(f"\nstart-up (listprep on {STARTUP_ROWS:,} rows): {startup:.2f} s")
    print(
        "| rows | listprep s | µs per row | µs per row after start-up | µs per added row "
        "| floor µs per row | × floor | peak RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    previous: tuple[int, float] | None = None
    for rows, results in scaling:
        ours = results["listprep"]
        floor = results.get("floor", {}).get("seconds")
        ratio = f"{ours['seconds'] / floor:.1f}" if floor else "—"
        floor_per_row = f"{floor / rows * 1e6:.2f}" if floor else "—"
        added = "—"
        if previous:
            added = f"{(ours['seconds'] - previous[1]) / (rows - previous[0]) * 1e6:.2f}"
        print(
            f"| {rows:,} | {ours['seconds']:.2f} | {ours['seconds'] / rows * 1e6:.2f} "
            f"| {(ours['seconds'] - startup) / rows * 1e6:.2f} | {added} | {floor_per_row} "
            f"| {ratio} | {ours['peak_mb']:,.0f} |"
        )
        previous = (rows, ours["seconds"])


if __name__ == "__main__":
    main()
