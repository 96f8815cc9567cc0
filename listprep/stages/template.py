"""Check template: every ``@@variable`` renders, and SMS length and encoding are known per row.

Exotel substitutes an empty string for an empty cell and sends a message of any length, so
broken or costly messages are caught here, before upload. Two levels:

* the template alone (fatal, :class:`TemplateError`, before any row): unknown variables, headers
  Exotel cannot use as variables, a stray ``@@``, a mismatch with the DLT-registered text;
* each row (rejects): an empty value, a value too long for DLT, a value breaking a column rule,
  a message that would go out as UCS-2 or in too many segments.

Row checks are polars expressions (column rules run in pandera): no per-row Python.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from listprep import rules
from listprep.config import VARIABLE_RE, PipelineConfig, TemplateConfig
from listprep.dlt import check_dlt
from listprep.errors import RejectReason, TemplateError
from listprep.limits import Channel, Method
from listprep.phone import INVISIBLE_CHARS
from listprep.privacy import mask, mask_digit_runs
from listprep.reader import ROW_ID, Source, header_key, open_sources, shown_headers
from listprep.rejects import Frame, StageOutput, lazy, no_rejects, rejects
from listprep.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    encoding_expr,
    segments_of,
    sms_info,
    units_expr,
)
from listprep.stages.normalise import normalise

SMS_ENCODING = "_sms_encoding"
SMS_UNITS = "_sms_units"
SMS_SEGMENTS = "_sms_segments"
SMS_LENGTH = "_sms_length"
"""Characters of the rendered message (what a person counts; units are what Exotel bills)."""
RULE_DETAIL = "_rule_detail"

SAFE_NAME_RE = re.compile(r"[A-Za-z0-9_]+")
"""A header Exotel can use as a variable: exactly what :data:`VARIABLE_RE` reads after ``@@``."""

_GSM7 = GSM7_BASIC | GSM7_EXTENSION
_NON_GSM7 = "[^" + "".join(f"\\x{{{ord(c):X}}}" for c in sorted(_GSM7)) + "]"
_STAGE = "check_template"


# --- headers --------------------------------------------------------------------------------------


def user_columns(columns: Iterable[str]) -> list[str]:
    """Input headers, without listprep's own ``_``-prefixed columns."""
    return [c for c in columns if not c.startswith("_")]


def safe_name(header: str) -> str:
    """``Due Date`` -> ``due_date``: accents dropped, other runs of non-alphanumerics to ``_``."""
    folded = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    return header_key(folded)


def header_renames(columns: Sequence[str]) -> dict[str, str]:
    """Safe, unique names for the headers Exotel cannot use as variables (in input order).

    A header with nothing left after folding (``नाम``) becomes ``column_N``, N its position;
    a clash with another header gets ``_2``, ``_3`` … appended.
    """
    headers = user_columns(columns)
    taken = set(columns)
    renames: dict[str, str] = {}
    for position, header in enumerate(headers, start=1):
        if SAFE_NAME_RE.fullmatch(header):
            continue
        base = safe_name(header) or f"column_{position}"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        renames[header] = name
    return renames


def rename_headers(
    frame: pl.LazyFrame, config: TemplateConfig
) -> tuple[pl.LazyFrame, dict[str, str]]:
    """With ``config.rename_headers``, give unsafe headers safe names; return the mapping.

    Runs right after reading, so the template check, the rows and the dynamic list's header
    all see the safe names.
    """
    if not config.rename_headers:
        return frame, {}
    renames = header_renames(frame.collect_schema().names())
    return (frame.rename(renames) if renames else frame), renames


def _why_unsafe(header: str) -> str:
    if not header.isascii():
        return "it has non-ASCII characters"
    if any(c.isspace() for c in header):
        return "it has spaces"
    return "it has punctuation" if header else "it is empty"


# --- the template alone ---------------------------------------------------------------------------


