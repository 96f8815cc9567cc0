"""libphonenumber's metadata restated as anchored regular expressions that polars can run.

Nothing here is written by hand: patterns, possible lengths, prefixes and country codes all
come from ``phonenumbers``' own metadata, so the fast path is exact by construction. What is
mirrored from ``phonenumbers``' code is the order of its decisions (:data:`SPECIAL_TYPES`
follows ``_number_type_helper``), and the differential tests hold it to that. A pattern that
Rust's regex engine rejects (lookaround, backreferences) marks its region unsupported; that
region's numbers go to the scalar reference instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import phonenumbers
import polars as pl
from phonenumbers import PhoneMetadata, PhoneNumberDesc, PhoneNumberType
from phonenumbers.phonenumberutil import (
    _MAX_INPUT_STRING_LENGTH,
    _MAX_LENGTH_COUNTRY_CODE,
    _MAX_LENGTH_FOR_NSN,
    _MIN_LENGTH_FOR_NSN,
    ValidationResult,
    _test_number_length,
)

MIN_NSN = _MIN_LENGTH_FOR_NSN
MAX_NSN = _MAX_LENGTH_FOR_NSN
"""libphonenumber's bounds on a national significant number."""
MAX_INPUT = _MAX_INPUT_STRING_LENGTH
"""``parse`` refuses longer strings outright."""
MAX_DIGITS = 4 + _MAX_LENGTH_COUNTRY_CODE + MAX_NSN
"""Longest digit string the fast path reads: an IDD, a country code and the longest NSN."""
NON_GEO = phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY

#: The types ``_number_type_helper`` tries before fixed-line and mobile, in its order.
SPECIAL_TYPES = (
    (PhoneNumberType.PREMIUM_RATE, "premium_rate"),
    (PhoneNumberType.TOLL_FREE, "toll_free"),
    (PhoneNumberType.SHARED_COST, "shared_cost"),
    (PhoneNumberType.VOIP, "voip"),
    (PhoneNumberType.PERSONAL_NUMBER, "personal_number"),
    (PhoneNumberType.PAGER, "pager"),
    (PhoneNumberType.UAN, "uan"),
    (PhoneNumberType.VOICEMAIL, "voicemail"),
)
#: ``_test_number_length`` results under which ``parse`` keeps the national prefix.
KEEP_PREFIX_RESULTS = frozenset(
    {
        ValidationResult.TOO_SHORT,
        ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
        ValidationResult.INVALID_LENGTH,
    }
)


@dataclass(frozen=True, slots=True)
class Desc:
    """One number type of a region: a full-match pattern and the lengths it allows."""

    kind: int
    pattern: str
    """The metadata's ``national_number_pattern``, as written."""
    lengths: frozenset[int] | None
    """``None`` when the metadata lists no lengths (then any length may match)."""

    @property
    def full(self) -> str:
        """A full match, as ``_match_national_number`` requires."""
        return anchored(self.pattern)


@dataclass(frozen=True, slots=True)
class RegionSpec:
    """What the fast path needs to know of one region's (or non-geographic code's) metadata."""

    key: str
    region: str
    country_code: int
    general: Desc | None
    general_pattern: str | None
    """``^(?:…)$`` of the general pattern, without the length check (``parse`` uses it so)."""
    special: tuple[Desc, ...]
    fixed: Desc | None
    mobile: Desc | None
    same_fixed_mobile: bool
    national_prefix: str | None
    """``national_prefix_for_parsing`` as written (matched at the start), or ``None``."""
    prefix_supported: bool
    """False when stripping needs a transform rule (or the prefix will not compile)."""
    leading_digits: str | None
    """Matched at the start of the NSN to pick one region of a shared country code."""
    international_prefix: str | None
    """The region's IDD (``00`` for India), matched at the start of the digits."""
    keep_prefix_lengths: frozenset[int]
    """NSN lengths (0…MAX_DIGITS) after stripping at which ``parse`` keeps the prefix."""
    too_long_lengths: frozenset[int]
    """Lengths (0…MAX_DIGITS) that ``_test_number_length`` calls TOO_LONG."""
    supported: bool
    """Every type pattern compiles in polars."""


def anchored(pattern: str) -> str:
    """A full-match form of a metadata pattern."""
    return f"^(?:{pattern})$"


@cache
def compiles(pattern: str) -> bool:
    """Whether polars (Rust's regex) accepts the pattern: no lookaround, no backreferences."""
    try:
        pl.Series([""], dtype=pl.String).str.contains(pattern)
    except pl.exceptions.PolarsError:
        return False
    return True


