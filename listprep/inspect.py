"""``listprep inspect``: a first look at inputs before preparing them, with no number shown."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from listprep.config import NormaliseConfig, ReadConfig
from listprep.privacy import mask_digit_runs
from listprep.reader import PHONE_RAW, SOURCE_FILE, Source, choose_phone_column, read_sources
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
    its phone cells and what normalisation would make of them. Counts only, never a number."""
    output = read_sources(sources, read)
    frame = output.kept.collect()
    outcome = normalise(frame.lazy(), normalise_config)
    rejected = outcome.rejected.collect()
    files = []
    for info in output.inputs:
        rows = frame.filter(pl.col(SOURCE_FILE) == info.path)
        _, why = choose_phone_column(info.columns, info.path, read.phone_column)
        formats = rows.group_by(format_expr(pl.col(PHONE_RAW)).alias("f")).len().sort("f")
        reasons = (
            rejected.filter(pl.col("source_file") == info.path)
            .group_by("reason")
            .len()
            .sort("reason")
        )
        files.append(
            {
                "path": info.path,
                "encoding": info.encoding,
                "delimiter": info.delimiter,
                "rows": info.rows,
                "malformed_rows": info.rows - rows.height,
                "blank_lines": info.blank_lines,
                "headers": [mask_digit_runs(c) for c in info.columns],  # a headerless file
                "phone_column": info.phone_column,
                "phone_column_why": why,
                "formats": dict(formats.iter_rows()),
                "valid": rows.height - int(reasons["len"].sum()),
                "would_reject": dict(reasons.iter_rows()),
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
