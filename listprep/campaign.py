"""Campaign settings, schedules and time-to-finish estimates.

Exotel refuses bad request fields, and a campaign that cannot finish before ``end_at`` pauses
with contacts pending (campaign FAQ). So settings are validated here, once, and every
campaign's worst-case duration is estimated against its window before anything is uploaded.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from listprep.errors import ConfigError, refuse_unknown
from listprep.limits import MAX_RETRIES, Channel

IST = timezone(timedelta(hours=5, minutes=30), "IST")
MECHANISMS = ("Linear", "Exponential")
RETRY_STATUSES = ("busy", "no-answer", "failed")
CALLBACKS = (
    "status_callback",
    "call_status_callback",
    "call_schedule_callback",
    "sms_status_callback",
)
#: Exotel's default calls per minute for a campaign ([B]); SMS throughput assumed per minute.
DEFAULT_THROTTLE = 60
DEFAULT_SMS_PER_MINUTE = 300
#: TCCCPR 2018 promotional hours (exotel-facts §5), in IST.
DEFAULT_WINDOW = (time(10, 0), time(21, 0))
#: The message-campaigns API wants the start at least 10 minutes ahead and 2 hours to run.
SMS_MIN_LEAD = timedelta(minutes=10)
SMS_MIN_SPAN = timedelta(hours=2)


@dataclass(frozen=True, slots=True, kw_only=True)
class Retries:
    number_of_retries: int = 0
    interval_mins: int | None = None
    mechanism: str = "Linear"
    on_status: tuple[str, ...] = ("busy", "no-answer")

    def __post_init__(self) -> None:
        if not 0 <= self.number_of_retries <= MAX_RETRIES:
            raise ConfigError(
                f"retries.number_of_retries must be 0-{MAX_RETRIES} (Exotel's range), "
                f"not {self.number_of_retries}"
            )
        if self.number_of_retries and self.interval_mins is None:
            raise ConfigError(
                "retries.interval_mins is required when retrying",
                hint="Exotel's FAQ suggests 15-30 minutes",
            )
        if self.interval_mins is not None and self.interval_mins < 1:
            raise ConfigError(f"retries.interval_mins must be at least 1, not {self.interval_mins}")
        if self.mechanism not in MECHANISMS:
            raise ConfigError(
                f"retries.mechanism must be Linear or Exponential, not {self.mechanism!r}"
            )
        unknown = [s for s in self.on_status if s not in RETRY_STATUSES]
        if unknown or not self.on_status:
            raise ConfigError(
                f"retries.on_status must be a non-empty subset of {', '.join(RETRY_STATUSES)}"
                + (f"; {unknown[0]!r} is not one" if unknown else "")
            )

    def intervals(self) -> list[int]:
        """Minutes before each retry round (Exponential doubles the interval each time)."""
        base = self.interval_mins or 0
        if self.mechanism == "Exponential":
            return [base * 2**k for k in range(self.number_of_retries)]
        return [base] * self.number_of_retries

    def body(self) -> dict[str, Any]:
        return {
            "number_of_retries": self.number_of_retries,
            "interval_mins": self.interval_mins,
            "mechanism": self.mechanism,
            "on_status": list(self.on_status),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    start: datetime | None = None
    """``send_at`` (voice) or ``start_time`` (SMS): RFC 3339 with an offset."""
    end: datetime | None = None
    """``end_at`` (voice) or ``end_time`` (SMS)."""

    def __post_init__(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ConfigError(
                f"schedule end {self.end.isoformat()} is not after its start "
                f"{self.start.isoformat()}"
            )

    @property
    def minutes(self) -> float | None:
        if self.start and self.end:
            return (self.end - self.start).total_seconds() / 60
        return None

    def body(self, channel: Channel) -> dict[str, str]:
        names = ("start_time", "end_time") if channel is Channel.SMS else ("send_at", "end_at")
        return {
            name: moment.isoformat()
            for name, moment in zip(names, (self.start, self.end), strict=True)
            if moment is not None
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignConfig:
    """Everything the request bodies and the time estimates need (``--campaign-config``)."""

    name_prefix: str = "listprep"
    caller_id: str | None = None
    flow_url: str | None = None
    flow_type: str | None = None
    retries: Retries = field(default_factory=Retries)
    schedule: Schedule = field(default_factory=Schedule)
    throttle: int | None = None
    """Calls per minute sent to Exotel; ``None`` leaves Exotel's default (60) in force."""
    sms_per_minute: int = DEFAULT_SMS_PER_MINUTE
    callbacks: tuple[tuple[str, str], ...] = ()
    sender_id: str | None = None
    dlt_entity_id: str | None = None
    dlt_template_id: str | None = None
    sms_type: str | None = None
    call_duplicate_numbers: bool = False
    custom_field: str | None = None
    wrap: bool = False
    """Emit ``{"campaigns": [body]}``, the wrapper seen in client code, instead of the body."""
    calling_window: tuple[time, time] = DEFAULT_WINDOW
    """Hours (IST) a promotional campaign may run in."""
    plan_days: bool = False
    """Split into one day's worth of campaigns per day, each sized to finish in its window."""

    @property
    def calls_per_minute(self) -> int:
        """The voice throughput the estimates assume."""
        return self.throttle or DEFAULT_THROTTLE

    def __post_init__(self) -> None:
        if len(self.name_prefix.strip()) < 1:
            raise ConfigError("name_prefix must not be empty")
        if (self.throttle is not None and self.throttle < 1) or self.sms_per_minute < 1:
            raise ConfigError("throttle and sms_per_minute must be at least 1 per minute")
        if self.flow_type not in (None, "ivr", "greeting"):
            raise ConfigError(f"flow_type must be ivr or greeting, not {self.flow_type!r}")
        if self.sms_type not in (None, "Transactional", "Promotional"):
            raise ConfigError(
                f"sms_type must be Transactional or Promotional, not {self.sms_type!r}"
            )
        start, end = self.calling_window
        if end <= start:
            raise ConfigError("the calling window must end after it starts")


