"""Issue #5: template checks before any row (DLT, headers, stray @@) and per-row checks
(defaults, DLT value length, pandera column rules, GSM-7), with conservation end to end."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import listprep
from listprep import ConfigError, PipelineConfig, RejectReason, TemplateConfig, TemplateError
from listprep.dlt import DLT_VARIABLE, check_dlt, first_difference, to_dlt
from listprep.limits import Channel
from listprep.reader import read_sources
from listprep.rules import load_rules
from listprep.stages import check_template
from listprep.stages.template import (
    header_renames,
    rename_headers,
    render_expr,
    safe_name,
    template_report,
    validate_template,
)


def frame_of(columns: dict[str, list[str | None]]) -> pl.LazyFrame:
    """A stage input with the reader's identity columns; ``phone`` is added if missing."""
    height = len(next(iter(columns.values())))
    data = {"phone": ["9876543210"] * height, **columns}
    return read_sources(pl.DataFrame(data, schema=dict.fromkeys(data, pl.String)))[0]


def run(frame: pl.LazyFrame, config: TemplateConfig) -> tuple[pl.DataFrame, pl.DataFrame]:
    out = check_template(frame, config)
    return out.kept.collect(), out.rejected.collect()


def sms(text: str, **options: Any) -> TemplateConfig:
    return TemplateConfig(text=text, channel=Channel.SMS, **options)


def phones(n: int) -> list[str]:
    return [f"98765{i:05d}" for i in range(n)]


# --- rendering: an independent oracle -------------------------------------------------------------

NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def scan(template: str) -> list[tuple[str, str]]:
    """Split a template by hand: ``("lit", text)`` and ``("var", name)``, a name being the
    longest run of name characters after ``@@``."""
    parts: list[tuple[str, str]] = []
    i = 0
    while i < len(template):
        if template.startswith("@@", i) and i + 2 < len(template) and template[i + 2] in NAME_CHARS:
            j = i + 2
            while j < len(template) and template[j] in NAME_CHARS:
                j += 1
            parts.append(("var", template[i + 2 : j]))
            i = j
        else:
            parts.append(("lit", template[i]))
            i += 1
    return parts


# '@' and name characters are frequent, so names run into literals and '@@@x' occurs
wild = st.text(alphabet=st.sampled_from(list("@@@ab_1 ,.-\n€{}éक😀")), max_size=30)
values = st.one_of(st.none(), st.text(max_size=20))


@given(wild, st.data())
def test_render_agrees_with_plain_python_substitution(template: str, data: st.DataObject) -> None:
    parts = scan(template)
    names = sorted({text for kind, text in parts if kind == "var"})
    rows = data.draw(st.lists(st.fixed_dictionaries(dict.fromkeys(names, values)), min_size=1))
    frame = pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String)) if names else None
    expected = [
        "".join(text if kind == "lit" else (row[text] or "") for kind, text in parts)
        for row in rows
    ]
    if frame is None:
        assert pl.select(render_expr(template)).item() == expected[0]
    else:
        assert frame.select(render_expr(template)).to_series().to_list() == expected


# --- DLT ------------------------------------------------------------------------------------------

_dlt_parts = st.lists(
    st.one_of(
        st.sampled_from(["@@name", "@@due_date", "@@x1"]),
        st.text(st.characters(blacklist_characters="@"), max_size=8),
    ),
    max_size=8,
)
dlt_templates = _dlt_parts.map(lambda parts: " ".join(parts))


@given(_dlt_parts)
def test_dlt_accepts_the_template_written_with_var(parts: list[str]) -> None:
    """The DLT text is built beside the template, each variable written ``{#var#}``."""
    template = " ".join(parts)
    registered = " ".join("{#var#}" if p.startswith("@@") else p for p in parts)
    assert to_dlt(template) == registered
    check_dlt(template, registered)


