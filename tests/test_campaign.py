"""Campaign settings, schedules, estimates, --plan-days and the request bodies (issue 6)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import listprep
from listprep.campaign import (
    IST,
    CampaignConfig,
    Retries,
    Schedule,
    campaign_config,
    capacity,
    check_window,
    minutes_needed,
    read_campaign_file,
    schedule_warnings,
    sms_schedule_warnings,
)
from listprep.cli import main
from listprep.config import PipelineConfig
from listprep.errors import ConfigError
from listprep.limits import DYNAMIC_LIST_BYTES, Channel, Method
from listprep.lists import header_bytes, list_columns, list_exprs, row_bytes
from listprep.stages.split import plan_sizes

#: SOURCE_DATE_EPOCH for 2026-11-30 12:00 IST: the schedules below (2026-12-01) lie ahead of it.
EPOCH = "1796020200"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=IST)


def numbers_frame(n: int, **columns: str) -> pl.DataFrame:
    """``n`` distinct valid Indian mobiles (98xxxxxxxx) with constant extra columns."""
    return pl.DataFrame(
        {
            "phone": [f"98{i:08d}" for i in range(n)],
            **{name: [value] * n for name, value in columns.items()},
        }
    )


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retries", "message"),
    [
        ({"number_of_retries": 4, "interval_mins": 5}, "0-3"),
        ({"number_of_retries": 2}, "interval_mins is required"),
        ({"number_of_retries": 1, "interval_mins": 0}, "at least 1"),
        ({"number_of_retries": 1, "interval_mins": 5, "mechanism": "Random"}, "Linear"),
        ({"number_of_retries": 1, "interval_mins": 5, "on_status": ["answered"]}, "answered"),
        ({"number_of_retries": 1, "interval_mins": 5, "on_status": []}, "non-empty"),
    ],
)
def test_retries_are_validated(retries: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        campaign_config({"retries": retries})


def test_schedule_needs_an_offset_and_an_end_after_its_start() -> None:
    with pytest.raises(ConfigError, match="no UTC offset"):
        campaign_config({"schedule": {"send_at": "2026-12-01T10:00:00"}})
    with pytest.raises(ConfigError, match="not after its start"):
        campaign_config(
            {
                "schedule": {
                    "send_at": "2026-12-01T12:00:00+05:30",
                    "end_at": "2026-12-01T11:00:00+05:30",
                }
            }
        )
    with pytest.raises(ConfigError, match="RFC 3339"):
        campaign_config({"schedule": {"send_at": "tomorrow morning"}})


@pytest.mark.parametrize(
    ("setting", "key"),
    [
        ("throttle = 0", "throttle"),  # was sent as "throttle": 0, estimated at 60/min
        ("throttle = -5", "throttle"),
        ("throttle = 2.5", "throttle"),  # was truncated to 2
        ("throttle = true", "throttle"),  # was read as 1
        ('throttle = "fast"', "throttle"),  # was a ValueError from int()
        ("sms_per_minute = 0", "sms_per_minute"),
        ("sms_per_minute = 1.5", "sms_per_minute"),
        ("[retries]\nnumber_of_retries = 1.5\ninterval_mins = 15", "retries.number_of_retries"),
        ("[retries]\nnumber_of_retries = -1", "retries.number_of_retries"),
        ("[retries]\nnumber_of_retries = 1\ninterval_mins = 2.5", "retries.interval_mins"),
        ("[retries]\nnumber_of_retries = 1\ninterval_mins = 0", "retries.interval_mins"),
    ],
)
def test_file_numbers_are_checked_like_their_flags(tmp_path: Path, setting: str, key: str) -> None:
    """--throttle, --retries and --retry-interval take whole numbers in range: so does the file,
    and the error names the key and the file, and says what to write."""
    path = tmp_path / "c.toml"
    path.write_text(setting + "\n")
    with pytest.raises(ConfigError) as info:
        PipelineConfig.from_options(campaign_config=path)
    text = str(info.value)
    assert text.startswith(f"{path}: {key} must be a whole number"), text
    assert "\n  hint: write " in text


def test_throttle_0_in_the_file_is_refused_like_the_flag(
    runner: CliRunner, tmp_path: Path, write_csv: Callable[..., Path]
) -> None:
    contacts = write_csv([["phone"], ["9876543210"]])
    path = tmp_path / "c.toml"
    path.write_text("throttle = 0\n")
    flag = runner.invoke(
        main, ["prepare", str(contacts), "-o", str(tmp_path / "a"), "--throttle", "0"]
    )
    assert flag.exit_code == 2
    result = runner.invoke(
        main, ["prepare", str(contacts), "-o", str(tmp_path / "b"), "--campaign-config", str(path)]
    )
    assert result.exit_code == 1, result.output
    assert f"{path}: throttle must be a whole number, at least 1, not 0" in result.output
    assert not (tmp_path / "b").exists()
    with pytest.raises(ConfigError, match="throttle"):
        CampaignConfig(throttle=0)


def test_unknown_setting_suggests_the_near_miss(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('caller_idd = "0801"\n')
    with pytest.raises(ConfigError, match="caller_id"):
        read_campaign_file(path)


def test_json_and_toml_files_give_the_same_config(tmp_path: Path) -> None:
    settings = {
        "caller_id": "08047112233",
        "retries": {"number_of_retries": 2, "interval_mins": 15},
        "schedule": {"send_at": "2026-12-01T10:00:00+05:30", "end_at": "2026-12-01T18:00:00+05:30"},
    }
    (tmp_path / "c.json").write_text(json.dumps(settings))
    (tmp_path / "c.toml").write_text(
        'caller_id = "08047112233"\n[retries]\nnumber_of_retries = 2\ninterval_mins = 15\n'
        '[schedule]\nsend_at = "2026-12-01T10:00:00+05:30"\nend_at = "2026-12-01T18:00:00+05:30"\n'
    )
    from_json = campaign_config(read_campaign_file(tmp_path / "c.json"))
    from_toml = campaign_config(read_campaign_file(tmp_path / "c.toml"))
    assert from_json == from_toml
    assert from_json.retries.number_of_retries == 2


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [
        ("2026-12-01T10:00:00+05:30", "2026-12-01T21:00:00+05:30", True),
        ("2026-12-01T09:30:00+05:30", "2026-12-01T12:00:00+05:30", False),
        ("2026-12-01T20:00:00+05:30", "2026-12-01T21:30:00+05:30", False),
        ("2026-12-01T04:30:00+00:00", "2026-12-01T06:00:00+00:00", True),  # 10:00-11:30 IST
        ("2026-12-01T10:00:00+05:30", "2026-12-02T11:00:00+05:30", False),  # overnight
        ("2026-12-01T10:00:00+05:30", "2026-12-01T21:00:01+05:30", False),  # said as 21:00:01
    ],
)
def test_promotional_calling_window(start: str, end: str, ok: bool) -> None:
    config = campaign_config({"schedule": {"send_at": start, "end_at": end}})
    if ok:
        check_window(config, config.schedule)
    else:
        with pytest.raises(ConfigError) as info:
            check_window(config, config.schedule)
        if end.endswith(":01+05:30"):
            assert "ends at 21:00:01 IST" in str(info.value)


def test_outside_window_fails_promotional_but_not_transactional(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[schedule]\nsend_at = "2026-12-01T08:00:00+05:30"\n')
    frame = numbers_frame(3)
    with pytest.raises(ConfigError, match="outside promotional calling hours"):
        listprep.prepare(frame, campaign_config=path)
    result = listprep.prepare(frame, campaign_config=path, purpose="transactional")
    assert result.manifest["counts"]["output_rows"] == 3


def test_a_promotional_sms_schedule_must_keep_the_calling_hours(tmp_path: Path) -> None:
    """TRAI's 10:00-21:00 holds for promotional messages as for calls (it was voice only)."""
    path = tmp_path / "c.toml"
    path.write_text(
        'sender_id = "ACMEFN"\n[schedule]\nsend_at = "2026-12-01T22:00:00+05:30"\n'
        'end_at = "2026-12-02T00:30:00+05:30"\n'
    )
    frame = numbers_frame(3)
    sms = {"channel": "sms", "template": "SALE 50% off -ACME", "campaign_config": path}
    with pytest.raises(ConfigError, match="outside promotional calling hours"):
        listprep.prepare(frame, **sms)
    result = listprep.prepare(frame, **sms, purpose="transactional")
    assert result.manifest["counts"]["output_rows"] == 3


