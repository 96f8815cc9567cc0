"""The pipeline's stages: pure functions ``(LazyFrame, config) -> StageOutput(kept, rejected)``."""

from listprep.stages.dedupe import dedupe
from listprep.stages.normalise import normalise
from listprep.stages.scrub import scrub
from listprep.stages.split import split
from listprep.stages.template import check_template

__all__ = ["check_template", "dedupe", "normalise", "scrub", "split"]