@given(dlt_templates, st.data())
def test_dlt_rejects_every_one_character_change(template: str, data: st.DataObject) -> None:
    dlt = to_dlt(template)
    kind = data.draw(st.sampled_from(["replace", "insert", "delete"]) if dlt else st.just("insert"))
    at = data.draw(st.integers(0, len(dlt) - (kind != "insert")))
    if kind == "replace":
        char = data.draw(st.characters().filter(lambda c: c != dlt[at]))
        mutated = dlt[:at] + char + dlt[at + 1 :]
    elif kind == "insert":
        mutated = dlt[:at] + data.draw(st.characters()) + dlt[at:]
    else:
        mutated = dlt[:at] + dlt[at + 1 :]
    with pytest.raises(TemplateError) as info:
        check_dlt(template, mutated)
    position = first_difference(dlt, mutated)
    assert position is not None and (position == at if kind == "replace" else position >= at)
    assert f"at character {position + 1}" in str(info.value)


def test_dlt_mismatch_shows_both_texts_and_a_caret_under_the_difference() -> None:
    template = "Dear @@name, your bill of Rs @@amount is due."
    with pytest.raises(TemplateError) as info:
        check_dlt(template, "Dear {#var#}, your bill of Rs. {#var#} is due.")
    lines = str(info.value).splitlines()
    ours = next(line for line in lines if line.lstrip().startswith("template (@@"))
    theirs = next(line for line in lines if line.lstrip().startswith("DLT template:"))
    caret = lines[lines.index(theirs) + 1]
    assert caret.strip() == "^"
    column = caret.index("^")
    assert ours[column] == " " and theirs[column] == "."
    assert ours[column - 12 : column] == theirs[column - 12 : column] == "your bill of Rs"[-12:]
    assert "U+002E FULL STOP" in str(info.value)


def test_dlt_mismatch_makes_invisible_characters_visible() -> None:
    with pytest.raises(TemplateError) as info:
        check_dlt("Hi @@name\u00a0now", "Hi {#var#} now")
    assert "\\u00a0" in str(info.value) and "NO-BREAK SPACE" in str(info.value)


def test_dlt_template_is_checked_before_any_row() -> None:
    frame = frame_of({"name": ["Asha"]})
    with pytest.raises(TemplateError, match="DLT"):
        run(frame, sms("Hi @@name.", dlt_template=f"Hi {DLT_VARIABLE}"))
    kept, rejected = run(frame, sms("Hi @@name.", dlt_template=f"Hi {DLT_VARIABLE}."))
    assert kept.height == 1 and rejected.height == 0


def test_dlt_template_needs_sms() -> None:
    with pytest.raises(ConfigError, match="SMS"):
        PipelineConfig.from_options(template="Hi @@name", dlt_template="Hi {#var#}")


# --- variable-too-long ----------------------------------------------------------------------------


def test_dlt_limits_values_to_30_characters() -> None:
    frame = frame_of({"name": ["x" * 30, "x" * 31, "ok"]})
    kept, rejected = run(frame, sms("Hi @@name", dlt_template="Hi {#var#}"))
    assert kept["name"].to_list() == ["x" * 30, "ok"]
    assert rejected["reason"].to_list() == [RejectReason.VARIABLE_TOO_LONG.value]
    assert rejected["source_row"].to_list() == [2]
    assert "@@name has 31 characters" in rejected["detail"][0]


def test_max_variable_length_overrides_the_dlt_limit_and_works_alone() -> None:
    frame = frame_of({"name": ["abcd", "abcde"]})
    _, rejected = run(frame, sms("Hi @@name", max_variable_length=4))
    assert rejected["source_row"].to_list() == [2]
    _, rejected = run(frame, sms("Hi @@name"))
    assert rejected.height == 0, "without a DLT template or a limit, length is free"


def test_length_counts_characters_not_bytes() -> None:
    kept, _ = run(frame_of({"name": ["क" * 30]}), sms("Hi @@name", dlt_template="Hi {#var#}"))
    assert kept.height == 1


# --- defaults -------------------------------------------------------------------------------------


