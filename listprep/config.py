"""Frozen configuration: one small dataclass per stage, gathered in :class:`PipelineConfig`.

Configs are plain values (no global settings), so a run is fully described by its inputs and
its config, and the manifest can record exactly what was asked.
"""

from __future__ import annotations

import operator
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar, cast

import phonenumbers

from listprep.campaign import CampaignConfig, campaign_config, read_campaign_file
from listprep.errors import ConfigError, refuse_unknown
from listprep.limits import LIMITS, SMS_TEMPLATE_MAX_CHARS, Channel, Limit, Method
from listprep.rules import ColumnRule, load_rules

VARIABLE_RE = re.compile(r"@@([A-Za-z0-9_]+)")
"""A template variable: ``@@`` then the longest run of ASCII letters, digits and underscores."""


class Purpose(StrEnum):
    """Why the contacts are reached; decides whether the DND register applies."""

    PROMOTIONAL = "promotional"
    SERVICE = "service"
    TRANSACTIONAL = "transactional"


class ExtensionPolicy(StrEnum):
    """A campaign cannot dial an extension: keep the main number (and count it), or reject."""

    KEEP = "keep"
    REJECT = "reject"


class MultiPolicy(StrEnum):
    """A cell holding several distinct numbers: keep the first, split into contacts, or reject."""

    FIRST = "first"
    SPLIT = "split"
    REJECT = "reject"


def template_variables(text: str) -> tuple[str, ...]:
    """The distinct ``@@name`` variables of a template, in order of first use."""
    return tuple(dict.fromkeys(VARIABLE_RE.findall(text)))


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadConfig:
    phone_column: str | None = None
    """Header of the phone column; ``None`` finds it by name."""
    encoding: str | None = None
    """Text encoding of CSV files; ``None`` detects it (BOM, UTF-8, else Windows-1252)."""
    delimiter: str | None = None
    """Field delimiter; ``None`` sniffs it from the header among ``, ; tab |``."""
    sheet: str | int | None = None
    """Worksheet of Excel inputs, by name or 0-based index; ``None`` takes the first."""
    batch_rows: int = 250_000
    """Rows read and processed at a time: memory grows with it, not with the inputs."""

    def __post_init__(self) -> None:
        _set(self, "batch_rows", _at_least_one(self.batch_rows, "batch_rows"))


@dataclass(frozen=True, slots=True, kw_only=True)
class NormaliseConfig:
    region: str = "IN"
    channel: Channel = Channel.VOICE
    extensions: ExtensionPolicy = ExtensionPolicy.KEEP
    multi: MultiPolicy = MultiPolicy.FIRST
    allow_regions: tuple[str, ...] = ()
    """Region codes (``"IN"``) whose numbers are kept; ``()`` keeps every country."""

    def __post_init__(self) -> None:  # built directly too: a bad region would reject every row
        _set(self, "region", _region(self.region))
        _set(self, "channel", _enum(Channel, self.channel, "channel"))
        _set(self, "extensions", _enum(ExtensionPolicy, self.extensions, "extensions"))
        _set(self, "multi", _enum(MultiPolicy, self.multi, "multi"))
        _set(self, "allow_regions", tuple(_region(r) for r in _items(self.allow_regions)))


@dataclass(frozen=True, slots=True, kw_only=True)
class ScrubConfig:
    dnd: tuple[Path, ...] = ()
    suppress: tuple[Path, ...] = ()
    purpose: Purpose = Purpose.PROMOTIONAL
    category: int | None = None
    """The campaign's DND preference category (1–8); partial registrations must allow it."""
    region: str = "IN"
    max_register_age: int = 7
    """Days a DND register may be old before the run refuses it (TRAI's registers change daily)."""
    allow_stale_register: bool = False
    register_date: date | None = None
    """The snapshot date of raw registers that carry none (an index's date is fixed at build)."""

    def __post_init__(self) -> None:  # built directly too: a wrong type must not skip the scrub
        _set(self, "dnd", _paths(self.dnd))
        _set(self, "suppress", _paths(self.suppress))
        _set(self, "purpose", _enum(Purpose, self.purpose, "purpose"))
        _set(self, "category", _category(self.category))
        _set(self, "region", _region(self.region))
        _set(self, "max_register_age", _whole(self.max_register_age, "max_register_age"))
        _set(self, "register_date", _date(self.register_date))


