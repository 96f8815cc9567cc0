"""Column rules for template variables (type, range, pattern, allowed values), checked by pandera.

A value can render and still be wrong: ``Rs abc is due``. Users declare what each variable
must look like in a TOML or JSON file::

    [due_amount]
    type = "float"        # int | float | date | string (the default)
    min = 1
    [due_date]
    type = "date"
    format = "%d-%b-%Y"   # strftime format of the cells; default ISO "%Y-%m-%d"
    min = 2026-01-01      # a TOML date, or an ISO string in JSON
    [tag]
    allowed = ["vip", "renewal"]
    [first_name]
    regex = "[A-Za-z .'-]+"   # must match the whole value (Rust regex syntax)

Cells are text. ``int`` and ``float`` accept digit grouping with commas, Western
(``100,000``) or Indian (``1,00,000``). Empty cells are left to the empty-variable check.

The rules become a ``pandera.polars.DataFrameSchema``; pandera validates lazily and reports
every failing cell with its row position, which becomes a ``column-check`` reject.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from listprep.errors import ConfigError, TemplateError, refuse_unknown

if TYPE_CHECKING:
    import pandera.polars as pa

POSITION = "position"
DETAIL = "detail"

_INT = r"[+-]?(?:\d+|\d{1,3}(?:,\d{3})+|\d{1,2}(?:,\d{2})*,\d{3})"
_FLOAT = _INT + r"(?:\.\d+)?"


class RuleType(StrEnum):
    STRING = "string"
    INT = "int"
    FLOAT = "float"
    DATE = "date"


Bound = int | float | str
"""A ``min``/``max``: a number, or an ISO date for ``type = "date"``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnRule:
    """What the values of one template column must look like."""

    column: str
    type: RuleType = RuleType.STRING
    min: Bound | None = None
    max: Bound | None = None
    regex: str | None = None
    """Must match the whole value."""
    allowed: tuple[str, ...] | None = None
    format: str | None = None
    """strftime format of a ``date`` column; ``None`` is ISO ``%Y-%m-%d``."""


RULE_KEYS = ("type", "min", "max", "regex", "allowed", "format")


def load_rules(source: str | Path | Mapping[str, Any]) -> tuple[ColumnRule, ...]:
    """Rules from a TOML/JSON file, or from a mapping ``column -> {key: value}``."""
    if isinstance(source, Mapping):
        return parse_rules(source, "rules")
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(
            f"cannot read the rules file: {exc}",
            file=str(path),
            hint="give a UTF-8 TOML (.toml) or JSON (.json) file: a table per column",
        ) from None
    if not isinstance(data, dict):
        raise ConfigError("the rules file must hold a table per column", file=str(path))
    return parse_rules(data, str(path))


def parse_rules(data: Mapping[str, Any], where: str) -> tuple[ColumnRule, ...]:
    """Validate every rule now, so a typo fails before any row is read."""
    return tuple(_parse_rule(column, spec, where) for column, spec in data.items())


def _parse_rule(column: str, spec: Any, where: str) -> ColumnRule:
    if not isinstance(spec, Mapping):
        raise ConfigError(f"the rule for {column!r} must be a table of keys", file=where)
    refuse_unknown(spec, RULE_KEYS, what=f"rule key for {column!r}", file=where)
    try:
        kind = RuleType(spec.get("type", "string"))
    except ValueError:
        choices = ", ".join(t.value for t in RuleType)
        raise ConfigError(
            f"rule type for {column!r} must be one of {choices}, not {spec['type']!r}", file=where
        ) from None
    rule = ColumnRule(
        column=column,
        type=kind,
        min=_bound(spec.get("min"), kind, column, where),
        max=_bound(spec.get("max"), kind, column, where),
        regex=_regex(spec.get("regex"), column, where),
        allowed=_allowed(spec.get("allowed"), column, where),
        format=_format(spec.get("format"), kind, column, where),
    )
    if rule.min is not None and rule.max is not None and _key(rule.min) > _key(rule.max):
        raise ConfigError(f"the rule for {column!r} has min above max", file=where)
    return rule


def _key(bound: Bound) -> tuple[float, str]:
    """Bounds of one rule are all numbers or all ISO dates: both order correctly here."""
    return (0.0, bound) if isinstance(bound, str) else (float(bound), "")


def _bound(value: Any, kind: RuleType, column: str, where: str) -> Bound | None:
    if value is None:
        return None
    if kind is RuleType.DATE:
        try:
            return (
                value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            ).isoformat()
        except ValueError:
            raise ConfigError(
                f"min/max of the date column {column!r} must be ISO dates, not {value!r}",
                file=where,
            ) from None
    if kind in (RuleType.INT, RuleType.FLOAT):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"min/max of {column!r} must be numbers, not {value!r}", file=where)
        return value
    raise ConfigError(
        f"min/max need a type (int, float or date) for {column!r}",
        file=where,
        hint='add type = "int", "float" or "date"',
    )


def _regex(value: Any, column: str, where: str) -> str | None:
    if value is None:
        return None
    try:
        pl.select(pl.lit("").str.contains(str(value)))
    except pl.exceptions.PolarsError as exc:
        raise ConfigError(
            f"the regex for {column!r} is not valid: {exc}",
            file=where,
            hint="regexes use Rust syntax: no look-around or back-references",
        ) from None
    return str(value)