def test_default_fills_empty_values_instead_of_rejecting() -> None:
    frame = frame_of({"name": ["Asha", "", None, "  "], "due": ["1", "2", "3", ""]})
    kept, rejected = run(frame, sms("Hi @@name, pay @@due", defaults=(("name", "Customer"),)))
    assert kept["name"].to_list() == ["Asha", "Customer", "Customer"]
    assert rejected["detail"].to_list() == ["the variable @@due is empty"]


def test_default_reaches_the_dynamic_list_file() -> None:
    frame = pl.DataFrame({"phone": phones(2), "name": ["Asha", ""]})
    result = listprep.prepare(frame, channel="sms", template="Hi @@name", defaults=["name=Dear"])
    (data,) = [d for n, d in result.files.items() if n.startswith("lists/")]
    assert pl.read_csv(io.BytesIO(data))["name"].to_list() == ["Asha", "Dear"]


@pytest.mark.parametrize(
    ("defaults", "error"),
    [
        (["name"], ConfigError),
        (["name="], ConfigError),
        (["na me=x"], ConfigError),
        (["name=a", "name=b"], ConfigError),
        (["nmae=x"], TemplateError),  # not a variable of the template: near miss suggested
    ],
)
def test_bad_defaults_are_refused(defaults: list[str], error: type[Exception]) -> None:
    frame = pl.DataFrame({"phone": phones(1), "name": ["Asha"]})
    with pytest.raises(error) as info:
        listprep.prepare(frame, channel="sms", template="Hi @@name", defaults=defaults)
    if isinstance(info.value, TemplateError):
        assert "'name'" in (info.value.hint or "")


def test_default_longer_than_the_dlt_limit_is_refused_before_any_row() -> None:
    config = sms("Hi @@name", dlt_template="Hi {#var#}", defaults=(("name", "x" * 31),))
    with pytest.raises(TemplateError, match="31 characters"):
        validate_template(config, ["name"])


# --- headers Exotel cannot use --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "safe"),
    [
        ("Due Date", "due_date"),
        ("Amount (Rs.)", "amount_rs"),
        ("E-mail", "e_mail"),
        ("Prénom", "prenom"),
        (" Mobile No. ", "mobile_no"),
        ("नाम", ""),
    ],
)
def test_safe_name(header: str, safe: str) -> None:
    assert safe_name(header) == safe


def test_header_renames_only_unsafe_headers_and_keeps_names_unique() -> None:
    columns = ["phone", "First_Name", "Due Date", "due_date", "due-date", "नाम", "_row_id"]
    assert header_renames(columns) == {
        "Due Date": "due_date_2",
        "due-date": "due_date_3",
        "नाम": "column_6",
    }


@pytest.mark.parametrize("variable", ["due_date", "Due_Date"])
def test_without_rename_headers_the_error_says_how_to_fix_it(variable: str) -> None:
    """Whatever the case of the variable: the fix is the header, not a near miss elsewhere."""
    frame = frame_of({"Due Date": ["12-Feb-2026"], "due_amount": ["100"]})
    with pytest.raises(TemplateError) as info:
        run(frame, sms(f"Due on @@{variable}"))
    hint = info.value.hint or ""
    assert "'Due Date'" in hint and "--rename-headers" in hint and "@@due_date" in hint


def test_the_error_also_catches_a_header_written_as_is() -> None:
    with pytest.raises(TemplateError) as info:
        run(frame_of({"Due Date": ["12-Feb-2026"]}), sms("Due on @@Due Date"))
    assert "--rename-headers" in (info.value.hint or "")


def test_rename_headers_renames_the_frame_and_reports_the_mapping() -> None:
    frame = frame_of({"Due Date": ["12-Feb-2026"], "first_name": ["Asha"]})
    renamed, mapping = rename_headers(frame, sms("x", rename_headers=True))
    assert mapping == {"Due Date": "due_date"}
    assert "due_date" in renamed.collect_schema().names()
    assert rename_headers(frame, sms("x"))[1] == {}, "off by default"


