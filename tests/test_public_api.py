"""The public surface is what we mean to export: changing it is a decision, made here too."""

from __future__ import annotations

import importlib

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
