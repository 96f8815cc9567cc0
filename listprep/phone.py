"""Classifying one raw phone cell: the exact, scalar reference behind the normalise stage.

``phonenumbers`` decides validity, type and E.164. listprep adds only policy around it:
repairs of known export damage (Excel's ``.0`` and full-precision scientific notation,
``="…"`` text forcing, invisible characters, ``tel:``) and refusals where phonenumbers would
guess (letters are keypad digits to it, so a masked ``98765XXXXX`` would dial a stranger).

The vectorised fast path (:mod:`listprep.fastphone`) mirrors these steps with the same regular
expressions; whatever it is not sure about comes back here, so this module is the definition.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberType

from listprep.config import ExtensionPolicy, MultiPolicy
from listprep.errors import RejectReason
from listprep.limits import Channel

#: Number types a campaign may dial, per channel (SMS needs a handset).
ACCEPTED_TYPES: dict[Channel, frozenset[int]] = {
    Channel.SMS: frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}),
    Channel.VOICE: frozenset(
        {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.FIXED_LINE}
    ),
}
TYPE_NAMES = {
    value: name
    for name, value in vars(PhoneNumberType).items()
    if name.isupper() and isinstance(value, int)
}
#: India's commercial sender series (140…, 1600…, 1601…): senders, never customers.
COMMERCIAL = r"^\+91(140|1600|1601)"
COMMERCIAL_RE = re.compile(COMMERCIAL)

# Patterns shared with the fast path: each must mean the same in Python's re and Rust's regex.
INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
EXTENSION = r"(?i)\s*(?:(?:ext\.?|extension)\s*\d{1,20}|(?:x|#)\s*\d{1,9})$"
"""``ext 12``, ``x123``, ``#12`` at the end; digit limits are libphonenumber's own."""
SEPARATORS = "/;,|"
PART = r"[^/;,|]+"
"""One piece of a cell split at ``/ ; , |`` (where several numbers may share a cell)."""
SCIENTIFIC = r"^(\d)\.(\d+)[eE]\+?(\d+)$"
FLOAT_ZERO = r"^(\+?\d+)\.0+$"

_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE_CHARS), None)
_TEL = re.compile(r"^tel:", re.IGNORECASE)
_EXCEL_TEXT = re.compile(r'^="(.*)"$')
_FLOAT_ZERO = re.compile(FLOAT_ZERO)
_SCIENTIFIC = re.compile(SCIENTIFIC)
_EXTENSION = re.compile(EXTENSION)
_PART = re.compile(PART)

# Reject details: fixed texts (the fast path writes the very same strings).
EMPTY_DETAIL = "the phone cell is empty"
PRECISION_DETAIL = "Excel scientific notation has lost digits; re-export the column as text"
MASKED_DETAIL = (
    "letters or * among the digits: a masked or vanity number, or a label (Mob:, (M)); "
    "leave only the number in the phone cell"
)
NO_DIGITS_DETAIL = "no digits in the cell"
INVALID_DETAIL = "not a valid number for its country (libphonenumber)"
EXTENSION_DETAIL = "the number has an extension, which a campaign cannot dial"
MULTI_DETAIL = "the cell holds several different numbers"
COMMERCIAL_DETAIL = "India's commercial sender series (140/1600/1601) is not a customer number"


def wrong_type_detail(type_name: str, channel: Channel) -> str:
    return f"{type_name} numbers cannot receive {channel.value} campaigns"


def foreign_detail(region: str) -> str:
    return f"a number of region {region}, outside the allowed regions"


class Classified(NamedTuple):
    """The outcome for one raw value: an E.164 number and its type, or a reject reason."""

    e164: str | None
    number_type: str | None
    reason: RejectReason | None
    detail: str | None


class Outcome(NamedTuple):
    """One contact made from a cell, with what the stage counts about it."""

    classified: Classified
    had_extension: bool
    """An extension was found and dropped (or, with ``extensions=reject``, refused)."""
    multi_number: bool
    """The cell held several different numbers."""


class Reading(NamedTuple):
    """A piece of text read as one number: the valid number, or why it is not one."""

    number: PhoneNumber | None
    failure: Classified | None
    had_extension: bool


def clean(raw: str) -> str:
    """Undo the damage exports do to a cell, without guessing any digit."""
    text = raw.translate(_INVISIBLE)
    text = "".join(" " if ch.isspace() else ch for ch in text).strip()
    excel = _EXCEL_TEXT.match(text)
    if excel:
        text = excel.group(1).strip()
    text = text.strip("'\"` ").strip()
    text = _TEL.sub("", text)
    # Devanagari, Arabic-Indic, full-width … digits to ASCII (isdecimal, not isdigit: ² is no digit)
    if not text.isascii():
        text = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)
    float_zero = _FLOAT_ZERO.match(text)
    return float_zero.group(1) if float_zero else text


def classify(
    raw: str,
    region: str = "IN",
    channel: Channel = Channel.VOICE,
    *,
    extensions: ExtensionPolicy = ExtensionPolicy.KEEP,
    multi: MultiPolicy = MultiPolicy.FIRST,
    allow_regions: tuple[str, ...] = (),
) -> Classified:
    """Decide one raw cell: E.164 + type, or the reason it cannot be dialled.

    With ``multi=split`` a cell may make several contacts; this returns the first.
    """
    outcomes = classify_cell(
        raw, region, channel, extensions=extensions, multi=multi, allow_regions=allow_regions
    )
    return outcomes[0].classified


