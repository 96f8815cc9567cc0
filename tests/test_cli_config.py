"""``--config``, ``listprep init``, ``listprep inspect`` and progress output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from listprep.cli import main


def test_init_writes_a_config_that_prepare_runs(
    runner: CliRunner, tmp_path: Path, sample_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sample_data").symlink_to(sample_dir)
    assert runner.invoke(main, ["init"]).exit_code == 0
    assert runner.invoke(main, ["init"]).exit_code == 1  # refuses to overwrite
    result = runner.invoke(main, ["prepare", "--config", "listprep.toml", "--json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    manifest = json.loads((tmp_path / "out/campaign/manifest.json").read_text())
    assert counts == manifest["counts"]
    assert [i["path"] for i in manifest["inputs"]] == [
        "sample_data/customers_crm.csv",
        "sample_data/customers_branch.csv",
    ]
    assert manifest["registers"]["dnd"] and manifest["registers"]["suppress"]


def test_command_line_overrides_the_config(
    runner: CliRunner, tmp_path: Path, write_csv: object
) -> None:
    contacts = tmp_path / "c.csv"
    contacts.write_text("phone,first_name\n9876543210,Asha\n9876543211,Ravi\n")
    config = tmp_path / "c.toml"
    config.write_text(
        f'inputs = ["{contacts}"]\noutput = "{tmp_path / "out"}"\nchannel = "voice"\nretries = 1\n'
    )
    result = runner.invoke(main, ["prepare", "--config", str(config), "--retries", "3"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out/manifest.json").read_text())
    assert manifest["estimate"]["max_call_attempts"] == 2 * 4


@pytest.mark.parametrize("regions", ['["AE"]', '"AE"', '["IN", "AE"]'])
def test_a_comma_option_takes_a_toml_list(runner: CliRunner, tmp_path: Path, regions: str) -> None:
    """``allow_regions = ["AE"]`` is the TOML way of ``--allow-regions AE`` (it was read as the
    region "['AE']")."""
    contacts = tmp_path / "c.csv"
    contacts.write_text("phone\n9876543210\n+971501234567\n")
    config = tmp_path / "c.toml"
    config.write_text(f"allow_regions = {regions}\n")
    out = tmp_path / "out"
    result = runner.invoke(
        main, ["prepare", "--config", str(config), str(contacts), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    kept_india = "IN" in regions
    assert manifest["counts"]["output_rows"] == 1 + kept_india
    assert manifest["options"]["normalise"]["allow_regions"] == json.loads(
        regions if regions.startswith("[") else f"[{regions}]"
    )


def test_a_list_for_a_one_value_option_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    """``template = ["Hi @@name", " bye"]`` is not two templates to join: it is refused."""
    config = tmp_path / "c.toml"
    config.write_text('template = ["Hi @@name", " your bill is due"]\n')
    result = runner.invoke(main, ["prepare", "--config", str(config), "x.csv", "-o", "o"])
    assert result.exit_code == 2
    assert "takes one value, not a list" in result.output


def test_unknown_config_key_is_a_usage_error_with_the_near_miss(
    runner: CliRunner, tmp_path: Path
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('chanel = "sms"\n')
    result = runner.invoke(main, ["prepare", "--config", str(config), "x.csv", "-o", "o"])
    assert result.exit_code == 2
    assert "did you mean 'channel'" in result.output


def test_prepare_without_inputs_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["prepare", "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "INPUT" in result.output


def test_inspect_reports_formats_without_numbers(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    cells = ["+919876543210", "09876543211", "9876543212", "98765XXXXX", "", "9.19876543210E+11"]
    path.write_text("Name,Mobile No.\n" + "".join(f"a,{c}\n" for c in cells))
    result = runner.invoke(main, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["inputs"][0]
    assert report["phone_column"] == "Mobile No."
    assert report["rows"] == 6
    assert report["formats"] == {
        "e164": 1,
        "0-prefixed": 1,
        "10-digit": 1,
        "letters (masked, words, ext)": 1,
        "empty": 1,
        "excel-damaged": 1,
    }
    assert report["valid"] == 4
    assert report["would_reject"] == {"masked": 1, "empty": 1}
    text = runner.invoke(main, ["inspect", str(path)]).output
    for digits in ("9876543210", "9876543211", "9876543212", "919876543210"):
        assert digits not in result.stdout and digits not in text


def test_verbose_progress_names_steps_and_never_numbers(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("phone\n9876543210\n9876543210\n")
    result = runner.invoke(main, ["prepare", str(path), "-o", str(tmp_path / "o"), "-v"])
    assert result.exit_code == 0, result.output
    assert "listprep: 2 rows read and normalised: deduplicating, scrubbing" in result.stderr
    assert "done in" in result.stderr
    assert "9876543210" not in result.stderr + result.stdout
    quiet = runner.invoke(main, ["prepare", str(path), "-o", str(tmp_path / "q"), "-q"])
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""


def test_a_single_path_in_the_config_is_a_one_item_list(runner: CliRunner, tmp_path: Path) -> None:
    """``suppress = "optout.txt"`` means the list of that one file (was "Value must be an
    iterable"), for every repeatable option and for the inputs."""
    contacts = tmp_path / "c.csv"
    contacts.write_text("phone\n9876543210\n9876543211\n")
    optout = tmp_path / "optout.txt"
    optout.write_text("9876543211\n")
    config = tmp_path / "c.toml"
    config.write_text(f'inputs = "{contacts}"\nsuppress = "{optout}"\n')
    out = tmp_path / "out"
    result = runner.invoke(main, ["prepare", "--config", str(config), "-o", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["rejected_by_reason"] == {"suppressed": 1}


def test_inline_runs_do_not_claim_list_files(runner: CliRunner, tmp_path: Path) -> None:
    contacts = tmp_path / "c.csv"
    contacts.write_text("phone\n9876543210\n")
    out = tmp_path / "out"
    result = runner.invoke(main, ["prepare", str(contacts), "-o", str(out), "--method", "inline"])
    assert result.exit_code == 0, result.output
    wrote = next(line for line in result.output.splitlines() if "wrote" in line)
    assert "lists/" not in wrote and "requests/" in wrote
    assert not (out / "lists").exists()
