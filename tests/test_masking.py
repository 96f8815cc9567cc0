"""Masking digit runs in messages and samples: phone numbers never shown, dates left readable.

Every error message (and the report's samples) goes through ``mask_digit_runs``. It masked
dates as if they were numbers (``2026-12-01`` -> ``20XXXX01``), and missed numbers spelled with
separators the normaliser accepts (``98765/43210``, ``(98765) 43210``, a zero-width space).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

import phonenumbers
import polars as pl
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from listprep.campaign import campaign_config
from listprep.errors import ConfigError
from listprep.phone import classify
from listprep.privacy import mask_digit_runs
from listprep.stages.template import render_samples

#: Zero of each digit script the normaliser reads (ASCII, Devanagari, Bengali, full-width).
ZEROS = ("0", "\u0966", "\u09e6", "\uff10")
PREFIXES = ("", "+91 ", "+91", "+91-", "0", "0091 ", "91 ", "+91 (0) ", "(+91) ", "tel:+91-")
GAPS = (
    " ", "-", ".", "/", "  ", " - ", "\u00a0", "\u202f", "\u2007", "\u3000", "\t",
    "\u200b", "\u00ad", "\u2013", "\u2212", ") ",
)  # fmt: skip
REPR_ESCAPE = re.compile(r"\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|[tnr])")
#: How a message may quote a cell: as is, in ``repr`` (escaping NBSP, ZWSP …), after a label.
QUOTES = ("{}", "{!r}", "the header {!r} cannot be an Exotel variable", "to {}: hello")


def ascii_digits(text: str) -> str:
    """The decimal digits of ``text`` in ASCII, with ``X`` kept: what a reader could piece
    together, whatever stood between the digits (``repr`` escapes such as ``\\xa0`` too)."""
    kept = (ch for ch in REPR_ESCAPE.sub("", text) if ch.isdecimal() or ch == "X")
    return "".join(str(unicodedata.decimal(ch)) if ch != "X" else ch for ch in kept)


def shown_runs(national: str, text: str) -> list[str]:
    """The 7-digit stretches of ``national`` that can still be read in ``text``."""
    digits = ascii_digits(text)
    return [national[i : i + 7] for i in range(len(national) - 6) if national[i : i + 7] in digits]


@st.composite
def spellings(draw: st.DrawFn) -> tuple[str, str]:
    """A valid Indian mobile and one way a contact list spells it (that the normaliser reads)."""
    national = draw(st.sampled_from("6789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    cuts = sorted(draw(st.sets(st.integers(1, 9), max_size=4)))
    groups = [national[a:b] for a, b in zip([0, *cuts], [*cuts, 10], strict=True)]
    gaps = [draw(st.sampled_from(GAPS)) for _ in groups[1:]]
    body = groups[0] + "".join(gap + group for gap, group in zip(gaps, groups[1:], strict=True))
    if ")" in body:
        body = "(" + body
    text = draw(st.sampled_from(PREFIXES)) + body
    zero = ord(draw(st.sampled_from(ZEROS)))
    text = "".join(chr(zero + int(ch)) if ch.isascii() and ch.isdigit() else ch for ch in text)
    return national, text


@given(spellings(), st.sampled_from(QUOTES))
def test_no_spelling_of_a_number_survives_masking(spelled: tuple[str, str], quote: str) -> None:
    national, text = spelled
    assert phonenumbers.is_valid_number(phonenumbers.parse("+91" + national))
    assume(classify(text).e164 == "+91" + national)  # a spelling the project accepts
    message = quote.format(text)
    assert shown_runs(national, message) != []  # the check can fail
    assert shown_runs(national, mask_digit_runs(message)) == [], mask_digit_runs(message)


@pytest.mark.parametrize(
    "text",
    [
        "+91 98765 43210",
        "098765-43210",
        "9876543210",
        "98.7654.3215",
        "\u096f\u096e\u096d\u096c\u096b\u096a\u096b\u096a\u096b\u096a",  # Devanagari
        "98765/43210",
        "(98765) 43210",
        "98765 - 43210",
        "98765\u200b43210",
        "98765\u201343210",
        "+91 98765  43210",
        "'98765\\xa043210'",  # repr() of a cell with a no-break space
        "98765_43210",  # a space turned underscore by an export (a template variable's cell)
    ],
)
def test_spellings_the_project_accepts_are_masked(text: str) -> None:
    masked = mask_digit_runs(f"the header {text} is a number")
    assert sum(map(str.isdecimal, masked)) <= 4, masked  # the first and last two


iso_moments = st.one_of(
    st.dates().map(date.isoformat),
    st.datetimes(timezones=st.none() | st.timezones()).map(datetime.isoformat),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat(sep=" ")),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat(timespec="minutes")),
)


@given(iso_moments, st.sampled_from(("{}", "{!r}", "schedule start {!r} has no UTC offset")))
def test_iso_dates_and_times_pass_unchanged(moment: str, quote: str) -> None:
    message = quote.format(moment)
    assert mask_digit_runs(message) == message


@pytest.mark.parametrize("text", ["2026-12-01 98765 43210", "98765 2026-12-01", "2012-11-23 45"])
def test_a_date_with_digits_running_on_is_no_hiding_place(text: str) -> None:
    assert "X" in mask_digit_runs(text)


def test_schedule_error_shows_the_time_and_the_hint_as_written() -> None:
    with pytest.raises(ConfigError) as info:
        campaign_config({"schedule": {"send_at": "2026-12-01T10:00:00"}})
    text = str(info.value)
    assert "schedule start '2026-12-01T10:00:00' has no UTC offset" in text
    assert "e.g. 2026-12-01T10:00:00+05:30" in text


def test_check_template_samples_mask_a_dotted_number() -> None:
    rows = pl.DataFrame({"alt": ["98.7654.3215"]})
    (sample,) = render_samples(rows, "Call @@alt", phone_columns=set())
    assert shown_runs("9876543215", sample) == [], sample