#: India's DLT: each substituted value should be under 30 characters (Exotel [A]; [B] says no
#: fixed limit). Read as "at most 30"; ``max_variable_length`` overrides it.
DLT_VARIABLE_MAX_CHARS = 30


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateConfig:
    text: str | None = None
    channel: Channel = Channel.VOICE
    max_segments: int | None = None
    dlt_template: str | None = None
    """The DLT-registered text (``{#var#}`` for variables) the template must match exactly."""
    max_variable_length: int | None = None
    """Longest value in characters; ``None`` is 30 with a DLT template, else no limit."""
    defaults: tuple[tuple[str, str], ...] = ()
    """``(variable, value)``: fills empty cells (and the list file) instead of rejecting."""
    rename_headers: bool = False
    """Rename headers Exotel cannot use as variables (``Due Date`` -> ``due_date``)."""
    column_rules: tuple[ColumnRule, ...] = ()
    require_gsm: bool = False
    """Reject SMS rows whose message would be UCS-2 (70 characters per SMS instead of 160)."""

    def __post_init__(self) -> None:
        _set(self, "channel", _enum(Channel, self.channel, "channel"))
        for name in ("max_segments", "max_variable_length"):
            if (value := getattr(self, name)) is not None:
                _set(self, name, _at_least_one(value, name))

    @property
    def variables(self) -> tuple[str, ...]:
        return template_variables(self.text) if self.text else ()

    @property
    def variable_limit(self) -> int | None:
        if self.max_variable_length is not None:
            return self.max_variable_length
        return DLT_VARIABLE_MAX_CHARS if self.dlt_template is not None else None


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitConfig:
    channel: Channel = Channel.VOICE
    method: Method = Method.STATIC
    list_rows: int | None = None
    """A lower cap than Exotel's on rows per list (or per inline campaign)."""
    lists_per_campaign: int | None = None
    max_list_bytes: int | None = None
    """A byte cap per list file (dynamic lists already stay under Exotel's 60 MB)."""

    def __post_init__(self) -> None:
        _set(self, "channel", _enum(Channel, self.channel, "channel"))
        _set(self, "method", _enum(Method, self.method, "method"))
        _check_method(self.method, self.channel, ())
        limit = self.limit
        caps = (
            ("list_rows", limit.rows_per_list),
            ("lists_per_campaign", limit.lists_per_campaign),
            ("max_list_bytes", limit.max_list_bytes),
        )
        for name, allowed in caps:
            if (asked := getattr(self, name)) is None:
                continue
            asked = _at_least_one(asked, name)
            _set(self, name, asked)
            if allowed is not None and asked > allowed:
                raise ConfigError(
                    f"{name} {asked:,} is above Exotel's limit of {allowed:,} for "
                    f"{self.channel.value} {self.method.value} campaigns ({limit.source})"
                )

    @property
    def limit(self) -> Limit:
        return LIMITS[(self.channel, self.method)]

    @property
    def rows_per_list(self) -> int:
        return self.list_rows or self.limit.rows_per_list

    @property
    def max_lists(self) -> int:
        return self.lists_per_campaign or self.limit.lists_per_campaign

    @property
    def max_bytes(self) -> int | None:
        return self.max_list_bytes or self.limit.max_list_bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputConfig:
    escape_formulas: bool = False
    """Neutralise spreadsheet formulas in list files too (rejects.csv always is)."""
    redact_rejects: bool = False
    """Write masked phone cells (``98XXXXXX10``) to rejects.csv."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineConfig:
    channel: Channel = Channel.VOICE
    method: Method = Method.STATIC
    read: ReadConfig = field(default_factory=ReadConfig)
    normalise: NormaliseConfig = field(default_factory=NormaliseConfig)
    scrub: ScrubConfig = field(default_factory=ScrubConfig)
    template: TemplateConfig = field(default_factory=TemplateConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    campaign: CampaignConfig = field(default_factory=CampaignConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    def __post_init__(self) -> None:
        """What no stage config can check alone (``from_options`` builds consistent ones; a
        config built by hand may not be, and would fail deep inside a stage)."""
        _set(self, "channel", _enum(Channel, self.channel, "channel"))
        _set(self, "method", _enum(Method, self.method, "method"))
        stages = {
            "template": self.template.channel,
            "split": self.split.channel,
            "normalise": self.normalise.channel,
        }
        for name, channel in stages.items():
            if channel is not self.channel:
                raise ConfigError(
                    f"the {name} config is for {channel.value}, the run for {self.channel.value}",
                    hint="build it with PipelineConfig.from_options(...) or prepare(...)",
                )
        if self.split.method is not self.method:
            raise ConfigError(
                f"the split config is for {self.split.method.value} lists, the run for "
                f"{self.method.value}"
            )
        _check_method(self.method, self.channel, self.template.variables)
        if self.output.escape_formulas and self.method is Method.DYNAMIC:
            raise ConfigError(
                "--escape-formulas would change the messages: a dynamic list holds only the "
                "number and the @@variables, whose cells are the text Exotel sends ('-500' "
                'would go out as "\'-500")',
                hint="leave --escape-formulas out for dynamic campaigns (rejects.csv is "
                "always escaped)",
            )
        if self.channel is Channel.SMS and not self.template.text:
            raise ConfigError(
                "an SMS campaign needs its message", hint="give --template or --template-file"
            )
        if self.campaign.sms_type == "Promotional" and self.scrub.purpose is Purpose.TRANSACTIONAL:
            raise ConfigError(
                'the campaign config says sms_type = "Promotional", but --purpose transactional '
                "skips the DND scrub",
                hint="promotional messages must be scrubbed: drop --purpose transactional, or "
                'set sms_type = "Transactional" if the message really is one',
            )

    @classmethod
    def from_options(cls, **options: Any) -> PipelineConfig:
        """Build and validate a config from flat options (the CLI's and ``prepare``'s keywords).

        Unknown names are an error that suggests the near miss.
        """
        refuse_unknown(sorted(options), OPTION_DEFAULTS, what="option")
        o = {**OPTION_DEFAULTS, **{k: v for k, v in options.items() if v is not None}}
        channel = _enum(Channel, o["channel"], "channel")
        purpose = _enum(Purpose, o["purpose"], "purpose")
        region = _region(o["region"])
        text = _template_text(o["template"], o["template_file"])
        variables = template_variables(text) if text else ()
        method = _method(o["method"], channel, variables)
        _check_text(channel, text)
        return cls(
            channel=channel,
            method=method,
            read=ReadConfig(
                phone_column=o["phone_column"],
                encoding=o["encoding"],
                delimiter=o["delimiter"],
                sheet=o["sheet"],
                batch_rows=o["batch_rows"],
            ),
            normalise=NormaliseConfig(
                region=region,
                channel=channel,
                extensions=_enum(ExtensionPolicy, o["extensions"], "extensions"),
                multi=_enum(MultiPolicy, o["multi"], "multi"),
                allow_regions=o["allow_regions"],
            ),
            scrub=ScrubConfig(
                dnd=o["dnd"],
                suppress=o["suppress"],
                purpose=purpose,
                category=o["category"],
                region=region,
                max_register_age=o["max_register_age"],
                allow_stale_register=bool(o["allow_stale_register"]),
                register_date=o["register_date"],
            ),
            template=_template(o, channel, text),
            split=SplitConfig(
                channel=channel,
                method=method,
                list_rows=o["list_rows"],
                lists_per_campaign=o["lists_per_campaign"],
                max_list_bytes=o["max_list_bytes"],
            ),
            campaign=_campaign(o),
            output=OutputConfig(
                escape_formulas=bool(o["escape_formulas"]), redact_rejects=bool(o["redact_rejects"])
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view for the manifest's ``options``: all but ``batch_rows``, which
        changes memory and speed, never the outputs (so it stays out of the manifest)."""
        jsonable: dict[str, Any] = _jsonable(asdict(self))
        del jsonable["read"]["batch_rows"]
        return jsonable