# --- loading -----------------------------------------------------------------------------------

_FILE_KEYS = (
    "name_prefix", "caller_id", "url", "flow_url", "flow_type", "retries", "schedule",
    "throttle", "sms_per_minute", "sender_id", "dlt_entity_id", "dlt_template_id", "sms_type",
    "call_duplicate_numbers", "custom_field", "wrap_campaigns", "calling_window", "plan_days",
    *CALLBACKS,
)  # fmt: skip


def read_campaign_file(path: Path) -> dict[str, Any]:
    """A ``--campaign-config`` file (TOML, or JSON by its ``.json`` suffix) as a plain dict."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the campaign config: {exc.strerror}", file=str(path)
        ) from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"the campaign config is not valid: {exc}", file=str(path)) from None
    if not isinstance(data, dict):
        raise ConfigError("the campaign config must be a table of settings", file=str(path))
    _refuse_unknown(data, _FILE_KEYS, str(path))
    return data


def campaign_config(settings: Mapping[str, Any], where: str = "campaign config") -> CampaignConfig:
    """Build a validated :class:`CampaignConfig` from file settings merged with options."""
    _refuse_unknown(settings, _FILE_KEYS, where)
    retries = _table(settings, "retries", where, "[retries] with number_of_retries = 2")
    _refuse_unknown(
        retries, ("number_of_retries", "interval_mins", "mechanism", "on_status"), where
    )
    schedule = _table(
        settings, "schedule", where, '[schedule] with send_at = "2026-12-01T10:00:00+05:30"'
    )
    _refuse_unknown(schedule, ("send_at", "end_at", "start_time", "end_time"), where)
    window = _table(settings, "calling_window", where, '[calling_window] with start = "10:00"')
    _refuse_unknown(window, ("start", "end"), where)
    return CampaignConfig(
        name_prefix=str(settings.get("name_prefix") or "listprep"),
        caller_id=settings.get("caller_id"),
        flow_url=settings.get("flow_url") or settings.get("url"),
        flow_type=settings.get("flow_type"),
        retries=Retries(
            number_of_retries=_whole(
                retries.get("number_of_retries", 0),
                "retries.number_of_retries",
                where,
                low=0,
                high=MAX_RETRIES,
                example="number_of_retries = 2",
            ),
            interval_mins=_whole_or_none(
                retries.get("interval_mins"),
                "retries.interval_mins",
                where,
                low=1,
                example="interval_mins = 15 (minutes)",
            ),
            mechanism=str(retries.get("mechanism", "Linear")),
            on_status=tuple(retries.get("on_status", ("busy", "no-answer"))),
        ),
        schedule=Schedule(
            start=_moment(schedule.get("send_at") or schedule.get("start_time"), "start"),
            end=_moment(schedule.get("end_at") or schedule.get("end_time"), "end"),
        ),
        throttle=_whole_or_none(
            settings.get("throttle"),
            "throttle",
            where,
            low=1,
            example="throttle = 60 (calls per minute, Exotel's default)",
        ),
        sms_per_minute=_whole(
            settings.get("sms_per_minute", DEFAULT_SMS_PER_MINUTE),
            "sms_per_minute",
            where,
            low=1,
            example=f"sms_per_minute = {DEFAULT_SMS_PER_MINUTE}",
        ),
        callbacks=tuple((name, str(settings[name])) for name in CALLBACKS if settings.get(name)),
        sender_id=settings.get("sender_id"),
        dlt_entity_id=settings.get("dlt_entity_id"),
        dlt_template_id=settings.get("dlt_template_id"),
        sms_type=settings.get("sms_type"),
        call_duplicate_numbers=bool(settings.get("call_duplicate_numbers", False)),
        custom_field=settings.get("custom_field"),
        wrap=bool(settings.get("wrap_campaigns", False)),
        calling_window=(
            _clock(window.get("start"), DEFAULT_WINDOW[0]),
            _clock(window.get("end"), DEFAULT_WINDOW[1]),
        ),
        plan_days=bool(settings.get("plan_days", False)),
    )


def _refuse_unknown(data: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    refuse_unknown(data, known, what="campaign setting", file=where)


def _table(settings: Mapping[str, Any], key: str, where: str, example: str) -> dict[str, Any]:
    """A section of the file (``[retries]``): a table, or absent."""
    value = settings.get(key) or {}
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{key} must be a table of settings, not {value!r}", file=where, hint=f"write {example}"
        )
    return dict(value)


def _whole_or_none(value: object, key: str, where: str, *, low: int, example: str) -> int | None:
    """:func:`_whole` for a setting that may be left out."""
    return None if value is None else _whole(value, key, where, low=low, example=example)


def _whole(
    value: object, key: str, where: str, *, low: int, high: int | None = None, example: str
) -> int:
    """A count from the file as its CLI flag (``IntRange``) takes it: a whole number in range.

    TOML and JSON also give floats and booleans, which ``int()`` would truncate or read as 1.
    """
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdecimal():  # as typed after the flag
        number = int(value)
    if number is None or number < low or (high is not None and number > high):
        span = f"{low}-{high}" if high is not None else f"at least {low}"
        raise ConfigError(
            f"{key} must be a whole number, {span}, not {value!r}",
            file=where,
            hint=f"write {example}",
        )
    return number


def _moment(value: object, what: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise ConfigError(
                f"schedule {what} {value!r} is not an RFC 3339 time",
                hint="write it like 2026-12-01T10:00:00+05:30",
            ) from None
    if moment.tzinfo is None:
        raise ConfigError(
            f"schedule {what} {value!r} has no UTC offset",
            hint="Exotel needs RFC 3339 with an offset, e.g. 2026-12-01T10:00:00+05:30",
        )
    return moment


def _clock(value: object, default: time) -> time:
    if value is None:
        return default
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"calling window time {value!r} is not HH:MM") from None


# --- checks and estimates ----------------------------------------------------------------------


def check_window(config: CampaignConfig, schedule: Schedule) -> None:
    """A promotional campaign's schedule must stay inside the calling window, on one day."""
    start_ok, end_ok = config.calling_window
    for moment, label in ((schedule.start, "starts"), (schedule.end, "ends")):
        if moment is None:
            continue
        local = moment.astimezone(IST)
        if not start_ok <= local.time() <= end_ok:
            shown = f"{local:%H:%M:%S}" if local.second or local.microsecond else f"{local:%H:%M}"
            raise ConfigError(
                f"the campaign {label} at {shown} IST, outside promotional calling hours "
                f"{start_ok:%H:%M}-{end_ok:%H:%M}",
                hint="move the schedule; for a transactional campaign (OTPs, alerts) give "
                "--purpose transactional; or set calling_window if your rules differ",
            )
    if schedule.start and schedule.end:
        if schedule.start.astimezone(IST).date() != schedule.end.astimezone(IST).date():
            raise ConfigError(
                "a promotional schedule may not run overnight",
                hint="use --plan-days to spread the contacts over several days",
            )