def test_an_open_ended_promotional_schedule_warns_when_it_would_run_past_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    path = tmp_path / "c.toml"
    path.write_text('throttle = 1\n[schedule]\nsend_at = "2026-12-01T20:30:00+05:30"\n')
    late = listprep.prepare(numbers_frame(300), campaign_config=path)
    (warning,) = [w for w in late.manifest["warnings"] if "no end" in w]
    assert "0.5 h after it starts, at 21:00 IST" in warning
    assert late.manifest["campaigns"][0]["estimate"]["fits_window"] is False
    fits = listprep.prepare(numbers_frame(10), campaign_config=path)
    assert fits.manifest["warnings"] == []
    assert fits.manifest["campaigns"][0]["estimate"]["window_minutes"] == 30.0
    night = listprep.prepare(numbers_frame(300), campaign_config=path, purpose="transactional")
    assert night.manifest["warnings"] == [], "transactional calls have no calling hours"


def test_a_start_in_the_past_warns_for_every_channel() -> None:
    past = Schedule(start=datetime(2026, 11, 29, 10, 0, tzinfo=IST))
    for channel in Channel:
        (warning,) = schedule_warnings(past, channel, NOW)  # SMS: not also "10 minutes"
        assert "starts 2026-11-29T10:00:00+05:30, in the past" in warning
        assert "at once or refuse" in warning
    ahead = Schedule(start=NOW + timedelta(days=1), end=NOW + timedelta(days=1, hours=3))
    assert [schedule_warnings(ahead, channel, NOW) for channel in Channel] == [[], []]


