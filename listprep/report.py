"""Readable summaries of a run, built from the manifest alone: they never hold a number."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

FUNNEL = (
    ("rows in", "read", "in"),
    ("valid numbers", "normalise", "out"),
    ("rendered", "check_template", "out"),
    ("unique", "dedupe", "out"),
    ("allowed", "scrub", "out"),
)


def funnel(manifest: dict[str, Any]) -> list[tuple[str, int]]:
    stages = manifest["counts"]["stages"]
    return [(label, stages[stage][key]) for label, stage, key in FUNNEL]


def summary_text(manifest: dict[str, Any], *, warnings: bool = True) -> str:
    """A compact two-column table: the funnel, what came out, rejects by reason, estimates,
    and the run's warnings (the CLI prints those apart, on stderr)."""
    counts, estimate = manifest["counts"], manifest["estimate"]
    rows = [(label, f"{n:,}") for label, n in funnel(manifest)]
    rows.append(
        (
            "out",
            f"{counts['output_rows']:,} contacts in {len(manifest['lists'])} list(s), "
            f"{len(manifest['campaigns'])} campaign(s)",
        )
    )
    by_reason = sorted(counts["rejected_by_reason"].items(), key=lambda item: -item[1])
    if by_reason:
        parts = ", ".join(f"{reason} {n:,}" for reason, n in by_reason)
        rows.append(("rejected", f"{counts['rejected_rows']:,}: {parts}"))
    hours = f"{estimate['minutes_needed'] / 60:.1f} h"
    if "max_call_attempts" in estimate:
        rows.append(
            (
                "worst case",
                f"{estimate['max_call_attempts']:,} call attempts, {hours} of calling at "
                f"{estimate['calls_per_minute']} calls/min, campaigns on {estimate['days']} "
                "day(s)",
            )
        )
    if "sms_credits" in estimate:
        rows.append(
            (
                "SMS credits",
                f"{estimate['sms_credits']:,} segments, "
                f"{hours} at {estimate['sms_per_minute']}/min",
            )
        )
    if warnings:
        rows += [("warning", warning) for warning in manifest["warnings"]]
    title = f"listprep: {manifest['channel']} campaign, {manifest['method']} lists"
    return "\n".join([title, *(summary_row(label, value) for label, value in rows)])


def summary_row(label: str, value: str) -> str:
    """One row of the summary table (the CLI adds where the files went)."""
    return f"  {label:<14} {value}"


def summary_html(manifest: dict[str, Any]) -> str:
    """The notebook view of a run: the funnel and rejects as charts, and the counts."""
    reasons = sorted(manifest["counts"]["rejected_by_reason"].items(), key=lambda kv: -kv[1])
    title = html.escape(f"listprep: {manifest['channel']} {manifest['method']}")
    return (
        f"<div><strong>{title}</strong>"
        f"<p>{len(manifest['lists'])} list(s), {len(manifest['campaigns'])} campaign(s), "
        f"{manifest['counts']['output_rows']:,} contacts out of "
        f"{manifest['counts']['input_rows']:,} rows</p>"
        f"<div>{bar_chart(funnel(manifest), '#2680c2', width=640)}</div>"
        f"<p><em>rejected, by reason</em></p>"
        f"<div>{bar_chart(reasons, '#d64545', width=640)}</div>{_warning_list(manifest)}</div>"
    )


def _warning_list(manifest: dict[str, Any]) -> str:
    if not manifest["warnings"]:
        return ""
    items = "".join(f"<li>{html.escape(w)}</li>" for w in manifest["warnings"])
    return f"<p><em>warnings</em></p><ul>{items}</ul>"