def validate_template(
    config: TemplateConfig,
    columns: Sequence[str],
    renamed: Mapping[str, str] | None = None,
    inputs: Sequence[tuple[str, Sequence[str]]] = (),
) -> None:
    """Fail before any row is processed: the text is unusable, or names a column the inputs lack.

    ``renamed`` (the mapping of :func:`rename_headers`) lets the error point an old header name
    to its new one. ``inputs`` (each input's name and headers) catches a column that one input
    lacks: the union of the headers would hide it, and all that input's rows would be
    rejected as ``empty-variable``.
    """
    if not config.text:
        return
    _check_variables_exist(config.text, config.variables, columns, renamed or {})
    if len(inputs) > 1:
        _check_each_input(config, inputs, renamed or {})
    validate_text(config)


def _check_each_input(
    config: TemplateConfig, inputs: Sequence[tuple[str, Sequence[str]]], renamed: Mapping[str, str]
) -> None:
    defaulted = {name for name, _ in config.defaults} | {NUMBER_VARIABLE}
    needed = [v for v in config.variables if v not in defaulted]
    for name, headers in inputs:
        have = [renamed.get(h, h) for h in headers]
        missing = [v for v in needed if v not in have]
        if not missing:
            continue
        variable = missing[0]
        near = near_miss(variable, have)
        fix = f"rename its {near!r} to {variable}" if near else f"add a {variable} column to it"
        raise TemplateError(
            f"the template uses @@{variable}, but this input has no column {variable!r} "
            f"(another input has); its headers: {shown_headers(headers)}",
            file=name,
            column=variable,
            hint=f"{fix}, or give --default {variable}=VALUE to send VALUE where it is missing",
        )


def validate_text(config: TemplateConfig) -> None:
    """The checks that need no input: stray ``@@``, options naming variables, GSM-7, DLT."""
    text = config.text
    if not text:
        return
    _check_markers(text)
    _check_named_options(config)
    if config.require_gsm:
        _check_gsm(text, "the template itself")
    if config.dlt_template is not None:
        check_dlt(text, config.dlt_template)


def check_variable_count(cfg: PipelineConfig) -> None:
    """A dynamic list carries at most Exotel's number of variable columns (5).

    ``@@number`` is the list's own number column, so it does not count.
    """
    limit = cfg.split.limit
    variables = [v for v in cfg.template.variables if v != NUMBER_VARIABLE]
    if cfg.method is Method.DYNAMIC and len(variables) > limit.max_variables:
        raise TemplateError(
            f"the template uses {len(variables)} variables; a dynamic list may carry at most "
            f"{limit.max_variables} ({limit.source})",
            hint="drop variables from the template",
        )


def _check_variables_exist(
    text: str, variables: Sequence[str], columns: Sequence[str], renamed: Mapping[str, str]
) -> None:
    available = user_columns(columns)
    unknown = [v for v in variables if v not in available]
    if not unknown:
        return
    names = ", ".join(f"@@{v}" for v in unknown)
    columns_text = f"a column {unknown[0]!r}" if len(unknown) == 1 else "those columns"
    raise TemplateError(
        f"the template uses {names}, but no input has {columns_text}; "
        f"headers found: {shown_headers([c for c in available if c != NUMBER_VARIABLE])}",
        column=unknown[0],
        hint=" ".join(_unknown_hint(v, text, available, renamed) for v in unknown),
    )


def _unknown_hint(
    name: str, text: str, available: Sequence[str], renamed: Mapping[str, str]
) -> str:
    """What to write instead of ``@@name``: a renamed header, an unusable one, or a near miss."""
    for old, new in renamed.items():
        if f"@@{old}" in text or safe_name(old) == name:
            return f"the header {old!r} was renamed to {new}: write @@{new}."
    renames = header_renames(available)
    for header, safe in renames.items():
        cut = SAFE_NAME_RE.match(header)  # "@@Due Date" is read as @@Due
        if safe.lower() == name.lower() or (cut is not None and cut.group() == name):
            return (
                f"the header {header!r} cannot be an Exotel variable ({_why_unsafe(header)}): "
                f"use --rename-headers (rename_headers=True), which renames it to {safe}, "
                f"and write @@{safe}."
            )
    near = near_miss(name, [c for c in available if c not in renames])
    return (f"did you mean @@{near}? " if near else "") + (
        "variable names are case-sensitive and must match a header exactly."
    )


