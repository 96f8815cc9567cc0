"""Vectorised phone classification: the common spellings in polars, the rest by reference.

Each step mirrors one of :mod:`listprep.phone` (cleaning, extensions, letters, several numbers
in a cell) or of ``phonenumbers.parse``, ``is_valid_number`` and ``number_type``, with the
patterns of :mod:`listprep.phonemeta`. Whatever the fast path is not sure about (characters it
does not model, a parse error, a region whose metadata it cannot run) is *residue*: those raw
values go to :func:`listprep.phone.classify_cell`, so every answer is the reference's.

Rows are split into partitions and stacked again freely: the result is a lookup table keyed by
the raw value, so its order does not matter, and a partition lets an expensive pattern run only
on the rows that need it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import phonenumbers
import polars as pl
from phonenumbers import PhoneNumberType

from listprep import phone
from listprep.config import ExtensionPolicy, MultiPolicy, NormaliseConfig
from listprep.errors import RejectReason
from listprep.phonemeta import (
    MAX_DIGITS,
    MAX_INPUT,
    MAX_NSN,
    MIN_NSN,
    Desc,
    RegionSpec,
    candidate_specs,
    compiles,
    country_codes,
    main_keys,
    region_spec,
    spec_for_key,
)
from listprep.reader import PHONE_RAW

E164 = "_e164"
NUMBER_TYPE = "_number_type"
REASON = "_reason"
DETAIL = "_detail"
HAD_EXTENSION = "_had_extension"
"""True where an extension was dropped from (or, by policy, refused with) the number."""
MULTI_NUMBER = "_multi_number"
"""True where the cell held several different numbers."""
PART = "_part"
"""0 for a cell's (first) contact; 1, 2 … for the extra contacts of ``multi=split``."""
CELL = "_cell"
"""Position of the raw value in the distinct values classified (see :func:`classify_distinct`)."""

TABLE_SCHEMA = pl.Schema(
    {
        PHONE_RAW: pl.String,
        E164: pl.String,
        NUMBER_TYPE: pl.String,
        REASON: pl.String,
        DETAIL: pl.String,
        HAD_EXTENSION: pl.Boolean,
        MULTI_NUMBER: pl.Boolean,
        PART: pl.Int32,
    }
)

UNKNOWN = PhoneNumberType.UNKNOWN
_TYPE = pl.Int8

# --- the characters the fast path models ----------------------------------------------------
# Decimal digits of the scripts Indian exports use (and Arabic-Indic, full-width), by zero.
_DIGIT_ZEROS = (0x0660, 0x06F0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
                0x0D66, 0xFF10)  # fmt: skip
_DIGITS = {
    chr(zero + k): str(unicodedata.decimal(chr(zero + k)))
    for zero in _DIGIT_ZEROS
    for k in range(10)
}
_SPACES = [chr(c) for c in range(0x3001) if chr(c).isspace()]  # str.isspace's set ends at U+3000


def _class(chars: Iterable[str]) -> str:
    return "".join(f"\\x{{{ord(ch):X}}}" for ch in chars)


_FAST = f"^[\\x{{20}}-\\x{{7E}}{_class(_SPACES)}{_class(phone.INVISIBLE_CHARS)}{_class(_DIGITS)}]*$"
_TRANSLATE = dict.fromkeys(phone.INVISIBLE_CHARS, "") | dict.fromkeys(_SPACES, " ") | _DIGITS
"""``clean``'s character steps in one pass (digits commute with its other steps)."""
_GRAMMAR = r"^[ ()\-./]*\+?[0-9 ()\-./]*$"
"""Text ``parse`` reads as punctuation and digits only, ``+`` first: no extension, no letters."""
_SIMPLE = r"^[ ()\-]*\+?[0-9 ()\-]*$"
"""Most of a real export: text that ``clean`` leaves alone (bar spaces), that ``_GRAMMAR`` takes
and that has no separator (so it holds one number at most)."""
_PUNCTUATION = [" ", "(", ")", "-", ".", "/", "+"]
_SEPARATOR = f"[{phone.SEPARATORS}]"


_CODES = {reason: code for code, reason in enumerate(RejectReason)}
_REASONS = {code: reason.value for reason, code in _CODES.items()}
"""Reasons as small integers inside the fast path (``failure``, ``code``)."""
_PARALLEL_FROM = 200_000
"""Distinct values above which the fast path runs one chunk per core (polars frees the GIL)."""