def test_rename_headers_flows_into_the_list_file_and_the_manifest() -> None:
    frame = pl.DataFrame({"Mobile No": phones(2), "Due Date": ["12-Feb-2026", "13-Feb-2026"]})
    result = listprep.prepare(
        frame, channel="sms", template="Due on @@due_date", rename_headers=True
    )
    assert result.manifest["renamed_headers"] == {"Mobile No": "mobile_no", "Due Date": "due_date"}
    (data,) = [d for n, d in result.files.items() if n.startswith("lists/")]
    assert data.decode().splitlines()[0] == "number,due_date"


def test_after_renaming_the_old_name_points_to_the_new_one() -> None:
    frame = pl.DataFrame({"phone": phones(1), "Due Date": ["12-Feb-2026"]})
    with pytest.raises(TemplateError) as info:
        listprep.prepare(frame, channel="sms", template="On @@Due Date", rename_headers=True)
    assert "renamed to due_date: write @@due_date" in (info.value.hint or "")


# --- template-level checks ------------------------------------------------------------------------


@pytest.mark.parametrize("template", ["Hi @@ name", "Hi @@नाम", "Mail us at x@@", "@@@@x"])
def test_a_stray_marker_is_an_error(template: str) -> None:
    with pytest.raises(TemplateError, match="not a variable name"):
        run(frame_of({"x": ["1"], "name": ["a"]}), sms(template))


def test_an_at_sign_before_a_variable_is_fine() -> None:
    kept, _ = run(frame_of({"handle": ["acme"]}), sms("Follow @@@handle"))
    assert kept.height == 1


def test_several_unknown_variables_are_named_together() -> None:
    with pytest.raises(TemplateError) as info:
        run(frame_of({"first_name": ["a"]}), sms("@@firstname @@amount"))
    assert "@@firstname, @@amount" in str(info.value)
    assert "did you mean @@first_name?" in (info.value.hint or "")


def test_more_than_five_variables_is_refused_for_a_dynamic_list() -> None:
    names = [f"v{i}" for i in range(6)]
    frame = pl.DataFrame({"phone": phones(1), **{n: ["x"] for n in names}})
    with pytest.raises(TemplateError, match="at most 5"):
        listprep.prepare(frame, channel="sms", template=" ".join(f"@@{n}" for n in names))


# --- pandera column rules -------------------------------------------------------------------------

RULES = {
    "amount": {"type": "float", "min": 1},
    "due": {"type": "date", "format": "%d-%b-%Y", "min": "2026-01-01"},
    "tag": {"allowed": ["vip", "renewal"]},
}


def test_column_rules_reject_the_right_rows_naming_column_and_check() -> None:
    frame = frame_of(
        {
            "amount": ["1,00,000.50", "abc", "0", "5", "7"],
            "due": ["12-Feb-2026", "12-Feb-2026", "12-Feb-2026", "31-Feb-2026", "01-Jan-2025"],
            "tag": ["vip", "vip", "VIP", "renewal", "vip"],
        }
    )
    config = sms("Rs @@amount by @@due (@@tag)", column_rules=load_rules(RULES))
    kept, rejected = run(frame, config)
    assert kept["amount"].to_list() == ["1,00,000.50"]
    assert set(rejected["reason"]) == {RejectReason.COLUMN_CHECK.value}
    details = dict(rejected.select("source_row", "detail").iter_rows())
    assert details == {
        2: "@@amount fails type float (value 'abc')",
        3: "@@amount fails min 1 (value '0'); @@tag fails allowed ['vip', 'renewal'] (value 'VIP')",
        4: "@@due fails type date %d-%b-%Y (value '31-Feb-2026')",
        5: "@@due fails min 2026-01-01 (value '01-Jan-2025')",
    }


@pytest.mark.parametrize("fmt", ["%d-%b-%Y", None])
def test_a_four_digit_year_format_refuses_short_years(fmt: str | None) -> None:
    """%Y read '21-Jun-26' as the year 26 AD: kept without min, and 'fails min' with it."""
    dates = ["21-Jun-2026", "21-Jun-26", "21-Jun-0026"] if fmt else ["2026-06-21", "26-06-21"]
    rule = {"type": "date"} | ({"format": fmt} if fmt else {})
    config = sms("Due on @@due", column_rules=load_rules({"due": rule}))
    kept, rejected = run(frame_of({"due": dates}), config)
    assert kept["due"].to_list() == dates[:1]
    assert all("fails type date" in d for d in rejected["detail"].to_list())
    assert rejected.height == len(dates) - 1


