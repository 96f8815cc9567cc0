"""The one orchestrator: read, run the stages in order, collect once, render the outputs."""

from __future__ import annotations

import hashlib
import os
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import polars as pl
import polars.selectors as cs

from listprep.campaign import (
    IST,
    estimate,
    now_utc,
    plan_capacity,
    schedule_for,
    schedule_warnings,
)
from listprep.config import PipelineConfig, Purpose
from listprep.dndindex import (
    DndIndex,
    RegisterReport,
    check_register_age,
    load_dnd,
    report_register,
)
from listprep.errors import ConfigError, ListprepWarning
from listprep.fastphone import warm_up
from listprep.limits import Channel, Method
from listprep.lists import (
    NUMBER,
    dropped_columns,
    header_bytes,
    list_columns,
    list_exprs,
    row_bytes,
)
from listprep.manifest import MANIFEST_VERSION, campaign_request, created_at, to_json
from listprep.outputs import InMemory, OnDisk, Outputs
from listprep.privacy import mask_digit_runs, mask_expr
from listprep.reader import (
    ROW_ID,
    SOURCE_FILE,
    SOURCE_ROW,
    Batch,
    InputInfo,
    Inputs,
    Source,
    open_sources,
    refuse_repeats,
    source_list,
)
from listprep.registers import Register, e164_key, load_register
from listprep.rejects import REJECT_COLUMNS, StageOutput
from listprep.report import report_html, summary_html, summary_text
from listprep.stages import check_template, dedupe, normalise, scrub, split
from listprep.stages.dedupe import SeenNumbers
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
from listprep.writer import Staging, write_outputs

T = TypeVar("T")
STAGES = ("read", "normalise", "check_template", "dedupe", "scrub")
"""In run order. The template check comes before dedupe: of a number's rows, the first that can
be sent is kept (a first copy with an empty @@variable would otherwise reject a good second)."""
_BYTES = "_bytes"
_KEY = "_key"


class _Summary:
    """What both results show: the manifest as the CLI's table and as a notebook view."""

    __slots__ = ()
    manifest: dict[str, Any]

    @property
    def report(self) -> str:
        """The summary the CLI prints: funnel, rejects by reason, lists, campaigns, estimates."""
        return summary_text(self.manifest)

    def __repr__(self) -> str:
        return self.report

    def _repr_html_(self) -> str:
        return summary_html(self.manifest)


@dataclass(frozen=True, slots=True, repr=False)
class Result(_Summary):
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
        return write_outputs(outdir, self.files, force=force, inputs=_files_read(self.manifest))

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


