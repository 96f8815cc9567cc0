"""Issue #7: fuzzing. Whatever comes in, only a ``ListprepError`` may come out.

Bounded in CI by the hypothesis profile (``HYPOTHESIS_PROFILE=ci``); for a longer hunt set
``LISTPREP_FUZZ_EXAMPLES=5000`` (raises ``max_examples`` of every fuzz test here) and
``LISTPREP_FUZZ_SAVE=1`` (writes each crashing input into ``tests/regressions/`` before the test
fails, named ``<kind>-<sha256 prefix>``). Every file in ``tests/regressions/`` is replayed by
``test_regression``: ``file-*`` as a whole input file; ``delimiter-*`` and ``encoding-*`` as
that option (UTF-8 text) on a small good file; ``cell-*`` as one phone cell and ``template-*`` as
a template (both UTF-8 text).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import listprep
from listprep import ListprepError, NormaliseConfig, PipelineConfig, check_template, normalise
from listprep.limits import Channel
from listprep.phone import classify

REGRESSIONS = Path(__file__).resolve().parent / "regressions"
EXAMPLES = int(os.environ.get("LISTPREP_FUZZ_EXAMPLES", "0"))
SAVE = bool(os.environ.get("LISTPREP_FUZZ_SAVE"))

F = TypeVar("F", bound=Callable[..., Any])


def fuzz(test: F) -> F:
    """The profile's settings, with more examples when ``LISTPREP_FUZZ_EXAMPLES`` says so."""
    return settings(max_examples=EXAMPLES)(test) if EXAMPLES else test


def save_crash(kind: str, data: bytes, suffix: str) -> None:
    if SAVE:
        REGRESSIONS.mkdir(exist_ok=True)
        name = f"{kind}-{hashlib.sha256(data).hexdigest()[:12]}{suffix}"
        (REGRESSIONS / name).write_bytes(data)


# --- whole files ------------------------------------------------------------------------------

TOKENS = [
    b"name", b"phone", b"Phone", b"phone ", b" name", b"mobile", b"_source_row",
    b",", b";", b"\t", b"|", b'"', b'""', b"'", b"\n", b"\r", b"\r\n", b"\n\n", b" ",
    b"9876543210", b"+91 98123 45678", b"98765XXXXX", b"9.19877E+11", b"=1+1", b"@SUM(1)",
    b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00", b"\x1f", b"\x1f\x8b", b"PK\x03\x04",
    b"\xe9", b"\xc3\xa9", b"\x81", b"\xe2\x80\xa8", b"\x85", b"\x0b", b"\x0c", b"x",
]  # fmt: skip
csv_like = st.lists(st.sampled_from(TOKENS), max_size=60).map(b"".join)
file_bytes = st.one_of(st.binary(max_size=400), csv_like)


def prepare_file(path: Path) -> None:
    """Run the whole pipeline on a file; when it succeeds, every row is accounted for."""
    try:
        result = listprep.prepare(str(path))
    except ListprepError:
        return
    counts = result.manifest["counts"]
    assert counts["input_rows"] == counts["output_rows"] + counts["rejected_rows"]
    assert result.lists.height + result.rejects.height == counts["input_rows"]


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@fuzz
@given(data=file_bytes)
def test_any_file_gives_a_result_or_a_listprep_error(fuzz_dir: Path, data: bytes) -> None:
    path = fuzz_dir / "input.csv"
    path.write_bytes(data)
    try:
        prepare_file(path)
    except Exception:
        save_crash("file", data, ".csv")
        raise


OPTIONS_INPUT = b'name,phone\nAsha,9876543210\n"Bala, K",9812345678\n'
ENCODINGS = ["utf-8", "utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1", "ascii", "utf-7"]


def prepare_with(path: Path, delimiter: str | None, encoding: str | None) -> None:
    try:
        result = listprep.prepare(str(path), delimiter=delimiter, encoding=encoding)
    except ListprepError:
        return
    counts = result.manifest["counts"]
    assert counts["input_rows"] == counts["output_rows"] + counts["rejected_rows"]


@fuzz
@given(
    delimiter=st.one_of(st.none(), st.characters(), st.text(max_size=2)),
    encoding=st.one_of(st.none(), st.sampled_from(ENCODINGS), st.text(max_size=6)),
)
def test_any_read_options_give_a_result_or_a_listprep_error(
    fuzz_dir: Path, delimiter: str | None, encoding: str | None
) -> None:
    path = fuzz_dir / "options.csv"
    path.write_bytes(OPTIONS_INPUT)
    try:
        prepare_with(path, delimiter, encoding)
    except Exception:
        if delimiter is not None:
            save_crash("delimiter", delimiter.encode("utf-8", "surrogatepass"), ".txt")
        if encoding is not None:
            save_crash("encoding", encoding.encode("utf-8", "surrogatepass"), ".txt")
        raise


# --- phone cells ------------------------------------------------------------------------------

