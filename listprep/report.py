"""Readable summaries of a run, built from the manifest alone: they never hold a number."""

from __future__ import annotations

import html
from typing import Any

FUNNEL = (
    ("rows in", "read", "in"),
    ("valid numbers", "normalise", "out"),
    ("unique", "dedupe", "out"),
    ("allowed", "scrub", "out"),
    ("rendered", "check_template", "out"),
)


def funnel(manifest: dict[str, Any]) -> list[tuple[str, int]]:
    stages = manifest["counts"]["stages"]
    return [(label, stages[stage][key]) for label, stage, key in FUNNEL]


def summary_text(manifest: dict[str, Any]) -> str:
    """A few lines: the funnel, rejects by reason, lists and campaigns, the estimate."""
    counts = manifest["counts"]
    lines = [
        f"listprep {manifest['channel']} {manifest['method']} run: "
        + " -> ".join(f"{n:,} {label}" for label, n in funnel(manifest))
    ]
    by_reason = counts["rejected_by_reason"]
    if by_reason:
        parts = ", ".join(f"{reason} {n:,}" for reason, n in by_reason.items())
        lines.append(f"  rejected {counts['rejected_rows']:,}: {parts}")
    lines.append(
        f"  out {counts['output_rows']:,} contacts in {len(manifest['lists'])} list(s), "
        f"{len(manifest['campaigns'])} campaign(s)"
    )
    estimate = manifest["estimate"]
    if "max_call_attempts" in estimate:
        lines.append(
            f"  at most {estimate['max_call_attempts']:,} call attempts; about "
            f"{estimate['minutes_needed'] / 60:.1f} h at {estimate['calls_per_minute']} calls/min"
            f" over {estimate['days']} day(s), worst case"
        )
    if "sms_credits" in estimate:
        lines.append(
            f"  {estimate['sms_credits']:,} SMS credits (segments); about "
            f"{estimate['minutes_needed'] / 60:.1f} h at {estimate['sms_per_minute']}/min"
        )
    return "\n".join(lines)


def summary_html(manifest: dict[str, Any]) -> str:
    """A compact table for notebooks: the funnel and rejects by reason."""
    rows = "".join(
        f"<tr><td>{html.escape(label)}</td><td style='text-align:right'>{n:,}</td></tr>"
        for label, n in funnel(manifest)
    )
    reasons = "".join(
        f"<tr><td>{html.escape(reason)}</td><td style='text-align:right'>{n:,}</td></tr>"
        for reason, n in manifest["counts"]["rejected_by_reason"].items()
    )
    title = html.escape(f"listprep: {manifest['channel']} {manifest['method']}")
    return (
        f"<div><strong>{title}</strong>"
        f"<table><tr><th>funnel</th><th></th></tr>{rows}"
        f"<tr><th>rejected by reason</th><th></th></tr>{reasons}</table>"
        f"<p>{len(manifest['lists'])} list(s), {len(manifest['campaigns'])} campaign(s)</p></div>"
    )