def _allowed(value: Any, column: str, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple) or not value:
        raise ConfigError(f"allowed for {column!r} must be a non-empty list", file=where)
    return tuple(str(v) for v in value)


def _format(value: Any, kind: RuleType, column: str, where: str) -> str | None:
    if value is None:
        return None
    if kind is not RuleType.DATE:
        raise ConfigError(f"format applies to date columns only ({column!r})", file=where)
    return str(value)


def parsed_expr(rule: ColumnRule, column: pl.Expr) -> pl.Expr:
    """The cell as a number or date; null where it is not one (or not typed)."""
    text = column.str.strip_chars()
    if rule.type is RuleType.DATE:
        fmt = rule.format or "%Y-%m-%d"
        date = text.str.strptime(pl.Date, fmt, strict=False)
        # %Y takes one digit up: '21-Jun-26' would be the year 26, not a short-year date
        return pl.when(date.dt.year() >= 1000).then(date) if "%Y" in fmt else date
    pattern = _INT if rule.type is RuleType.INT else _FLOAT
    number = text.str.replace_all(",", "", literal=True).cast(
        pl.Int64 if rule.type is RuleType.INT else pl.Float64, strict=False
    )
    return pl.when(text.str.contains(f"^{pattern}$")).then(number)


def _bound_lit(rule: ColumnRule, value: Bound) -> pl.Expr:
    if rule.type is RuleType.DATE:
        return pl.lit(dt.date.fromisoformat(str(value)))
    return pl.lit(value)


def rule_checks(rule: ColumnRule) -> list[pa.Check]:
    """pandera checks for one rule; each ``error`` is the text a reject's detail quotes."""
    import pandera.polars as pa

    checks: list[pa.Check] = []
    if rule.type is not RuleType.STRING:
        what = f"date {rule.format or '%Y-%m-%d'}" if rule.type is RuleType.DATE else rule.type
        checks.append(_check(rule, lambda v, p: p.is_not_null(), f"type {what}"))
    if rule.min is not None:
        low = _bound_lit(rule, rule.min)
        checks.append(_check(rule, lambda v, p: p.is_null() | (p >= low), f"min {rule.min}"))
    if rule.max is not None:
        high = _bound_lit(rule, rule.max)
        checks.append(_check(rule, lambda v, p: p.is_null() | (p <= high), f"max {rule.max}"))
    if rule.regex is not None:
        checks.append(pa.Check.str_matches(f"^(?:{rule.regex})$", error=f"regex {rule.regex}"))
    if rule.allowed is not None:
        checks.append(pa.Check.isin(list(rule.allowed), error=f"allowed {list(rule.allowed)}"))
    return checks


Test = Callable[[pl.Expr, pl.Expr], pl.Expr]


def _check(rule: ColumnRule, test: Test, error: str) -> pa.Check:
    """A pandera check from ``test(value, parsed) -> bool expr``; a null cell always passes."""
    import pandera.polars as pa

    def run(data: Any) -> pl.LazyFrame:  # data: pandera's PolarsData(lazyframe, key)
        frame: pl.LazyFrame = data.lazyframe
        value = pl.col(data.key)
        return frame.select(value.is_null() | test(value, parsed_expr(rule, value)))

    return pa.Check(run, error=error)


def rules_schema(rules: tuple[ColumnRule, ...]) -> pa.DataFrameSchema:
    """One pandera schema for all rules; other columns pass through (``strict=False``)."""
    import pandera.polars as pa

    return pa.DataFrameSchema(
        {r.column: pa.Column(None, rule_checks(r), nullable=True) for r in rules},
        strict=False,
        name="column rules",
    )


def rule_failures(frame: pl.DataFrame, rules: tuple[ColumnRule, ...]) -> pl.DataFrame:
    """Rows of ``frame`` that break a rule: their ``position`` and a ``detail`` naming each
    failed column and check (several joined by ``; ``).

    Blank cells should already be null: emptiness is the empty-variable check's business.
    pandera's ``failure_cases`` carries each failure's row position (``index``).
    """
    import pandera.polars as pa

    empty = pl.DataFrame(schema={POSITION: pl.Int64, DETAIL: pl.String})
    if not rules:
        return empty
    try:
        rules_schema(rules).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _failure_details(exc.failure_cases, rules)
    return empty


def _failure_details(cases: pl.DataFrame, rules: tuple[ColumnRule, ...]) -> pl.DataFrame:
    if cases.get_column("index").null_count():
        problem = cases.filter(pl.col("index").is_null()).row(0, named=True)
        raise TemplateError(f"the column rules cannot run: {problem['check']}")
    order = {r.column: i for i, r in enumerate(rules)}
    return (
        cases.with_columns(
            pl.col("index").cast(pl.Int64).alias(POSITION),
            pl.col("column").replace_strict(order, return_dtype=pl.Int64).alias("_order"),
        )
        .sort(POSITION, "_order", "check_number")
        .group_by(POSITION, maintain_order=True)
        .agg(
            pl.format("@@{} fails {} (value '{}')", "column", "check", "failure_case").alias(DETAIL)
        )
        .with_columns(pl.col(DETAIL).list.join("; "))  # several times faster than str.join in agg
    )