@dataclass(frozen=True, slots=True, repr=False)
class Written(_Summary):
    """What :func:`prepare_to` returns: the output folder and its manifest."""

    outdir: Path
    manifest: dict[str, Any]


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
    a short message as each step starts (stage names and counts, never data). Everything is
    held in memory; :func:`prepare_to` writes as it goes, for inputs of any size.
    """
    cfg = _config(config, options)
    outputs = InMemory(redact=cfg.output.redact_rejects)
    manifest, lists = _execute(sources, cfg, progress, outputs)
    _warn(manifest)
    kept = pl.concat(outputs.kept)  # a frame of no rows still makes one batch
    return Result(
        lists=kept.hstack(lists.select(CAMPAIGN, CHUNK, DAY)).drop(ROW_ID),
        rejects=pl.concat(outputs.rejected).select(REJECT_COLUMNS),
        manifest=manifest,
        files=dict(sorted(outputs.files.items())),
    )


def prepare_to(
    outdir: str | os.PathLike[str],
    sources: Source | Iterable[Source],
    config: PipelineConfig | None = None,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    **options: Any,
) -> Written:
    """Run the pipeline and write its outputs into ``outdir`` as they are made.

    The same files as ``prepare(...).write(outdir)``, byte for byte, but memory stays bounded
    by the batch size (``batch_rows``) and the kept rows' narrow columns: list rows wait in a
    spill file inside the staging folder until the split is known.
    """
    cfg = _config(config, options)
    files = [s for s in source_list(sources) if isinstance(s, str | os.PathLike)]
    inputs = [*files, *cfg.scrub.dnd, *cfg.scrub.suppress]
    with Staging(outdir, force=force, inputs=inputs) as staging:
        with OnDisk(staging, redact=cfg.output.redact_rejects) as outputs:
            manifest, _ = _execute(sources, cfg, progress, outputs)
    _warn(manifest)
    return Written(outdir=Path(outdir), manifest=manifest)


def _warn(manifest: Mapping[str, Any]) -> None:
    for message in manifest["warnings"]:
        warnings.warn(message, ListprepWarning, stacklevel=3)


def _files_read(manifest: Mapping[str, Any]) -> list[str]:
    """The input files and registers a run read, as its manifest names them."""
    registers = manifest.get("registers", {})
    entries = [
        *manifest.get("inputs", ()),
        *registers.get("dnd", ()),
        *registers.get("suppress", ()),
    ]
    return [str(e["path"]) for e in entries if e.get("sha256")]  # a frame has no file


def _config(config: PipelineConfig | None, options: dict[str, Any]) -> PipelineConfig:
    if config is not None and not isinstance(config, PipelineConfig):
        raise ConfigError(
            f"config must be a PipelineConfig, not a {type(config).__name__}",
            hint="give options as keywords: prepare(source, channel='sms', ...)",
        )
    if config is not None and options:
        raise ConfigError("give a PipelineConfig or keyword options, not both")
    return config or PipelineConfig.from_options(**options)


def _execute(
    sources: Source | Iterable[Source],
    cfg: PipelineConfig,
    progress: Callable[[str], None] | None,
    outputs: Outputs,
) -> tuple[dict[str, Any], pl.DataFrame]:
    """Read and run the stages batch by batch, then split, render and write through
    ``outputs``; return the manifest and the kept rows' narrow frame with their lists."""
    say = progress or (lambda _message: None)
    created = created_at()
    day_capacity = plan_capacity(
        cfg.campaign, cfg.channel, promotional=cfg.scrub.purpose is not Purpose.TRANSACTIONAL
    )
    for paths, what in ((cfg.scrub.dnd, "DND register"), (cfg.scrub.suppress, "suppression list")):
        why = "it would be read, reported and warned about twice"
        refuse_repeats(paths, f"the same {what} is given twice: {why}", f"give each {what} once")
    say("opening inputs")
    with open_sources(sources, cfg.read) as opened:  # closed however the run ends
        columns_frame, renamed = rename_headers(opened.empty().lazy(), cfg.template)
        columns = columns_frame.collect_schema().names()
        _check_template_fits(cfg, columns, renamed, opened.headers)
        say("loading registers")
        dnd, dnd_reports, register_warnings = _load_dnd(cfg, created)
        suppress = [
            load_register(p, cfg.scrub.region, suppression=True) for p in cfg.scrub.suppress
        ]
        register_warnings += [w for r in suppress if (w := r.bad_rows_warning())]
        layout = list_columns(columns, cfg.method, cfg.template.variables)
        names = list(layout)
        checker = _Checker(
            cfg,
            dnd=dnd,
            suppress=combine_suppressions(suppress),
            keep=None if outputs.keeps_frames else _needed(cfg, columns, layout),
        )
        tally = _check_batches(opened, cfg, checker, outputs, layout, say)
    inputs = opened.inputs
    kept_rows = pl.concat(tally.narrow)  # a frame of no rows still makes one batch
    lists = split(
        kept_rows,
        cfg.split,
        row_bytes=None if cfg.split.max_bytes is None else kept_rows.get_column(_BYTES),
        header_bytes=header_bytes(names),
        day_capacity=day_capacity,
    )
    say(f"writing {lists.height:,} contacts into lists and campaigns")
    with ThreadPoolExecutor(1, thread_name_prefix="listprep-figures") as pool:
        pending = pool.submit(_list_figures, cfg, lists)  # while the lists are written
        list_entries, campaigns = _render(cfg, lists, names, outputs)
        list_figures = pending.result()
    warnings = register_warnings + _schedule_warnings(cfg, created) + _idle_options(cfg, inputs)
    figures, late = estimate(
        cfg.campaign,
        cfg.channel,
        {c["index"]: c["contacts"] for c in campaigns},
        {c["index"]: c["day"] for c in campaigns},
        promotional=cfg.scrub.purpose is not Purpose.TRANSACTIONAL,
    )
    for entry in campaigns:
        entry["estimate"] = figures[entry["index"]]
    rejects_entry = outputs.rejects_entry()
    manifest = _manifest(
        cfg,
        inputs=inputs,
        registers={
            "dnd": [r.describe() for r in dnd_reports],
            "suppress": [r.describe() for r in suppress],
        },
        stage_rejects=tally.stage_rejects,
        normalise_stats=dict(tally.normalise_stats),
        rejected_by_reason=dict(sorted(tally.reasons.items())),
        lists=lists,
        list_figures=list_figures,
        layout=layout,
        columns=columns,
        renamed=renamed,
        list_entries=list_entries,
        campaigns=campaigns,
        rejects_entry=rejects_entry,
        created=created,
        warnings=warnings + late,
    )
    outputs.put("manifest.json", to_json(manifest))
    outputs.put("report.html", report_html(manifest, tally.samples).encode())
    return manifest, lists


