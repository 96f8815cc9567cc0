"""check_template: every ``@@variable`` renders; SMS length and cost are known per row."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from listprep import RejectReason, TemplateConfig, TemplateError, read_sources
from listprep.limits import Channel
from listprep.sms import sms_info
from listprep.stages import check_template
from listprep.stages.template import render_expr


def frame_of(columns: dict[str, list[str | None]]) -> pl.LazyFrame:
    """A stage input with the reader's identity columns; ``phone`` is added if missing."""
    height = len(next(iter(columns.values())))
    data = {"phone": ["9876543210"] * height, **columns}
    return read_sources(pl.DataFrame(data, schema=dict.fromkeys(data, pl.String)))[0]


def sms(text: str, max_segments: int | None = None) -> TemplateConfig:
    return TemplateConfig(text=text, channel=Channel.SMS, max_segments=max_segments)


# --- unknown and empty variables ------------------------------------------------------------------


def test_unknown_variable_lists_headers_and_suggests_near_miss() -> None:
    frame = frame_of({"first_name": ["Asha"], "due_amount": ["100"]})
    with pytest.raises(TemplateError) as info:
        check_template(frame, sms("Dear @@First_Name, pay @@due_amount"))
    message = str(info.value)
    assert "First_Name" in message
    for header in ("phone", "first_name", "due_amount"):
        assert header in message, "the message lists the headers found"
    assert "_row_id" not in message and "_phone_raw" not in message, "internal columns stay hidden"
    assert "@@first_name" in (info.value.hint or ""), "the hint suggests the near miss"
    assert info.value.column == "First_Name"


def test_unknown_variable_with_no_near_miss_still_lists_headers() -> None:
    frame = frame_of({"first_name": ["Asha"]})
    with pytest.raises(TemplateError) as info:
        check_template(frame, TemplateConfig(text="Your OTP is @@otp_code"))
    assert "otp_code" in str(info.value)
    assert "first_name" in str(info.value)


@pytest.mark.parametrize("empty", ["", "   ", None, "\t", "\u200b", " \u00a0\ufeff ", "\u3000"])
def test_empty_variable_is_rejected_naming_the_column(empty: str | None) -> None:
    frame = frame_of({"first_name": ["Asha", empty], "due_date": ["05-Dec-2026", "06-Dec-2026"]})
    out = check_template(frame, sms("Dear @@first_name, due on @@due_date"))
    kept, rejected = out.kept.collect(), out.rejected.collect()
    assert kept["first_name"].to_list() == ["Asha"]
    assert rejected.height == 1
    row = rejected.row(0, named=True)
    assert row["reason"] == RejectReason.EMPTY_VARIABLE.value
    assert row["stage"] == "check_template"
    assert "first_name" in row["detail"]
    assert "due_date" not in row["detail"]
    assert row["source_row"] == 2


def test_no_template_passes_everything_through() -> None:
    frame = frame_of({"first_name": ["Asha", None]})
    out = check_template(frame, TemplateConfig())
    assert out.kept.collect().height == 2
    assert out.rejected.collect().height == 0


# --- max_segments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),  # 153 septets per part once concatenated
        ("{" * 80, 1),  # extension characters cost two septets
        ("{" * 81, 2),
        ("क" * 70, 1),  # one non-GSM character makes the message UCS-2
        ("क" * 71, 2),
        ("क" * 134, 2),
        ("क" * 135, 3),
    ],
)
def test_max_segments(message: str, segments: int) -> None:
    frame = frame_of({"msg": [message]})
    out = check_template(frame, sms("@@msg", max_segments=2))
    kept, rejected = out.kept.collect(), out.rejected.collect()
    if segments <= 2:
        assert kept["_sms_segments"].to_list() == [segments]
        assert rejected.height == 0
    else:
        assert kept.height == 0
        assert rejected["reason"].to_list() == [RejectReason.TOO_MANY_SEGMENTS.value]
        assert str(segments) in rejected["detail"][0]


def test_without_max_segments_nothing_is_too_long() -> None:
    out = check_template(frame_of({"msg": ["x" * 1000]}), sms("@@msg"))
    assert out.rejected.collect().height == 0
    assert out.kept.collect()["_sms_segments"].to_list() == [7]  # 1,000 septets at 153 a part


# --- properties -----------------------------------------------------------------------------------

# names where one is a prefix of another, so a naive substitution would go wrong
NAMES = ["a", "ab", "first_name", "due", "due_date", "x1"]
_no_at = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="@")
literals = st.text(alphabet=st.one_of(_no_at, st.just("\n")), max_size=12)
values = st.one_of(st.none(), st.text(alphabet=st.one_of(_no_at, st.just("\n")), max_size=40))


@st.composite
def templates(draw: st.DrawFn) -> str:
    """Literal text and ``@@name`` tokens; a literal never extends the name before it."""
    parts: list[str] = []
    for token in draw(st.lists(st.one_of(literals, st.sampled_from(NAMES)), min_size=1)):
        if token in NAMES:
            parts.append("@@" + token)
        elif not token:
            continue
        elif (
            parts
            and parts[-1].startswith("@@")
            and token[:1].isascii()
            and (token[:1].isalnum() or token[:1] == "_")
        ):
            parts.append(" " + token)
        else:
            parts.append(token)
    return "".join(parts)


def reference_render(template: str, row: dict[str, str | None]) -> str:
    """Plain ``str.replace``, longest names first so ``@@due`` never eats ``@@due_date``."""
    text = template
    for name in sorted(NAMES, key=len, reverse=True):
        text = text.replace("@@" + name, row[name] or "")
    return text


def used_names(template: str) -> set[str]:
    """The names a template uses, longest first so ``@@due_date`` is not read as ``@@due``."""
    found, rest = set(), template
    for name in sorted(NAMES, key=len, reverse=True):
        if "@@" + name in rest:
            found.add(name)
            rest = rest.replace("@@" + name, "\x00")
    return found


rows = st.lists(st.fixed_dictionaries(dict.fromkeys(NAMES, values)), min_size=1, max_size=8)


@given(templates(), rows)
def test_render_matches_str_replace(template: str, data: list[dict[str, str | None]]) -> None:
    frame = pl.DataFrame(data, schema=dict.fromkeys(NAMES, pl.String))
    rendered = frame.with_columns(render_expr(template).alias("out"))["out"].to_list()
    assert rendered == [reference_render(template, row) for row in data]


@given(templates().filter(bool), rows, st.sampled_from([None, 1, 2, 3]))
def test_sms_columns_match_sms_info(
    template: str, data: list[dict[str, str | None]], max_segments: int | None
) -> None:
    frame = frame_of({name: [row[name] for row in data] for name in NAMES})
    out = check_template(frame, sms(template, max_segments))
    kept, rejected = out.kept.collect(), out.rejected.collect()
    assert kept.height + rejected.height == len(data)
    used = used_names(template)
    reasons = dict(rejected.select("source_row", "reason").iter_rows())
    kept_rows = {r["_source_row"]: r for r in kept.iter_rows(named=True)}
    for number, row in enumerate(data, start=1):
        info = sms_info(reference_render(template, row))
        if any(not (row[n] or "").strip() for n in used):
            assert reasons[number] == RejectReason.EMPTY_VARIABLE.value
        elif max_segments is not None and info.segments > max_segments:
            assert reasons[number] == RejectReason.TOO_MANY_SEGMENTS.value
        else:
            got = kept_rows[number]
            assert (got["_sms_encoding"], got["_sms_units"], got["_sms_segments"]) == (
                info.encoding,
                info.units,
                info.segments,
            )
