"""The one orchestrator: read, run the stages in order, collect once, render the outputs."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import polars as pl

from listprep.campaign import (
    IST,
    estimate,
    now_utc,
    plan_capacity,
    schedule_for,
    sms_schedule_warnings,
)
from listprep.config import PipelineConfig, Purpose
from listprep.dndindex import (
    DndIndex,
    RegisterReport,
    check_register_age,
    load_dnd,
    report_register,
)
from listprep.errors import ConfigError
from listprep.limits import Channel, Method
from listprep.lists import dropped_columns, header_bytes, list_columns, list_exprs, row_bytes
from listprep.manifest import MANIFEST_VERSION, campaign_request, created_at, to_json
from listprep.privacy import mask_digit_runs, mask_expr
from listprep.reader import ROW_ID, InputInfo, Source, read_sources
from listprep.registers import Register, load_register
from listprep.rejects import REJECT_COLUMNS, StageOutput, rejects_csv
from listprep.report import report_html, summary_html, summary_text
from listprep.stages import check_template, dedupe, normalise, scrub, split
from listprep.stages.normalise import E164
from listprep.stages.scrub import combine_suppressions
from listprep.stages.split import CAMPAIGN, CHUNK, DAY
from listprep.stages.template import (
    NUMBER_VARIABLE,
    SMS_ENCODING,
    SMS_LENGTH,
    SMS_SEGMENTS,
    check_variable_count,
    column_check_failures,
    rename_headers,
    render_expr,
    sms_summary,
    validate_template,
    with_number_variable,
)
from listprep.writer import write_outputs

STAGES = ("read", "normalise", "dedupe", "scrub", "check_template")


@dataclass(frozen=True, slots=True)
class Result:
    """What :func:`prepare` returns: frames to inspect, and the files :meth:`write` puts on disk."""

    lists: pl.DataFrame
    """Kept contacts in input order, with ``_e164``, ``_campaign`` and ``_chunk``."""
    rejects: pl.DataFrame
    """One row per dropped input row, with the columns of :data:`REJECT_COLUMNS`."""
    manifest: dict[str, Any]
    files: Mapping[str, bytes] = field(repr=False)
    """Every output file, by its path relative to OUTDIR, exactly as :meth:`write` writes it."""

    def write(self, outdir: str | os.PathLike[str], *, force: bool = False) -> Path:
        """Write lists, requests, rejects and manifest into ``outdir``, atomically."""
        return write_outputs(outdir, self.files, force=force)

    @property
    def report(self) -> str:
        """The summary the CLI prints: funnel, rejects by reason, lists, campaigns, estimates."""
        return summary_text(self.manifest)

    def to_pandas(self, frame: str = "lists") -> Any:
        """``lists`` or ``rejects`` as a pandas DataFrame (needs pandas and pyarrow)."""
        if frame not in ("lists", "rejects"):
            raise ConfigError(f"to_pandas takes 'lists' or 'rejects', not {frame!r}")
        chosen: pl.DataFrame = getattr(self, frame)
        try:
            return chosen.to_pandas()
        except ModuleNotFoundError as exc:
            raise ConfigError(
                f"to_pandas needs {exc.name}", hint="pip install pandas pyarrow"
            ) from None

    def __repr__(self) -> str:
        return self.report

    def _repr_html_(self) -> str:
        return summary_html(self.manifest)


def prepare(
    sources: Source | Iterable[Source],
    config: PipelineConfig | None = None,
    *,
    progress: Callable[[str], None] | None = None,
    **options: Any,
) -> Result:
    """Run the whole pipeline over ``sources`` (paths or frames) and return a :class:`Result`.

    Give either a :class:`PipelineConfig` or its options as keywords
    (``prepare("a.csv", channel="sms", template="Hi @@first_name")``). ``progress`` receives
    a short message as each step starts (stage names and counts, never data).
    """
    say = progress or (lambda _message: None)
    if config is not None and options:
        raise ConfigError("give a PipelineConfig or keyword options, not both")
    cfg = config or PipelineConfig.from_options(**options)
    created = created_at()
    day_capacity = plan_capacity(
        cfg.campaign, cfg.channel, promotional=cfg.scrub.purpose is not Purpose.TRANSACTIONAL
    )
    say("reading inputs")
    read = read_sources(sources, cfg.read)
    frame, renamed = rename_headers(read.kept, cfg.template)
    inputs = read.inputs
    columns = frame.collect_schema().names()
    _check_template_fits(cfg, columns, renamed)
    say(f"read {sum(i.rows for i in inputs):,} rows from {len(inputs)} input(s); loading registers")
    dnd, dnd_reports, register_warnings = _load_dnd(cfg, created)
    suppress = [load_register(p, cfg.scrub.region, suppression=True) for p in cfg.scrub.suppress]

    say("normalising phone numbers")
    normalised = _run(normalise(frame, cfg.normalise))
    normalise_stats = normalised.kept.select(
        pl.len().alias("rows"),
        pl.col("_had_extension").sum().alias("extensions_dropped"),
        (pl.col("_multi_number") & (pl.col("_part") == 0)).sum().alias("multi_number_cells"),
    ).collect()
    say("deduplicating")
    unique = _run(dedupe(normalised.kept))
    say("scrubbing against DND registers and suppression lists")
    allowed = _run(
        scrub(unique.kept, cfg.scrub, dnd=dnd or None, suppress=combine_suppressions(suppress))
    )
    say("checking the template")
    rendered = _run(
        check_template(
            with_number_variable(allowed.kept, cfg.template),
            cfg.template,
            rule_failures=column_check_failures(frame, cfg.template),
        )
    )
    kept = rendered.kept.collect()
    stage_rejects = [
        stage.rejected.collect() for stage in (read, normalised, unique, allowed, rendered)
    ]
    kept = kept.sort(ROW_ID, maintain_order=True)  # a split cell's numbers share a row id
    layout = list_columns(columns, cfg.method, cfg.template.variables)
    names = list(layout)
    say(f"splitting {kept.height:,} contacts into lists and campaigns")
    sized = cfg.split.max_bytes is not None
    escape = cfg.output.escape_formulas
    lists = split(
        kept,
        cfg.split,
        row_bytes=row_bytes(kept.select(list_exprs(layout, escape=escape)), names)
        if sized
        else None,
        header_bytes=header_bytes(names),
        day_capacity=day_capacity,
    )
    rejects = pl.concat(stage_rejects).sort(ROW_ID, maintain_order=True)
    files, list_entries, campaigns = _render(cfg, lists, layout)
    warnings = register_warnings + _schedule_warnings(cfg, created)
    figures, late = estimate(
        cfg.campaign,
        cfg.channel,
        {c["index"]: c["contacts"] for c in campaigns},
        {c["index"]: c["day"] for c in campaigns},
    )
    for entry in campaigns:
        entry["estimate"] = figures[entry["index"]]
    files["rejects.csv"] = rejects_csv(rejects, redact=cfg.output.redact_rejects)
    manifest = _manifest(
        cfg,
        inputs=inputs,
        registers={
            "dnd": [r.describe() for r in dnd_reports],
            "suppress": [r.describe() for r in suppress],
        },
        stage_rejects=dict(zip(STAGES, (r.height for r in stage_rejects), strict=True)),
        normalise_stats=normalise_stats.row(0, named=True),
        rejects=rejects,
        lists=lists,
        layout=layout,
        columns=columns,
        renamed=renamed,
        list_entries=list_entries,
        campaigns=campaigns,
        rejects_entry={
            "file": "rejects.csv",
            "rows": rejects.height,
            "bytes": len(files["rejects.csv"]),
            "sha256": _sha256(files["rejects.csv"]),
        },
        created=created,
        warnings=warnings + late,
    )
    files["manifest.json"] = to_json(manifest)
    files["report.html"] = report_html(manifest, _samples(cfg, lists)).encode()
    return Result(
        lists=lists.drop(ROW_ID),
        rejects=rejects.select(REJECT_COLUMNS),
        manifest=manifest,
        files=dict(sorted(files.items())),
    )


def _run(stage: StageOutput) -> StageOutput:
    """Compute a stage's kept and rejected rows together, once: the next stage and the
    rejects then read materialised frames instead of re-running the plan (a lazy plan used
    twice would run a DND lookup or the template checks twice)."""
    kept, rejected = pl.collect_all([stage.kept, stage.rejected])
    return StageOutput(kept.lazy(), rejected.lazy())


def _check_template_fits(cfg: PipelineConfig, columns: list[str], renamed: dict[str, str]) -> None:
    validate_template(cfg.template, [*columns, NUMBER_VARIABLE], renamed)
    check_variable_count(cfg)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _render(
    cfg: PipelineConfig, lists: pl.DataFrame, layout: dict[str, list[str]]
) -> tuple[dict[str, bytes], list[dict[str, Any]], list[dict[str, Any]]]:
    """List files and request bodies, with their manifest entries.

    The splitter keeps each list a contiguous run of rows, so lists are zero-copy slices of
    one projection of the output columns.
    """
    files: dict[str, bytes] = {}
    list_entries: list[dict[str, Any]] = []
    campaigns: list[dict[str, Any]] = []
    projected = lists.select(list_exprs(layout, escape=cfg.output.escape_formulas))
    runs = lists.group_by(CAMPAIGN, DAY, CHUNK, maintain_order=True).len().rows()
    start = 0
    for campaign, day in dict.fromkeys((c, d) for c, d, _, _ in runs):
        members = [(chunk, n) for c, _, chunk, n in runs if c == campaign]
        first, contacts = start, sum(n for _, n in members)
        list_files: list[str] = []
        for chunk, n in members:
            if cfg.method is not Method.INLINE:
                name = f"lists/campaign-{campaign:02d}/list-{chunk:02d}.csv"
                data = projected.slice(start, n).write_csv().encode()
                files[name] = data
                list_files.append(name)
                list_entries.append(
                    {
                        "file": name,
                        "rows": n,
                        "bytes": len(data),
                        "sha256": _sha256(data),
                        "campaign": campaign,
                        "first_source": _where(lists, start),
                        "last_source": _where(lists, start + n - 1),
                    }
                )
            start += n
        numbers = lists[E164].slice(first, contacts).to_list() if not list_files else None
        schedule = schedule_for(cfg.campaign, day)
        request_file = f"requests/campaign-{campaign:02d}.json"
        body = to_json(
            campaign_request(
                cfg, campaign, list_files=list_files, numbers=numbers, schedule=schedule
            )
        )
        files[request_file] = body
        campaigns.append(
            {
                "index": campaign,
                "day": day,
                "schedule": schedule.body(cfg.channel),
                "lists": list_files,
                "contacts": contacts,
                "request_file": request_file,
                "request_sha256": _sha256(body),
            }
        )
    return files, list_entries, campaigns


def _load_dnd(
    cfg: PipelineConfig, created: str
) -> tuple[list[Register | DndIndex], list[RegisterReport], list[str]]:
    """DND sources (raw registers or prebuilt indexes) with their manifest entries; a register
    older than ``max_register_age`` days on the run's date stops the run (unless allowed)."""
    scrub_cfg = cfg.scrub
    sources = [
        load_dnd(p, scrub_cfg.region, snapshot_date=scrub_cfg.register_date) for p in scrub_cfg.dnd
    ]
    today = now_utc(created).astimezone(IST).date()
    reports = [report_register(s, today=today) for s in sources]
    if scrub_cfg.purpose is Purpose.TRANSACTIONAL:
        return sources, reports, []
    warnings = check_register_age(
        reports,
        max_age_days=scrub_cfg.max_register_age,
        allow_stale=scrub_cfg.allow_stale_register,
    )
    return sources, reports, warnings


