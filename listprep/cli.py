"""The command line: a thin layer that turns options into a config and errors into exit codes.

Exit codes: 0 success (rejected rows are not failures), 1 a :class:`ListprepError`,
2 a usage error (click's own), 3 an internal error (a bug; ``--debug`` shows the traceback).
"""

from __future__ import annotations

import json
import sys
import time
import tomllib
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from listprep import __version__
from listprep.config import PipelineConfig, Purpose
from listprep.dndindex import build_index, open_index
from listprep.errors import ListprepError, ListprepWarning, did_you_mean
from listprep.inspect import inspect_sources, inspect_text
from listprep.limits import Channel, Method
from listprep.pipeline import prepare_to
from listprep.registers import bad_rows_warning
from listprep.report import summary_row, summary_text
from listprep.stages.template import template_report
from listprep.writer import output_error

_DELIMITERS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def _name_value(text: str) -> str:
    """A ``--default``: a value of the wrong form is a usage error (exit 2), as for numbers."""
    if "=" not in text:
        raise click.BadParameter(f"{text!r} is not NAME=VALUE (e.g. first_name=Customer)")
    return text


def _choice(kind: type[Channel] | type[Method] | type[Purpose]) -> click.Choice[str]:
    return click.Choice([m.value for m in kind], case_sensitive=False)


def read_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options that say how to read inputs, shared by ``prepare`` and ``inspect``."""
    for option in reversed(_READ_OPTIONS):
        command = option(command)
    return command


_READ_OPTIONS = [
    click.option(
        "--phone-column",
        metavar="NAME",
        help="Header of the phone column (default: found by name: phone, mobile, …).",
    ),
    click.option(
        "--encoding",
        metavar="NAME",
        help="Text encoding of the CSV files (default: detected: BOM, UTF-8, else cp1252).",
    ),
    click.option(
        "--delimiter",
        callback=lambda _ctx, _param, value: _DELIMITERS.get(value, value),
        metavar="CHAR",
        help="Field delimiter: ',', ';', '|' or 'tab' (default: sniffed from the header).",
    ),
    click.option(
        "--sheet",
        metavar="NAME|INDEX",
        help="Worksheet of .xlsx/.xls/.ods inputs, by name or 0-based index (default: the first).",
    ),
    click.option(
        "--region",
        default="IN",
        show_default=True,
        metavar="CC",
        help="Region for numbers written without a country code.",
    ),
    click.option(
        "--allow-regions",
        callback=lambda _ctx, _param, value: tuple(value.split(",")) if value else None,
        metavar="CC,CC",
        help="Keep only numbers of these regions (e.g. IN); others are foreign-region rejects.",
    ),
    click.option(
        "--extensions",
        type=click.Choice(["keep", "reject"]),
        help="A number with an extension: keep the main number (default) or reject the row.",
    ),
    click.option(
        "--multi",
        type=click.Choice(["first", "split", "reject"]),
        help="Several numbers in one cell: keep the first (default), make each a contact, "
        "or reject the row.",
    ),
    click.option(
        "--channel",
        type=_choice(Channel),
        default="voice",
        show_default=True,
        help="Campaign channel; SMS accepts only mobiles.",
    ),
]


def template_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options that say what the template is and how rows are checked against it, shared by
    ``prepare`` and ``check-template``."""
    for option in reversed(_TEMPLATE_OPTIONS):
        command = option(command)
    return command


