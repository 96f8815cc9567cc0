"""The notebook example runs end to end on sample_data (its code cells, in order)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "listprep_in_a_notebook.ipynb"


def test_notebook_code_cells_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    assert len(code) >= 5
    namespace: dict[str, object] = {}
    for source in code:
        exec(compile(source, str(NOTEBOOK), "exec"), namespace)  # our own example
    result = namespace["result"]
    html = result._repr_html_()  # type: ignore[attr-defined]
    assert "<svg" in html and "rejected, by reason" in html
    written = namespace["outdir"]
    assert (written / "manifest.json").is_file()  # type: ignore[operator]
    assert (written / "report.html").is_file()  # type: ignore[operator]