def _schedule_warnings(cfg: PipelineConfig, created: str) -> list[str]:
    if cfg.channel is not Channel.SMS:
        return []
    return sms_schedule_warnings(schedule_for(cfg.campaign, 1), now_utc(created))


def _samples(cfg: PipelineConfig, lists: pl.DataFrame, count: int = 3) -> list[str]:
    """A few rendered messages for the report, each led by its masked number.

    A template may quote a phone column, so any run of 7 or more digits in the text is
    masked too.
    """
    if not cfg.template.text or lists.height == 0:
        return []
    head = lists.head(count).select(
        mask_expr(pl.col(E164)).alias("to"), render_expr(cfg.template.text).alias("text")
    )
    return [f"to {to}: {mask_digit_runs(text)}" for to, text in head.iter_rows()]


def _where(lists: pl.DataFrame, index: int) -> str:
    return f"{lists['_source_file'][index]}:{lists['_source_row'][index]}"


def _manifest(
    cfg: PipelineConfig,
    *,
    inputs: tuple[InputInfo, ...],
    registers: dict[str, list[dict[str, object]]],
    stage_rejects: dict[str, int],
    normalise_stats: dict[str, int],
    rejects: pl.DataFrame,
    lists: pl.DataFrame,
    layout: dict[str, list[str]],
    columns: list[str],
    renamed: dict[str, str],
    list_entries: list[dict[str, Any]],
    campaigns: list[dict[str, Any]],
    rejects_entry: dict[str, Any],
    created: str,
    warnings: list[str],
) -> dict[str, Any]:
    input_rows = sum(i.rows for i in inputs)
    stages: dict[str, dict[str, int]] = {}
    flowing = input_rows
    derived = 0
    for stage, rejected in stage_rejects.items():
        out = flowing - rejected
        if stage == "normalise":  # --multi split turns one cell into several contacts
            derived = normalise_stats["rows"] - out
            out = normalise_stats["rows"]
        stages[stage] = {"in": flowing, "out": out, "rejected": rejected}
        flowing = out
    stages["split"] = {"in": flowing, "out": lists.height}
    by_reason = rejects.group_by("reason").len().sort("reason")
    manifest: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "listprep_version": version("listprep"),
        "phonenumbers_version": version("phonenumbers"),
        "created_at": created,
        "channel": cfg.channel.value,
        "method": cfg.method.value,
        "options": cfg.to_dict(),
        "inputs": [
            {
                "path": i.path,
                "sha256": i.sha256,
                "rows": i.rows,
                "phone_column": i.phone_column,
                "encoding": i.encoding,
                "delimiter": i.delimiter,
                "blank_lines": i.blank_lines,
                "sheet": i.sheet,
            }
            for i in inputs
        ],
        "registers": registers,
        "counts": {
            "input_rows": input_rows,
            "derived_rows": derived,
            "output_rows": lists.height,
            "rejected_rows": rejects.height,
            "rejected_by_reason": dict(by_reason.iter_rows()),
            "stages": stages,
            "extensions_dropped": normalise_stats["extensions_dropped"],
            "multi_number_cells": normalise_stats["multi_number_cells"],
        },
        "columns": {"list": list(layout), "dropped": dropped_columns(columns, layout)},
        "renamed_headers": renamed,
        "lists": list_entries,
        "rejects": rejects_entry,
        "campaigns": campaigns,
        "numbers_in_one_list_only": lists[E164].is_unique().all() if lists.height else True,
        "estimate": _estimate(cfg, campaigns),
        "warnings": warnings,
    }
    if cfg.channel is Channel.SMS:
        manifest["sms"] = _sms_figures(lists)
        manifest["estimate"]["sms_credits"] = manifest["sms"]["credits"]
    return manifest


