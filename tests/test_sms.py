"""Tests for listprep.sms: examples against the reference, then vectorised == reference."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listprep.sms import (
    GSM7_BASIC,
    GSM7_BASIC_TABLE,
    GSM7_ESCAPE,
    GSM7_EXTENSION,
    SmsInfo,
    encoding_expr,
    segments_expr,
    sms_info,
    units_expr,
)

DEVANAGARI_KA = "क"
EMOJI = "😀"  # U+1F600, outside the BMP


def vectorised(texts: list[str | None]) -> list[tuple[str | None, int | None, int | None]]:
    """Evaluate the three expressions over all texts in one DataFrame."""
    t = pl.col("t")
    df = pl.DataFrame({"t": texts}, schema={"t": pl.String}).select(
        encoding_expr(t).alias("encoding"),
        units_expr(t).alias("units"),
        segments_expr(t).alias("segments"),
    )
    return list(df.iter_rows())


def check_agree(texts: list[str]) -> None:
    got = vectorised(list(texts))
    for text, row in zip(texts, got, strict=True):
        ref = sms_info(text)
        assert row == (ref.encoding, ref.units, ref.segments), repr(text)


# --- the constants -------------------------------------------------------------------------


def test_alphabet_tables() -> None:
    assert len(GSM7_BASIC_TABLE) == 128
    assert len(set(GSM7_BASIC_TABLE)) == 128
    assert GSM7_BASIC_TABLE[0x1B] == GSM7_ESCAPE
    assert GSM7_ESCAPE not in GSM7_BASIC
    assert len(GSM7_BASIC) == 127
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION
    # Spot checks of easily confused positions.
    assert GSM7_BASIC_TABLE[0x00] == "@"
    assert GSM7_BASIC_TABLE[0x02] == "$"
    assert GSM7_BASIC_TABLE[0x09] == "\u00c7"  # Ç, not ç
    assert GSM7_BASIC_TABLE[0x0A] == "\n"
    assert GSM7_BASIC_TABLE[0x0D] == "\r"
    assert GSM7_BASIC_TABLE[0x15] == "\u03a9"  # Greek capital omega, not the Ohm sign U+2126
    assert GSM7_BASIC_TABLE[0x24] == "\u00a4"  # ¤
    assert GSM7_BASIC_TABLE[0x40] == "\u00a1"  # ¡
    assert GSM7_BASIC_TABLE[0x60] == "\u00bf"  # ¿
    assert GSM7_BASIC_TABLE[0x7F] == "\u00e0"  # à
    # Printable ASCII is in GSM-7 (basic or extension) except the backtick.
    ascii_printable = {chr(i) for i in range(0x20, 0x7F)}
    assert ascii_printable - GSM7_BASIC - GSM7_EXTENSION == {"`"}


@pytest.mark.parametrize("char", sorted(GSM7_BASIC))
def test_each_basic_char_is_one_septet(char: str) -> None:
    assert sms_info(char) == SmsInfo("gsm7", 1, 1)
    assert vectorised([char]) == [("gsm7", 1, 1)]


@pytest.mark.parametrize("char", sorted(GSM7_EXTENSION))
def test_each_extension_char_is_two_septets(char: str) -> None:
    assert sms_info(char) == SmsInfo("gsm7", 2, 1)
    assert vectorised([char]) == [("gsm7", 2, 1)]


@pytest.mark.parametrize(
    "char",
    [
        "\u00e7",  # ç: only Ç is in the alphabet
        "`",
        "\t",
        "\x1b",  # the escape itself is not text
        "\u2126",  # Ohm sign, looks like Ω
        "\u00e1",  # á
        "\u00c9\u0301",  # É plus a combining acute
        "\u00a0",  # no-break space
        "\u20b9",  # ₹
        "\u2019",  # right single quote, typical of copy-pasted templates
        DEVANAGARI_KA,
    ],
)
def test_non_gsm_chars_force_ucs2(char: str) -> None:
    ref = sms_info("abc" + char)
    assert ref.encoding == "ucs2"
    check_agree(["abc" + char])


# --- examples --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsInfo("gsm7", 0, 1)),
        ("a" * 160, SmsInfo("gsm7", 160, 1)),
        ("a" * 161, SmsInfo("gsm7", 161, 2)),
        ("a" * 306, SmsInfo("gsm7", 306, 2)),
        ("a" * 307, SmsInfo("gsm7", 307, 3)),
        ("a" * 159 + "€", SmsInfo("gsm7", 161, 2)),
        ("a" * 158 + "{", SmsInfo("gsm7", 160, 1)),
        ("€", SmsInfo("gsm7", 2, 1)),
        ("{", SmsInfo("gsm7", 2, 1)),
        ("Ça va?\r\nOui.", SmsInfo("gsm7", 12, 1)),
        ("ça va?", SmsInfo("ucs2", 6, 1)),
        ("a" * 69 + DEVANAGARI_KA, SmsInfo("ucs2", 70, 1)),
        ("a" * 70 + DEVANAGARI_KA, SmsInfo("ucs2", 71, 2)),
        ("a" * 133 + DEVANAGARI_KA, SmsInfo("ucs2", 134, 2)),
        ("a" * 134 + DEVANAGARI_KA, SmsInfo("ucs2", 135, 3)),
        (EMOJI, SmsInfo("ucs2", 2, 1)),
        ("a" * 68 + EMOJI, SmsInfo("ucs2", 70, 1)),
        ("a" * 69 + EMOJI, SmsInfo("ucs2", 71, 2)),
        ("€" + DEVANAGARI_KA, SmsInfo("ucs2", 2, 1)),  # in UCS-2 € is one unit, not two
        ("a" * 170 + "ç", SmsInfo("ucs2", 171, 3)),
        # a part never ends inside an escape pair or a surrogate pair: one segment more
        ("a" * 152 + "€" + "a" * 152, SmsInfo("gsm7", 306, 3)),
        ("a" * 151 + "€" + "a" * 153, SmsInfo("gsm7", 306, 2)),
        ("a" * 66 + EMOJI + "a" * 66, SmsInfo("ucs2", 134, 3)),
        ("a" * 65 + EMOJI + "a" * 67, SmsInfo("ucs2", 134, 2)),
    ],
)
def test_examples(text: str, expected: SmsInfo) -> None:
    assert sms_info(text) == expected
    assert vectorised([text]) == [(expected.encoding, expected.units, expected.segments)]


def test_null_propagates() -> None:
    assert vectorised([None, "x"]) == [(None, None, None), ("gsm7", 1, 1)]


def test_dtypes() -> None:
    t = pl.col("t")
    schema = (
        pl.DataFrame({"t": ["a"]})
        .lazy()
        .select(encoding_expr(t).alias("e"), units_expr(t).alias("u"), segments_expr(t).alias("s"))
        .collect_schema()
    )
    assert dict(schema) == {"e": pl.String, "u": pl.UInt32, "s": pl.UInt32}


# --- properties: vectorised == reference ------------------------------------------------------

_ASCII = st.characters(min_codepoint=0, max_codepoint=0x7F, exclude_categories=["Cs"])
_EXTENSION = st.sampled_from(sorted(GSM7_EXTENSION))
_GSM_BASIC = st.sampled_from(sorted(GSM7_BASIC))
_GSM_LOOKALIKES = st.sampled_from(["é", "Δ", "Ø", "ø", "ç", "Ç", "Ω", "\u2126", "\x1b", "`", "\t"])
_DEVANAGARI = st.characters(min_codepoint=0x0900, max_codepoint=0x097F)
_EMOJI = st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)
_COMBINING = st.characters(min_codepoint=0x0300, max_codepoint=0x036F)
_NEWLINES = st.sampled_from(["\n", "\r", "\x0c"])
_ANY = st.characters(exclude_categories=["Cs"])  # polars strings are UTF-8: no lone surrogates

_CHAR = st.one_of(
    _ASCII,
    _EXTENSION,
    _GSM_BASIC,
    _GSM_LOOKALIKES,
    _DEVANAGARI,
    _EMOJI,
    _COMBINING,
    _NEWLINES,
    _ANY,
)
# Mostly-GSM text, so that a good share of examples stay GSM-7 rather than almost all
# becoming UCS-2 at the first exotic character.
_GSM_CHAR = st.one_of(_GSM_BASIC, _GSM_BASIC, _EXTENSION, _NEWLINES, _GSM_LOOKALIKES)


@st.composite
def _near_boundary(draw: st.DrawFn) -> str:
    """Text whose length lands near a 70/134/160/306 unit boundary."""
    n = draw(
        st.sampled_from([67, 68, 69, 70, 71, 133, 134, 135, 152, 153, 159, 160, 161, 306, 307])
    )
    chars = draw(st.lists(st.sampled_from("abc XYZ"), min_size=n, max_size=n))
    for ch in draw(st.lists(_CHAR, max_size=3)):
        chars.insert(draw(st.integers(0, len(chars))), ch)
    return "".join(chars)


_TEXT = st.one_of(
    st.text(_CHAR, max_size=400),
    st.text(_GSM_CHAR, max_size=400),
    _near_boundary(),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=60))
def test_vectorised_matches_reference(texts: list[str]) -> None:
    check_agree(texts)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(_ANY, max_size=200), min_size=1, max_size=60))
def test_vectorised_matches_reference_any_unicode(texts: list[str]) -> None:
    check_agree(texts)
