"""Shared test setup: hypothesis profiles, sample data, a CLI runner and a tiny-CSV writer.

``HYPOTHESIS_PROFILE=ci`` (bounded, derandomized: reproducible; the default when ``CI`` is set)
or ``dev`` (the default elsewhere: more examples, random each run).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=150, deadline=None)
# CI runs set CI=true: bounded and reproducible there unless a profile is named
DEFAULT_PROFILE = "ci" if os.environ.get("CI") else "dev"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or DEFAULT_PROFILE)

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"

WriteCsv = Callable[..., Path]


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The repository's ``sample_data/`` folder (synthetic, deliberately messy inputs)."""
    assert SAMPLE_DIR.is_dir(), SAMPLE_DIR
    return SAMPLE_DIR


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write_rows(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    """Write ``rows`` (the first one is the header) as a UTF-8 CSV, quoting only when needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return path


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    """``write_csv(rows, name="contacts.csv")`` -> the path of a small CSV in ``tmp_path``.

    ``rows[0]`` is the header row.
    """

    def write(rows: Sequence[Sequence[object]], name: str = "contacts.csv") -> Path:
        return write_rows(tmp_path / name, rows)

    return write


@pytest.fixture(autouse=True)
def manifests_match_their_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every manifest the suite builds (library and in-process CLI) is checked against the JSON
    Schema shipped in the package: the manifest is a contract."""
    import jsonschema

    import listprep.pipeline
    from listprep.manifest import manifest_schema

    validator = jsonschema.Draft202012Validator(manifest_schema())
    build = listprep.pipeline._manifest

    def checked(*args: object, **kwargs: object) -> dict[str, object]:
        manifest = build(*args, **kwargs)  # type: ignore[arg-type]
        validator.validate(manifest)
        return manifest

    monkeypatch.setattr(listprep.pipeline, "_manifest", checked)