def _estimate(cfg: PipelineConfig, campaigns: list[dict[str, Any]]) -> dict[str, Any]:
    """Run-wide worst case: the per-campaign figures added up."""
    figures = [c["estimate"] for c in campaigns]
    total: dict[str, Any] = {"contacts": sum(f["contacts"] for f in figures)}
    if cfg.channel is Channel.VOICE:
        total["max_call_attempts"] = sum(f["max_call_attempts"] for f in figures)
        total["calls_per_minute"] = cfg.campaign.calls_per_minute
    else:
        total["sms_per_minute"] = cfg.campaign.sms_per_minute
    total["minutes_needed"] = round(sum(f["minutes_needed"] for f in figures), 1)
    total["days"] = len({c["day"] for c in campaigns})
    return total


def _sms_figures(lists: pl.DataFrame) -> dict[str, Any]:
    """Run-wide and per-campaign: encodings, segment histogram, length range, credits."""
    narrow = lists.select(CAMPAIGN, SMS_ENCODING, SMS_SEGMENTS, SMS_LENGTH)
    per_campaign = [
        {"campaign": campaign, "contacts": rows.height, **sms_summary(rows)}
        for (campaign,), rows in narrow.group_by(CAMPAIGN, maintain_order=True)
    ]
    return {**sms_summary(lists), "campaigns": per_campaign}