OPTION_DEFAULTS: Mapping[str, Any] = {
    "phone_column": None,
    "encoding": None,
    "delimiter": None,
    "sheet": None,
    "batch_rows": 250_000,
    "region": "IN",
    "allow_regions": (),
    "extensions": ExtensionPolicy.KEEP,
    "multi": MultiPolicy.FIRST,
    "channel": Channel.VOICE,
    "method": None,
    "dnd": (),
    "suppress": (),
    "purpose": Purpose.PROMOTIONAL,
    "max_register_age": 7,
    "allow_stale_register": False,
    "register_date": None,
    "category": None,
    "template": None,
    "template_file": None,
    "max_segments": None,
    "dlt_template": None,
    "max_variable_length": None,
    "defaults": (),
    "rename_headers": False,
    "rules": None,
    "require_gsm": False,
    "list_rows": None,
    "lists_per_campaign": None,
    "max_list_bytes": None,
    "campaign_config": None,
    "name_prefix": None,
    "caller_id": None,
    "flow_url": None,
    "retries": None,
    "retry_interval_mins": None,
    "throttle": None,
    "wrap_campaigns": None,
    "plan_days": None,
    "escape_formulas": False,
    "redact_rejects": False,
}


E = TypeVar("E", bound=StrEnum)


def _enum(kind: type[E], value: object, name: str) -> E:
    try:
        return kind(str(value).lower())
    except ValueError:
        choices = ", ".join(m.value for m in kind)
        raise ConfigError(f"{name} must be one of {choices}, not {value!r}") from None