PHONE_TOKENS = [
    "+91", "0", "00", "91", "98765", "43210", "1600", "140", "1800", ".0", "e+11", "E", "9.1",
    "ext", "x", "#", "/", ";", ",", "|", "tel:", '="', '"', "'", " ", "\u00a0", "\u200b",
    "\ufeff", "０", "٣", "९", "²", "*", "-", "(", ")", "\n", "\r", "\t", "X", "+", "=",
]  # fmt: skip
phone_text = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(PHONE_TOKENS), max_size=14).map("".join),
)
regions = st.sampled_from(["IN", "US", "GB", "AE", "ZZ", "", "in", "001"])
channels = st.sampled_from(list(Channel))


def check_classify(raw: str, region: str, channel: Channel) -> None:
    outcome = classify(raw, region, channel)
    assert (outcome.e164 is None) != (outcome.reason is None), outcome
    if outcome.e164 is not None:
        assert outcome.e164.startswith("+") and outcome.e164[1:].isdigit(), outcome


@fuzz
@given(raw=phone_text, region=regions, channel=channels)
def test_classify_never_raises(raw: str, region: str, channel: Channel) -> None:
    try:
        check_classify(raw, region, channel)
    except ListprepError:
        pass
    except Exception:
        save_crash("cell", raw.encode("utf-8", "surrogatepass"), ".txt")
        raise


@fuzz
@given(cells=st.lists(phone_text, min_size=1, max_size=12), region=regions, channel=channels)
def test_normalise_stage_keeps_or_rejects_every_row(
    cells: list[str], region: str, channel: Channel
) -> None:
    frame = pl.DataFrame({"phone": cells, "name": [f"n{i}" for i in range(len(cells))]})
    try:
        read = listprep.read_sources(frame)
        out = normalise(read.kept, NormaliseConfig(region=region, channel=channel))
        kept, rejected = out.kept.collect(), out.rejected.collect()
    except ListprepError:
        return
    except Exception:
        for cell in cells:
            save_crash("cell", cell.encode("utf-8", "surrogatepass"), ".txt")
        raise
    assert kept.height + rejected.height == len(cells)
    assert sorted(kept["_source_row"].to_list() + rejected["source_row"].to_list()) == list(
        range(1, len(cells) + 1)
    )


# --- templates ----------------------------------------------------------------------------------

TEMPLATE_TOKENS = [
    "@@", "@", "first_name", "due", "a_b", "nme", "phone", "_source_row", "_e164", " ", "Hi",
    "{", "}", "{{", "{#var#}", "\n", "é", "😀", "€", "[", "]", "^", "~", "\\", "|", "_", "0",
]  # fmt: skip
templates = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(TEMPLATE_TOKENS), max_size=20).map("".join),
)
TEMPLATE_FRAME = pl.DataFrame(
    {
        "phone": ["9876543210", "9812345678"],
        "first_name": ["Asha", ""],
        "due": ["1,000", "x"],
        "a_b": ["q", "€"],
    }
)


def check_one_template(text: str, channel: str, method: str | None) -> None:
    try:
        config = PipelineConfig.from_options(template=text, channel=channel, method=method)
        frame = listprep.read_sources(TEMPLATE_FRAME).kept
        out = check_template(frame, config.template)
        kept, rejected = out.kept.collect(), out.rejected.collect()
    except ListprepError:
        return
    assert kept.height + rejected.height == TEMPLATE_FRAME.height


@fuzz
@given(
    text=templates,
    channel=st.sampled_from(["voice", "sms"]),
    method=st.sampled_from([None, "static", "dynamic", "inline"]),
)
def test_any_template_is_checked_or_refused(text: str, channel: str, method: str | None) -> None:
    try:
        check_one_template(text, channel, method)
    except Exception:
        save_crash("template", text.encode("utf-8", "surrogatepass"), ".txt")
        raise


# --- crash regressions --------------------------------------------------------------------------

REGRESSION_FILES = sorted(
    p.name for p in REGRESSIONS.iterdir() if p.is_file() and p.name != "README.md"
)


def test_regressions_folder_is_not_empty() -> None:
    assert REGRESSION_FILES


@pytest.mark.parametrize("name", REGRESSION_FILES)
def test_regression(name: str, tmp_path: Path) -> None:
    path = REGRESSIONS / name
    kind = name.split("-", 1)[0]
    if kind == "file":
        prepare_file(path)
    elif kind == "cell":
        text = path.read_bytes().decode("utf-8", "surrogatepass")
        for region in ("IN", "US", "ZZ"):
            for channel in Channel:
                check_classify(text, region, channel)
    elif kind == "delimiter":
        copy = tmp_path / "options.csv"
        copy.write_bytes(OPTIONS_INPUT)
        prepare_with(copy, path.read_bytes().decode("utf-8", "surrogatepass"), None)
    elif kind == "encoding":
        copy = tmp_path / "options.csv"
        copy.write_bytes(OPTIONS_INPUT)
        prepare_with(copy, None, path.read_bytes().decode("utf-8", "surrogatepass"))
    elif kind == "template":
        text = path.read_bytes().decode("utf-8", "surrogatepass")
        for channel_name in ("voice", "sms"):
            for method in (None, "static", "dynamic", "inline"):
                check_one_template(text, channel_name, method)
    else:
        pytest.fail(f"{name}: not a file-, delimiter-, encoding-, cell- or template- regression")