def schedule_warnings(schedule: Schedule, channel: Channel, now: datetime) -> list[str]:
    """What Exotel would make of the schedule, judged at ``now`` (the run's clock, see
    :func:`now_utc`), for every channel.

    Warnings, not errors: lists are often prepared ahead of a later upload (with the schedule
    edited then), and ``SOURCE_DATE_EPOCH`` may pin the clock to replay an old run exactly.
    """
    if channel is Channel.SMS:
        return sms_schedule_warnings(schedule, now)
    return _past_start(schedule, "send_at", now)


def sms_schedule_warnings(schedule: Schedule, now: datetime) -> list[str]:
    """The message-campaigns API's rules for the SMS schedule, as warnings at prepare time."""
    warnings = _past_start(schedule, "start_time", now)
    if schedule.start and not warnings and schedule.start < now + SMS_MIN_LEAD:
        warnings.append(
            f"the SMS schedule starts {schedule.start.isoformat()}, less than 10 minutes after "
            "this run: Exotel requires start_time at least 10 minutes ahead"
        )
    if schedule.start and schedule.end and schedule.end - schedule.start < SMS_MIN_SPAN:
        warnings.append(
            "the SMS schedule ends less than 2 hours after it starts (Exotel's minimum)"
        )
    return warnings


def _past_start(schedule: Schedule, key: str, now: datetime) -> list[str]:
    if schedule.start is None or schedule.start >= now:
        return []
    return [
        f"the schedule starts {schedule.start.isoformat()}, in the past for this run "
        f"({now.astimezone(IST).isoformat()}): Exotel would start the campaign at once or "
        f"refuse it; set a later schedule.{key} before uploading"
    ]


