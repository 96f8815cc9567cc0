"""normalise: raw phone cells -> E.164, or a reject with a stable reason.

Examples pin each reject reason and each repair of export damage; properties state the laws
(conservation, idempotence, one outcome per distinct value, agreement with phonenumbers).
"""

from __future__ import annotations

import importlib

import phonenumbers
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from listprep import NormaliseConfig, RejectReason, read_sources
from listprep.limits import Channel
from listprep.phone import ACCEPTED_TYPES, COMMERCIAL_RE, classify
from listprep.schemas import E164_PATTERN
from listprep.stages import normalise

VOICE = NormaliseConfig(channel=Channel.VOICE)
SMS = NormaliseConfig(channel=Channel.SMS)
# ``listprep.stages.normalise`` is the function; the module is reached through importlib
normalise_module = importlib.import_module("listprep.stages.normalise")


def read(raws: list[str]) -> pl.LazyFrame:
    """A stage input: one row per raw phone cell, with the reader's identity columns."""
    return read_sources(pl.DataFrame({"phone": raws}, schema={"phone": pl.String}))[0]


def run(raws: list[str], config: NormaliseConfig = VOICE) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Normalise a one-column frame of raw phone cells; return (kept, rejected) collected."""
    out = normalise(read(raws), config)
    return out.kept.collect(), out.rejected.collect()


def outcome(raw: str, config: NormaliseConfig = VOICE) -> tuple[str | None, str | None]:
    """(e164, reject reason) of one raw cell through the stage."""
    kept, rejected = run([raw], config)
    assert kept.height + rejected.height == 1
    if kept.height:
        return kept["_e164"][0], None
    return None, rejected["reason"][0]


# --- rejects: one example (or a few) per reason -------------------------------------------------

REJECT_EXAMPLES = [
    ("", VOICE, RejectReason.EMPTY),
    ("   ", VOICE, RejectReason.EMPTY),
    ("\u200b", VOICE, RejectReason.EMPTY),
    ("n/a", VOICE, RejectReason.NOT_A_NUMBER),
    ("call later", VOICE, RejectReason.NOT_A_NUMBER),
    ("#N/A", VOICE, RejectReason.NOT_A_NUMBER),
    ("12345", VOICE, RejectReason.INVALID),
    ("98765XXXXX", VOICE, RejectReason.MASKED),
    ("98XXXXXX10", VOICE, RejectReason.MASKED),
    ("+91 98765 XXXXX", VOICE, RejectReason.MASKED),
    ("9.19877E+11", VOICE, RejectReason.PRECISION_LOST),
    ("9.87654E+09", VOICE, RejectReason.PRECISION_LOST),
    ("1800 123 4567", VOICE, RejectReason.WRONG_TYPE),
    ("1800 123 4567", SMS, RejectReason.WRONG_TYPE),
    ("080-2345 6789", SMS, RejectReason.WRONG_TYPE),
    ("(022) 23456789", SMS, RejectReason.WRONG_TYPE),
    ("1401234567", VOICE, RejectReason.COMMERCIAL_SERIES),
    ("1600123456", VOICE, RejectReason.COMMERCIAL_SERIES),
    ("1601123456", SMS, RejectReason.COMMERCIAL_SERIES),
]


@pytest.mark.parametrize(("raw", "config", "reason"), REJECT_EXAMPLES)
def test_reject_reason(raw: str, config: NormaliseConfig, reason: RejectReason) -> None:
    kept, rejected = run([raw], config)
    assert kept.height == 0
    assert rejected.height == 1
    row = rejected.row(0, named=True)
    assert row["reason"] == reason.value
    assert row["stage"] == "normalise"
    assert row["raw_value"] == raw
    assert row["detail"], "every reject explains itself"
    assert (row["source_file"], row["source_row"]) == ("<frame>", 1)


def test_masked_with_asterisks_is_masked() -> None:
    """sample_data/README.md lists ``******3210`` among the masked numbers, like ``98XXXXXX10``."""
    assert outcome("******3210") == (None, RejectReason.MASKED.value)


def test_landline_is_kept_for_voice_but_not_sms() -> None:
    assert outcome("080-2345 6789", VOICE) == ("+918023456789", None)
    assert outcome("080-2345 6789", SMS) == (None, RejectReason.WRONG_TYPE.value)


def test_masked_number_is_never_dialled_as_keypad_letters() -> None:
    """phonenumbers alone reads letters as keypad digits: a masked cell would dial a stranger."""
    parsed = phonenumbers.parse("98765XXXXX", "IN")
    assert phonenumbers.is_valid_number(parsed)  # the danger the reason exists for
    assert outcome("98765XXXXX")[0] is None


# --- repairs: damaged spellings of one mobile --------------------------------------------------

MOBILE = "+919876543210"
REPAIRS = [
    "9876543210",
    "9876543210.0",
    "919876543210.0",
    "9.19876543210E+11",
    '="09876543210"',
    '="9876543210"',
    "९८७६५४३२१०",
    "+९१ ९८७६५ ४३२१०",
    "98765\u00a043210",
    "+91\u202f98765\u202f43210",
    "98765\u200b43210",
    "\ufeff9876543210",
    "  9876543210  ",
    "tel:+919876543210",
    "TEL:+91-98765-43210",
    "0091 98765 43210",
    "00919876543210",
    "+91 98765 43210",
    "91-98765-43210",
    "09876543210",
    "+91 (0) 98765 43210",
    "(+91) 98765-43210",
]


@pytest.mark.parametrize("raw", REPAIRS)
def test_repair(raw: str) -> None:
    kept, rejected = run([raw])
    assert rejected.height == 0, rejected.to_dicts()
    assert kept["_e164"].to_list() == [MOBILE]
    assert kept["_number_type"].to_list() == ["MOBILE"]
    assert kept["_phone_raw"].to_list() == [raw], "the raw cell is kept as it was"


# --- strategies ----------------------------------------------------------------------------------

DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")

# every 10-digit Indian number starting 6-9 is a valid mobile in libphonenumber's metadata
mobiles = st.integers(6_000_000_000, 9_999_999_999).map(str)


def _spell(national: str, style: int) -> str:
    spellings = [
        national,
        f"+91 {national[:5]} {national[5:]}",
        f"+91{national}",
        f"91{national}",
        f"0{national}",
        f"0091 {national[:5]} {national[5:]}",
        f"tel:+91{national}",
        f'="{national}"',
        f"{national[:5]}\u00a0{national[5:]}",
        national.translate(DEVANAGARI),
        f"{national}.0",
        f"9.1{national}E+11",
        f"  {national} ",
    ]
    return spellings[style % len(spellings)]


spelled_mobiles = st.builds(_spell, mobiles, st.integers(0, 100))
junk = st.sampled_from(
    ["", " ", "n/a", "-", "0", "12345", "call later", "#N/A", "98765XXXXX", "9.19877E+11",
     "1800 123 4567", "1401234567", "080-2345 6789", "+1 212 555 0123", "+44 20 7946 0958"]
)  # fmt: skip
raw_cells = st.one_of(spelled_mobiles, junk, st.text(max_size=16))
letter_free = st.one_of(
    st.text(alphabet="0123456789 +-()/#", max_size=20),
    st.builds(
        str.__add__,
        st.sampled_from(["", "+", "0", "00", "+91", "91", "0091", "+1", "+44", "+971", "+65"]),
        st.text(alphabet="0123456789", min_size=5, max_size=12),
    ),
)
configs = st.sampled_from([VOICE, SMS, NormaliseConfig(region="US", channel=Channel.VOICE)])


# --- properties --------------------------------------------------------------------------------


@given(st.lists(raw_cells, max_size=40), configs)
def test_kept_plus_rejected_is_input(raws: list[str], config: NormaliseConfig) -> None:
    frame = read(raws)
    out = normalise(frame, config)
    kept, rejected = out.kept.collect(), out.rejected.collect()
    assert kept.height + rejected.height == len(raws)
    ids = sorted(kept["_row_id"].to_list() + rejected["_row_id"].to_list())
    assert ids == sorted(frame.collect()["_row_id"].to_list()), "each row leaves exactly once"
    assert kept["_e164"].str.contains(E164_PATTERN).all()
    assert kept["_row_id"].is_sorted(), "kept rows stay in input order"


@given(st.lists(raw_cells, min_size=1, max_size=40), configs)
def test_idempotent(raws: list[str], config: NormaliseConfig) -> None:
    kept, _ = run(raws, config)
    once = kept["_e164"].to_list()
    again, rejected = run(once, config)
    assert rejected.height == 0, rejected.to_dicts()
    assert again["_e164"].to_list() == once
    assert again["_number_type"].to_list() == kept["_number_type"].to_list()


@given(st.lists(st.sampled_from(REPAIRS + [r for r, _, _ in REJECT_EXAMPLES]), max_size=60))
def test_each_distinct_raw_value_gets_one_outcome(raws: list[str]) -> None:
    kept, rejected = run(raws)
    outcomes = pl.concat(
        [
            kept.select("_phone_raw", pl.col("_e164").alias("out")),
            rejected.select(pl.col("raw_value").alias("_phone_raw"), pl.col("reason").alias("out")),
        ]
    )
    per_value = outcomes.group_by("_phone_raw").agg(pl.col("out").n_unique().alias("n"))
    assert (per_value["n"] == 1).all()
    for raw, out in outcomes.unique().iter_rows():
        e164, _, reason, _ = classify(raw)
        assert out == (e164 or reason.value)  # type: ignore[union-attr]


def test_each_distinct_value_reaches_the_reference_at_most_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Most spellings are decided in polars; the rest go to the scalar reference, each
    distinct value once however often it repeats, and repeats get one outcome."""
    import listprep.fastphone as fastphone

    seen: list[str] = []
    reference = fastphone.phone.classify_cell

    def counting(raw: str, *args: object, **kwargs: object) -> object:
        seen.append(raw)
        return reference(raw, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fastphone.phone, "classify_cell", counting)
    residue = ["0", "-", "98765²43210"]  # spellings the fast path leaves to the reference
    raws = ["9876543210", "n/a", "9876543210", "+91 98765 43210", *residue, *residue, "n/a"]
    kept, rejected = run(raws)
    assert kept.height + rejected.height == len(raws)
    assert len(seen) == len(set(seen)), seen
    assert set(residue) <= set(seen)
    reasons = rejected.group_by("raw_value").agg(pl.col("reason").n_unique(), pl.len())
    assert reasons["reason"].to_list() == [1] * reasons.height
    assert dict(zip(reasons["raw_value"], reasons["len"], strict=True))["0"] == 2


