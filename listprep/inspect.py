"""``listprep inspect``: a first look at inputs before preparing them, with no number shown."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import polars as pl

from listprep.config import NormaliseConfig, ReadConfig
from listprep.privacy import mask_digit_runs
from listprep.reader import PHONE_RAW, SOURCE_FILE, Source, choose_phone_column, open_sources
from listprep.stages.normalise import normalise

#: Spelling families of a phone cell, first match wins; the patterns are deliberately simple.
FORMATS: tuple[tuple[str, str], ...] = (
    ("empty", r"^\s*$"),
    ("excel-damaged", r"^\+?\d+\.0+$|^\d\.\d+[eE]\+?\d+$"),
    ("letters (masked, words, ext)", r"(?i)^(?:tel:)?[^a-z]*[a-z]"),
    ("e164", r"^\+[1-9]\d{6,14}$"),
    ("+ with spaces or punctuation", r"^\s*\+"),
    ("00-prefixed", r"^\s*00"),
    ("0-prefixed", r"^\s*0\d"),
    ("10-digit", r"^\d{10}$"),
    ("digits with spaces or punctuation", r"^[\d\s().\-/]+$"),
)


def format_expr(raw: pl.Expr) -> pl.Expr:
    """The spelling family of each phone cell (``other`` when none matches)."""
    matches = [pl.when(raw.str.contains(pattern)).then(pl.lit(name)) for name, pattern in FORMATS]
    return pl.coalesce([*matches, pl.lit("other")])


def inspect_sources(
    sources: Source | Iterable[Source],
    read: ReadConfig = ReadConfig(),
    normalise_config: NormaliseConfig = NormaliseConfig(),
) -> dict[str, Any]:
    """Per input: encoding, delimiter, rows, headers, the phone column and why, the formats of
    its phone cells and what normalisation would make of them. Counts only, never a number.

    Batch by batch, like ``prepare_to``: a file of any size is inspected in bounded memory.
    """
    with open_sources(sources, read) as opened:
        kept: Counter[str] = Counter()
        formats: dict[str, Counter[str]] = defaultdict(Counter)
        reasons: dict[str, Counter[str]] = defaultdict(Counter)
        for batch in opened:
            frame = batch.kept
            outcome = normalise(frame.lazy(), normalise_config)
            kept.update(dict(frame.group_by(SOURCE_FILE).len().iter_rows()))
            spelled = frame.group_by(SOURCE_FILE, format_expr(pl.col(PHONE_RAW)).alias("f")).len()
            for path, name, count in spelled.iter_rows():
                formats[path][name] += count
            why = outcome.rejected.group_by("source_file", "reason").len().collect()
            for path, reason, count in why.iter_rows():
                reasons[path][reason] += count
    files = []
    for info in opened.inputs:
        _, chosen_why = choose_phone_column(info.columns, info.path, read.phone_column)
        rows, rejected = kept[info.path], reasons[info.path]
        files.append(
            {
                "path": info.path,
                "encoding": info.encoding,
                "delimiter": info.delimiter,
                "rows": info.rows,
                "malformed_rows": info.rows - rows,
                "blank_lines": info.blank_lines,
                "headers": [mask_digit_runs(c) for c in info.columns],  # a headerless file
                "phone_column": info.phone_column,
                "phone_column_why": chosen_why,
                "formats": dict(sorted(formats[info.path].items())),
                "valid": rows - sum(rejected.values()),
                "would_reject": dict(sorted(rejected.items())),
            }
        )
    return {"inputs": files}


def inspect_text(report: dict[str, Any]) -> str:
    """The inspect report as aligned text for the terminal."""
    lines = []
    for item in report["inputs"]:
        lines += [
            f"{item['path']}",
            f"  encoding {item['encoding']}, delimiter {item['delimiter']!r}, "
            f"{item['rows']:,} rows ({item['malformed_rows']:,} malformed, "
            f"{item['blank_lines']:,} blank lines)",
            f"  headers: {', '.join(item['headers'])}",
            f"  phone column: {item['phone_column']!r} ({item['phone_column_why']})",
            "  formats:",
            *(f"    {n:>9,}  {name}" for name, n in item["formats"].items()),
            f"  valid numbers: {item['valid']:,}",
            *(f"    {n:>9,}  would be rejected: {r}" for r, n in item["would_reject"].items()),
        ]
    return "\n".join(lines)