def near_miss(name: str, headers: Sequence[str]) -> str | None:
    """The header ``name`` most likely means: same letters ignoring case and ``_``, else close."""
    folded = {h.lower().replace("_", ""): h for h in reversed(headers)}
    same = folded.get(name.lower().replace("_", ""))
    if same is not None:
        return same
    lowered = {h.lower(): h for h in reversed(headers)}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def _check_markers(text: str) -> None:
    """An ``@@`` that starts no variable (``@@ name``, ``@@नाम``) would be sent as typed."""
    rest = VARIABLE_RE.sub("\x00", text)
    stray = rest.find("@@")
    if stray < 0:
        return
    after = rest[stray + 2 : stray + 14].split("\x00")[0]
    where = f"followed by {after!r}" if after else "at its end"
    raise TemplateError(
        f"the template has '@@' {where}, which is not a variable name",
        hint="a variable is @@ then ASCII letters, digits and underscores (@@due_date); "
        "headers with other characters need --rename-headers",
    )


def _check_named_options(config: TemplateConfig) -> None:
    """Defaults and column rules must name template variables; defaults must pass the checks
    their rows would (else every row using them would be rejected)."""
    named = [(name, "--default") for name, _ in config.defaults]
    named += [(rule.column, "a column rule") for rule in config.column_rules]
    for name, what in named:
        if name not in config.variables:
            near = near_miss(name, config.variables)
            raise TemplateError(
                f"{what} names {name!r}, which the template does not use",
                column=name,
                hint=(f"did you mean {near!r}? " if near else "")
                + f"the template's variables: {', '.join(config.variables) or 'none'}",
            )
    limit = config.variable_limit
    for name, value in config.defaults:
        if limit is not None and len(value) > limit:
            raise TemplateError(
                f"the default for @@{name} has {len(value)} characters; the limit is {limit}",
                column=name,
            )
        if config.require_gsm:
            _check_gsm(value, f"the default for @@{name}")


def _check_gsm(text: str, what: str) -> None:
    bad = next((c for c in text if c not in _GSM7), None)
    if bad is not None:
        raise TemplateError(
            f"{what} has {bad!r} (U+{ord(bad):04X}), outside GSM-7, so every message would be "
            "UCS-2 (70 characters per SMS)",
            hint="replace it (curly quotes and dashes have GSM-7 look-alikes) or drop "
            "--require-gsm",
        )


# --- rows -----------------------------------------------------------------------------------------


#: Exotel fills ``@@number`` from the list's ``number`` column: the contact's own E.164 number.
NUMBER_VARIABLE = "number"


def with_number_variable(frame: pl.LazyFrame, config: TemplateConfig) -> pl.LazyFrame:
    """Make ``@@number`` render what Exotel will send: the E.164 number, not an input column."""
    if NUMBER_VARIABLE not in config.variables:
        return frame
    return frame.with_columns(pl.col("_e164").alias(NUMBER_VARIABLE))


def render_expr(text: str) -> pl.Expr:
    """The template with each row's values substituted, as Exotel will send it."""
    parts: list[pl.Expr] = []
    position = 0
    for match in VARIABLE_RE.finditer(text):
        parts.append(pl.lit(text[position : match.start()]))
        parts.append(pl.col(match.group(1)).fill_null(""))
        position = match.end()
    parts.append(pl.lit(text[position:]))
    return pl.concat_str(parts)


_NOTHING_SHOWN = "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + INVISIBLE_CHARS