# --- report.html -------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;
margin:0;background:#f5f7fa}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0 0 12px;color:#323f4b}
.sub{color:#616e7c;margin:0 0 20px}
section{background:#fff;border:1px solid #e4e7eb;border-radius:8px;padding:16px 20px;
margin:0 0 16px}
.kpis{display:flex;gap:12px;flex-wrap:wrap}.kpi{flex:1;min-width:140px;background:#fff;
border:1px solid #e4e7eb;border-radius:8px;padding:12px 16px}
.kpi b{display:block;font-size:22px}.kpi span{color:#616e7c}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;
border-bottom:1px solid #e4e7eb}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
svg text{font:12px system-ui,sans-serif;fill:#323f4b}
.warn{background:#fffbea;border-color:#f7c948}.warn li{margin:4px 0}
code,.sample{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
.sample{background:#f5f7fa;border-radius:6px;padding:8px 10px;margin:6px 0;white-space:pre-wrap}
"""


def bar_chart(rows: list[tuple[str, int]], colour: str, width: int = 900) -> str:
    """A horizontal bar chart as inline SVG: no script, no font, no network."""
    if not rows:
        return "<p>None.</p>"
    label_width, bar_height, gap = 190, 22, 8
    top = max(n for _, n in rows) or 1
    room = width - label_width - 90
    height = len(rows) * (bar_height + gap)
    parts = [
        f'<svg role="img" width="100%" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, n) in enumerate(rows):
        y = i * (bar_height + gap)
        length = max(1.0, room * n / top) if n else 0.0
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end">'
            f"{html.escape(label)}</text>"
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'rx="3" fill="{colour}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 15}">{n:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _fmt(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int | float) else str(value)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    def cell(tag: str, value: Any) -> str:
        numeric = isinstance(value, int | float)
        text = html.escape(_fmt(value))
        return f"<{tag}{' class=n' if numeric else ''}>{text}</{tag}>"

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell("td", v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def report_html(manifest: dict[str, Any], samples: Sequence[str] = ()) -> str:
    """``report.html``: one self-contained page (inline CSS and SVG) to look at after a run.

    ``samples`` are a few rendered messages with the number already masked.
    """
    counts, estimate = manifest["counts"], manifest["estimate"]
    title = f"listprep — {manifest['channel']} {manifest['method']} campaign"
    kpis = [
        (counts["input_rows"], "rows in"),
        (counts["output_rows"], "contacts out"),
        (counts["rejected_rows"], "rejected"),
        (len(manifest["lists"]), "lists"),
        (len(manifest["campaigns"]), "campaigns"),
    ]
    sections = [
        '<div class="kpis">'
        + "".join(f'<div class="kpi"><b>{n:,}</b><span>{label}</span></div>' for n, label in kpis)
        + "</div>"
    ]
    if manifest["warnings"]:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in manifest["warnings"])
        sections.append(f'<section class="warn"><h2>Warnings</h2><ul>{items}</ul></section>')
    sections.append(f"<section><h2>Funnel</h2>{bar_chart(funnel(manifest), '#2680c2')}</section>")
    reasons = sorted(counts["rejected_by_reason"].items(), key=lambda item: -item[1])
    sections.append(
        f"<section><h2>Rejected, by reason</h2>{bar_chart(reasons, '#d64545')}</section>"
    )
    campaign_rows = [
        [
            f"{c['index']:02d}",
            c["day"],
            c["contacts"],
            len(c["lists"]) or "inline",
            c["schedule"].get("send_at") or c["schedule"].get("start_time") or "now",
            f"{c['estimate']['minutes_needed'] / 60:.1f} h",
            c["request_file"],
        ]
        for c in manifest["campaigns"]
    ]
    sections.append(
        "<section><h2>Campaigns</h2>"
        + _table(
            ["campaign", "day", "contacts", "lists", "starts", "needs", "request"], campaign_rows
        )
        + "</section>"
    )
    list_rows = [
        [e["file"], e["rows"], e["bytes"], e["first_source"], e["last_source"]]
        for e in manifest["lists"]
    ]
    if list_rows:
        sections.append(
            "<section><h2>Lists</h2>"
            + _table(["file", "rows", "bytes", "first row from", "last row from"], list_rows)
            + "</section>"
        )
    rate = estimate.get("calls_per_minute") or estimate.get("sms_per_minute")
    facts = [
        ["contacts", estimate["contacts"]],
        ["worst-case call attempts", estimate.get("max_call_attempts", "—")],
        ["SMS credits (segments)", estimate.get("sms_credits", "—")],
        ["time needed", f"{estimate['minutes_needed'] / 60:.1f} h at {rate}/min"],
        ["days", estimate["days"]],
    ]
    rows = "".join(
        f"<tr><td>{html.escape(str(k))}</td><td class=n>{html.escape(_fmt(v))}</td></tr>"
        for k, v in facts
    )
    sections.append(f"<section><h2>Estimates (worst case)</h2><table>{rows}</table></section>")
    sms = manifest.get("sms")
    if sms:
        segments = [(f"{k} segment(s)", v) for k, v in sms["segments"].items()]
        encodings = ", ".join(f"{k}: {v:,}" for k, v in sms["encodings"].items())
        sections.append(
            "<section><h2>SMS segments per message</h2>"
            + bar_chart(segments, "#3ebd93")
            + f"<p>Encodings: {html.escape(encodings)}</p></section>"
        )
    if samples:
        rendered = "".join(f'<div class="sample">{html.escape(s)}</div>' for s in samples)
        sections.append(f"<section><h2>Rendered samples</h2>{rendered}</section>")
    inputs = ", ".join(f"{i['path']} ({i['rows']:,} rows)" for i in manifest["inputs"])
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="sub">{html.escape(inputs)} · listprep {manifest["listprep_version"]} · '
        f"{html.escape(manifest['created_at'])}</p>" + "".join(sections) + "</main></body></html>\n"
    )