def _template_text(text: str | None, path: str | Path | None) -> str | None:
    if text is not None and path is not None:
        raise ConfigError("give the template as text or as a file, not both")
    if path is None:
        return text
    try:
        return Path(path).read_text(encoding="utf-8-sig").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the template: {exc}", file=str(path), hint="give a UTF-8 text file"
        ) from None


def _method(value: object, channel: Channel, variables: tuple[str, ...]) -> Method:
    if value is None:
        method = Method.DYNAMIC if variables else Method.STATIC
    else:
        method = _enum(Method, value, "method")
    _check_method(method, channel, variables)
    return method


def _check_method(method: Method, channel: Channel, variables: tuple[str, ...]) -> None:
    if (channel, method) not in LIMITS:
        raise ConfigError(
            f"Exotel has no {method.value} method for {channel.value} campaigns",
            hint="SMS campaigns take static or dynamic lists",
        )
    if variables and method is not Method.DYNAMIC:
        raise ConfigError(
            f"the template uses @@{variables[0]}, but {method.value} campaigns cannot personalise",
            hint="use --method dynamic (the default when the template has variables)",
        )


def _check_text(channel: Channel, text: str | None) -> None:
    """The template's own limits (the fields' ranges are each config's to check)."""
    if channel is Channel.SMS and text and len(text) > SMS_TEMPLATE_MAX_CHARS:
        raise ConfigError(
            f"the SMS template has {len(text)} characters; Exotel allows {SMS_TEMPLATE_MAX_CHARS}"
        )
    if text is not None and not text.strip():
        raise ConfigError("the template is empty")


def _template(o: Mapping[str, Any], channel: Channel, text: str | None) -> TemplateConfig:
    """Template options parsed; checks against the text itself come in the template stage."""
    if channel is not Channel.SMS:
        for name in ("dlt_template", "require_gsm"):
            if o[name]:
                raise ConfigError(f"{name} applies to SMS campaigns", hint="use --channel sms")
    return TemplateConfig(
        text=text,
        channel=channel,
        max_segments=o["max_segments"],
        dlt_template=o["dlt_template"],
        max_variable_length=o["max_variable_length"],
        defaults=_defaults(o["defaults"]),
        rename_headers=bool(o["rename_headers"]),
        column_rules=load_rules(o["rules"]) if o["rules"] is not None else (),
        require_gsm=bool(o["require_gsm"]),
    )


