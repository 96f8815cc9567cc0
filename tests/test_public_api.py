"""The public surface is what we mean to export: changing it is a decision, made here too."""

from __future__ import annotations

import datetime as dt
import html
import importlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

import listprep

EXPECTED = {
    # running everything
    "prepare",
    "Result",
    "prepare_to",  # the same, written as it goes: inputs of any size in bounded memory
    "Written",
    "read_sources",
    # the stages, for ETL jobs that compose their own flow
    "normalise",
    "dedupe",
    "scrub",
    "check_template",
    "split",
    "StageOutput",
    # configuration
    "PipelineConfig",
    "ReadConfig",
    "NormaliseConfig",
    "ScrubConfig",
    "TemplateConfig",
    "SplitConfig",
    "CampaignConfig",
    "Purpose",
    "Channel",
    "Method",
    "LIMITS",
    # errors: one base class to catch, and the stable reject reasons
    "ListprepError",
    "InputError",
    "ConfigError",
    "ListprepWarning",
    "TemplateError",
    "OutputError",
    "RejectReason",
    "__version__",
}


def test_all_is_the_intended_surface() -> None:
    assert set(listprep.__all__) == EXPECTED
    assert len(listprep.__all__) == len(set(listprep.__all__)), "no name listed twice"


def test_every_exported_name_imports() -> None:
    module = importlib.import_module("listprep")
    for name in listprep.__all__:
        assert getattr(module, name, None) is not None, name
    namespace: dict[str, object] = {}
    exec("from listprep import *", namespace)  # noqa: S102 - what `import *` gives a user
    assert set(listprep.__all__) <= set(namespace)


def test_errors_share_one_base() -> None:
    for name in ("InputError", "ConfigError", "TemplateError", "OutputError"):
        assert issubclass(getattr(listprep, name), listprep.ListprepError)


