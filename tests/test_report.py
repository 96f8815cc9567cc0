"""report.html: self-contained, number-free, and rendered by a real browser when one is here."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

import listprep


@pytest.fixture(scope="module")
def sms_result(sample_dir: Path) -> listprep.Result:
    return listprep.prepare(
        [sample_dir / "customers_crm.csv", sample_dir / "customers_branch.csv"],
        channel="sms",
        template_file=sample_dir / "sms_template.txt",
        dnd=[sample_dir / "dnd_register.csv"],
        category=1,
    )


def test_report_is_self_contained(sms_result: listprep.Result) -> None:
    page = sms_result.files["report.html"].decode()
    assert page.startswith("<!DOCTYPE html>")
    for forbidden in ("<script", " src=", " href=", "@import", "url("):
        assert forbidden not in page, forbidden
    assert page.count("<svg") == 3  # funnel, rejects, segments


def test_report_shows_the_figures_and_no_number(sms_result: listprep.Result) -> None:
    page = sms_result.files["report.html"].decode()
    counts = sms_result.manifest["counts"]
    assert f"{counts['input_rows']:,}" in page and f"{counts['output_rows']:,}" in page
    for reason, n in counts["rejected_by_reason"].items():
        assert re.search(rf">{re.escape(reason)}</text>.*?>{n:,}</text>", page)
    digits = {e[-10:] for e in sms_result.lists["_e164"].to_list()}
    assert not any(d in page for d in digits)
    assert page.count("to 91XXXXXXXX") == 3  # samples lead with masked numbers


def test_report_renders_in_chromium(sms_result: listprep.Result, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium is not installed (apt-get install chromium): report not rendered")
    page = tmp_path / "report.html"
    page.write_bytes(sms_result.files["report.html"])
    png = tmp_path / "report.png"
    subprocess.run(
        [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1100,1800", f"--screenshot={png}", page.as_uri(),
        ],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1100, 1800)
    assert len(data) > 50_000  # charts and tables, not a blank page
