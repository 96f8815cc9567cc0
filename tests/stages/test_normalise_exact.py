"""normalise is libphonenumber-exact and fast: the fast path against the references.

Two references: the scalar :func:`listprep.phone.classify_cell` (which the vectorised fast path
must match row by row, details included) and ``phonenumbers`` itself (which ``classify_cell``
must match wherever listprep applies no documented repair or policy). Plus one test per trap of
real exports, and checks that the common spellings really stay on the fast path.
"""

from __future__ import annotations

import sys
from pathlib import Path

import phonenumbers
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from listprep import fastphone, phonemeta
from listprep.config import ExtensionPolicy, MultiPolicy, NormaliseConfig
from listprep.errors import RejectReason
from listprep.limits import Channel
from listprep.phone import ACCEPTED_TYPES, COMMERCIAL_RE, TYPE_NAMES
from listprep.reader import PHONE_RAW, ROW_ID
from listprep.stages.normalise import classify_values, normalise

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"
MOBILE = "+919876543210"
KEY = [PHONE_RAW, fastphone.PART]


def table(values: list[str], config: NormaliseConfig = NormaliseConfig()) -> pl.DataFrame:
    return fastphone.classify_table(pl.Series(values, dtype=pl.String), config).sort(KEY)


def reference(values: list[str], config: NormaliseConfig = NormaliseConfig()) -> pl.DataFrame:
    return fastphone.reference(sorted(set(values)), config).sort(KEY)


def assert_same_as_reference(values: list[str], config: NormaliseConfig) -> None:
    """The fast path's whole table (E.164, type, reason, detail, flags) equals the reference's."""
    got, want = table(values, config), reference(values, config)
    if got.equals(want):
        return
    both = got.join(want, on=KEY, how="full", suffix="_ref", nulls_equal=True)
    columns = [c for c in got.columns if c not in KEY]
    differ = pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}_ref")) for c in columns)
    missing = pl.col(PHONE_RAW).is_null() | pl.col(f"{PHONE_RAW}_ref").is_null()
    raise AssertionError((config, both.filter(differ | missing).head(5).to_dicts()))


def undecided(values: list[str], config: NormaliseConfig = NormaliseConfig()) -> list[str]:
    """The values the fast path leaves to the scalar reference."""
    spec = phonemeta.region_spec(config.region)
    assert spec is not None
    raws = pl.Series(values, dtype=pl.String).unique()
    return raws.gather(fastphone.fast_path(raws, spec, config)[1]).to_list()


def one(raw: str, config: NormaliseConfig = NormaliseConfig()) -> dict[str, object]:
    rows = table([raw], config)
    assert rows.height == 1
    return rows.row(0, named=True)