def _allocator_conf(env: dict[str, str], code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def test_importing_listprep_first_keeps_freed_pages_and_leaves_a_users_setting() -> None:
    """polars reads _RJEM_MALLOC_CONF once, when it is first imported: listprep sets it
    before that unless the user has, and leaves it alone once polars is in."""
    from listprep._allocator import KEEP_FREED

    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    show = "import os, sys; print(os.environ.get('_RJEM_MALLOC_CONF', ''))"
    assert _allocator_conf(env, f"import listprep; {show}").endswith(KEEP_FREED)
    assert KEEP_FREED not in _allocator_conf(env, f"import polars, listprep; {show}")
    mine = {**env, "_RJEM_MALLOC_CONF": "dirty_decay_ms:0"}
    assert _allocator_conf(mine, f"import listprep; {show}").endswith(",dirty_decay_ms:0")


@pytest.mark.parametrize(
    ("build", "field", "expected"),
    [
        (lambda: listprep.NormaliseConfig(allow_regions="IN"), "allow_regions", ("IN",)),
        (lambda: listprep.NormaliseConfig(allow_regions="in, us"), "allow_regions", ("IN", "US")),
        (lambda: listprep.NormaliseConfig(channel="sms"), "channel", listprep.Channel.SMS),
        (lambda: listprep.ScrubConfig(dnd="ncpr.csv"), "dnd", (Path("ncpr.csv"),)),
        (lambda: listprep.ScrubConfig(suppress=["a.txt", "b.txt"]), "suppress",
         (Path("a.txt"), Path("b.txt"))),
        (lambda: listprep.ScrubConfig(category="3"), "category", 3),
        (lambda: listprep.ScrubConfig(purpose="transactional"), "purpose",
         listprep.Purpose.TRANSACTIONAL),
        (lambda: listprep.ReadConfig(batch_rows="10"), "batch_rows", 10),
        (lambda: listprep.TemplateConfig(max_segments="2"), "max_segments", 2),
        (lambda: listprep.ReadConfig(batch_rows=np.int64(500)), "batch_rows", 500),
    ],
)  # fmt: skip
def test_configs_built_directly_take_the_spellings_options_take(
    build: Callable[[], object], field: str, expected: object
) -> None:
    assert getattr(build(), field) == expected


@pytest.mark.parametrize(
    ("build", "said"),
    [
        (lambda: listprep.NormaliseConfig(region="XX"), "unknown region"),
        (lambda: listprep.NormaliseConfig(multi="both"), "multi must be one of"),
        (lambda: listprep.ScrubConfig(category=9), "category must be 1-8"),
        (lambda: listprep.ScrubConfig(category=0), "category must be 1-8"),
        (lambda: listprep.ScrubConfig(purpose="spam"), "purpose must be one of"),
        (lambda: listprep.ScrubConfig(max_register_age="x"), "whole number"),
        (lambda: listprep.TemplateConfig(max_segments=0), "at least 1"),
        (lambda: listprep.ReadConfig(batch_rows=2.5), "whole number"),
        (lambda: listprep.ReadConfig(batch_rows=True), "whole number"),
        (lambda: listprep.SplitConfig(list_rows="5.5"), "whole number"),
        (lambda: listprep.SplitConfig(channel="sms", method="inline"), "no inline method"),
    ],
)
def test_configs_built_directly_refuse_bad_values(build: Callable[[], object], said: str) -> None:
    with pytest.raises(listprep.ConfigError, match=said):
        build()


def test_a_single_path_or_region_option_is_one_item(tmp_path: Path) -> None:
    """``dnd="x.csv"`` was read as the paths 'x', '.', 'c' … and allow_regions="IN" as 'I', 'N'."""
    register = tmp_path / "ncpr.csv"
    register.write_text("number,preferences\n9876543210,0\n")
    frame = pl.DataFrame({"phone": ["9876543210", "9123456780", "+1 650 253 0000"]})
    result = listprep.prepare(
        frame, dnd=str(register), register_date=dt.date.today(), allow_regions="IN"
    )
    assert result.lists["_e164"].to_list() == ["+919123456780"]
    assert sorted(result.rejects["reason"].to_list()) == ["dnd-full", "foreign-region"]


@pytest.mark.parametrize(
    ("build", "said"),
    [
        (lambda: listprep.PipelineConfig(channel="sms"), "template config is for voice"),
        (
            lambda: listprep.PipelineConfig(
                channel="sms",
                template=listprep.TemplateConfig(channel="sms"),
                split=listprep.SplitConfig(channel="sms"),
                normalise=listprep.NormaliseConfig(channel="sms"),
            ),
            "needs its message",
        ),
        (
            lambda: listprep.PipelineConfig(template=listprep.TemplateConfig(text="Hi @@name")),
            "cannot personalise",
        ),
        (lambda: listprep.PipelineConfig(method="dynamic"), "split config is for static"),
    ],
)
def test_a_pipeline_config_built_by_hand_must_agree_with_itself(
    build: Callable[[], object], said: str
) -> None:
    """These failed deep in a stage (a polars ColumnNotFoundError) or dropped the variable."""
    with pytest.raises(listprep.ConfigError, match=said):
        build()


def test_promotional_sms_type_cannot_skip_the_dnd_scrub(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('sender_id = "ACME-P"\nsms_type = "Promotional"\n')
    frame = pl.DataFrame({"phone": ["9876543210"]})
    sms = {"channel": "sms", "template": "SALE 50% off", "campaign_config": config}
    with pytest.raises(listprep.ConfigError, match="skips the DND scrub"):
        listprep.prepare(frame, **sms, purpose="transactional")
    assert listprep.prepare(frame, **sms).manifest["counts"]["output_rows"] == 1


def test_registers_a_transactional_run_does_not_apply_are_named(tmp_path: Path) -> None:
    register = tmp_path / "ncpr.csv"
    register.write_text("number,preferences\n9876543210,0\n")
    frame = pl.DataFrame({"phone": ["9876543210"]})
    result = listprep.prepare(
        frame, dnd=[register], register_date=dt.date.today(), purpose="transactional"
    )
    assert result.manifest["counts"]["output_rows"] == 1
    assert any("not applied" in w for w in result.manifest["warnings"])


def test_every_stage_takes_a_dataframe_or_a_lazyframe() -> None:
    """normalise(DataFrame) and dedupe(DataFrame) raised AttributeError; scrub and
    check_template returned DataFrames typed as LazyFrames; split refused a LazyFrame."""
    frame = pl.DataFrame({"phone": ["9876543210", "98765 43210", "12"], "name": ["a", "b", "c"]})
    template = listprep.TemplateConfig(text="Hi @@name")
    stages = [
        listprep.normalise,
        lambda f: listprep.check_template(f, template),
        listprep.dedupe,
        listprep.scrub,
    ]
    for eager in (True, False):
        kept = listprep.read_sources(frame).kept.collect()
        for stage in stages:
            step = stage(kept if eager else kept.lazy())
            assert isinstance(step.kept, pl.LazyFrame)
            assert isinstance(step.rejected, pl.LazyFrame)
            kept = step.kept.collect()
        assert kept["_e164"].to_list() == ["+919876543210"]
        assert listprep.split(kept if eager else kept.lazy()).height == 1


def test_a_runs_warnings_reach_a_library_user(tmp_path: Path) -> None:
    """They were only in manifest['warnings']: not in repr, the notebook view or the log."""
    register = tmp_path / "ncpr.csv"
    register.write_text("number,preferences\n9876543210,0\n")
    frame = pl.DataFrame({"phone": ["9876543210"]})
    options: dict[str, Any] = {"dnd": [register], "purpose": "transactional"}
    with pytest.warns(listprep.ListprepWarning, match="not applied"):
        result = listprep.prepare(frame, register_date=dt.date.today(), **options)
    (warning,) = [w for w in result.manifest["warnings"] if "not applied" in w]
    assert warning in repr(result)
    assert html.escape(warning) in result._repr_html_()
    with pytest.warns(listprep.ListprepWarning, match="not applied"):
        listprep.prepare_to(tmp_path / "out", frame, register_date=dt.date.today(), **options)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: listprep.prepare(None), listprep.InputError),
        (lambda: listprep.prepare(5), listprep.InputError),
        (lambda: listprep.read_sources(None), listprep.InputError),
        (
            lambda: listprep.prepare(pl.DataFrame({"phone": ["1"]}), {"channel": "sms"}),
            listprep.ConfigError,
        ),
    ],
)
def test_arguments_of_the_wrong_type_are_listprep_errors(
    call: Callable[[], object], error: type[Exception]
) -> None:
    """They raised TypeError (not iterable) and AttributeError ('dict' has no 'output')."""
    with pytest.raises(error):
        call()


def test_voice_settings_given_to_an_sms_run_are_named() -> None:
    frame = pl.DataFrame({"phone": ["9876543210"]})
    sms: dict[str, Any] = {"channel": "sms", "template": "Hi", "purpose": "transactional"}
    plain = listprep.prepare(frame, **sms)
    assert plain.manifest["warnings"] == []
    result = listprep.prepare(frame, **sms, retries=2, retry_interval_mins=10, throttle=20)
    (warning,) = result.manifest["warnings"]
    assert "retries (--retries) and throttle (--throttle) apply to voice" in warning