def _blank(column: str) -> pl.Expr:
    """Empty to a reader: white space and invisible characters (a zero-width space alone
    would be sent, and would make the whole SMS UCS-2)."""
    return pl.col(column).fill_null("").str.strip_chars(_NOTHING_SHOWN) == ""


def apply_defaults(frame: pl.LazyFrame, config: TemplateConfig) -> pl.LazyFrame:
    """Empty cells of defaulted variables take the default, which the list file then carries
    (Exotel substitutes the list's cell, so the default must be in it)."""
    if not config.defaults:
        return frame
    return frame.with_columns(
        pl.when(_blank(name)).then(pl.lit(value)).otherwise(pl.col(name)).alias(name)
        for name, value in config.defaults
    )


def column_check_failures(frame: pl.LazyFrame, config: TemplateConfig) -> pl.DataFrame:
    """``_row_id`` and ``_rule_detail`` of the rows breaking a column rule (validated by pandera).

    This collects the rule columns of ``frame``: give it a cheap frame (the pipeline passes
    the frame as read) and hand the result to :func:`check_template`.
    """
    columns = [rule.column for rule in config.column_rules]
    if not config.text or not columns:
        return pl.DataFrame(schema={ROW_ID: pl.Int64, RULE_DETAIL: pl.String})
    validate_template(config, frame.collect_schema().names())
    data = (
        apply_defaults(frame, config)
        .select(
            ROW_ID, *(pl.when(_blank(c)).then(None).otherwise(pl.col(c)).alias(c) for c in columns)
        )
        .collect()
    )
    failures = rules.rule_failures(data, config.column_rules)
    return failures.select(
        data.get_column(ROW_ID).gather(failures.get_column(rules.POSITION)).alias(ROW_ID),
        pl.col(rules.DETAIL).alias(RULE_DETAIL),
    )


def _first(exprs: Sequence[pl.Expr]) -> pl.Expr:
    """The first non-null of ``exprs`` (a String null when there are none)."""
    return pl.coalesce(exprs) if exprs else pl.lit(None, pl.String)


def _row_checks(config: TemplateConfig) -> list[tuple[RejectReason, pl.Expr]]:
    """Each row check as (reason, detail): the detail is null where the row passes.

    Listed in precedence order: a row failing several gets the first reason.
    """
    variables = config.variables
    checks = [
        (
            RejectReason.EMPTY_VARIABLE,
            _first(
                [pl.when(_blank(v)).then(pl.lit(f"the variable @@{v} is empty")) for v in variables]
            ),
        )
    ]
    limit = config.variable_limit
    if limit is not None and variables:
        too_long = [
            pl.when(pl.col(v).str.len_chars() > limit).then(
                pl.format(
                    f"the variable @@{v} has {{}} characters (max {limit})",
                    pl.col(v).str.len_chars(),
                )
            )
            for v in variables
        ]
        checks.append((RejectReason.VARIABLE_TOO_LONG, _first(too_long)))
    if config.column_rules:
        checks.append((RejectReason.COLUMN_CHECK, pl.col(RULE_DETAIL)))
    if config.channel is Channel.SMS and config.require_gsm:
        checks.append((RejectReason.UNICODE_MESSAGE, _unicode_detail(variables)))
    if config.channel is Channel.SMS and config.max_segments is not None:
        checks.append(
            (
                RejectReason.TOO_MANY_SEGMENTS,
                pl.when(pl.col(SMS_SEGMENTS) > config.max_segments).then(
                    pl.format(
                        f"{{}} {{}} segments (max {config.max_segments})",
                        pl.col(SMS_SEGMENTS),
                        pl.col(SMS_ENCODING),
                    )
                ),
            )
        )
    return checks