def libphonenumber(text: str, region: str = "IN") -> tuple[str, str] | None:
    """(E.164, type name) of a valid number, straight from phonenumbers; None otherwise."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, TYPE_NAMES[phonenumbers.number_type(number)]


# --- strategies ----------------------------------------------------------------------------------
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
prefixes = st.sampled_from(
    ["", "+", "0", "00", "+0", "++", "+91", "91", "0091", "091", "+91 (0) ", "(+91) ", "+1 ",
     "011", "+44 ", "0044", "+971 ", "+65", "+7", "+800", "+39", "+54 9", "+55", "+61", "tel:",
     "TEL:+", '="', "'", "9.1", "+999"]
)  # fmt: skip
runs = st.text(alphabet="0123456789", max_size=12)
joins = st.sampled_from(
    ["", " ", "-", "/", " / ", ";", ",", "|", ".", "(", ")", "\u00a0", "\u202f", "\u200b", "x",
     " ext ", "#", "*", "X", "E+", "e+11", ".0", '"', "\t"]
)  # fmt: skip
spelled = st.builds(lambda *p: "".join(p), prefixes, runs, joins, runs, joins, runs)
mobiles = st.integers(6_000_000_000, 9_999_999_999).map(str)
several = st.builds(
    lambda a, sep, b: a + sep + b,
    st.one_of(mobiles, spelled),
    st.sampled_from([" / ", "/", "; ", ",", " | "]),
    st.one_of(mobiles, spelled),
)
cells = st.one_of(
    spelled,
    spelled.map(lambda s: s.translate(DEVANAGARI)),
    spelled.map(lambda s: s.translate(FULL_WIDTH)),
    several,
    mobiles,
    st.text(alphabet="0123456789 +-()/#.,;|xXeE*'\"=tel:\u00a0\u200b\u202f٠١٢", max_size=24),
    st.text(max_size=16),
)
configs = st.builds(
    NormaliseConfig,
    region=st.sampled_from(["IN", "IN", "US", "GB", "AR", "JP"]),
    channel=st.sampled_from(list(Channel)),
    extensions=st.sampled_from(list(ExtensionPolicy)),
    multi=st.sampled_from(list(MultiPolicy)),
    allow_regions=st.sampled_from([(), ("IN",), ("US", "IN"), ("GB",)]),
)


# --- the fast path against the scalar reference --------------------------------------------------
@given(st.lists(cells, min_size=1, max_size=50), configs)
def test_fast_path_matches_the_reference(values: list[str], config: NormaliseConfig) -> None:
    assert_same_as_reference(values, config)


@given(
    st.lists(cells, min_size=1, max_size=40, unique=True),
    configs,
    st.integers(1, 5),
)
def test_any_number_of_chunks_gives_the_one_chunk_table(
    values: list[str], config: NormaliseConfig, threads: int
) -> None:
    """Each chunk's cells are renumbered to the whole input's, whatever the chunks' count."""
    raws = pl.Series(values, dtype=pl.String)
    whole = fastphone.classify_distinct(raws, config, threads=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fastphone, "_PARALLEL_FROM", 1)
        chunked = fastphone.classify_distinct(raws, config, threads=threads)
    order = [fastphone.CELL, fastphone.PART]
    assert chunked.sort(order).equals(whole.sort(order))


@given(configs)
def test_warm_up_spellings_match_the_reference(config: NormaliseConfig) -> None:
    """A run classifies them before its first batch, whatever its options."""
    fastphone.warm_up(config)
    assert_same_as_reference(list(fastphone.WARM_UP), config)


def _corpus(rows: int, seed: int) -> list[str]:
    sys.path.insert(0, str(SAMPLE_DIR))
    try:
        from generate import messy_phone  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(SAMPLE_DIR))
    import random

    rng = random.Random(seed)
    return [messy_phone(rng) for _ in range(rows)]


@pytest.mark.parametrize(
    "config",
    [
        NormaliseConfig(),
        NormaliseConfig(channel=Channel.SMS),
        NormaliseConfig(
            extensions=ExtensionPolicy.REJECT, multi=MultiPolicy.SPLIT, allow_regions=("IN",)
        ),
        NormaliseConfig(region="US", multi=MultiPolicy.REJECT),
    ],
)
def test_generated_corpus_matches_the_reference(config: NormaliseConfig) -> None:
    """Realistic exports (sample_data/generate.py): every spelling, landlines, foreign, junk."""
    assert_same_as_reference(_corpus(6000, seed=11), config)


EDGES = [
    "++919876543210",  # phonenumbers strips a run of pluses
    "+ +91 98765 43210",  # but not pluses apart: not a number
    "+(+91) 9876543210",
    "0+91 9876543210",
    "+91+9876543210",
    "000919876543210",  # an IDD followed by 0 is no IDD
    "00",
    "+91",
    "+0 98765 43210",  # a bad code after "+": phonenumbers retries without it
    "+00919876543210",
    "91 0 98765 43210",  # home code and national prefix together
    "9100000000000",
    "0000800 123 4567",
    "12",
    "1" * 25,
    "9" * 30,
    " " * 300 + "9876543210",  # longer than phonenumbers reads
]


@pytest.mark.parametrize("config", [NormaliseConfig(), NormaliseConfig(region="US")])
def test_parse_edges_match_the_reference(config: NormaliseConfig) -> None:
    assert_same_as_reference(EDGES, config)