def test_rules_check_the_value_after_defaults_and_leave_empties_to_empty_variable() -> None:
    frame = frame_of({"amount": ["", "x"]})
    rules = load_rules({"amount": {"type": "int"}})
    _, rejected = run(frame, sms("Rs @@amount", column_rules=rules))
    assert rejected["reason"].to_list() == ["empty-variable", "column-check"]
    defaults = (("amount", "zero"),)
    _, rejected = run(frame, sms("Rs @@amount", column_rules=rules, defaults=defaults))
    assert rejected["detail"].to_list() == [
        "@@amount fails type int (value 'zero')",
        "@@amount fails type int (value 'x')",
    ]


def test_rules_keep_each_row_in_its_place_across_inputs() -> None:
    """pandera reports positions in the frame it validated; they map back to source rows."""
    first = pl.DataFrame({"phone": ["9876543210"] * 3, "amount": ["1", "bad", "2"]})
    second = pl.DataFrame({"phone": ["9876543210"] * 2, "amount": ["bad", "3"]})
    frame = read_sources([first, second])[0]
    _, rejected = run(frame, sms("@@amount", column_rules=load_rules({"amount": {"type": "int"}})))
    assert rejected.select("source_file", "source_row").rows() == [
        ("<frame 1>", 2),
        ("<frame 2>", 1),
    ]


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_rules_load_from_toml_and_json(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"rules{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(RULES))
    else:
        path.write_text(
            '[amount]\ntype = "float"\nmin = 1\n'
            '[due]\ntype = "date"\nformat = "%d-%b-%Y"\nmin = 2026-01-01\n'
            '[tag]\nallowed = ["vip", "renewal"]\n'
        )
    assert load_rules(path) == load_rules(RULES)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"a": {"tpye": "int"}}, "did you mean 'type'"),
        ({"a": {"type": "money"}}, "must be one of"),
        ({"a": {"min": 1}}, "need a type"),
        ({"a": {"type": "int", "min": 5, "max": 1}}, "min above max"),
        ({"a": {"type": "date", "min": "soon"}}, "ISO dates"),
        ({"a": {"regex": "(unclosed"}}, "not valid"),
        ({"a": {"allowed": "vip"}}, "non-empty list"),
        ({"a": {"format": "%d"}}, "date columns only"),
    ],
)
def test_bad_rules_are_config_errors(rules: dict[str, dict[str, object]], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_rules(rules)


def test_a_rule_for_a_column_the_template_does_not_use_is_an_error() -> None:
    config = sms("Hi @@name", column_rules=load_rules({"nmae": {"regex": "x"}}))
    with pytest.raises(TemplateError, match="does not use"):
        validate_template(config, ["name"])


# --- GSM-7 ----------------------------------------------------------------------------------------


def test_require_gsm_rejects_ucs2_rows_naming_variable_and_character() -> None:
    frame = frame_of({"name": ["Asha", "सुनीता", "D’Souza"]})
    kept, rejected = run(frame, sms("Dear @@name", require_gsm=True))
    assert kept["name"].to_list() == ["Asha"]
    assert rejected["reason"].to_list() == [RejectReason.UNICODE_MESSAGE.value] * 2
    assert "@@name has 'स'" in rejected["detail"][0]
    assert "@@name has '’'" in rejected["detail"][1]


def test_require_gsm_refuses_a_template_that_is_ucs2_by_itself() -> None:
    with pytest.raises(TemplateError, match="U\\+2019"):
        run(frame_of({"name": ["Asha"]}), sms("Don’t miss it, @@name", require_gsm=True))


def test_without_require_gsm_ucs2_is_only_counted() -> None:
    kept, rejected = run(frame_of({"name": ["सुनीता"]}), sms("Dear @@name"))
    assert rejected.height == 0 and kept["_sms_encoding"].to_list() == ["ucs2"]


def test_precedence_empty_then_length_then_rules_then_gsm() -> None:
    """A row failing several checks gets the first reason in this order."""
    frame = frame_of({"a": ["", "X" * 31, "सुX", "सु", "ok"], "b": ["1"] * 5})
    config = sms(
        "@@a @@b",
        dlt_template="{#var#} {#var#}",
        column_rules=load_rules({"a": {"regex": "[a-z]+|सु"}}),
        require_gsm=True,
    )
    kept, rejected = run(frame, config)
    assert rejected["reason"].to_list() == [
        "empty-variable",
        "variable-too-long",  # also breaks the regex
        "column-check",  # also UCS-2
        "unicode-message",
    ]
    assert kept["a"].to_list() == ["ok"]


# --- end to end: manifest figures, conservation ---------------------------------------------------


def test_manifest_reports_sms_figures_per_campaign() -> None:
    frame = pl.DataFrame(
        {"phone": phones(5), "name": ["Asha", "सुनीता", "Ravi", "x" * 200, "Meena"]}
    )
    result = listprep.prepare(frame, channel="sms", template="Hi @@name", list_rows=2)
    sms_figures = result.manifest["sms"]
    per_campaign = sms_figures["campaigns"]
    assert [c["campaign"] for c in per_campaign] == [1, 2, 3]
    assert sum(c["credits"] for c in per_campaign) == sms_figures["credits"]
    assert per_campaign[0]["encodings"] == {"gsm7": 1, "ucs2": 1}
    assert per_campaign[1]["segments"] == {"1": 1, "2": 1}
    assert per_campaign[1]["length"] == {"min": 7, "max": 203}
    for figures in per_campaign:
        assert sum(figures["segments"].values()) == figures["contacts"]
    assert result.manifest["estimate"]["sms_credits"] == sms_figures["credits"] == 6


rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["9876543210", "98765 43211", "not a number", "9876543212"]),
        st.sampled_from(["Asha", "", "सुनीता", "x" * 40, "D'Souza"]),
        st.sampled_from(["5", "abc", "", "1,000"]),
    ),
    min_size=1,
    max_size=25,
)


