"""pandera schemas of the frames that cross the library boundary: the contract, checked in tests."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from listprep.errors import RejectReason

E164_PATTERN = r"^\+[1-9]\d{6,14}$"

RejectsSchema = pa.DataFrameSchema(
    {
        "source_file": pa.Column(pl.String, nullable=False),
        "source_row": pa.Column(pl.Int64, pa.Check.ge(1), nullable=False),
        "stage": pa.Column(
            pl.String,
            pa.Check.isin(["read", "normalise", "dedupe", "scrub", "check_template"]),
        ),
        "reason": pa.Column(pl.String, pa.Check.isin([r.value for r in RejectReason])),
        "detail": pa.Column(pl.String, nullable=True),
        "raw_value": pa.Column(pl.String, nullable=True),
    },
    strict=True,
    ordered=True,
    name="rejects",
)

ListsSchema = pa.DataFrameSchema(
    {
        "_source_file": pa.Column(pl.String),
        "_source_row": pa.Column(pl.Int64, pa.Check.ge(1)),
        "_e164": pa.Column(pl.String, pa.Check.str_matches(E164_PATTERN), unique=True),
        "_number_type": pa.Column(pl.String),
        "_campaign": pa.Column(pl.Int32, pa.Check.ge(1)),
        "_chunk": pa.Column(pl.Int32, pa.Check.between(1, 5)),
    },
    strict=False,
    name="lists",
)

ListFileSchema = pa.DataFrameSchema(
    {"number": pa.Column(pl.String, pa.Check.str_matches(E164_PATTERN), unique=True)},
    strict=False,
    name="list file",
)