def test_every_example_number_of_every_region_matches_the_reference() -> None:
    """libphonenumber's own example numbers, every type of every region, as +CC and national."""
    values = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in TYPE_NAMES:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                values.append(phonenumbers.format_number(number, 1))  # +CC international
                values.append(phonenumbers.format_number(number, 0))  # E.164
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            values.append(phonenumbers.format_number(number, 0))
    assert_same_as_reference(values, NormaliseConfig())
    # and they are the fast path's work: only regions whose metadata polars cannot run are left
    left = undecided(values)
    assert len(left) < 0.1 * len(values), left[:20]


# --- the scalar reference against phonenumbers ---------------------------------------------------
plain = st.builds(
    lambda *p: "".join(p),
    st.sampled_from(["", "+", "0", "00", "+91", "91", "0091", "091", "+1", "+44", "(0", "+65"]),
    st.text(alphabet="0123456789", min_size=1, max_size=12),
    st.sampled_from(["", " ", "-", "(", ")", " (0) "]),
    st.text(alphabet="0123456789 -", max_size=8),
)


@given(st.lists(st.one_of(plain, st.text(alphabet="0123456789 +-()", max_size=20)), min_size=1))
def test_unrepaired_cells_match_phonenumbers(raws: list[str]) -> None:
    """Where listprep repairs nothing, it says what phonenumbers says, or refuses by policy."""
    for row in table(raws).iter_rows(named=True):
        raw = row[PHONE_RAW]
        truth = libphonenumber(raw)
        if row["_e164"] is not None:
            assert truth == (row["_e164"], row["_number_type"]), raw
        elif truth is not None:
            e164, name = truth
            dialable = getattr(PhoneNumberType, name) in ACCEPTED_TYPES[Channel.VOICE]
            assert COMMERCIAL_RE.match(e164) or not dialable, (raw, row)
            assert row["_reason"] in {"commercial-series", "wrong-type"}
        else:
            assert row["_reason"] in {"invalid", "not-a-number", "empty"}, (raw, row)


# --- the traps of real exports -------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        "९८७६५४३२१०",  # Devanagari
        "+९१ ९८७६५ ४३२१०",
        "٩٨٧٦٥٤٣٢١٠",  # Arabic-Indic
        "۹۸۷۶۵۴۳۲۱۰",  # Extended Arabic-Indic (Persian)
        "９８７６５４３２１０",  # full-width
        "98765\u00a043210",  # no-break space
        "+91\u202f98765\u202f43210",  # narrow no-break space
        "98765\u200743210",  # figure space
        "98765\u200b43210",  # zero-width space (no whitespace to Python)
        "\ufeff9876543210",  # a BOM that got into the cell
        "tel:+919876543210",
        "TEL:+91-98765-43210",
        '="9876543210"',  # Excel's text forcing
        '"9876543210"',
        "'9876543210",
        "9876543210.0",  # a float written back as text
        "919876543210.0",
        "9.19876543210E+11",  # scientific notation, full 12-digit mantissa
        "0091 98765 43210",
        "+91 (0) 98765 43210",
    ],
)
def test_damaged_spellings_are_repaired_on_the_fast_path(raw: str) -> None:
    row = one(raw)
    assert (row["_e164"], row["_number_type"], row["_reason"]) == (MOBILE, "MOBILE", None)
    assert undecided([raw]) == []


def test_superscripts_are_not_digits() -> None:
    """``²`` is isdigit() but not isdecimal(): it must never become a 2."""
    assert "²".isdigit() and not "²".isdecimal()
    row = one("987654321²")
    assert row["_e164"] is None
    assert row["_reason"] == RejectReason.NOT_A_NUMBER.value


def test_shortened_scientific_notation_is_precision_lost() -> None:
    for raw in ("9.19877E+11", "9.1987654321E+11", "9.87654E+09"):
        assert one(raw)["_reason"] == RejectReason.PRECISION_LOST.value
    assert undecided(["9.19877E+11"]) == []