def _needed(cfg: PipelineConfig, columns: list[str], layout: dict[str, list[str]]) -> list[str]:
    """The input columns some output reads: the list's, the template's and the rules'."""
    needed = {c for fills in layout.values() for c in fills}
    needed |= {*cfg.template.variables, *(r.column for r in cfg.template.column_rules)}
    return [c for c in columns if c in needed]


@dataclass(slots=True)
class _Tally:
    """What the batches leave behind for the split and the manifest."""

    stage_rejects: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    reasons: Counter[str] = field(default_factory=Counter)
    normalise_stats: Counter[str] = field(default_factory=Counter)
    narrow: list[pl.DataFrame] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    rows: int = 0


def _check_batches(
    opened: Inputs,
    cfg: PipelineConfig,
    checker: _Checker,
    outputs: Outputs,
    layout: dict[str, list[str]],
    say: Callable[[str], None],
) -> _Tally:
    """Check every batch and hand its rows to ``outputs``, tallying as it goes (the next
    batch is read meanwhile: see :func:`_read_ahead`)."""
    tally = _Tally()
    names = list(layout)
    for step in _read_ahead(checker.normalised(opened), lambda: warm_up(cfg.normalise)):
        tally.rows += step.rows
        say(f"{tally.rows:,} rows read and normalised: deduplicating, scrubbing, checking")
        kept, parts = checker.check(step)
        tally.normalise_stats.update(step.figures)
        for stage, part in zip(STAGES, parts, strict=True):
            tally.stage_rejects[stage] += part.height
        rejected = pl.concat(parts).sort(ROW_ID, maintain_order=True)
        tally.reasons.update(dict(rejected.group_by("reason").len().iter_rows()))
        listed = kept.select(list_exprs(layout, escape=cfg.output.escape_formulas))
        tally.narrow.append(_narrow(cfg, kept, listed, names))
        if len(tally.samples) < 3:
            tally.samples += _samples(cfg, kept, 3 - len(tally.samples))
        outputs.add(kept, listed, rejected)
    return tally


