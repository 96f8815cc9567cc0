"""The command line: what it writes agrees with its manifest; errors exit cleanly.

Exit codes: 0 success, 1 a listprep error (a clear message, no traceback), 2 a usage error.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner, Result

from listprep.cli import main

EPOCH = "1767225600"


def sample_args(sample_dir: Path, kind: str) -> list[str]:
    args = [
        str(sample_dir / "customers_crm.csv"),
        str(sample_dir / "customers_branch.csv"),
        "--dnd",
        str(sample_dir / "dnd_register.csv"),
        "--suppress",
        str(sample_dir / "suppression.txt"),
    ]
    if kind == "sms":
        args += ["--channel", "sms", "--template-file", str(sample_dir / "sms_template.txt")]
    return args


def prepare(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(main, ["prepare", *args], env=env)


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def numbers_of(list_file: bytes) -> pl.Series:
    return pl.read_csv(list_file, infer_schema=False)["number"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_clean_failure(result: Result, code: int, *needles: str) -> None:
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), "no exception escapes"
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)


# --- a real run, checked against the files on disk -----------------------------------------------


@pytest.mark.parametrize("kind", ["voice", "sms"])
def test_manifest_matches_the_files(
    runner: CliRunner, sample_dir: Path, tmp_path: Path, kind: str
) -> None:
    out = tmp_path / "out"
    result = prepare(runner, *sample_args(sample_dir, kind), "-o", str(out))
    assert result.exit_code == 0, result.output
    files = tree(out)
    manifest: dict[str, Any] = json.loads(files["manifest.json"])
    counts = manifest["counts"]
    assert counts["input_rows"] == counts["output_rows"] + counts["rejected_rows"]

    listed = 0
    assert manifest["lists"], "static and dynamic runs write list files"
    for entry in manifest["lists"]:
        data = files[entry["file"]]
        frame = pl.read_csv(data, infer_schema=False)
        assert frame.height == entry["rows"]
        assert frame.columns[0] == "number"
        assert len(data) == entry["bytes"]
        assert sha256(data) == entry["sha256"]
        listed += frame.height
    assert listed == counts["output_rows"]

    for campaign in manifest["campaigns"]:
        body = files[campaign["request_file"]]
        assert sha256(body) == campaign["request_sha256"]
        json.loads(body)

    rejects = pl.read_csv(files["rejects.csv"], infer_schema=False)
    assert rejects.height == counts["rejected_rows"]
    assert rejects.columns[:4] == ["source_file", "source_row", "stage", "reason"]

    under = {f for f in files if f.startswith(("lists/", "requests/"))}
    assert under == {e["file"] for e in manifest["lists"]} | {
        c["request_file"] for c in manifest["campaigns"]
    }, "every list and request file is in the manifest, and only those"
    # anything else written (the manifest, a report …) is shareable: it holds no number
    numbers = set(pl.concat(numbers_of(files[e["file"]]) for e in manifest["lists"]))
    for name in set(files) - under - {"rejects.csv"}:
        text = files[name].decode("utf-8")
        assert not [n for n in numbers if n in text or n[-10:] in text], name
    assert [p.name for p in tmp_path.iterdir()] == ["out"], "no temporary folder left behind"


def test_two_runs_give_identical_trees(runner: CliRunner, sample_dir: Path, tmp_path: Path) -> None:
    env = {"SOURCE_DATE_EPOCH": EPOCH}
    for name in ("a", "b"):
        result = prepare(
            runner, *sample_args(sample_dir, "sms"), "-o", str(tmp_path / name), env=env
        )
        assert result.exit_code == 0, result.output
    first, second = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert list(sorted(first)) == list(sorted(second))
    for name, data in first.items():
        assert second[name] == data, name


def test_json_prints_the_counts(runner: CliRunner, sample_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = prepare(runner, *sample_args(sample_dir, "voice"), "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert counts == json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]
    assert counts["input_rows"] == counts["output_rows"] + counts["rejected_rows"] > 0


# --- errors: exit 1, one clear message, nothing written ------------------------------------------


def test_missing_input(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = prepare(runner, str(tmp_path / "nope.csv"), "-o", str(out))
    assert_clean_failure(result, 1, "nope.csv", "no such file")
    assert not out.exists()


def test_no_phone_column_lists_the_headers(
    runner: CliRunner, write_csv: Any, tmp_path: Path
) -> None:
    path = write_csv([["name", "city", "amount"], ["Asha", "Pune", "100"]])
    out = tmp_path / "out"
    result = prepare(runner, str(path), "-o", str(out))
    assert_clean_failure(result, 1, "phone column", "name", "city", "amount", "--phone-column")
    assert not out.exists()


def test_a_title_line_above_the_header_is_named_as_such(runner: CliRunner, tmp_path: Path) -> None:
    """CRM reports put a title (and a blank line) above the header: the hint says to delete it."""
    path = tmp_path / "report.csv"
    path.write_text("Customer Report Nov 2026\n\nName,Mobile\nAsha,9876543210\n")
    result = prepare(runner, str(path), "-o", str(tmp_path / "out"))
    assert_clean_failure(result, 1, "no phone column", "title above the header row")


def test_unknown_template_variable(runner: CliRunner, sample_dir: Path, tmp_path: Path) -> None:
    result = prepare(
        runner,
        str(sample_dir / "customers_crm.csv"),
        "--channel",
        "sms",
        "--template",
        "Dear @@First_Name, pay now",
        "-o",
        str(tmp_path / "out"),
    )
    assert_clean_failure(result, 1, "@@First_Name", "@@first_name", "due_amount")
    assert not (tmp_path / "out").exists()


def test_empty_file(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = prepare(runner, str(path), "-o", str(tmp_path / "out"))
    assert_clean_failure(result, 1, "empty.csv", "empty")


def test_non_empty_output_needs_force(runner: CliRunner, write_csv: Any, tmp_path: Path) -> None:
    path = write_csv([["phone"], ["9876543210"]])
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = prepare(runner, str(path), "-o", str(out))
    assert_clean_failure(result, 1, "not empty", "--force")
    assert tree(out) == {"keep.txt": b"mine"}, "the folder is left alone"

    result = prepare(runner, str(path), "-o", str(out), "--force")
    assert_clean_failure(result, 1, "did not write", "keep.txt")
    assert tree(out) == {"keep.txt": b"mine"}, "--force replaces only listprep's own output"

    (out / "keep.txt").unlink()
    assert prepare(runner, str(path), "-o", str(out)).exit_code == 0
    (out / "lists" / "campaign-09").mkdir()
    (out / "lists" / "campaign-09" / "list-01.csv").write_text("number\n")
    result = prepare(runner, str(path), "-o", str(out), "--force")
    assert result.exit_code == 0, result.output
    assert "lists/campaign-09/list-01.csv" not in tree(out), "the old output is replaced whole"
    assert "manifest.json" in tree(out)


@pytest.mark.parametrize(
    "mine", ["lists/keep-me.txt", "requests/old/body.json", "lists/archive/2025.xlsx"]
)
def test_force_keeps_files_listprep_did_not_write_at_any_depth(
    runner: CliRunner, write_csv: Any, tmp_path: Path, mine: str
) -> None:
    path = write_csv([["phone"], ["9876543210"]])
    out = tmp_path / "out"
    assert prepare(runner, str(path), "-o", str(out)).exit_code == 0
    (out / mine).parent.mkdir(parents=True, exist_ok=True)
    (out / mine).write_text("mine")
    before = tree(out)
    result = prepare(runner, str(path), "-o", str(out), "--force")
    assert_clean_failure(result, 1, "did not write", mine.split("/")[1])
    assert tree(out) == before


def test_force_keeps_a_template_file_kept_in_the_output(
    runner: CliRunner, write_csv: Any, tmp_path: Path
) -> None:
    path = write_csv([["phone", "name"], ["9876543210", "Asha"]])
    out = tmp_path / "out"
    assert prepare(runner, str(path), "-o", str(out)).exit_code == 0
    (out / "requests" / "template.txt").write_text("Hi @@name")
    result = prepare(
        runner,
        str(path),
        "-o",
        str(out),
        "--force",
        "--template-file",
        str(out / "requests" / "template.txt"),
    )
    assert_clean_failure(result, 1, "did not write", "template.txt")
    assert (out / "requests" / "template.txt").read_text() == "Hi @@name"


def test_headers_equal_after_trimming_are_two_phone_columns(
    runner: CliRunner, tmp_path: Path
) -> None:
    """``phone`` and `` phone`` are one name once trimmed: the second is kept apart as
    ``phone_2`` (as for ``phone,phone``), and the run asks which to dial, not a crash."""
    path = tmp_path / "twice.csv"
    path.write_text("phone, phone\n9876543210,9123456780\n", encoding="utf-8")
    out = tmp_path / "out"
    result = prepare(runner, str(path), "-o", str(out))
    assert_clean_failure(result, 1, "several possible phone columns", "'phone_2'")
    result = prepare(runner, str(path), "-o", str(out), "--phone-column", "phone")
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"][0]["phone_column"] == "phone"
    assert manifest["columns"]["dropped"] == ["phone", "phone_2"]
    assert (out / "lists/campaign-01/list-01.csv").read_text() == "number\n+919876543210\n"


def test_two_phone_columns_are_a_choice_for_the_user(runner: CliRunner, tmp_path: Path) -> None:
    """``phone`` and ``mobile`` both name a phone column: picking one silently would drop the
    other's numbers (for SMS, often the wrong one), so the run asks for --phone-column."""
    path = tmp_path / "both.csv"
    path.write_text("name,Phone,Mobile No\nAsha,02225501234,9876543210\n", encoding="utf-8")
    out = tmp_path / "out"
    result = prepare(runner, str(path), "-o", str(out))
    assert_clean_failure(result, 1, "several possible phone columns", "'Phone'", "'Mobile No'")
    assert "--phone-column" in result.output
    result = prepare(runner, str(path), "-o", str(out), "--phone-column", "mobile no")
    assert result.exit_code == 0, result.output
    listed = (out / "lists/campaign-01/list-01.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in listed] == ["number", "+919876543210"]


# --- usage errors: exit 2 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--no-such-option"], "--no-such-option"),
        (["--channel", "fax"], "fax"),
        (["--category", "9"], "--category"),
    ],
)
def test_usage_errors(
    runner: CliRunner, write_csv: Any, tmp_path: Path, args: list[str], needle: str
) -> None:
    path = write_csv([["phone"], ["9876543210"]])
    result = prepare(runner, str(path), "-o", str(tmp_path / "out"), *args)
    assert_clean_failure(result, 2, needle)
    assert not (tmp_path / "out").exists()