_TEMPLATE_OPTIONS = [
    click.option(
        "--template", metavar="TEXT", help="Message or voice text; @@column inserts a value."
    ),
    click.option(
        "--template-file",
        type=click.Path(path_type=Path),
        metavar="PATH",
        help="Read the template from a UTF-8 file.",
    ),
    click.option(
        "--dlt-template",
        metavar="TEXT",
        help="SMS: the DLT-registered text ({#var#} for variables); the template must match it "
        "exactly, and values are limited to 30 characters.",
    ),
    click.option(
        "--default",
        "defaults",
        multiple=True,
        metavar="NAME=VALUE",
        callback=lambda _ctx, _param, value: tuple(_name_value(v) for v in value),
        help="Send VALUE where @@NAME is empty (also written into the list). Repeatable.",
    ),
    click.option(
        "--max-variable-length",
        type=click.IntRange(min=1),
        metavar="N",
        help="Reject rows with a value longer than N characters [default: 30 with --dlt-template].",
    ),
    click.option(
        "--rename-headers",
        is_flag=True,
        help="Rename headers Exotel cannot use as variables (Due Date -> due_date).",
    ),
    click.option(
        "--rules",
        type=click.Path(path_type=Path),
        metavar="FILE",
        help="TOML/JSON rules per variable (type, min, max, regex, allowed); rows failing them "
        "are rejected.",
    ),
    click.option(
        "--require-gsm",
        is_flag=True,
        help="SMS: reject rows whose message would be UCS-2 (70 characters per SMS, not 160).",
    ),
    click.option(
        "--max-segments",
        type=click.IntRange(min=1),
        metavar="N",
        help="Reject SMS rows whose rendered message needs more than N segments.",
    ),
]


def _load_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    """``--config FILE``: a TOML file of this command's options, used as defaults.

    Options given on the command line win. Keys are option names with ``_`` or ``-``; an
    unknown key is a usage error naming the near miss.
    """
    if value is None:
        return
    try:
        data = tomllib.loads(value.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise click.BadParameter(f"cannot read {value}: {exc}", ctx=ctx) from None
    params = {p.name: p for p in ctx.command.params if p.name and p.expose_value}
    known = {  # an option's long names (output, json) as well as its parameter name
        alias.lstrip("-").replace("-", "_"): name
        for name, p in params.items()
        for alias in [name, *p.opts]
    }
    defaults = {}
    for key, setting in data.items():
        name = known.get(key.replace("-", "_"))
        if name is None:
            hint = did_you_mean(key.replace("-", "_"), known)
            raise click.BadParameter(f"unknown key {key!r} in {value}; {hint}", ctx=ctx)
        repeatable = params[name].multiple or params[name].nargs == -1
        if repeatable and isinstance(setting, str):
            setting = [setting]
        elif isinstance(setting, list) and name in _COMMA_LISTS:  # allow_regions = ["IN"]
            setting = ",".join(map(str, setting))
        elif isinstance(setting, list) and not repeatable:
            raise click.BadParameter(f"{key!r} in {value} takes one value, not a list", ctx=ctx)
        defaults[name] = setting
    ctx.default_map = {**(ctx.default_map or {}), **defaults}


_COMMA_LISTS = {"allow_regions"}
"""Options written ``IN,AE`` on the command line: a TOML list is joined with commas."""

config_option = click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    callback=_load_config,
    is_eager=True,
    expose_value=False,
    help="TOML file of options (see 'listprep init'); command-line options override it.",
)


class InternalError(click.ClickException):
    """A bug in listprep, not in the input: exit 3, and no data in the message."""

    exit_code = 3


def _fail(exc: Exception, debug: bool) -> None:
    if debug:
        raise exc
    if isinstance(exc, ListprepError):
        raise click.ClickException(str(exc)) from None
    # the message of an unexpected error may quote input cells (phone numbers): name only its type
    raise InternalError(
        f"internal error ({type(exc).__name__}); nothing was written. Please report it; "
        "--debug shows the traceback"
    ) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="listprep")
def main() -> None:
    """Turn messy contact exports into lists an Exotel voice or SMS campaign accepts.

    Numbers become E.164, duplicates and DND/suppressed numbers are removed, dynamic
    templates are checked row by row, and the result is split within Exotel's limits.
    Every input row ends in a list file or in rejects.csv with its reason.
    """