class Readings(NamedTuple):
    """Candidates read as numbers: decided ones (valid or not) and the undecided ``(i, part)``."""

    decided: pl.DataFrame
    """``i, part, had_ext, e164, type, region``, and ``failure`` (MASKED, NOT_A_NUMBER)."""
    unsure: pl.DataFrame
    """``i, part``: the fast path cannot say; the reference will."""


WARM_UP = (
    "98765 43210",
    "+91 98765-43210",
    "098765 43210",
    "919876543210",
    "(022) 2345 6789",
    "1800 123 4567",
    "+1 650 253 0000",
    "+44 20 7946 0958",
    "+971 50 123 4567",
    "9.19876543210E+11",
    "tel:9876543210",
    "9876543210 ext. 12",
    "98765 43210 / 97654 32109",
    "98XXXXXX10",
    "n/a",
)
"""Common spellings (made up) that :func:`warm_up` classifies."""


def warm_up(config: NormaliseConfig) -> None:
    """Classify :data:`WARM_UP`: the first call pays about 0.1 s to compile polars'
    patterns and load metadata, and a run calls this on its idle main thread while the
    first batch is read, so that the first batch, which every later stage waits for, does
    not pay it."""
    classify_distinct(pl.Series(WARM_UP), config)


def classify_table(
    values: pl.Series, config: NormaliseConfig, *, threads: int | None = None
) -> pl.DataFrame:
    """One row per distinct raw value (more under ``multi=split``): E.164 and type, or reason."""
    values = values.cast(pl.String).drop_nulls()
    distinct = values.filter(values.is_first_distinct())
    return classify_distinct(distinct, config, threads=threads).drop(CELL)


def classify_distinct(
    raws: pl.Series, config: NormaliseConfig, *, threads: int | None = None
) -> pl.DataFrame:
    """The table for distinct, non-null ``raws``, with ``CELL``: each row's position in ``raws``.

    Large inputs run in ``threads`` chunks (default: one per polars thread): polars releases
    the GIL, so the chunks' threads run side by side. Each chunk pays the fast path's fixed
    cost (about 12 ms), so a caller whose other threads keep the cores busy asks for fewer.
    """
    spec = region_spec(config.region)
    if spec is None or not (spec.supported and spec.prefix_supported):
        tables = [reference(raws.to_list(), config, cells=range(raws.len()))]
    else:
        chunks = _chunks(raws, pl.thread_pool_size() if threads is None else threads)
        with ThreadPoolExecutor(len(chunks)) as pool:
            done = list(pool.map(lambda chunk: fast_path(chunk[1], spec, config), chunks))
        tables = [
            table.with_columns(pl.col(CELL) + start)
            for (start, _), (table, _) in zip(chunks, done, strict=True)
        ]
        left = pl.concat(
            [residue + start for (start, _), (_, residue) in zip(chunks, done, strict=True)]
        )
        tables.append(reference(raws.gather(left).to_list(), config, cells=left.to_list()))
    columns = [*TABLE_SCHEMA.names()[1:], CELL]
    table = pl.concat([t.select(*columns[:-1], pl.col(CELL).cast(pl.UInt32)) for t in tables])
    return table.select(raws.gather(table[CELL]).alias(PHONE_RAW), *columns)