def _unicode_detail(variables: Sequence[str]) -> pl.Expr:
    """Which variable brings a character outside GSM-7, and which character (the usual culprits
    are curly quotes and names in Indian scripts)."""
    per_variable = [
        pl.when(pl.col(v).str.contains(_NON_GSM7)).then(
            pl.format(
                f"the variable @@{v} has '{{}}', outside GSM-7: the message would be UCS-2 "
                "(70 characters per SMS)",
                pl.col(v).str.extract(f"({_NON_GSM7})", 1),
            )
        )
        for v in variables
    ]
    return pl.when(pl.col(SMS_ENCODING) == "ucs2").then(_first(per_variable))


def _with_sms_columns(frame: pl.LazyFrame, text: str) -> pl.LazyFrame:
    rendered = pl.col("_rendered")
    return (
        frame.with_columns(render_expr(text).alias("_rendered"))
        .with_columns(
            encoding_expr(rendered).alias(SMS_ENCODING),
            units_expr(rendered).alias(SMS_UNITS),
            rendered.str.len_chars().cast(pl.UInt32).alias(SMS_LENGTH),
        )
        .with_columns(
            segments_of(
                rendered, pl.col(SMS_UNITS), pl.col(SMS_ENCODING) == "ucs2", pl.col(SMS_LENGTH)
            ).alias(SMS_SEGMENTS)
        )
        .drop("_rendered")
    )


def check_template(
    frame: Frame,
    config: TemplateConfig = TemplateConfig(),
    *,
    rule_failures: pl.DataFrame | None = None,
) -> StageOutput:
    """Reject rows whose message would be broken, too long or too costly; add SMS length columns.

    Defaults fill empty cells first. ``rule_failures`` is :func:`column_check_failures`
    computed ahead on a cheaper frame; without it the column rules are validated here.
    """
    frame = lazy(frame)
    if not config.text:
        return StageOutput(frame, no_rejects())
    validate_template(config, frame.collect_schema().names())
    marked = apply_defaults(frame, config)
    if config.column_rules:
        failures = column_check_failures(frame, config) if rule_failures is None else rule_failures
        marked = marked.join(failures.lazy(), on=ROW_ID, how="left", maintain_order="left")
    if config.channel is Channel.SMS:
        marked = _with_sms_columns(marked, config.text)
    checks = _row_checks(config)
    found = [f"_check_{i}" for i in range(len(checks))]
    marked = marked.with_columns(
        detail.alias(name) for name, (_, detail) in zip(found, checks, strict=True)
    ).with_columns(
        # the first check that found something gives the reason: checks are in precedence order
        _first(
            [
                pl.when(pl.col(name).is_not_null()).then(pl.lit(code.value))
                for name, (code, _) in zip(found, checks, strict=True)
            ]
        ).alias("_reason"),
        _first([pl.col(name) for name in found]).alias("_detail"),
    )
    scratch = ["_reason", "_detail", *found]
    if config.column_rules:
        scratch.append(RULE_DETAIL)
    failed = pl.col("_reason").is_not_null()
    rejected = rejects(
        marked.filter(failed), stage=_STAGE, reason=pl.col("_reason"), detail=pl.col("_detail")
    )
    return StageOutput(marked.filter(~failed).drop(scratch), rejected)


# --- figures and the check-template report --------------------------------------------------------