@given(letter_free)
def test_classify_agrees_with_phonenumbers(raw: str) -> None:
    """Where listprep accepts a letter-free cell, libphonenumber says the same; and back."""
    got = classify(raw, "IN", Channel.VOICE)
    try:
        parsed = phonenumbers.parse(raw, "IN")
        valid = phonenumbers.is_valid_number(parsed)
    except phonenumbers.NumberParseException:
        parsed, valid = None, False
    if got.e164 is not None:
        assert parsed is not None and valid
        assert got.e164 == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    elif valid:
        assert parsed is not None
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        dialable = phonenumbers.number_type(parsed) in ACCEPTED_TYPES[Channel.VOICE]
        assert COMMERCIAL_RE.match(e164) or not dialable, (raw, got)


@given(st.lists(raw_cells, max_size=30), configs)
def test_stage_agrees_with_scalar_classify(raws: list[str], config: NormaliseConfig) -> None:
    """The stage (however it is vectorised) gives each row what ``classify`` gives its cell."""
    frame = read(raws)
    out = normalise(frame, config)
    got = dict(out.kept.collect().select("_row_id", "_e164").iter_rows())
    got |= dict(out.rejected.collect().select("_row_id", "reason").iter_rows())
    for row_id, raw in frame.collect().select("_row_id", "_phone_raw").iter_rows():
        e164, _, reason, _ = classify(raw, config.region, config.channel)
        assert got[row_id] == (e164 or reason.value), raw  # type: ignore[union-attr]
