"""Classifying one raw phone cell: the exact, scalar reference behind the normalise stage.

``phonenumbers`` decides validity, type and E.164. listprep adds only policy around it:
repairs of known export damage (Excel's ``.0`` and full-precision scientific notation,
``="…"`` text forcing, invisible characters, ``tel:``) and refusals where phonenumbers would
guess (letters are keypad digits to it, so a masked ``98765XXXXX`` would dial a stranger).
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

import phonenumbers
from phonenumbers import PhoneNumberType

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
COMMERCIAL_RE = re.compile(r"^\+91(140|1600|1601)")

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_TEL = re.compile(r"^tel:", re.IGNORECASE)
_EXCEL_TEXT = re.compile(r'^="(.*)"$')
_FLOAT_ZERO = re.compile(r"^(\+?\d+)\.0+$")
_SCIENTIFIC = re.compile(r"^(\d)\.(\d+)[eE]\+?(\d+)$")
_EXTENSION = re.compile(r"(?:\s*(?:ext\.?|extension|x|#)\s*\d+)$", re.IGNORECASE)


class Classified(NamedTuple):
    """The outcome for one raw value: an E.164 number and its type, or a reject reason."""

    e164: str | None
    number_type: str | None
    reason: RejectReason | None
    detail: str | None


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


def classify(raw: str, region: str = "IN", channel: Channel = Channel.VOICE) -> Classified:
    """Decide one raw cell: E.164 + type, or the reason it cannot be dialled."""
    text = clean(raw)
    if not text:
        return Classified(None, None, RejectReason.EMPTY, "the phone cell is empty")
    scientific = _SCIENTIFIC.match(text)
    if scientific:
        lead, fraction, exponent = scientific.groups()
        if len(fraction) != int(exponent):
            return Classified(
                None,
                None,
                RejectReason.PRECISION_LOST,
                "Excel scientific notation has lost digits; re-export the column as text",
            )
        text = lead + fraction
    body = _EXTENSION.sub("", text)
    if any(ch.isalpha() for ch in body):
        if any(ch.isdecimal() for ch in body):
            return Classified(
                None, None, RejectReason.MASKED, "letters in the number (masked or vanity)"
            )
        return Classified(None, None, RejectReason.NOT_A_NUMBER, "no digits in the cell")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        return Classified(None, None, RejectReason.NOT_A_NUMBER, str(exc.args[0]))
    if not phonenumbers.is_valid_number(number):
        return Classified(
            None, None, RejectReason.INVALID, "not a valid number for its country (libphonenumber)"
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    kind = phonenumbers.number_type(number)
    type_name = TYPE_NAMES.get(kind, "UNKNOWN")
    if COMMERCIAL_RE.match(e164):
        return Classified(
            None,
            type_name,
            RejectReason.COMMERCIAL_SERIES,
            "India's commercial sender series (140/1600/1601) is not a customer number",
        )
    if kind not in ACCEPTED_TYPES[channel]:
        return Classified(
            None,
            type_name,
            RejectReason.WRONG_TYPE,
            f"{type_name} numbers cannot receive {channel.value} campaigns",
        )
    return Classified(e164, type_name, None, None)


def mask(number: str | None) -> str:
    """A number safe for logs: keep the first two and last two digits (``98XXXXXX10``)."""
    if not number:
        return ""
    digits = [ch for ch in number if ch.isdigit()]
    if len(digits) <= 4:
        return "X" * len(digits)
    return "".join(digits[:2]) + "X" * (len(digits) - 4) + "".join(digits[-2:])