def minutes_needed(config: CampaignConfig, channel: Channel, contacts: int) -> float:
    """Worst-case minutes for ``contacts``: every attempt fails until the last retry.

    Voice: the first round takes ``contacts / throttle`` minutes; each retry round waits at
    least its interval after the previous attempt, and takes as long as a round when that is
    longer. SMS: ``contacts / sms_per_minute``.
    """
    if contacts == 0:
        return 0.0
    if channel is Channel.SMS:
        return contacts / config.sms_per_minute
    round_minutes = contacts / config.calls_per_minute
    return round_minutes + sum(max(round_minutes, i) for i in config.retries.intervals())


def capacity(config: CampaignConfig, channel: Channel, minutes: float) -> int:
    """The most contacts that finish within ``minutes`` (``minutes_needed`` is monotonic)."""
    low, high = 0, max(1, math.ceil(minutes * max(config.calls_per_minute, config.sms_per_minute)))
    while low < high:
        mid = (low + high + 1) // 2
        if minutes_needed(config, channel, mid) <= minutes:
            low = mid
        else:
            high = mid - 1
    return low


def daily_window(config: CampaignConfig) -> tuple[datetime, datetime]:
    """The first day's window for ``--plan-days``: the schedule's start to its end (same day)
    or to the end of the calling window."""
    start = config.schedule.start
    if start is None:
        raise ConfigError(
            "plan_days needs a first day",
            hint="give schedule.send_at (voice) or schedule.start_time (SMS) in --campaign-config",
        )
    end = config.schedule.end
    if end is None or end.astimezone(IST).date() != start.astimezone(IST).date():
        local = start.astimezone(IST)
        end = datetime.combine(local.date(), config.calling_window[1], IST)
    if end <= start:
        raise ConfigError("plan_days: the first day's window is empty")
    return start, end


def day_schedule(config: CampaignConfig, day: int) -> Schedule:
    """Day ``day`` (1-based) of a ``--plan-days`` plan: the first day's window, shifted."""
    start, end = daily_window(config)
    shift = timedelta(days=day - 1)
    return Schedule(start=start + shift, end=end + shift)