@main.command("prepare")
@config_option
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@read_options
@click.option(
    "-o",
    "--output",
    "outdir",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write (must be new or empty; see --force).",
)
@click.option(
    "--force", is_flag=True, help="Replace an output folder that holds listprep's output only."
)
@click.option(
    "--method",
    type=_choice(Method),
    help="inline (numbers in the request), static or dynamic lists. "
    "[default: dynamic if the template has @@variables, else static]",
)
@click.option(
    "--dnd",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="DND register (CSV or one number per line, optional preference column). Repeatable.",
)
@click.option(
    "--suppress",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Suppression list (opt-outs, complaints); always applied. Repeatable.",
)
@click.option(
    "--purpose",
    type=_choice(Purpose),
    default="promotional",
    show_default=True,
    help="transactional skips the DND scrub (never the suppression lists).",
)
@click.option(
    "--category",
    type=click.IntRange(1, 8),
    metavar="1-8",
    help="The campaign's DND category: partial registrations allowing it are kept.",
)
@click.option(
    "--max-register-age",
    type=click.IntRange(min=0),
    default=7,
    show_default=True,
    metavar="DAYS",
    help="Refuse a DND register older than this on the run's date.",
)
@click.option(
    "--allow-stale-register", is_flag=True, help="Use an old DND register anyway (a warning)."
)
@click.option(
    "--register-date",
    metavar="YYYY-MM-DD",
    help="Snapshot date of raw DND registers that carry none (an index keeps its own).",
)
@template_options
@click.option(
    "--list-rows",
    type=click.IntRange(min=1),
    metavar="N",
    help="Rows per list (or per inline campaign), below Exotel's limit.",
)
@click.option(
    "--lists-per-campaign",
    type=click.IntRange(min=1),
    metavar="N",
    help="Lists per campaign, below Exotel's limit.",
)
@click.option(
    "--max-list-bytes",
    type=click.IntRange(min=1),
    metavar="BYTES",
    help="Bytes per list file, below Exotel's limit (dynamic lists: under 60 MB).",
)
@click.option(
    "--campaign-config",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="TOML or JSON with caller_id, url, retries, schedule, throttle, callbacks, SMS fields.",
)
@click.option("--name-prefix", metavar="TEXT", help="Campaign names are PREFIX-campaign-NN.")
@click.option("--caller-id", metavar="EXOPHONE", help="Caller ID for voice request bodies.")
@click.option("--flow-url", metavar="URL", help="Call flow URL for voice request bodies.")
@click.option(
    "--retries",
    type=click.IntRange(0, 3),
    help="Retries per contact (0-3); counts in the call-attempt and time estimates.",
)
@click.option(
    "--retry-interval",
    "retry_interval_mins",
    type=click.IntRange(min=1),
    metavar="MINUTES",
    help="Minutes between attempts (default 15 when --retries is given).",
)
@click.option(
    "--throttle",
    type=click.IntRange(min=1),
    metavar="PER_MINUTE",
    help="Calls per minute (Exotel's default: 60); decides how long a campaign runs.",
)
@click.option(
    "--plan-days",
    is_flag=True,
    default=None,
    help="Spread contacts over days, each day's campaigns sized to finish in its window "
    "(needs schedule start in --campaign-config).",
)
@click.option(
    "--wrap-campaigns",
    is_flag=True,
    default=None,
    help='Write request bodies as {"campaigns": [...]}, as some client code expects.',
)
@click.option(
    "--escape-formulas",
    is_flag=True,
    help="Neutralise spreadsheet formulas (=, +, -, @) in list files; rejects.csv always is.",
)
@click.option(
    "--redact-rejects", is_flag=True, help="Write masked phone cells (98XXXXXX10) to rejects.csv."
)
@click.option(
    "--batch-rows",
    type=click.IntRange(min=1),
    default=250_000,
    show_default=True,
    metavar="N",
    help="Rows read and checked at a time: lower it to use less memory.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the manifest's counts as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary (errors only).")