def test_091_prefix_is_never_invented() -> None:
    """phonenumbers reads ``091 9876543210`` as +91 919876543210: invalid. So must listprep."""
    assert libphonenumber("091 9876543210") is None
    row = one("091 9876543210")
    assert row["_e164"] is None and row["_reason"] == RejectReason.INVALID.value


@pytest.mark.parametrize(
    "raw", ["080-2345 6789", "+91 80 2345 6789", "(022) 2345 6789", "0141 234 5678", "0484-2345678"]
)
def test_landlines_with_std_codes_match_phonenumbers(raw: str) -> None:
    row = one(raw)
    assert libphonenumber(raw) == (row["_e164"], row["_number_type"])
    assert row["_number_type"] == "FIXED_LINE"
    assert undecided([raw]) == []


def test_service_and_commercial_series() -> None:
    assert one("1800 123 4567")["_number_type"] == "TOLL_FREE"
    assert one("1800 123 4567")["_reason"] == RejectReason.WRONG_TYPE.value
    assert one("1409305260")["_number_type"] == "UAN"
    assert one("1409305260")["_reason"] == RejectReason.COMMERCIAL_SERIES.value
    assert one("1600123456")["_reason"] == RejectReason.COMMERCIAL_SERIES.value


@pytest.mark.parametrize(
    "raw", ["98765 43210 ext 12", "9876543210 x123", "9876543210#12", "98765 43210 ext. 7"]
)
def test_extensions_are_dropped_and_counted(raw: str) -> None:
    row = one(raw)
    assert (row["_e164"], row["_had_extension"]) == (MOBILE, True)
    refused = one(raw, NormaliseConfig(extensions=ExtensionPolicy.REJECT))
    assert refused["_e164"] is None
    assert refused["_reason"] == RejectReason.HAS_EXTENSION.value
    assert undecided([raw]) == []


def test_a_number_without_extension_is_not_counted() -> None:
    assert one("9876543210")["_had_extension"] is False


SEVERAL = ["98765 43210 / 97654 32109", "9876543210; 9765432109", "9876543210,9765432109",
           "98765 43210 | 97654 32109"]  # fmt: skip


@pytest.mark.parametrize("raw", SEVERAL)
def test_several_numbers_in_a_cell(raw: str) -> None:
    first = one(raw)
    assert (first["_e164"], first["_multi_number"]) == (MOBILE, True)
    refused = one(raw, NormaliseConfig(multi=MultiPolicy.REJECT))
    assert refused["_reason"] == RejectReason.MULTIPLE_NUMBERS.value
    split = table([raw], NormaliseConfig(multi=MultiPolicy.SPLIT))
    assert split["_e164"].to_list() == [MOBILE, "+919765432109"]
    assert split[fastphone.PART].to_list() == [0, 1]
    assert undecided([raw]) == []


@pytest.mark.parametrize("raw", ["022/2345 6789", "98765/43210", "98765 43210 / 9876543210"])
def test_one_number_with_a_slash_is_one_number(raw: str) -> None:
    """A slash inside one number, or the same number twice, is not several numbers."""
    row = one(raw)
    assert row["_multi_number"] is False
    assert row["_e164"] == (libphonenumber(raw) or (MOBILE, None))[0]


def test_split_keeps_each_number_with_its_own_outcome_in_cell_order() -> None:
    """A refused first piece stays part 0: outcomes never slide to another piece."""
    raw = "080 2345 6789 / 98765 43210"
    split = table([raw], NormaliseConfig(channel=Channel.SMS, multi=MultiPolicy.SPLIT))
    assert split[fastphone.PART].to_list() == [0, 1]
    assert split["_reason"].to_list() == [RejectReason.WRONG_TYPE.value, None]
    assert split["_e164"].to_list() == [None, MOBILE]