def _chunks(raws: pl.Series, threads: int) -> list[tuple[int, pl.Series]]:
    count = max(1, threads) if raws.len() >= _PARALLEL_FROM else 1
    size = -(-raws.len() // count)
    return [(k * size, raws.slice(k * size, size)) for k in range(count)]


def reference(
    raws: Sequence[str], config: NormaliseConfig, *, cells: Iterable[int] | None = None
) -> pl.DataFrame:
    """The scalar reference's table (with ``CELL`` when the values' positions are given)."""
    rows = []
    for raw, cell in zip(raws, range(len(raws)) if cells is None else cells, strict=True):
        outcomes = phone.classify_cell(
            raw,
            config.region,
            config.channel,
            extensions=config.extensions,
            multi=config.multi,
            allow_regions=config.allow_regions,
        )
        for part, (classified, had_extension, multi_number) in enumerate(outcomes):
            e164, kind, reason, detail = classified
            why = reason.value if reason else None
            rows.append((raw, e164, kind, why, detail, had_extension, multi_number, part, cell))
    table = pl.DataFrame(rows, schema=TABLE_SCHEMA | {CELL: pl.UInt32}, orient="row")
    return table if cells is not None else table.drop(CELL)


def fast_path(
    raws: pl.Series, spec: RegionSpec, config: NormaliseConfig
) -> tuple[pl.DataFrame, pl.Series]:
    """The table rows the fast path is sure of (by ``CELL``, without the raw value), and the
    positions of the values it leaves to the reference."""
    cells = pl.DataFrame({"raw": raws}).with_row_index("i")
    texts, early, residue = clean_cells(cells)
    whole = read_candidates(texts.with_columns(pl.lit(-1, pl.Int32).alias("part")), spec)
    pieces = read_candidates(split_cells(texts), spec)
    undecided = pieces.unsure["i"]
    numbers = _distinct_numbers(pieces.decided)
    numbers = numbers.filter(~pl.col("i").is_in(undecided.to_list()))
    multi = numbers.filter(pl.col("count") >= 2)
    twice = numbers.filter(pl.col("count") == 1)  # one number, written more than once
    settled = _flags(cells.height, pl.concat([undecided, numbers["i"]]))
    decided = whole.decided.filter(~settled.gather(whole.decided["i"]))
    unsure = whole.unsure.filter(~settled.gather(whole.unsure["i"]))["i"]
    table = pl.concat(
        [
            _early_rows(early),
            _decide(decided, config, multi_number=False),
            _decide(twice, config, multi_number=False),
            _multi_rows(multi, config),
        ]
    )
    columns = TABLE_SCHEMA.names()[1:]
    return table.select(*columns, pl.col("i").alias(CELL)), pl.concat(
        [residue, undecided, unsure]
    ).unique()


def _flags(height: int, rows: pl.Series) -> pl.Series:
    """A boolean mask over the cells, true at ``rows``."""
    return pl.repeat(False, height, dtype=pl.Boolean, eager=True).scatter(rows, True)


# --- layer A: the cell as text (listprep.phone.clean and the whole-cell repairs) ---------------
def clean_cells(cells: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """``i, raw`` → open cells (``i, text, simple``), early rejects (``i, reason``), residue."""
    simple_mask = cells["raw"].str.contains(_SIMPLE)
    simple = cells.filter(simple_mask).select(
        "i", pl.col("raw").str.strip_chars(" ").alias("text"), pl.lit(True).alias("simple")
    )
    other = cells.filter(~simple_mask).select(
        "i",
        pl.col("raw").alias("text"),
        (~pl.col("raw").str.contains(_FAST)).alias("residue"),
    )
    other = _unscientific(_clean(other))
    residue = other.filter("residue")["i"]
    other = other.filter(~pl.col("residue"))
    empty = pl.when(pl.col("text") == "").then(pl.lit(RejectReason.EMPTY.value))
    other = other.with_columns(pl.coalesce(pl.col("early"), empty).alias("early"))
    simple = simple.with_columns(empty.alias("early"))
    early = pl.concat(
        [f.filter(pl.col("early").is_not_null()).select("i", "early") for f in (simple, other)]
    )
    open_ = pl.concat(
        [
            simple.filter(pl.col("early").is_null()).drop("early"),
            other.filter(pl.col("early").is_null()).select(
                "i", "text", pl.lit(False).alias("simple")
            ),
        ]
    )
    return open_, early, residue


def _clean(frame: pl.DataFrame) -> pl.DataFrame:
    """:func:`listprep.phone.clean`, step by step on ``text``, for the characters in ``_FAST``.

    One column per step: an expression that reused its input would be evaluated once per use.
    """
    text = pl.col("text")
    length = text.str.len_chars()
    excel = text.str.starts_with('="') & text.str.ends_with('"') & (length >= 3)
    steps = [
        text.str.replace_many(_TRANSLATE).str.strip_chars(" "),
        pl.when(excel).then(text.str.slice(2, length - 3).str.strip_chars(" ")).otherwise(text),
        text.str.strip_chars("'\"` "),
        text.str.replace(r"(?i)^tel:", ""),  # ASCII by now: (?i) folds no other letter in
        pl.coalesce(text.str.extract(phone.FLOAT_ZERO, 1), text),
    ]
    for step in steps:
        frame = frame.with_columns(step.alias("text"))
    return frame


def _unscientific(frame: pl.DataFrame) -> pl.DataFrame:
    """Excel's ``9.19876543210E+11``: recover a full mantissa, refuse a shortened one."""
    groups = pl.col("text").str.extract_groups(phone.SCIENTIFIC)
    fields = groups.struct.rename_fields(["lead", "fraction", "exponent"])
    frame = frame.with_columns(fields.alias("sci")).unnest("sci")
    frame = frame.with_columns(pl.col("exponent").cast(pl.Int64, strict=False))
    found = pl.col("lead").is_not_null()
    lost = found & (pl.col("fraction").str.len_bytes().cast(pl.Int64) != pl.col("exponent"))
    return frame.select(
        "i",
        pl.when(found & ~lost)
        .then(pl.col("lead") + pl.col("fraction"))
        .otherwise("text")
        .alias("text"),
        (pl.col("residue") | (found & pl.col("exponent").is_null())).alias("residue"),
        pl.when(lost).then(pl.lit(RejectReason.PRECISION_LOST.value)).alias("early"),
    )


def split_cells(cells: pl.DataFrame) -> pl.DataFrame:
    """The pieces of cells that have separators, numbered from 0 (several numbers per cell)."""
    other = cells.filter(~pl.col("simple"))  # a simple cell has no separator
    split = other.filter(pl.col("text").str.contains(_SEPARATOR)).select(
        "i", pl.col("text").str.extract_all(phone.PART).alias("text"), "simple"
    )
    return (
        split.with_columns(pl.int_ranges(pl.col("text").list.len(), dtype=pl.Int32).alias("part"))
        .explode("text", "part")
        .select("i", pl.col("text").str.strip_chars(" "), "simple", "part")
    )


# --- layer A': one candidate as a number (listprep.phone.read_number) --------------------------
def read_candidates(frame: pl.DataFrame, spec: RegionSpec) -> Readings:
    """Extensions and letters (not in simple cells, which have neither), then the number."""
    simple_mask = frame["simple"]
    simple = frame.filter(simple_mask).select(
        "i", "part", pl.lit(False).alias("had_ext"), pl.col("text").alias("body")
    )
    other = frame.filter(~simple_mask).select(
        "i", "part", "text", pl.col("text").str.contains(phone.EXTENSION).alias("had_ext")
    )
    body = pl.col("text").str.replace(phone.EXTENSION, "")
    other = other.select(
        "i", "part", "had_ext", pl.when("had_ext").then(body).otherwise("text").alias("body")
    )
    other = _letters(other)
    failed = other.filter(pl.col("failure").is_not_null()).drop("body")
    other = other.filter(pl.col("failure").is_null()).drop("failure")
    grammar = other["body"].str.contains(_GRAMMAR)
    parsed = parse_numbers(pl.concat([simple, other.filter(grammar)]), spec)
    unsure = pl.concat([parsed.unsure, other.filter(~grammar).select("i", "part")])
    return Readings(pl.concat([parsed.decided, failed], how="diagonal"), unsure)


def _letters(frame: pl.DataFrame) -> pl.DataFrame:
    """:func:`listprep.phone.refuse_letters` as ``failure``: MASKED, NOT_A_NUMBER, or null."""
    body = pl.col("body")
    frame = frame.with_columns(
        body.str.contains("[0-9]").alias("digit"),
        body.str.contains("[A-Za-z]").alias("alpha"),  # isalpha: only ASCII letters get here
        body.str.contains("*", literal=True).alias("star"),
    )
    refused = pl.col("alpha") | (pl.col("star") & pl.col("digit"))
    failure = pl.coalesce(
        pl.when(refused & pl.col("digit")).then(pl.lit(_CODES[RejectReason.MASKED], pl.UInt8)),
        pl.when(refused).then(pl.lit(_CODES[RejectReason.NOT_A_NUMBER], pl.UInt8)),
    )
    return frame.with_columns(failure.alias("failure")).drop("digit", "alpha", "star")


# --- layer B: phonenumbers.parse, is_valid_number and number_type -----------------------------
_LOCATED = ["i", "part", "had_ext", "cc", "nat", "key"]


def parse_numbers(frame: pl.DataFrame, spec: RegionSpec) -> Readings:
    """Country code, NSN, region and type of each ``body`` (in ``_GRAMMAR``), where sure."""
    body = pl.col("body")
    frame = frame.select(
        "i",
        "part",
        "had_ext",
        body.str.contains("+", literal=True).alias("plus"),
        body.str.replace_many(_PUNCTUATION, [""] * len(_PUNCTUATION)).alias("digits"),
        (body.str.len_bytes() <= MAX_INPUT).alias("short"),
    )
    ok = frame["short"] & frame["digits"].str.len_bytes().is_between(3, MAX_DIGITS)
    located = locate(frame.filter(ok).drop("short"), spec)
    key = located["key"]
    results = [national(located.filter(key == spec.key), spec.key)]
    abroad = located.filter(key.is_not_null() & (key != spec.key))
    for (other,), group in abroad.partition_by("key", as_dict=True).items():
        results.append(national(group, str(other)))
    unsure = pl.concat(
        [
            frame.filter(~ok).select("i", "part"),
            located.filter(key.is_null()).select("i", "part"),  # a parse error
            *(r.unsure for r in results),
        ]
    )
    return Readings(pl.concat([r.decided for r in results]), unsure)


def locate(frame: pl.DataFrame, spec: RegionSpec) -> pl.DataFrame:
    """``_maybe_extract_country_code``: ``cc``, ``nat`` and the ``key`` of the metadata to use."""
    frame = frame.with_columns(
        _prefix_length(pl.col("digits"), spec.international_prefix).alias("idd")
    )
    after_idd = pl.col("digits").str.slice(pl.col("idd"), 1)
    intl = frame["plus"] | (frame["idd"].is_not_null() & frame.select(after_idd != "0").to_series())
    domestic = frame.filter(~intl)
    prefixed = domestic["digits"].str.starts_with(str(spec.country_code))
    plain = domestic.filter(~prefixed).select(
        "i",
        "part",
        "had_ext",
        pl.lit(spec.country_code, pl.Int32).alias("cc"),
        pl.col("digits").alias("nat"),
        pl.lit(spec.key).alias("key"),
    )
    return pl.concat(
        [
            _international(frame.filter(intl)).select(_LOCATED),
            _home_code(domestic.filter(prefixed), spec).select(_LOCATED),
            plain,
        ]
    )


def _international(frame: pl.DataFrame) -> pl.DataFrame:
    """After ``+`` or the IDD: the country code is the first 1-3 digits that name one.

    A too-short rest or an unknown code is a parse error (after ``+``, phonenumbers even
    retries without it): those rows get no ``key``, and the caller leaves them to the reference.
    """
    rest = pl.when("plus").then("digits").otherwise(pl.col("digits").str.slice(pl.col("idd")))
    frame = frame.select("i", "part", "had_ext", rest.alias("rest"))
    first = pl.col("rest").str.starts_with("0")  # no country code starts with 0
    length = pl.coalesce(
        *(
            pl.when(~first & pl.col("rest").str.head(n).is_in(list(codes))).then(n)
            for n, codes in sorted(country_codes().items())
        ),
        0,
    )
    frame = frame.with_columns(length.alias("cc_len"))
    parsed = (pl.col("rest").str.len_bytes() > 2) & (pl.col("cc_len") > 0)
    frame = frame.with_columns(
        pl.when(parsed)
        .then(pl.col("rest").str.head(pl.col("cc_len")).cast(pl.Int32, strict=False))
        .alias("cc"),
        pl.col("rest").str.slice(pl.col("cc_len")).alias("nat"),
    )
    keys = pl.col("cc").replace_strict(main_keys(), default=None, return_dtype=pl.String)
    return frame.with_columns(keys.alias("key"))


def _home_code(frame: pl.DataFrame, spec: RegionSpec) -> pl.DataFrame:
    """Digits that start with the home country code (``919876543210``): strip it, or not."""
    home = str(spec.country_code)
    frame = frame.with_columns(pl.col("digits").str.slice(len(home)).alias("after"))
    frame = strip_prefix(frame, spec, "after", "nat")
    general = _general(spec)
    frame = frame.with_columns(
        general(pl.col("digits")).alias("g_digits"), general(pl.col("nat")).alias("g_nat")
    )
    too_long = pl.col("digits").str.len_bytes().is_in(list(spec.too_long_lengths))
    take = (~pl.col("g_digits") & pl.col("g_nat")) | too_long
    return frame.with_columns(
        pl.lit(spec.country_code, pl.Int32).alias("cc"),
        pl.when(take).then("nat").otherwise("digits").alias("nat"),
        pl.when(take)
        .then(pl.lit(main_keys()[spec.country_code]))
        .otherwise(pl.lit(spec.key))
        .alias("key"),
    )


def national(frame: pl.DataFrame, key: str) -> Readings:
    """The national prefix, the NSN bounds, then region and type: one metadata key's rows."""
    spec = spec_for_key(key)
    if spec is None or not spec.prefix_supported or frame.height == 0:
        return Readings(pl.DataFrame(schema=_READ), frame.select("i", "part"))
    frame = strip_prefix(frame, spec, "nat", "nsn", keep_lengths=spec.keep_prefix_lengths)
    nsn_length = frame["nsn"].str.len_bytes()
    ok = (frame["nat"].str.len_bytes() >= MIN_NSN) & (nsn_length <= MAX_NSN)
    code = int(frame["cc"][0])
    typed = region_and_type(frame.filter(ok), code)
    if typed is None:
        return Readings(pl.DataFrame(schema=_READ), frame.select("i", "part"))
    typed = typed.with_columns((pl.lit(f"+{code}") + pl.col("nsn")).alias("e164"))
    return Readings(typed.select(_READ.names()), frame.filter(~ok).select("i", "part"))


_REGION = pl.UInt16
_READ = pl.Schema(
    {
        "i": pl.UInt32,
        "part": pl.Int32,
        "had_ext": pl.Boolean,
        "e164": pl.String,
        "type": pl.Int8,
        "region": _REGION,
    }
)
"""A decided number (``national``'s output)."""
_REGIONS = sorted({*phonenumbers.SUPPORTED_REGIONS, phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY})
_REGION_CODE = {region: code for code, region in enumerate(_REGIONS)}
"""Regions as small integers (``region``): cheaper than a column of repeated strings."""


def _region(region: str | None) -> pl.Expr:
    return pl.lit(None if region is None else _REGION_CODE[region], _REGION)


def strip_prefix(
    frame: pl.DataFrame,
    spec: RegionSpec,
    source: str,
    target: str,
    *,
    keep_lengths: frozenset[int] = frozenset(),
) -> pl.DataFrame:
    """``_maybe_strip_national_prefix_carrier_code`` (no transform rule): ``source`` → ``target``.

    ``parse`` also keeps the prefix when the rest has one of ``keep_lengths``.
    """
    text = pl.col(source)
    if spec.national_prefix is None:
        return frame.with_columns(text.alias(target))
    found = _prefix_length(text, spec.national_prefix)
    hit = frame.select(found.is_not_null() & (text.str.len_bytes() > 0)).to_series()
    matched = frame.filter(hit).with_columns(found.alias("np"))
    matched = matched.with_columns(text.str.slice(pl.col("np")).alias(target))
    general = _general(spec)
    short = pl.col(target).str.len_bytes().is_in(list(keep_lengths))
    keep = (general(text) & ~general(pl.col(target))) | short  # viable would become unviable
    matched = matched.with_columns(pl.when(keep).then(text).otherwise(target).alias(target))
    unmatched = frame.filter(~hit).with_columns(text.alias(target))
    return pl.concat([matched.drop("np"), unmatched])


def region_and_type(frame: pl.DataFrame, country_code: int) -> pl.DataFrame | None:
    """``region_code_for_number`` then ``_number_type_helper`` with that region's metadata."""
    specs = candidate_specs(country_code)
    if specs is None:
        return None
    if len(specs) == 1:
        return number_type(frame, specs[0]).with_columns(_region(specs[0].region).alias("region"))
    done: list[pl.DataFrame] = []
    for spec in specs:  # the first region that claims the number wins
        if frame.height == 0:
            break
        if spec.leading_digits is not None:
            claims = frame["nsn"].str.contains(f"^({spec.leading_digits})")
            claimed = number_type(frame.filter(claims), spec)
            frame = frame.filter(~claims)
        else:
            typed = number_type(frame, spec)
            claimed = typed.filter(pl.col("type") != UNKNOWN)
            frame = typed.filter(pl.col("type") == UNKNOWN).drop("type")
        done.append(claimed.with_columns(_region(spec.region).alias("region")))
    unclaimed = frame.with_columns(
        pl.lit(UNKNOWN, _TYPE).alias("type"), _region(None).alias("region")
    )
    return pl.concat([*done, unclaimed])


def number_type(frame: pl.DataFrame, spec: RegionSpec) -> pl.DataFrame:
    """``_number_type_helper``: general, then the special types in order, fixed and mobile."""
    nsn = pl.col("nsn")
    flags = frame.select(
        _matches(nsn, spec.general).alias("g"),
        _matches(nsn, spec.fixed).alias("f"),
        _matches(nsn, spec.mobile).alias("m"),
        _any_special(nsn, spec.special).alias("s"),
    )
    special = pl.repeat(None, frame.height, dtype=_TYPE, eager=True).alias("special")
    maybe = flags["g"] & flags["s"]
    if maybe.any():
        rows = frame.filter(maybe).select(_special(nsn, spec.special)).to_series()
        special = special.scatter(maybe.arg_true(), rows)
    same = spec.same_fixed_mobile
    kind = (
        pl.when(~pl.col("g"))
        .then(UNKNOWN)
        .when(pl.col("special").is_not_null())
        .then(pl.col("special"))
        .when(pl.col("f") & (pl.lit(same) | pl.col("m")))
        .then(PhoneNumberType.FIXED_LINE_OR_MOBILE)
        .when(pl.col("f"))
        .then(PhoneNumberType.FIXED_LINE)
        .when(pl.lit(not same) & pl.col("m"))
        .then(PhoneNumberType.MOBILE)
        .otherwise(UNKNOWN)
    )
    kinds = flags.with_columns(special).select(kind.cast(_TYPE).alias("type"))
    return frame.with_columns(kinds["type"])


def _special(nsn: pl.Expr, descs: Sequence[Desc]) -> pl.Expr:
    """The first special type that matches, in ``_number_type_helper``'s order, or null."""
    special = pl.lit(None, _TYPE)
    for desc in reversed(descs):
        special = pl.when(_matches(nsn, desc)).then(pl.lit(desc.kind, _TYPE)).otherwise(special)
    return special


def _matches(nsn: pl.Expr, desc: Desc | None) -> pl.Expr:
    """``_is_number_matching_desc``: a possible length, then a full pattern match."""
    if desc is None:
        return pl.lit(False)
    found = nsn.str.contains(desc.full)
    if desc.lengths is None:
        return found
    return nsn.str.len_bytes().is_in(list(desc.lengths)) & found


def _any_special(nsn: pl.Expr, descs: Sequence[Desc]) -> pl.Expr:
    """A cheap superset of "some special type matches": one pass instead of one per type."""
    if not descs:
        return pl.lit(False)
    union = "^(?:" + "|".join(f"(?:{d.pattern})" for d in descs) + ")$"
    return nsn.str.contains(union) if compiles(union) else pl.lit(True)


def _general(spec: RegionSpec) -> Callable[[pl.Expr], pl.Expr]:
    """``_match_national_number`` against the general pattern (no length check)."""
    pattern = spec.general_pattern
    if pattern is None:
        return lambda _: pl.lit(False)
    return lambda text: text.str.contains(pattern)


def _prefix_length(text: pl.Expr, prefix: str | None) -> pl.Expr:
    """Length of ``prefix``'s match at the start of ``text`` (``re.match``), else null."""
    if prefix is None:
        return pl.lit(None, pl.UInt32)
    if prefix.isdigit():
        return pl.when(text.str.starts_with(prefix)).then(pl.lit(len(prefix), pl.UInt32))
    return text.str.extract(f"^({prefix})", 1).str.len_bytes()


# --- the cell's outcome (listprep.phone.classify_cell and _decide) ------------------------------
def _distinct_numbers(parts: pl.DataFrame) -> pl.DataFrame:
    """The valid pieces of cells with two or more, one per distinct number, ranked by position;
    ``count`` is the number of distinct numbers in the cell."""
    valid = pl.col("failure").is_null() & (pl.col("type") != UNKNOWN)
    return (
        parts.filter(valid)
        .filter(pl.len().over("i") >= 2)
        .sort("i", "part")
        .unique(["i", "e164"], keep="first", maintain_order=True)
        .with_columns(
            pl.int_range(pl.len(), dtype=pl.Int32).over("i").alias("rank"),
            pl.len().over("i").alias("count"),
        )
    )


def _multi_rows(multi: pl.DataFrame, config: NormaliseConfig) -> pl.DataFrame:
    """Cells with several numbers, under the ``multi`` policy."""
    if config.multi is MultiPolicy.REJECT:
        return multi.filter(pl.col("rank") == 0).select(
            "i",
            pl.lit(None, pl.String).alias(E164),
            pl.lit(None, pl.String).alias(NUMBER_TYPE),
            pl.lit(RejectReason.MULTIPLE_NUMBERS.value).alias(REASON),
            pl.lit(phone.MULTI_DETAIL).alias(DETAIL),
            pl.lit(False).alias(HAD_EXTENSION),
            pl.lit(True).alias(MULTI_NUMBER),
            pl.lit(0, pl.Int32).alias(PART),
        )
    chosen = multi if config.multi is MultiPolicy.SPLIT else multi.filter(pl.col("rank") == 0)
    return _decide(chosen, config, multi_number=True, part=pl.col("rank"))


def _early_rows(frame: pl.DataFrame) -> pl.DataFrame:
    details = {
        RejectReason.EMPTY.value: phone.EMPTY_DETAIL,
        RejectReason.PRECISION_LOST.value: phone.PRECISION_DETAIL,
    }
    return frame.select(
        "i",
        pl.lit(None, pl.String).alias(E164),
        pl.lit(None, pl.String).alias(NUMBER_TYPE),
        pl.col("early").alias(REASON),
        pl.col("early").replace_strict(details, return_dtype=pl.String).alias(DETAIL),
        pl.lit(False).alias(HAD_EXTENSION),
        pl.lit(False).alias(MULTI_NUMBER),
        pl.lit(0, pl.Int32).alias(PART),
    )


def _decide(
    frame: pl.DataFrame,
    config: NormaliseConfig,
    *,
    multi_number: bool,
    part: pl.Expr | int = 0,
) -> pl.DataFrame:
    """Failures first, then listprep's policies, in :func:`listprep.phone._decide`'s order."""
    part = part if isinstance(part, pl.Expr) else pl.lit(part)
    frame = frame.select(
        "i", "had_ext", "e164", "type", "region", "failure", part.cast(pl.Int32).alias(PART)
    )
    failure = pl.col("failure")
    reason = pl.coalesce(  # the first that holds; as codes, since a chain of strings is slow
        failure,
        *(pl.when(test).then(pl.lit(_CODES[why], pl.UInt8)) for test, why in _refusals(config)),
    )
    frame = frame.with_columns(reason.alias("code"))
    accepted = frame["code"].is_null()
    frame = frame.with_columns(
        pl.col("type").replace_strict(phone.TYPE_NAMES, return_dtype=pl.String).alias("name"),
        pl.col("code").replace_strict(_REASONS, return_dtype=pl.String).alias(REASON),
    )
    flags = [pl.col("had_ext").alias(HAD_EXTENSION), pl.lit(multi_number).alias(MULTI_NUMBER)]
    kept = frame.filter(accepted).select(
        "i",
        pl.col("e164").alias(E164),
        pl.col("name").alias(NUMBER_TYPE),
        pl.lit(None, pl.String).alias(REASON),
        pl.lit(None, pl.String).alias(DETAIL),
        *flags,
        PART,
    )
    failed = failure.is_not_null() | (pl.col("type") == UNKNOWN)
    refused = frame.filter(~accepted).select(
        "i",
        pl.lit(None, pl.String).alias(E164),
        pl.when(~failed).then("name").alias(NUMBER_TYPE),
        REASON,
        _detail(config).alias(DETAIL),
        *flags,
        PART,
    )
    return pl.concat([kept, refused])


def _refusals(config: NormaliseConfig) -> list[tuple[pl.Expr, RejectReason]]:
    """(condition, reason) after the failures; the first that holds wins."""
    accepted = [int(t) for t in phone.ACCEPTED_TYPES[config.channel]]
    allowed = [_REGION_CODE.get(r.upper()) for r in config.allow_regions]
    reject_extensions = config.extensions is ExtensionPolicy.REJECT
    return [
        (pl.col("type") == UNKNOWN, RejectReason.INVALID),
        (pl.col("had_ext") & pl.lit(reject_extensions), RejectReason.HAS_EXTENSION),
        (
            pl.lit(bool(allowed)) & ~pl.col("region").is_in(allowed, nulls_equal=True),
            RejectReason.FOREIGN_REGION,
        ),
        (pl.col("e164").str.contains(phone.COMMERCIAL), RejectReason.COMMERCIAL_SERIES),
        (~pl.col("type").is_in(accepted), RejectReason.WRONG_TYPE),
    ]


def _detail(config: NormaliseConfig) -> pl.Expr:
    """The reference's detail text for each reason."""
    reason = pl.col(REASON)
    fixed = {  # the reference's fixed texts
        RejectReason.MASKED: phone.MASKED_DETAIL,
        RejectReason.NOT_A_NUMBER: phone.NO_DIGITS_DETAIL,
        RejectReason.INVALID: phone.INVALID_DETAIL,
        RejectReason.HAS_EXTENSION: phone.EXTENSION_DETAIL,
        RejectReason.COMMERCIAL_SERIES: phone.COMMERCIAL_DETAIL,
    }
    # texts from the reference's own functions (pl.format panics on some chunked columns)
    foreign = {code: phone.foreign_detail(region) for code, region in enumerate(_REGIONS)}
    wrong = {
        name: phone.wrong_type_detail(name, config.channel) for name in phone.TYPE_NAMES.values()
    }
    return pl.coalesce(
        pl.when(reason == RejectReason.FOREIGN_REGION.value).then(
            pl.col("region").replace_strict(foreign, default=None, return_dtype=pl.String)
        ),
        pl.when(reason == RejectReason.WRONG_TYPE.value).then(
            pl.col("name").replace_strict(wrong, default=None, return_dtype=pl.String)
        ),
        reason.replace_strict(
            {why.value: text for why, text in fixed.items()}, default=None, return_dtype=pl.String
        ),
    )
