"""Check template: every ``@@variable`` renders, and SMS length and encoding are known per row.

Exotel substitutes an empty string for an empty cell and sends a message of any length, so
broken or costly messages are caught here, before upload. Rendering and counting are polars
expressions: no per-row Python.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import polars as pl

from listprep.config import VARIABLE_RE, TemplateConfig
from listprep.errors import RejectReason, TemplateError
from listprep.limits import Channel
from listprep.rejects import StageOutput, no_rejects, rejects
from listprep.sms import encoding_expr, segments_expr, units_expr

SMS_ENCODING = "_sms_encoding"
SMS_UNITS = "_sms_units"
SMS_SEGMENTS = "_sms_segments"


def validate_template(config: TemplateConfig, columns: Sequence[str]) -> None:
    """Fail before any row is processed if the template names a column the inputs lack."""
    available = [c for c in columns if not c.startswith("_")]
    for name in config.variables:
        if name in available:
            continue
        near = difflib.get_close_matches(name, available, n=1, cutoff=0.6)
        near += [c for c in available if c.lower() == name.lower()][:1]
        raise TemplateError(
            f"the template uses @@{name}, but no input has a column {name!r}; "
            f"headers found: {', '.join(available)}",
            column=name,
            hint=(f"did you mean @@{near[-1]}? " if near else "")
            + "variable names are case-sensitive and must match a header exactly",
        )


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


def check_template(frame: pl.LazyFrame, config: TemplateConfig = TemplateConfig()) -> StageOutput:
    """Reject rows with an empty variable or too many SMS segments; add SMS length columns."""
    if not config.text:
        return StageOutput(frame, no_rejects())
    validate_template(config, frame.collect_schema().names())
    empty = [
        pl.when(pl.col(v).fill_null("").str.strip_chars() == "").then(pl.lit(v))
        for v in config.variables
    ]
    marked = frame.with_columns(
        (pl.coalesce(empty) if empty else pl.lit(None, pl.String)).alias("_empty")
    )
    if config.channel is Channel.SMS:
        rendered = render_expr(config.text)
        marked = marked.with_columns(
            encoding_expr(rendered).alias(SMS_ENCODING),
            units_expr(rendered).alias(SMS_UNITS),
            segments_expr(rendered).alias(SMS_SEGMENTS),
        )
    too_long = (
        pl.col(SMS_SEGMENTS) > config.max_segments
        if config.channel is Channel.SMS and config.max_segments is not None
        else pl.lit(False)
    )
    reason = (
        pl.when(pl.col("_empty").is_not_null())
        .then(pl.lit(RejectReason.EMPTY_VARIABLE.value))
        .when(too_long)
        .then(pl.lit(RejectReason.TOO_MANY_SEGMENTS.value))
    )
    detail = (
        pl.when(pl.col("_empty").is_not_null())
        .then(pl.format("@@{} is empty", pl.col("_empty")))
        .otherwise(
            pl.format(
                "{} {} segments (max {})",
                pl.col(SMS_SEGMENTS) if config.channel is Channel.SMS else pl.lit(0),
                pl.col(SMS_ENCODING) if config.channel is Channel.SMS else pl.lit(""),
                pl.lit(config.max_segments or 0),
            )
        )
    )
    marked = marked.with_columns(reason.alias("_reason"))
    failed = pl.col("_reason").is_not_null()
    kept = marked.filter(~failed).drop("_empty", "_reason")
    rejected = rejects(
        marked.filter(failed), stage="check_template", reason=pl.col("_reason"), detail=detail
    )
    return StageOutput(kept, rejected)