def _desc(kind: int, desc: PhoneNumberDesc | None) -> Desc | None:
    """A type the region has, or ``None`` when no number can match it."""
    if desc is None or not desc.national_number_pattern:
        return None
    lengths = desc.possible_length
    if lengths and lengths[0] == -1:
        return None
    return Desc(kind, desc.national_number_pattern, frozenset(lengths) or None)


def _lengths_where(metadata: PhoneMetadata, results: frozenset[int]) -> frozenset[int]:
    """Lengths whose ``_test_number_length`` result is in ``results`` (it reads only length)."""
    return frozenset(
        n for n in range(MAX_DIGITS + 1) if _test_number_length("0" * n, metadata) in results
    )


def _spec(key: str, region: str, metadata: PhoneMetadata) -> RegionSpec:
    general = _desc(PhoneNumberType.UNKNOWN, metadata.general_desc)
    special = tuple(
        d for kind, name in SPECIAL_TYPES if (d := _desc(kind, getattr(metadata, name))) is not None
    )
    fixed = _desc(PhoneNumberType.FIXED_LINE, metadata.fixed_line)
    mobile = _desc(PhoneNumberType.MOBILE, metadata.mobile)
    prefix = metadata.national_prefix_for_parsing or None
    idd = metadata.international_prefix
    leading = metadata.leading_digits
    general_desc = metadata.general_desc
    general_pattern = general_desc.national_number_pattern if general_desc else None
    patterns = [d.full for d in (general, *special, fixed, mobile) if d is not None]
    patterns += [f"^({p})" for p in (idd, leading, general_pattern) if p]
    return RegionSpec(
        key=key,
        region=region,
        country_code=metadata.country_code or 0,
        general=general,
        general_pattern=anchored(general_pattern) if general_pattern else None,
        special=special,
        fixed=fixed,
        mobile=mobile,
        same_fixed_mobile=bool(metadata.same_mobile_and_fixed_line_pattern),
        national_prefix=prefix,
        prefix_supported=not metadata.national_prefix_transform_rule
        and (prefix is None or compiles(f"^({prefix})")),
        leading_digits=leading or None,
        international_prefix=idd or None,
        keep_prefix_lengths=_lengths_where(metadata, KEEP_PREFIX_RESULTS),
        too_long_lengths=_lengths_where(metadata, frozenset({ValidationResult.TOO_LONG})),
        supported=all(compiles(p) for p in patterns),
    )


@cache
def region_spec(region: str) -> RegionSpec | None:
    """The spec of a region code (``"IN"``), or ``None`` if phonenumbers does not know it."""
    metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
    return None if metadata is None else _spec(region.upper(), region.upper(), metadata)


@cache
def country_spec(country_code: int) -> RegionSpec | None:
    """The metadata ``parse`` uses after reading a country code: its main region's."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions:
        return None
    if regions[0] != NON_GEO:
        return region_spec(regions[0])
    metadata = PhoneMetadata.metadata_for_nongeo_region(country_code, None)
    return None if metadata is None else _spec(f"+{country_code}", NON_GEO, metadata)


def candidate_specs(country_code: int) -> tuple[RegionSpec, ...] | None:
    """The regions ``region_code_for_number`` tries for a country code, in its order.

    ``None`` when any of them is unsupported, so that the number goes to the reference.
    """
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    specs = tuple(
        country_spec(country_code) if region == NON_GEO else region_spec(region)
        for region in regions
    )
    if not specs or any(s is None or not s.supported for s in specs):
        return None
    return tuple(s for s in specs if s is not None)


@cache
def country_codes() -> dict[int, frozenset[str]]:
    """Known country calling codes as digit strings, by their length (1 to 3)."""
    by_length: dict[int, set[str]] = {1: set(), 2: set(), 3: set()}
    for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
        by_length[len(str(code))].add(str(code))
    return {n: frozenset(codes) for n, codes in by_length.items()}


@cache
def main_keys() -> dict[int, str]:
    """Country code → key of the spec ``parse`` uses for it (see :func:`country_spec`).

    Read from the code table alone: building every region's spec here (and compiling its
    1,300 patterns) cost 0.6 s on each run's first number. A key whose spec turns out to be
    missing or unsupported sends its rows to the reference, as before.
    """
    return {
        code: f"+{code}" if regions[0] == NON_GEO else regions[0]
        for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()
        if regions
    }


def spec_for_key(key: str) -> RegionSpec | None:
    """Inverse of :func:`main_keys` (``"+800"`` for non-geographic codes)."""
    return country_spec(int(key[1:])) if key.startswith("+") else region_spec(key)