@pytest.mark.parametrize(
    ("key", "options"),
    [("start_time", {"channel": "sms", "template": "Hello"}), ("send_at", {})],
    ids=["sms", "voice"],
)
def test_a_past_start_warns_in_the_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, options: dict[str, str]
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    path = tmp_path / "c.toml"
    path.write_text(f'[schedule]\n{key} = "2026-11-29T10:00:00+05:30"\n')
    result = listprep.prepare(numbers_frame(3), campaign_config=path, **options)  # not refused
    assert [w for w in result.manifest["warnings"] if "in the past" in w] != []


def test_sms_schedule_rules_warn() -> None:
    now = datetime(2026, 12, 1, 10, 0, tzinfo=IST)
    soon = Schedule(start=now + timedelta(minutes=5), end=now + timedelta(minutes=65))
    warnings = sms_schedule_warnings(soon, now)
    assert len(warnings) == 2
    fine = Schedule(start=now + timedelta(minutes=30), end=now + timedelta(hours=3))
    assert sms_schedule_warnings(fine, now) == []


# --- estimates ------------------------------------------------------------------------------

configs = st.builds(
    lambda retries, interval, throttle, exponential: CampaignConfig(
        retries=Retries(
            number_of_retries=retries,
            interval_mins=interval,
            mechanism="Exponential" if exponential else "Linear",
        ),
        throttle=throttle,
    ),
    st.integers(0, 3),
    st.integers(1, 120),
    st.integers(1, 500),
    st.booleans(),
)


@given(configs, st.sampled_from(list(Channel)), st.floats(1, 5_000))
def test_capacity_is_the_most_that_finishes(
    config: CampaignConfig, channel: Channel, minutes: float
) -> None:
    n = capacity(config, channel, minutes)
    assert minutes_needed(config, channel, n) <= minutes
    assert minutes_needed(config, channel, n + 1) > minutes


@given(configs, st.integers(1, 100_000))
def test_minutes_needed_covers_every_attempt(config: CampaignConfig, contacts: int) -> None:
    attempts = contacts * (1 + config.retries.number_of_retries)
    needed = minutes_needed(config, Channel.VOICE, contacts)
    assert needed >= attempts / config.calls_per_minute - 1e-9
    assert needed >= sum(config.retries.intervals())


def test_worked_estimate() -> None:
    # 3,000 contacts at 20/min: a round is 150 min, longer than the 15-min interval
    config = CampaignConfig(retries=Retries(number_of_retries=2, interval_mins=15), throttle=20)
    assert minutes_needed(config, Channel.VOICE, 3_000) == 450
    # 100 contacts: rounds of 5 min wait for the 15-min interval
    assert minutes_needed(config, Channel.VOICE, 100) == 5 + 15 + 15