def now_utc(created_at: str) -> datetime:
    """The run's moment, from the manifest's ``created_at`` (fixed by SOURCE_DATE_EPOCH)."""
    return datetime.fromisoformat(created_at.replace("Z", "+00:00")).astimezone(UTC)


def schedule_for(config: CampaignConfig, day: int) -> Schedule:
    """The schedule of a campaign planned for ``day`` (always day 1 without ``plan_days``)."""
    return day_schedule(config, day) if config.plan_days else config.schedule


def plan_capacity(config: CampaignConfig, channel: Channel, promotional: bool) -> int | None:
    """Contacts per day for ``plan_days`` (``None`` without it); checks the calling window."""
    if promotional:  # SMS too: TRAI's hours hold for promotional messages as for calls
        check_window(config, schedule_for(config, 1))
    if not config.plan_days:
        return None
    start, end = daily_window(config)
    contacts = capacity(config, channel, (end - start).total_seconds() / 60)
    if contacts < 1:
        raise ConfigError("plan_days: not even one contact finishes in the daily window")
    return contacts


def estimate(
    config: CampaignConfig,
    channel: Channel,
    contacts: dict[int, int],
    days: dict[int, int],
    *,
    promotional: bool = False,
) -> tuple[dict[int, dict[str, Any]], list[str]]:
    """Per-campaign worst-case figures, and a warning for every window that is too short.

    Campaigns sharing a window run at once and share the account's throughput, so each
    window is checked for the sum of its campaigns' contacts. A promotional schedule with a
    start and no end runs on past the calling window: it is checked against the window's end.
    """
    figures: dict[int, dict[str, Any]] = {}
    for index, count in contacts.items():
        entry: dict[str, Any] = {"contacts": count}
        if channel is Channel.VOICE:
            entry["max_call_attempts"] = count * (1 + config.retries.number_of_retries)
        entry["minutes_needed"] = round(minutes_needed(config, channel, count), 1)
        figures[index] = entry
    warnings = []
    for day in sorted(set(days.values())):
        members = [i for i, d in days.items() if d == day]
        schedule = schedule_for(config, day)
        window = schedule.minutes
        open_ended = window is None and promotional and schedule.start is not None
        if open_ended:
            window = _minutes_left(config, schedule)
        if window is None:
            continue
        total = sum(contacts[i] for i in members)
        needed = minutes_needed(config, channel, total)
        for i in members:
            figures[i]["window_minutes"] = round(window, 1)
            figures[i]["fits_window"] = needed <= window
        if needed > window and open_ended:
            names = ", ".join(f"{i:02d}" for i in members)
            closes = config.calling_window[1]
            warnings.append(
                f"campaign(s) {names} need about {needed / 60:.1f} h at "
                f"{_rate(config, channel)}, but the schedule has no end and calling hours "
                f"close {window / 60:.1f} h after it starts, at {closes:%H:%M} IST: the campaign "
                f"could go on after {closes:%H:%M} (set the schedule's end, use "
                "--plan-days, or raise the throttle)"
            )
        elif needed > window:
            pending = total - capacity(config, channel, window)
            names = ", ".join(f"{i:02d}" for i in members)
            warnings.append(
                f"campaign(s) {names} need about {needed / 60:.1f} h at "
                f"{_rate(config, channel)} but the window is {window / 60:.1f} h: about "
                f"{pending:,} contacts would pause at the end (use --plan-days, raise the "
                "throttle, or widen the schedule)"
            )
    return figures, warnings


def _minutes_left(config: CampaignConfig, schedule: Schedule) -> float:
    """Minutes from the schedule's start to the end of that day's calling window."""
    assert schedule.start is not None
    start = schedule.start.astimezone(IST)
    closes = datetime.combine(start.date(), config.calling_window[1], tzinfo=IST)
    return max((closes - start).total_seconds() / 60, 0.0)


def _rate(config: CampaignConfig, channel: Channel) -> str:
    if channel is Channel.SMS:
        return f"{config.sms_per_minute}/min"
    retries = config.retries.number_of_retries
    return (
        f"{config.calls_per_minute} calls/min with {retries} retr{'y' if retries == 1 else 'ies'}"
    )
