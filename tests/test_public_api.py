"""The public surface is what we mean to export: changing it is a decision, made here too."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

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