@click.option("-v", "--verbose", is_flag=True, help="Progress with timings, even off a terminal.")
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
def prepare_command(
    inputs: tuple[Path, ...],
    outdir: Path,
    force: bool,
    as_json: bool,
    quiet: bool,
    verbose: bool,
    debug: bool,
    **options: Any,
) -> None:
    """Prepare INPUT... (CSV files) into Exotel lists, request bodies, rejects and a manifest.

    \b
    Writes into OUTDIR:
      lists/campaign-NN/list-NN.csv   upload files (number in E.164 first)
      requests/campaign-NN.json       create-campaign request bodies
      rejects.csv                     every dropped row and why
      manifest.json                   counts, hashes, options (never a phone number)
    """
    if not inputs:
        raise click.UsageError("give at least one INPUT file (or 'inputs' in --config)")
    progress = Progress(enabled=not quiet and (verbose or sys.stderr.isatty()), timings=verbose)
    try:
        with warnings.catch_warnings():  # printed below, as the CLI's own lines
            warnings.simplefilter("ignore", ListprepWarning)
            result = prepare_to(outdir, list(inputs), force=force, progress=progress, **options)
    except Exception as exc:  # every failure becomes a clear exit: see _fail
        _fail(exc, debug)
        return
    progress.done()
    for warning in result.manifest["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(result.manifest["counts"], indent=2))
    elif not quiet:
        click.echo(summary_text(result.manifest, warnings=False))
        for old, new in result.manifest["renamed_headers"].items():
            click.echo(summary_row("renamed", f"{old!r} -> {new}"))
        files = ["lists/"] if result.manifest["lists"] else []  # inline: numbers in requests
        files += ["requests/"] if result.manifest["campaigns"] else []  # none without contacts
        files += ["rejects.csv", "manifest.json", "report.html"]
        click.echo(summary_row("wrote", f"{outdir}/ ({', '.join(files)})"))


class Progress:
    """Stage-by-stage progress on stderr. It receives stage names and counts, never data."""

    def __init__(self, *, enabled: bool, timings: bool) -> None:
        self.enabled = enabled
        self.timings = timings
        self.start = self.last = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        took = f" (+{now - self.last:.1f} s)" if self.timings else ""
        self.last = now
        click.echo(f"listprep: {message}{took}", err=True)

    def done(self) -> None:
        if self.enabled and self.timings:
            total = time.perf_counter() - self.start
            click.echo(f"listprep: done in {total:.1f} s", err=True)


@main.command("inspect")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@read_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
def inspect_command(inputs: tuple[Path, ...], as_json: bool, debug: bool, **options: Any) -> None:
    """A first look at INPUT... before preparing: encoding, delimiter, rows, headers, the
    phone column and why, and the spellings of its numbers (counts only, never a number)."""
    try:
        config = PipelineConfig.from_options(**options)
        report = inspect_sources(list(inputs), config.read, config.normalise)
    except Exception as exc:  # every failure becomes a clear exit: see _fail
        _fail(exc, debug)
        return
    click.echo(
        json.dumps(report, indent=2, ensure_ascii=False) if as_json else inspect_text(report)
    )


@main.command("check-template", context_settings={"default_map": {"channel": "sms"}})
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@read_options
@template_options
@click.option(
    "--samples",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    metavar="N",
    help="Rendered messages to show (phone-like values masked).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
def check_template_command(
    inputs: tuple[Path, ...], samples: int, as_json: bool, debug: bool, **options: Any
) -> None:
    """Check a template alone, or against the headers and rows of INPUT..., writing nothing.

    Reports the variables, the headers they match, rows that would be rejected by reason,
    and for SMS the encodings, segments per message and a few rendered samples. Numbers,
    duplicates and DND are not checked here: 'prepare' does that. The channel defaults to sms.
    """
    if options["template"] is None and options["template_file"] is None:
        raise click.UsageError("give --template TEXT or --template-file PATH")
    try:
        config = PipelineConfig.from_options(**options)
        report = template_report(config, list(inputs) or None, samples=samples)
    except Exception as exc:  # every failure becomes a clear exit: see _fail
        _fail(exc, debug)
        return
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(str(report))


@main.group("dnd")
def dnd_group() -> None:
    """Build and describe DND register indexes (sorted integer keys, memory-mapped).

    Normalising a national register of hundreds of millions of numbers takes a minute; an
    index does it once, and 'prepare --dnd INDEX' then scrubs a million contacts in about a
    second. An index is never rebuilt silently: rebuild it when the register changes.
    """


@dnd_group.command("build")
@click.argument("registers", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="The index folder to write (an existing index is replaced).",
)
@click.option(
    "--region",
    default="IN",
    show_default=True,
    metavar="CC",
    help="Region for numbers without a country code.",
)
@click.option(
    "--register-date",
    metavar="YYYY-MM-DD",
    help="The registers' snapshot date (default: a date column in them, if any).",
)
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
def dnd_build_command(
    registers: tuple[Path, ...], out: Path, region: str, register_date: str | None, debug: bool
) -> None:
    """Normalise REGISTER... (CSV/TSV/text: a number column and an optional preference column)
    once, into an index folder for 'prepare --dnd'."""
    progress = Progress(enabled=sys.stderr.isatty(), timings=False)
    try:
        when = date.fromisoformat(register_date) if register_date else None
        info = build_index(
            list(registers),
            out,
            region=region.upper(),
            snapshot_date=when,
            progress=lambda phase, count: progress(f"{phase}: {count:,}"),
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--register-date") from None
    except Exception as exc:  # every failure becomes a clear exit: see _fail
        _fail(exc, debug)
        return
    click.echo(
        f"wrote {out}: {info.entries:,} numbers from {info.rows:,} rows "
        f"({info.bad_rows:,} without a usable number), snapshot {info.snapshot_date or 'unknown'}"
    )
    bad = bad_rows_warning(str(out), "DND index", info.rows, info.bad_rows, info.bad_reasons)
    if bad:
        click.echo(f"warning: {bad}", err=True)


@dnd_group.command("info")
@click.argument("index", type=click.Path(path_type=Path))
@click.option("--verify", is_flag=True, help="Re-check the data against its stored sha256.")
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
def dnd_info_command(index: Path, verify: bool, debug: bool) -> None:
    """Print an index's metadata as JSON: sources and their sha256, entries, bad rows,
    snapshot date, and the listprep and phonenumbers versions that built it."""
    try:
        info = open_index(index, verify=verify).info
    except Exception as exc:  # every failure becomes a clear exit: see _fail
        _fail(exc, debug)
        return
    click.echo(json.dumps(info.to_json(), indent=2))


@main.command("init")
@click.argument("path", type=click.Path(path_type=Path), default="listprep.toml")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init_command(path: Path, force: bool) -> None:
    """Write a commented example config for 'listprep prepare --config PATH'."""
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists; pass --force to overwrite it")
    try:
        path.write_text(EXAMPLE_CONFIG, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(
            str(output_error("cannot write the config", exc, path))
        ) from None
    click.echo(f"wrote {path}; run: listprep prepare --config {path}")


EXAMPLE_CONFIG = """\
# listprep prepare --config listprep.toml
# Every option of 'listprep prepare' can live here (use _ or - in names);
# options given on the command line override this file.

inputs = ["sample_data/customers_crm.csv", "sample_data/customers_branch.csv"]
output = "out/campaign"
force = true

# phone_column = "Mobile"        # default: found by name (phone, mobile, msisdn, ...)
region = "IN"                    # numbers without a country code
channel = "voice"                # voice | sms
# method = "static"              # inline | static | dynamic (dynamic if the template has @@vars)

dnd = ["sample_data/dnd_register.csv"]     # DND registers (or indexes from 'listprep dnd build')
suppress = ["sample_data/suppression.txt"] # your own do-not-contact lists: always applied
purpose = "promotional"          # promotional | service | transactional (skips DND)
# category = 1                   # TRAI category; partial DND registrations allowing it are kept

# template_file = "sample_data/voice_template.txt"
# max_segments = 2               # SMS: reject rows whose message needs more segments
# dlt_template = "Dear {#var#}, ..."  # SMS: the DLT-registered text the template must match
# defaults = ["first_name=Customer"]  # sent (and written) where @@first_name is empty
# rename_headers = true          # "Due Date" -> due_date, so it can be an @@variable
# rules = "rules.toml"           # per-variable type/min/max/regex/allowed, checked by pandera
# require_gsm = true             # SMS: reject rows whose message would be UCS-2

# campaign_config = "campaign.toml"  # caller_id, url, retries, schedule, throttle, callbacks
# retries = 2
# throttle = 60
# plan_days = false
"""


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