def test_split_makes_extra_contacts_that_keep_the_source_row() -> None:
    frame = pl.DataFrame(
        {PHONE_RAW: ["9812345678", SEVERAL[0]], ROW_ID: [0, 1], "_source_row": [2, 3]}
    ).lazy()
    out = normalise(frame, NormaliseConfig(multi=MultiPolicy.SPLIT))
    kept = out.kept.collect()
    assert kept[ROW_ID].to_list() == [0, 1, 1]
    assert kept["_source_row"].to_list() == [2, 3, 3]
    assert kept[fastphone.PART].to_list() == [0, 0, 1]
    assert kept[fastphone.MULTI_NUMBER].to_list() == [False, True, True]


def test_allow_regions_rejects_other_countries() -> None:
    india = NormaliseConfig(allow_regions=("IN",))
    assert one("+44 20 7946 0958", india)["_reason"] == RejectReason.FOREIGN_REGION.value
    assert one("+44 20 7946 0958", india)["_detail"] == (
        "a number of region GB, outside the allowed regions"
    )
    assert one("9876543210", india)["_e164"] == MOBILE
    assert one("+44 20 7946 0958")["_e164"] == "+442079460958"


def test_masked_numbers_are_refused_on_the_fast_path() -> None:
    values = ["98765XXXXX", "98XXXXXX10", "+91 98765 XXXXX", "******3210"]
    assert all(one(v)["_reason"] == RejectReason.MASKED.value for v in values)
    assert undecided(values) == []


def test_foreign_numbers_with_plus_and_00_are_on_the_fast_path() -> None:
    values = ["+1 415 555 0123", "+44 20 7946 0958", "0044 7911 123456", "+971 50 123 4567",
              "+65 9123 4567"]  # fmt: skip
    assert undecided(values) == []
    for raw in values:
        row = one(raw)
        assert libphonenumber(raw) == (row["_e164"], row["_number_type"])


# --- classify_values and the stage ---------------------------------------------------------------
def test_classify_values_keeps_its_columns() -> None:
    got = classify_values(pl.Series(["9876543210", "n/a", None]), "IN", Channel.VOICE)
    assert got.columns[:5] == [PHONE_RAW, "_e164", "_number_type", "_reason", "_detail"]
    assert got.height == 2  # one row per distinct non-null value


@given(st.lists(st.sampled_from([*EDGES[:8], *SEVERAL, "9876543210", "n/a", ""]), max_size=40))
def test_stage_gives_repeated_values_their_own_outcome(raws: list[str]) -> None:
    """Only a value's first row is classified; its repeats get the very same outcome."""
    n = len(raws)
    frame = pl.DataFrame(
        {
            PHONE_RAW: raws,
            ROW_ID: range(n),
            "_source_row": range(2, n + 2),
            "_source_file": ["a"] * n,
        },
        schema_overrides={PHONE_RAW: pl.String, ROW_ID: pl.Int64, "_source_row": pl.Int64},
    )
    out = normalise(frame.lazy())
    got = dict(out.kept.collect().select(ROW_ID, "_e164").iter_rows())
    got |= dict(out.rejected.collect().select(ROW_ID, "reason").iter_rows())
    want = reference(raws)
    for row_id, raw in enumerate(raws):
        row = want.filter(pl.col(PHONE_RAW) == raw).row(0, named=True)
        assert got[row_id] == (row["_e164"] or row["_reason"]), raw


def test_stage_exposes_the_counts() -> None:
    frame = pl.DataFrame(
        {PHONE_RAW: ["9876543210 ext 12", SEVERAL[0]], ROW_ID: [0, 1], "_source_row": [2, 3]}
    )
    kept = normalise(frame.lazy()).kept.collect()
    assert kept[fastphone.HAD_EXTENSION].to_list() == [True, False]
    assert kept[fastphone.MULTI_NUMBER].to_list() == [False, True]


def test_patterns_polars_cannot_run_are_detected() -> None:
    """Rust's regex has no lookaround or backreferences: such metadata goes to the reference."""
    assert phonemeta.compiles(r"^(?:9\d{9})$")
    assert not phonemeta.compiles(r"^(?=9)\d{10}$")
    assert not phonemeta.compiles(r"^(\d)\1$")