def sms_summary(frame: pl.DataFrame) -> dict[str, Any]:
    """Encodings, segment histogram, rendered-length range and credits of checked SMS rows."""
    encodings = dict(frame.group_by(SMS_ENCODING).len().iter_rows())
    segments = frame.group_by(SMS_SEGMENTS).len().sort(SMS_SEGMENTS)
    lengths = frame.get_column(SMS_LENGTH)
    return {
        "encodings": {"gsm7": encodings.get("gsm7", 0), "ucs2": encodings.get("ucs2", 0)},
        "segments": {str(k): v for k, v in segments.iter_rows()},
        "length": {"min": lengths.min(), "max": lengths.max()},
        "credits": int(frame.get_column(SMS_SEGMENTS).sum()) if frame.height else 0,
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateReport:
    """What ``listprep check-template`` prints: the template alone, or against the inputs."""

    channel: str
    variables: tuple[str, ...]
    characters: int
    dlt_template: str | None
    fixed_text: Mapping[str, Any] | None = None
    """SMS: encoding and units of the text without its variables (values only add to them)."""
    """``"matches"`` when a DLT template was given (a mismatch raises instead), else ``None``."""
    inputs: int = 0
    headers_matched: tuple[str, ...] = ()
    headers_unused: tuple[str, ...] = ()
    renamed_headers: Mapping[str, str] = field(default_factory=dict)
    rows: int = 0
    rendered: int = 0
    rejected_by_reason: Mapping[str, int] = field(default_factory=dict)
    sms: Mapping[str, Any] | None = None
    samples: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; ``encodings`` and ``segments`` are ``None`` for a voice template."""
        sms = self.sms or {}
        return {
            "channel": self.channel,
            "variables": list(self.variables),
            "characters": self.characters,
            "fixed_text": dict(self.fixed_text) if self.fixed_text else None,
            "dlt_template": self.dlt_template,
            "inputs": self.inputs,
            "headers": {"matched": list(self.headers_matched), "unused": list(self.headers_unused)},
            "renamed_headers": dict(self.renamed_headers),
            "rows": self.rows,
            "rendered": self.rendered,
            "rejected_by_reason": dict(self.rejected_by_reason),
            "encodings": sms.get("encodings"),
            "segments": sms.get("segments"),
            "length": sms.get("length"),
            "credits": sms.get("credits"),
            "samples": list(self.samples),
        }

    def __str__(self) -> str:
        names = ", ".join(f"@@{v}" for v in self.variables) or "none"
        lines = [f"{self.channel} template: {self.characters:,} characters; variables: {names}"]
        if self.fixed_text:
            fixed = self.fixed_text
            lines.append(
                f"  without values: {fixed['encoding']}, {fixed['units']:,} units "
                f"({fixed['segments']} segment(s)); every value adds to it"
            )
        if self.dlt_template:
            lines.append("  DLT template: matches")
        if not self.inputs:
            lines.append("  no inputs given: headers and rows not checked")
            return "\n".join(lines)
        lines.append(f"  headers matched: {', '.join(self.headers_matched) or 'none'}")
        if self.headers_unused:
            lines.append(f"  headers not used: {', '.join(self.headers_unused)}")
        for old, new in self.renamed_headers.items():
            lines.append(f"  renamed {old!r} -> {new}")
        lines.append(f"  rows: {self.rows:,} read, {self.rendered:,} would be sent")
        if self.rejected_by_reason:
            parts = ", ".join(f"{r} {n:,}" for r, n in self.rejected_by_reason.items())
            lines.append(f"  would reject {self.rows - self.rendered:,}: {parts}")
        lines.extend(_sms_lines(self.sms))
        if self.samples:
            lines.append("  samples (numbers masked):")
            lines.extend(f"    {s!r}" for s in self.samples)
        lines.append("  (template checks only: prepare also checks numbers, duplicates and DND)")
        return "\n".join(lines)


def _sms_lines(sms: Mapping[str, Any] | None) -> list[str]:
    if not sms:
        return []
    enc, length = sms["encodings"], sms["length"]
    histogram = ", ".join(f"{k}: {n:,}" for k, n in sms["segments"].items()) or "none"
    lines = [
        f"  encodings: gsm7 {enc['gsm7']:,}, ucs2 {enc['ucs2']:,}",
        f"  segments per message: {histogram}; {sms['credits']:,} SMS credits",
    ]
    if length["min"] is not None:
        lines.append(f"  rendered length: {length['min']:,}-{length['max']:,} characters")
    return lines


def template_report(
    config: PipelineConfig, sources: Source | Iterable[Source] | None = None, *, samples: int = 3
) -> TemplateReport:
    """Check ``config``'s template alone, or against the headers and rows of ``sources``.

    Nothing is written and numbers are not checked: this is the template stage on every row
    read. With ``@@number`` (the E.164 number Exotel sends), the numbers are normalised to
    render it, and rows without a dialable number are counted under their reason, as
    ``prepare`` would. Samples render only the template's variables, with phone-like values
    masked.
    """
    tc = config.template
    if not tc.text:
        raise TemplateError(
            "there is no template to check", hint="give --template or --template-file"
        )
    validate_text(tc)
    check_variable_count(config)
    base = TemplateReport(
        channel=tc.channel.value,
        variables=tc.variables,
        characters=len(tc.text),
        fixed_text=_fixed_text(tc.text) if tc.channel is Channel.SMS else None,
        dlt_template="matches" if tc.dlt_template is not None else None,
    )
    if sources is None:
        return base
    with open_sources(sources, config.read) as opened:
        columns_frame, renamed = rename_headers(opened.empty().lazy(), tc)
        columns = columns_frame.collect_schema().names()
        validate_template(tc, [*columns, NUMBER_VARIABLE], renamed, opened.headers)
        reasons: Counter[str] = Counter()
        sms_rows: list[pl.DataFrame] = []
        shown: list[pl.DataFrame] = []
        rendered = 0
        for batch in opened:  # batch by batch: a file of any size in bounded memory
            frame, _ = rename_headers(batch.kept.lazy(), tc)
            reasons.update(dict(batch.rejected.group_by("reason").len().iter_rows()))
            if NUMBER_VARIABLE in tc.variables:
                numbers = normalise(frame, config.normalise)
                unusable = numbers.rejected.group_by("reason").len().collect()
                reasons.update(dict(unusable.iter_rows()))
                frame = with_number_variable(numbers.kept, tc)
            out = check_template(frame, tc)
            kept, rejected = pl.collect_all([out.kept, out.rejected])
            reasons.update(dict(rejected.group_by("reason").len().iter_rows()))
            rendered += kept.height
            if tc.channel is Channel.SMS:
                sms_rows.append(kept.select(SMS_ENCODING, SMS_SEGMENTS, SMS_LENGTH))
            if sum(f.height for f in shown) < samples:
                shown.append(kept.head(samples))
    phones = {renamed.get(i.phone_column, i.phone_column) for i in opened.inputs}
    return replace(
        base,
        inputs=len(opened.inputs),
        headers_matched=tuple(v for v in tc.variables if v in columns),
        headers_unused=tuple(c for c in user_columns(columns) if c not in tc.variables),
        renamed_headers=renamed,
        rows=sum(i.rows for i in opened.inputs),
        rendered=rendered,
        rejected_by_reason=dict(sorted(reasons.items())),
        sms=sms_summary(pl.concat(sms_rows)) if sms_rows else None,
        samples=render_samples(pl.concat(shown, how="diagonal").head(samples), tc.text, phones),
    )


def _fixed_text(text: str) -> dict[str, Any]:
    info = sms_info(VARIABLE_RE.sub("", text))
    return {"encoding": info.encoding, "units": info.units, "segments": info.segments}


def render_samples(rows: pl.DataFrame, text: str, phone_columns: set[str]) -> tuple[str, ...]:
    """``text`` rendered for a few ``rows``, phone columns and phone-like values masked."""
    variables = list(dict.fromkeys(VARIABLE_RE.findall(text)))
    if not variables:
        return (text,) * rows.height
    masked = pl.DataFrame(
        {v: [_masked(x, v in phone_columns) for x in rows.get_column(v)] for v in variables},
        schema=dict.fromkeys(variables, pl.String),
    )
    return tuple(masked.select(render_expr(text)).to_series().to_list())


def _masked(value: str | None, phone: bool) -> str | None:
    if value is None:
        return None
    return mask(value) if phone else mask_digit_runs(value)