def _defaults(
    value: Mapping[str, str] | Iterable[str | tuple[str, str]],
) -> tuple[tuple[str, str], ...]:
    """``{"name": "value"}``, ``["name=value"]`` (the CLI's) or ``(name, value)`` pairs."""
    items = value.items() if isinstance(value, Mapping) else map(_default_pair, value)
    pairs: dict[str, str] = {}
    for name, text in items:
        if not VARIABLE_RE.fullmatch("@@" + name):
            raise ConfigError(
                f"a default must be NAME=VALUE with NAME a variable name, not {name!r}",
                hint="e.g. --default first_name=Customer",
            )
        if not str(text).strip():
            raise ConfigError(f"the default for {name!r} is empty", hint="give a value to send")
        if name in pairs:
            raise ConfigError(f"two defaults for {name!r}")
        pairs[name] = str(text)
    return tuple(pairs.items())


def _default_pair(item: str | tuple[str, str]) -> tuple[str, str]:
    if not isinstance(item, str):
        return item
    name, sep, text = item.partition("=")
    if not sep:
        raise ConfigError(f"a default must be NAME=VALUE, not {item!r}")
    return name.strip(), text


def _set(config: object, name: str, value: object) -> None:
    object.__setattr__(config, name, value)  # a frozen dataclass's checked, converted field


def _items(value: object) -> list[object]:
    """A list option's items: one string is one item (``"IN,US"`` two), never its letters."""
    if isinstance(value, str):
        return [part for part in value.split(",") if part.strip()]
    if isinstance(value, os.PathLike):
        return [value]
    if not isinstance(value, Iterable):
        raise ConfigError(f"expected a list, not {value!r}")
    return list(value)


def _paths(value: object) -> tuple[Path, ...]:
    """Register files: a single path (``dnd="ncpr.csv"``) or several."""
    items = [value] if isinstance(value, str) else _items(value)
    return tuple(Path(cast(str, item)) for item in items)


def _whole(value: object, name: str) -> int:
    """An int (numpy's too, not a bool), a float with nothing after the point, or digits as
    text (a TOML or form value)."""
    if not isinstance(value, bool) and hasattr(value, "__index__"):
        return operator.index(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    raise ConfigError(f"{name} must be a whole number, not {value!r}")


def _at_least_one(value: object, name: str) -> int:
    number = _whole(value, name)
    if number < 1:
        raise ConfigError(f"{name} must be at least 1, not {value!r}")
    return number


def _category(value: object) -> int | None:
    if value is None:
        return None
    category = _whole(value, "category")
    if not 1 <= category <= 8:
        raise ConfigError(f"category must be 1-8 (TRAI's preference codes), not {value!r}")
    return category


def _region(value: object) -> str:
    """A region phonenumbers knows (``IN``, ``US`` …): an unknown one would reject every row."""
    region = str(value).strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(
            f"unknown region {value!r}",
            hint="give a two-letter ISO country code that phonenumbers knows, e.g. IN, US, GB",
        )
    return region


def _date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"register_date {value!r} is not a date like 2026-11-30") from None


def _campaign(o: Mapping[str, Any]) -> CampaignConfig:
    """Campaign settings: the ``campaign_config`` file first, explicit options over it."""
    path = o["campaign_config"]
    settings = read_campaign_file(Path(path)) if path is not None else {}
    flat = {
        key: o[key]
        for key in (
            "name_prefix",
            "caller_id",
            "flow_url",
            "throttle",
            "wrap_campaigns",
            "plan_days",
        )
        if o[key] is not None
    }
    settings = {**settings, **flat}
    if o["retries"] is not None or o["retry_interval_mins"] is not None:
        retries = dict(settings.get("retries") or {})
        if o["retries"] is not None:
            retries["number_of_retries"] = o["retries"]
            retries.setdefault("interval_mins", 15)  # the FAQ's advice, for the short option
        if o["retry_interval_mins"] is not None:
            retries["interval_mins"] = o["retry_interval_mins"]
        settings["retries"] = retries
    return campaign_config(settings, str(path) if path is not None else "options")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


__all__ = [
    "CampaignConfig",
    "ExtensionPolicy",
    "MultiPolicy",
    "NormaliseConfig",
    "PipelineConfig",
    "Purpose",
    "ReadConfig",
    "ScrubConfig",
    "SplitConfig",
    "TemplateConfig",
    "template_variables",
]