def classify_cell(
    raw: str,
    region: str = "IN",
    channel: Channel = Channel.VOICE,
    *,
    extensions: ExtensionPolicy = ExtensionPolicy.KEEP,
    multi: MultiPolicy = MultiPolicy.FIRST,
    allow_regions: tuple[str, ...] = (),
) -> tuple[Outcome, ...]:
    """Every contact one raw cell makes (one, or several with ``multi=split``)."""
    text = clean(raw)
    if not text:
        return (_rejected(RejectReason.EMPTY, EMPTY_DETAIL),)
    scientific = _SCIENTIFIC.match(text)
    if scientific:
        lead, fraction, exponent = scientific.groups()
        if len(fraction) != int(exponent):
            return (_rejected(RejectReason.PRECISION_LOST, PRECISION_DETAIL),)
        text = lead + fraction
    numbers = several_numbers(text, region)
    if len(numbers) < 2:
        reading = numbers[0] if numbers else read_number(text, region)
        return (_decide(reading, channel, extensions, allow_regions, multi_number=False),)
    if multi is MultiPolicy.REJECT:
        return (_rejected(RejectReason.MULTIPLE_NUMBERS, MULTI_DETAIL, multi_number=True),)
    chosen = numbers if multi is MultiPolicy.SPLIT else numbers[:1]
    return tuple(
        _decide(reading, channel, extensions, allow_regions, multi_number=True)
        for reading in chosen
    )


def several_numbers(text: str, region: str) -> list[Reading]:
    """The different valid numbers of a cell split at separators, if two pieces are valid.

    A slash inside one number (``022/2345 6789``) leaves one valid piece at most, so the cell
    is read whole, as phonenumbers would; one number written twice gives a one-item list.
    """
    if not any(sep in text for sep in SEPARATORS):
        return []
    readings: dict[str, Reading] = {}
    pieces = 0
    for part in _PART.findall(text):
        reading = read_number(part.strip(" "), region)
        if reading.number is not None:
            pieces += 1
            e164 = phonenumbers.format_number(reading.number, phonenumbers.PhoneNumberFormat.E164)
            readings.setdefault(e164, reading)
    return list(readings.values()) if pieces > 1 else []


def read_number(text: str, region: str) -> Reading:
    """Read cleaned text as one number: drop an extension, refuse letters, ask phonenumbers."""
    extension = _EXTENSION.search(text)
    body = text[: extension.start()] if extension else text
    had_extension = extension is not None
    refused = refuse_letters(body)
    if refused is not None:
        return Reading(None, refused, had_extension)
    try:
        number = phonenumbers.parse(body, region)
    except phonenumbers.NumberParseException as exc:
        failure = Classified(None, None, RejectReason.NOT_A_NUMBER, str(exc.args[0]))
        return Reading(None, failure, had_extension)
    had_extension = had_extension or bool(number.extension)
    if not phonenumbers.is_valid_number(number):
        failure = Classified(None, None, RejectReason.INVALID, INVALID_DETAIL)
        return Reading(None, failure, had_extension)
    return Reading(number, None, had_extension)


def refuse_letters(body: str) -> Classified | None:
    """Letters (or ``*``) where digits belong: phonenumbers would dial them as keypad digits."""
    has_digit = any(ch.isdecimal() for ch in body)
    if any(ch.isalpha() for ch in body) or ("*" in body and has_digit):
        if has_digit:
            return Classified(None, None, RejectReason.MASKED, MASKED_DETAIL)
        return Classified(None, None, RejectReason.NOT_A_NUMBER, NO_DIGITS_DETAIL)
    return None


def _decide(
    reading: Reading,
    channel: Channel,
    extensions: ExtensionPolicy,
    allow_regions: tuple[str, ...],
    *,
    multi_number: bool,
) -> Outcome:
    """Apply listprep's policies to a number phonenumbers found valid."""
    if reading.number is None:
        assert reading.failure is not None
        return Outcome(reading.failure, reading.had_extension, multi_number)
    number = reading.number
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    kind = phonenumbers.number_type(number)
    type_name = TYPE_NAMES.get(kind, "UNKNOWN")
    region = phonenumbers.region_code_for_number(number) or ""
    refusal: tuple[RejectReason, str] | None = None
    if reading.had_extension and extensions is ExtensionPolicy.REJECT:
        refusal = (RejectReason.HAS_EXTENSION, EXTENSION_DETAIL)
    elif allow_regions and region not in {r.upper() for r in allow_regions}:
        refusal = (RejectReason.FOREIGN_REGION, foreign_detail(region))
    elif COMMERCIAL_RE.match(e164):
        refusal = (RejectReason.COMMERCIAL_SERIES, COMMERCIAL_DETAIL)
    elif kind not in ACCEPTED_TYPES[channel]:
        refusal = (RejectReason.WRONG_TYPE, wrong_type_detail(type_name, channel))
    if refusal is not None:
        return Outcome(Classified(None, type_name, *refusal), reading.had_extension, multi_number)
    return Outcome(Classified(e164, type_name, None, None), reading.had_extension, multi_number)


def _rejected(reason: RejectReason, detail: str, *, multi_number: bool = False) -> Outcome:
    return Outcome(Classified(None, None, reason, detail), False, multi_number)