def _read_ahead(items: Iterator[T], meanwhile: Callable[[], object] | None = None) -> Iterator[T]:
    """The next item is made in a thread while this one is used: polars, numpy and file
    reads release the GIL, so reading and normalising the next batch overlap the other
    stages of this one on a second core. ``meanwhile`` runs while the first is made."""
    with ThreadPoolExecutor(1, thread_name_prefix="listprep-read") as pool:
        coming = pool.submit(next, items, None)
        if meanwhile is not None:
            meanwhile()
        while (item := coming.result()) is not None:
            coming = pool.submit(next, items, None)
            yield item


class _Checker:
    """The stages from normalise to the template check, over one batch at a time; it carries
    the numbers kept so far from batch to batch, so dedupe sees across batches."""

    def __init__(
        self,
        cfg: PipelineConfig,
        *,
        dnd: list[Register | DndIndex],
        suppress: pl.DataFrame | None,
        keep: list[str] | None = None,
    ) -> None:
        self.cfg = cfg
        self.dnd = dnd or None
        self.suppress = suppress
        self.keep = keep
        """Input columns the outputs need (``None``: all of them, for ``Result.lists``)."""
        self.seen = SeenNumbers()

    def normalised(self, batches: Iterable[Batch]) -> Iterator[_Normalised]:
        """Each batch normalised: the first half of the work, which needs no state, so it
        can run ahead in another thread (see :func:`_read_ahead`)."""
        cfg = self.cfg
        threads = None  # the first batch: the main thread waits for it, so use every core
        for batch in batches:
            frame, _ = rename_headers(batch.kept.lazy(), cfg.template)
            if self.keep is not None:  # fewer columns through every stage's filters
                frame = frame.select(cs.starts_with("_") | cs.by_name(self.keep))
            stage = _run(normalise(frame, cfg.normalise, threads=threads))
            # later batches: the main thread checks the previous one meanwhile, on a core of
            # its own (one chunk fewer: a 1M-row run's CPU 3.2 -> 3.1 s)
            threads = max(1, pl.thread_pool_size() - 1)
            stats = stage.kept.select(
                pl.len().alias("rows"),
                pl.col("_had_extension").sum().alias("extensions_dropped"),
                (pl.col("_multi_number") & (pl.col("_part") == 0))
                .sum()
                .alias("multi_number_cells"),
            )
            yield _Normalised(
                rows=batch.kept.height + batch.rejected.height,
                kept=stage.kept,
                rejected=[batch.rejected, stage.rejected.collect()],
                rule_failures=column_check_failures(frame, cfg.template),
                figures=stats.collect().row(0, named=True),
            )

    def check(self, step: _Normalised) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
        """The template check, dedupe (against every earlier batch) and scrub: kept rows in
        input order, and each stage's rejects in :data:`STAGES` order. Each stage's frame is
        dropped as soon as the next is made."""
        cfg = self.cfg
        rejected = list(step.rejected)
        stage = _run(
            check_template(
                with_number_variable(step.kept, cfg.template),
                cfg.template,
                rule_failures=step.rule_failures,
            )
        )
        rejected.append(stage.rejected.collect())
        stage = _run(dedupe(stage.kept, self.seen))
        self.seen.add(stage.kept.collect())
        rejected.append(stage.rejected.collect())
        stage = _run(scrub(stage.kept, cfg.scrub, dnd=self.dnd, suppress=self.suppress))
        rejected.append(stage.rejected.collect())
        return stage.kept.collect().sort(ROW_ID, maintain_order=True), rejected


class _Normalised(NamedTuple):
    """One batch after the normaliser, with what the rest of the stages need of it."""

    rows: int
    kept: pl.LazyFrame
    rejected: list[pl.DataFrame]
    """The read stage's and the normaliser's rejects."""
    rule_failures: pl.DataFrame
    figures: dict[str, int]