def test_output_option_is_required(runner: CliRunner, write_csv: Any) -> None:
    result = prepare(runner, str(write_csv([["phone"], ["9876543210"]])))
    assert_clean_failure(result, 2, "--output")


# --- help and version ----------------------------------------------------------------------------


def test_group_help(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "Exotel" in result.output
    assert "prepare" in result.output


def test_prepare_help(runner: CliRunner) -> None:
    result = runner.invoke(main, ["prepare", "--help"])
    assert result.exit_code == 0
    for needle in ("Exotel", "rejects.csv", "manifest.json", "--dnd", "--template", "--force"):
        assert needle in result.output, needle


def test_python_m_listprep_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "listprep", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert version("listprep") in done.stdout
    assert "listprep" in done.stdout


@pytest.mark.parametrize("command", ["init", "dnd build"])
def test_an_output_that_cannot_be_made_is_a_clear_error(
    command: str, runner: CliRunner, tmp_path: Path
) -> None:
    """A folder under a file cannot be made: exit 1 naming the path, not a traceback (init)
    or an internal error (dnd build), and for dnd build before the register is read."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    register = tmp_path / "dnd.csv"
    register.write_text("number\n9876543210\n")
    target = blocker / "out"
    args = (
        ["init", str(target)]
        if command == "init"
        else ["dnd", "build", str(register), "-o", str(target)]
    )
    result = runner.invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "cannot" in result.output and str(target) in result.output
    assert "Traceback" not in result.output and "internal error" not in result.output


def test_a_run_with_no_contacts_names_only_the_files_it_wrote(
    runner: CliRunner, tmp_path: Path
) -> None:
    contacts = tmp_path / "c.csv"
    contacts.write_text("phone\nabc\n")
    out = tmp_path / "out"
    result = runner.invoke(main, ["prepare", str(contacts), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "(rejects.csv, manifest.json, report.html)" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "rejects.csv", "report.html"]


def test_a_warning_is_printed_once_as_the_clis_own_line(
    runner: CliRunner, write_csv: Any, tmp_path: Path
) -> None:
    path = write_csv([["phone"], ["9876543210"]])
    register = tmp_path / "ncpr.csv"
    register.write_text("number,preferences\n9876543210,0\n")
    result = prepare(
        runner, str(path), "-o", str(tmp_path / "out"), "--dnd", str(register),
        "--register-date", "2026-11-30", "--purpose", "transactional",
        env={"SOURCE_DATE_EPOCH": "1796083200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.count("not applied") == 1, result.output
    assert "warning: the DND registers" in result.output
    assert "ListprepWarning" not in result.output


def test_a_default_without_a_value_is_a_usage_error(
    runner: CliRunner, write_csv: Any, tmp_path: Path
) -> None:
    path = write_csv([["phone", "name"], ["9876543210", "Asha"]])
    args = [str(path), "-o", str(tmp_path / "out"), "--template", "Hi @@name"]
    result = prepare(runner, *args, "--default", "name")
    assert result.exit_code == 2, result.output
    assert "NAME=VALUE" in result.output
    assert prepare(runner, *args, "--default", "name=Customer").exit_code == 0