@given(rows_strategy, st.booleans())
def test_every_row_ends_in_exactly_one_place(
    rows: list[tuple[str, str, str]], use_default: bool
) -> None:
    frame = pl.DataFrame(rows, schema=["phone", "name", "amount"], orient="row")
    result = listprep.prepare(
        frame,
        channel="sms",
        template="Hi @@name, Rs @@amount due",
        dlt_template="Hi {#var#}, Rs {#var#} due",
        rules={"amount": {"type": "int", "min": 1}},
        require_gsm=True,
        defaults=["amount=1"] if use_default else (),
    )
    kept = set(result.lists["_source_row"].to_list())
    rejected = result.rejects["source_row"].to_list()
    assert len(rejected) == len(set(rejected)), "a row is rejected once"
    assert kept.isdisjoint(rejected)
    assert kept | set(rejected) == set(range(1, len(rows) + 1))
    counts = result.manifest["counts"]
    assert counts["input_rows"] == counts["output_rows"] + counts["rejected_rows"] == len(rows)


# --- the report behind check-template -------------------------------------------------------------


def test_template_report_without_inputs_checks_the_text_alone() -> None:
    config = PipelineConfig.from_options(channel="sms", template="Hi @@name, all set")
    report = template_report(config).to_dict()
    assert report["variables"] == ["name"] and report["rows"] == 0
    assert report["fixed_text"] == {"encoding": "gsm7", "units": 12, "segments": 1}


def test_template_report_masks_numbers_in_samples() -> None:
    frame = pl.DataFrame(
        {"phone": ["9876543210", "9876543211"], "ref": ["call 98765 43219 now", "ok"]}
    )
    config = PipelineConfig.from_options(channel="sms", template="Your @@phone: @@ref")
    report = template_report(config, frame)
    assert report.samples == ("Your 98XXXXXX10: call 98XXXXXX19 now", "Your 98XXXXXX11: ok")
