"""Excel input: first sheet by default, --sheet by name or index, every cell as text."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import listprep
from listprep.cli import main

pytest.importorskip("fastexcel", reason="Excel input needs the xlsx extra (fastexcel)")


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "leads.xlsx"
    first = pl.DataFrame({"Name": ["Asha", "Ravi"], "Mobile": [9876543210, 919876543211]})
    second = pl.DataFrame({"phone": ["09876543212"], "Name": ["Meera"]})
    import xlsxwriter

    with xlsxwriter.Workbook(path) as book:
        first.write_excel(book, worksheet="Leads")
        second.write_excel(book, worksheet="Walk-ins")
    return path


def test_first_sheet_numbers_stored_as_numbers_are_read_exactly(workbook: Path) -> None:
    result = listprep.prepare(workbook)
    assert result.lists["_e164"].to_list() == ["+919876543210", "+919876543211"]
    assert result.lists["_source_row"].to_list() == [2, 3]  # header is row 1, as Excel shows
    assert result.manifest["inputs"][0]["sheet"] == "Leads"


@pytest.mark.parametrize("sheet", ["Walk-ins", "1"])
def test_sheet_by_name_or_index(
    workbook: Path, sheet: str, runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(main, ["prepare", str(workbook), "--sheet", sheet, "-o", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"][0]["sheet"] == "Walk-ins"
    assert (
        (out / "lists/campaign-01/list-01.csv")
        .read_text()
        .splitlines()[1]
        .startswith("+919876543212,")
    )


def test_unknown_sheet_lists_the_sheets(workbook: Path, runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main, ["prepare", str(workbook), "--sheet", "Nope", "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "Leads, Walk-ins" in result.output and "Traceback" not in result.output


def test_a_workbook_named_csv_is_refused_with_advice(workbook: Path, tmp_path: Path) -> None:
    disguised = tmp_path / "leads.csv"
    disguised.write_bytes(workbook.read_bytes())
    with pytest.raises(listprep.InputError, match="XLSX"):
        listprep.prepare(disguised)


def test_an_empty_header_cell_is_named_by_its_position(tmp_path: Path) -> None:
    """As in a CSV file (``column_2``), not fastexcel's ``__UNNAMED__1``, which the reader
    would refuse as a name of listprep's own."""
    import xlsxwriter

    path = tmp_path / "gaps.xlsx"
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, ["name"])
        sheet.write_row(0, 2, ["phone"])
        sheet.write_row(1, 0, ["Asha", "note", "9876543210"])
    result = listprep.prepare(str(path))
    assert result.lists.select("name", "column_2", "_e164").rows() == [
        ("Asha", "note", "+919876543210")
    ]


def test_an_empty_sheet_is_called_empty(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "blank.xlsx"
    with xlsxwriter.Workbook(path) as book:
        book.add_worksheet("Leads")
    with pytest.raises(listprep.InputError, match="sheet 'Leads' is empty"):
        listprep.prepare(str(path))


def test_an_empty_header_cell_named_like_another_column_is_numbered(tmp_path: Path) -> None:
    """The empty third cell would be column_3, which the second header already is: it is
    numbered apart as a CSV's would be (this was an internal error)."""
    import xlsxwriter

    path = tmp_path / "clash.xlsx"
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, ["phone", "column_3"])
        sheet.write_row(0, 3, ["name"])
        sheet.write_row(1, 0, ["9876543210", "a", "b", "Asha"])
    result = listprep.prepare(str(path))
    assert result.lists.select("column_3", "column_3_2", "name").rows() == [("a", "b", "Asha")]


def test_date_cells_read_as_dates_and_times_stay_where_a_column_has_them(tmp_path: Path) -> None:
    """A date cell is a midnight timestamp to fastexcel: the message must say 2026-12-05, not
    2026-12-05 00:00:00; a column with a real time of day keeps every time, midnight too."""
    import datetime as dt

    import xlsxwriter

    path = tmp_path / "dues.xlsx"
    frame = pl.DataFrame(
        {
            "phone": ["9876543210", "9876543211"],
            "Due": [dt.date(2026, 12, 5), dt.date(2026, 12, 6)],
            "At": [dt.datetime(2026, 12, 5, 10, 30, 0, 500000), dt.datetime(2026, 12, 5)],
        }
    )
    with xlsxwriter.Workbook(path) as book:
        frame.write_excel(book)
    result = listprep.prepare(path, channel="sms", template="Pay by @@Due (call at @@At)")
    assert result.lists["Due"].to_list() == ["2026-12-05", "2026-12-06"]
    assert result.lists["At"].to_list()[1] == "2026-12-05 00:00:00"  # its column has times
    assert result.lists["At"].to_list()[0].startswith("2026-12-05 10:30:00")
