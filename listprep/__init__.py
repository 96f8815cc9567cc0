"""listprep: messy contact exports in, Exotel-ready campaign lists out.

The public surface is small on purpose: :func:`prepare` runs everything in memory and
:func:`prepare_to` writes as it goes (inputs of any size); the stage functions and configs
are there for ETL jobs that compose their own flow.
"""

from importlib.metadata import version

from listprep import _allocator  # noqa: F401  (before anything imports polars)
from listprep.config import (
    CampaignConfig,
    NormaliseConfig,
    PipelineConfig,
    Purpose,
    ReadConfig,
    ScrubConfig,
    SplitConfig,
    TemplateConfig,
)
from listprep.errors import (
    ConfigError,
    InputError,
    ListprepError,
    ListprepWarning,
    OutputError,
    RejectReason,
    TemplateError,
)
from listprep.limits import LIMITS, Channel, Method
from listprep.pipeline import Result, Written, prepare, prepare_to
from listprep.reader import read_sources
from listprep.rejects import StageOutput
from listprep.stages import check_template, dedupe, normalise, scrub, split

__version__ = version("listprep")

__all__ = [
    "LIMITS",
    "CampaignConfig",
    "Channel",
    "ConfigError",
    "InputError",
    "ListprepError",
    "ListprepWarning",
    "Method",
    "NormaliseConfig",
    "OutputError",
    "PipelineConfig",
    "Purpose",
    "ReadConfig",
    "RejectReason",
    "Result",
    "ScrubConfig",
    "SplitConfig",
    "StageOutput",
    "TemplateConfig",
    "TemplateError",
    "Written",
    "__version__",
    "check_template",
    "dedupe",
    "normalise",
    "prepare",
    "prepare_to",
    "read_sources",
    "scrub",
    "split",
]