def _narrow(
    cfg: PipelineConfig, kept: pl.DataFrame, listed: pl.DataFrame, names: list[str]
) -> pl.DataFrame:
    """What the split and the manifest need of each kept row, a few bytes a row."""
    columns = [
        ROW_ID,
        e164_key(pl.col(E164)).alias(_KEY),
        pl.col(SOURCE_FILE).cast(pl.Categorical),
        SOURCE_ROW,
    ]
    if cfg.channel is Channel.SMS:
        columns += [pl.col(SMS_ENCODING).cast(pl.Categorical), SMS_SEGMENTS, SMS_LENGTH]
    frame = kept.select(columns)
    if cfg.split.max_bytes is not None:
        frame = frame.with_columns(row_bytes(listed, names).alias(_BYTES))
    return frame


def _run(stage: StageOutput) -> StageOutput:
    """Compute a stage's kept and rejected rows together, once: the next stage and the
    rejects then read materialised frames instead of re-running the plan (a lazy plan used
    twice would run a DND lookup or the template checks twice)."""
    kept, rejected = pl.collect_all([stage.kept, stage.rejected])
    return StageOutput(kept.lazy(), rejected.lazy())


def _check_template_fits(
    cfg: PipelineConfig,
    columns: list[str],
    renamed: dict[str, str],
    inputs: list[tuple[str, list[str]]],
) -> None:
    validate_template(cfg.template, [*columns, NUMBER_VARIABLE], renamed, inputs)
    check_variable_count(cfg)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _render(
    cfg: PipelineConfig, lists: pl.DataFrame, names: list[str], outputs: Outputs
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """List files and request bodies through ``outputs``, with their manifest entries.

    The splitter keeps each list a contiguous run of kept rows, so a list is a slice of the
    rendered rows (``outputs.listed``).
    """
    list_entries: list[dict[str, Any]] = []
    campaigns: list[dict[str, Any]] = []
    runs = lists.group_by(CAMPAIGN, DAY, CHUNK, maintain_order=True).len().rows()
    jobs, start = [], 0
    for campaign, _, chunk, n in runs:
        jobs.append((_list_file(campaign, chunk), start, n))
        start += n
    written = _write_lists(outputs, jobs) if cfg.method is not Method.INLINE else {}
    start = 0
    for campaign, day in dict.fromkeys((c, d) for c, d, _, _ in runs):
        members = [(chunk, n) for c, _, chunk, n in runs if c == campaign]
        first, contacts = start, sum(n for _, n in members)
        list_files: list[str] = []
        for chunk, n in members:
            if cfg.method is not Method.INLINE:
                name = _list_file(campaign, chunk)
                size, digest = written[name]
                list_files.append(name)
                list_entries.append(
                    {
                        "file": name,
                        "rows": n,
                        "bytes": size,
                        "sha256": digest,
                        "campaign": campaign,
                        "first_source": _where(lists, start),
                        "last_source": _where(lists, start + n - 1),
                    }
                )
            start += n
        numbers = None
        if not list_files:
            numbers = outputs.listed(first, contacts).get_column(NUMBER).to_list()
        schedule = schedule_for(cfg.campaign, day)
        request_file = f"requests/campaign-{campaign:02d}.json"
        body = to_json(
            campaign_request(
                cfg, campaign, list_files=list_files, numbers=numbers, schedule=schedule
            )
        )
        outputs.put(request_file, body)
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
    return list_entries, campaigns


def _list_file(campaign: int, chunk: int) -> str:
    return f"lists/campaign-{campaign:02d}/list-{chunk:02d}.csv"


def _write_lists(outputs: Outputs, lists: list[tuple[str, int, int]]) -> dict[str, tuple[int, str]]:
    """Each list file (name, first row, rows) with its bytes and sha256, a few at a time: the
    run's last step, when the read-ahead thread is idle. polars writes with the GIL released,
    so the two lists of a 1M-row run took 0.09-0.10 s, not 0.15-0.17 s (the kernel's copy into
    the page cache is most of a write)."""
    workers = max(1, min(len(lists), pl.thread_pool_size(), 4))
    with ThreadPoolExecutor(workers, thread_name_prefix="listprep-lists") as pool:
        done = pool.map(lambda job: outputs.put_csv(job[0], outputs.listed(job[1], job[2])), lists)
        return dict(zip((name for name, _, _ in lists), done, strict=True))


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


def _idle_options(cfg: PipelineConfig, inputs: Iterable[InputInfo]) -> list[str]:
    """Options given that this run could not use: said, since the user expected an effect."""
    idle = []
    if cfg.scrub.category is not None and not cfg.scrub.dnd:
        idle.append(
            f"category {cfg.scrub.category} (--category) has no effect without a DND register "
            "(--dnd)"
        )
    if cfg.scrub.dnd and cfg.scrub.purpose is Purpose.TRANSACTIONAL:
        idle.append(
            "the DND registers (--dnd) were not applied: transactional messages and calls may "
            "reach every number (--purpose transactional)"
        )
    voice_only = [
        name
        for name, given in (
            ("retries (--retries)", cfg.campaign.retries.number_of_retries > 0),
            ("throttle (--throttle)", cfg.campaign.throttle is not None),
        )
        if given
    ]
    if cfg.channel is Channel.SMS and voice_only:
        idle.append(
            f"{' and '.join(voice_only)} apply to voice campaigns: an SMS campaign sends at "
            "sms_per_minute and does not retry"
        )
    if cfg.read.sheet is not None and all(i.sheet is None for i in inputs):
        idle.append("sheet (--sheet) has no effect: no input is an Excel workbook")
    return idle


def _schedule_warnings(cfg: PipelineConfig, created: str) -> list[str]:
    return schedule_warnings(schedule_for(cfg.campaign, 1), cfg.channel, now_utc(created))


def _samples(cfg: PipelineConfig, lists: pl.DataFrame, count: int) -> list[str]:
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
    rejected_by_reason: dict[str, int],
    lists: pl.DataFrame,
    list_figures: dict[str, Any],
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
            derived = normalise_stats.get("rows", 0) - out
            out = normalise_stats.get("rows", 0)
        stages[stage] = {"in": flowing, "out": out, "rejected": rejected}
        flowing = out
    stages["split"] = {"in": flowing, "out": lists.height}
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
            "rejected_rows": rejects_entry["rows"],
            "rejected_by_reason": rejected_by_reason,
            "stages": stages,
            "extensions_dropped": normalise_stats.get("extensions_dropped", 0),
            "multi_number_cells": normalise_stats.get("multi_number_cells", 0),
        },
        "columns": {"list": list(layout), "dropped": dropped_columns(columns, layout)},
        "renamed_headers": renamed,
        "lists": list_entries,
        "rejects": rejects_entry,
        "campaigns": campaigns,
        "numbers_in_one_list_only": list_figures["numbers_in_one_list_only"],
        "estimate": _estimate(cfg, campaigns),
        "warnings": warnings,
    }
    if cfg.channel is Channel.SMS:
        manifest["sms"] = list_figures["sms"]
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


def _list_figures(cfg: PipelineConfig, lists: pl.DataFrame) -> dict[str, Any]:
    """What the manifest says of all the kept rows at once (0.9 s at 10M rows, so it runs
    while the lists are written)."""
    figures: dict[str, Any] = {
        "numbers_in_one_list_only": lists[_KEY].is_unique().all() if lists.height else True
    }
    if cfg.channel is Channel.SMS:
        figures["sms"] = _sms_figures(lists)
    return figures


def _sms_figures(lists: pl.DataFrame) -> dict[str, Any]:
    """Run-wide and per-campaign: encodings, segment histogram, length range, credits."""
    narrow = lists.select(CAMPAIGN, SMS_ENCODING, SMS_SEGMENTS, SMS_LENGTH)
    per_campaign = [
        {"campaign": campaign, "contacts": rows.height, **sms_summary(rows)}
        for (campaign,), rows in narrow.group_by(CAMPAIGN, maintain_order=True)
    ]
    return {**sms_summary(lists), "campaigns": per_campaign}
