"""``listprep check-template``: the template alone or against inputs, as text or JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from listprep.cli import main

WriteCsv = Callable[..., Path]  # the conftest fixture's type

TEMPLATE = "Dear @@first_name, Rs @@due_amount is due on @@due_date. -ACME"
DLT = "Dear {#var#}, Rs {#var#} is due on {#var#}. -ACME"
ROWS = [
    ["phone", "first_name", "due_amount", "due_date"],
    ["9876543210", "Asha", "100", "05-Dec-2026"],
    ["9876543211", "", "200", "06-Dec-2026"],
    ["9876543212", "सुनीता", "300", "07-Dec-2026"],
    ["9876543213", "Ravi", "abc", "08-Dec-2026"],
]


def check(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(main, ["check-template", *args])
    return result.exit_code, result.output


def test_template_alone_as_text(runner: CliRunner) -> None:
    code, out = check(runner, "--template", TEMPLATE, "--dlt-template", DLT)
    assert code == 0, out
    assert "variables: @@first_name, @@due_amount, @@due_date" in out
    assert "DLT template: matches" in out
    assert "no inputs given" in out


def test_template_alone_as_json(runner: CliRunner) -> None:
    code, out = check(runner, "--template", TEMPLATE, "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["variables"] == ["first_name", "due_amount", "due_date"]
    assert report["rows"] == 0 and report["rejected_by_reason"] == {}
    assert report["encodings"] is None and report["segments"] is None  # no rows to count
    assert report["channel"] == "sms", "check-template defaults to SMS"


def test_template_file_against_inputs_as_json(
    runner: CliRunner, write_csv: WriteCsv, tmp_path: Path
) -> None:
    template = tmp_path / "sms.txt"
    template.write_text(TEMPLATE + "\n", encoding="utf-8")
    rules = tmp_path / "rules.toml"
    rules.write_text('[due_amount]\ntype = "int"\n', encoding="utf-8")
    args = ["--template-file", str(template), str(write_csv(ROWS)), "--rules", str(rules)]
    code, out = check(runner, *args, "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["rows"] == 4 and report["rendered"] == 2
    assert report["rejected_by_reason"] == {"column-check": 1, "empty-variable": 1}
    assert report["encodings"] == {"gsm7": 1, "ucs2": 1}
    assert report["segments"] == {"1": 2}
    assert report["headers"] == {"matched": ["first_name", "due_amount", "due_date"],
                                 "unused": ["phone"]}  # fmt: skip
    assert report["samples"][0] == "Dear Asha, Rs 100 is due on 05-Dec-2026. -ACME"


def test_against_inputs_as_text(runner: CliRunner, write_csv: WriteCsv) -> None:
    code, out = check(runner, "--template", TEMPLATE, "--require-gsm", str(write_csv(ROWS)))
    assert code == 0, out
    assert "rows: 4 read, 2 would be sent" in out
    assert "empty-variable 1" in out and "unicode-message 1" in out
    assert "encodings: gsm7 2, ucs2 0" in out
    assert "Dear Asha" in out


def test_samples_never_show_a_phone_number(runner: CliRunner, write_csv: WriteCsv) -> None:
    rows = [["mobile", "note"], ["9876543210", "alt +91 98765 43219"], ["9876543211", "x"]]
    code, out = check(runner, "--template", "@@mobile @@note", str(write_csv(rows)), "--json")
    assert code == 0, out
    samples = json.loads(out)["samples"]
    assert samples == ["98XXXXXX10 alt +91XXXXXXXX19", "98XXXXXX11 x"]
    assert not re.search(r"\d{5}", " ".join(samples))


def test_rename_headers_reports_the_mapping(runner: CliRunner, write_csv: WriteCsv) -> None:
    rows = [["Phone No", "Due Date"], ["9876543210", "05-Dec-2026"]]
    path = str(write_csv(rows))
    code, out = check(runner, "--template", "Due @@due_date", path)
    assert code == 1 and "--rename-headers" in out
    code, out = check(runner, "--template", "Due @@due_date", path, "--rename-headers", "--json")
    assert code == 0, out
    assert json.loads(out)["renamed_headers"] == {"Phone No": "phone_no", "Due Date": "due_date"}


def test_template_error_exits_1_with_a_clear_message_and_no_traceback(
    runner: CliRunner, write_csv: WriteCsv
) -> None:
    code, out = check(runner, "--template", "Hi @@First_Name", str(write_csv(ROWS)))
    assert code == 1
    assert "did you mean @@first_name?" in out
    assert "Traceback" not in out
    code, out = check(runner, "--template", TEMPLATE, "--dlt-template", DLT.replace(". ", "."))
    assert code == 1
    assert "^" in out and "Traceback" not in out


def test_a_template_is_required(runner: CliRunner) -> None:
    code, out = check(runner)
    assert code == 2 and "--template" in out


def test_prepare_takes_the_same_template_options(
    runner: CliRunner, write_csv: WriteCsv, tmp_path: Path
) -> None:
    args = ["prepare", str(write_csv(ROWS)), "-o", str(tmp_path / "out"), "--channel", "sms"]
    args += ["--template", TEMPLATE, "--dlt-template", DLT, "--default", "first_name=Customer"]
    result = runner.invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rejected_by_reason"] == {}
    lists = sorted((tmp_path / "out" / "lists").rglob("*.csv"))
    assert "Customer" in lists[0].read_text(encoding="utf-8")


def test_number_variable_renders_the_e164_number_as_prepare_does(
    runner: CliRunner, write_csv: WriteCsv
) -> None:
    """@@number is Exotel's number column: accepted, rendered as E.164 (masked in samples), and
    a row without a dialable number is counted under its reason, not rendered."""
    path = write_csv([["phone", "first_name"], ["098765 43210", "Asha"], ["12", "Bo"]])
    code, out = check(runner, "--json", "--template", "Hi @@first_name, call @@number", str(path))
    assert code == 0, out
    report = json.loads(out)
    assert report["rendered"] == 1
    assert report["rejected_by_reason"] == {"invalid": 1}
    assert report["headers"]["matched"] == ["first_name"]
    assert report["length"] == {"min": 27, "max": 27}  # "Hi Asha, call " + 13 characters
    assert report["samples"] == ["Hi Asha, call +91XXXXXXXX10"]