def test_window_too_short_warns_and_plan_days_fits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)  # day 1 ahead of the run: no past warning
    path = tmp_path / "c.toml"
    path.write_text(
        "throttle = 10\n[retries]\nnumber_of_retries = 1\ninterval_mins = 30\n"
        '[schedule]\nsend_at = "2026-12-01T10:00:00+05:30"\nend_at = "2026-12-01T12:00:00+05:30"\n'
    )
    frame = numbers_frame(3_000)
    late = listprep.prepare(frame, campaign_config=path)
    assert any("would pause" in w for w in late.manifest["warnings"])
    assert late.manifest["campaigns"][0]["estimate"]["fits_window"] is False

    planned = listprep.prepare(frame, campaign_config=path, plan_days=True)
    campaigns = planned.manifest["campaigns"]
    assert planned.manifest["warnings"] == []
    assert all(c["estimate"]["fits_window"] for c in campaigns)
    # 120-minute days at 10 calls/min with one retry: 600 contacts a day -> 5 days
    assert [c["day"] for c in campaigns] == [1, 2, 3, 4, 5]
    assert sum(c["contacts"] for c in campaigns) == 3_000
    starts = [datetime.fromisoformat(c["schedule"]["send_at"]) for c in campaigns]
    assert all(b - a == timedelta(days=1) for a, b in zip(starts, starts[1:], strict=False))
    body = json.loads(planned.files["requests/campaign-03.json"])
    assert body["schedule"]["send_at"] == "2026-12-03T10:00:00+05:30"


def test_plan_days_needs_a_start() -> None:
    with pytest.raises(ConfigError, match="plan_days needs a first day"):
        listprep.prepare(numbers_frame(3), plan_days=True)


# --- splitting at Exotel's scale --------------------------------------------------------------


def test_inline_12_345_numbers_give_3_campaigns_of_at_most_5000() -> None:
    result = listprep.prepare(numbers_frame(12_345), method="inline")
    assert result.manifest["lists"] == []
    bodies = [json.loads(result.files[c["request_file"]]) for c in result.manifest["campaigns"]]
    assert len(bodies) == 3
    assert all(len(b["from"]) <= 5_000 for b in bodies)
    numbers = [n for b in bodies for n in b["from"]]
    assert numbers == [f"+9198{i:08d}" for i in range(12_345)]  # input order, no duplicates
    assert "+9198" not in json.dumps(result.manifest)  # inline numbers only in request files


def test_dynamic_list_with_long_variables_stays_under_60_mb() -> None:
    n = 420_000
    long_value = "x" * 120 + ',"quoted"'  # commas and quotes make polars quote the field
    frame = numbers_frame(n, note=long_value).with_columns(
        pl.format("+9198{}", pl.col("phone").str.slice(2)).alias("_e164"),
        pl.int_range(n, dtype=pl.Int64).alias("_row_id"),
    )
    layout = list_columns(frame.columns, Method.DYNAMIC, ["note"])
    projected = frame.select(list_exprs(layout))
    sizes = plan_sizes(
        n, 500_000, row_bytes(projected, list(layout)), DYNAMIC_LIST_BYTES, header_bytes(layout)
    )
    assert len(sizes) == 2 and max(sizes) - min(sizes) <= 1  # over 60 MB in one: split, balanced
    start = 0
    for size in sizes:
        written = projected.slice(start, size).write_csv().encode()
        assert len(written) <= DYNAMIC_LIST_BYTES
        start += size


def test_wrap_campaigns_wraps_each_body() -> None:
    plain = listprep.prepare(numbers_frame(3))
    wrapped = listprep.prepare(numbers_frame(3), wrap_campaigns=True)
    body = json.loads(plain.files["requests/campaign-01.json"])
    assert json.loads(wrapped.files["requests/campaign-01.json"]) == {"campaigns": [body]}


def test_caps_above_exotel_are_refused_quoting_the_limit() -> None:
    with pytest.raises(ConfigError, match="100,000"):
        listprep.prepare(numbers_frame(3), list_rows=150_000)
    with pytest.raises(ConfigError, match="limit of 5"):
        listprep.prepare(numbers_frame(3), lists_per_campaign=6)
    with pytest.raises(ConfigError, match="59,999,999"):
        listprep.prepare(
            numbers_frame(3, name="a"),
            template="Hi @@name",
            max_list_bytes=70_000_000,
        )


def test_lower_caps_are_obeyed() -> None:
    result = listprep.prepare(numbers_frame(1_000), list_rows=300, lists_per_campaign=2)
    rows = [entry["rows"] for entry in result.manifest["lists"]]
    assert rows == [250, 250, 250, 250]
    assert [len(c["lists"]) for c in result.manifest["campaigns"]] == [2, 2]


@pytest.mark.parametrize("section", ["retries", "schedule", "calling_window"])
def test_a_section_that_is_not_a_table_is_a_config_error(section: str) -> None:
    """``retries = 2`` instead of a [retries] table was an internal error (TypeError)."""
    with pytest.raises(ConfigError, match=f"{section} must be a table"):
        campaign_config({section: 2})
