"""India's DLT rule: the sent SMS must match the registered template character for character.

Operators compare every message with the text registered on the DLT portal, where each
variable part is written ``{#var#}``. One changed space or a curly quote and the message is
blocked, so listprep compares the Exotel template with the registered one before any upload
and shows exactly where they part.
"""

from __future__ import annotations

import unicodedata

from listprep.config import VARIABLE_RE
from listprep.errors import TemplateError

DLT_VARIABLE = "{#var#}"
"""How a DLT-registered template marks a variable part."""

#: Characters of context shown on each side of the first difference.
CONTEXT = 24


def to_dlt(template: str) -> str:
    """The Exotel template as DLT sees it: every ``@@name`` becomes ``{#var#}``."""
    return VARIABLE_RE.sub(DLT_VARIABLE, template)


def first_difference(a: str, b: str) -> int | None:
    """Index of the first character where ``a`` and ``b`` differ; ``None`` if they are equal."""
    if a == b:
        return None
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return index
    return min(len(a), len(b))


def check_dlt(template: str, dlt_template: str) -> None:
    """Raise :class:`TemplateError` showing the first difference unless the two texts match."""
    ours = to_dlt(template)
    position = first_difference(ours, dlt_template)
    if position is None:
        return
    raise TemplateError(
        f"the template does not match the DLT template at character {position + 1}:\n"
        + mismatch_excerpt(ours, dlt_template, position),
        hint="operators block any message that differs from the registered text, spaces and "
        "punctuation included; copy the text registered on the DLT portal and write each "
        "{#var#} as an @@variable",
    )


def mismatch_excerpt(ours: str, theirs: str, position: int) -> str:
    """Both texts around ``position``, one above the other, a caret under the difference."""
    start = max(0, position - CONTEXT)
    lead = "…" if start else ""
    labels = ("  template (@@ as {#var#}): ", "  DLT template: ".ljust(28))
    lines = [
        label + lead + _shown(text[start : position + CONTEXT]) + _tail(text, position)
        for label, text in zip(labels, (ours, theirs), strict=True)
    ]
    caret = " " * (len(labels[0]) + len(lead) + _width(_shown(ours[start:position]))) + "^"
    return "\n".join([*lines, caret, "  " + _what_differs(ours, theirs, position)])


def _tail(text: str, position: int) -> str:
    return "…" if len(text) > position + CONTEXT else ""


def _what_differs(ours: str, theirs: str, position: int) -> str:
    if position >= len(ours):
        return f"the template ends here; the DLT template goes on with {_name(theirs[position])}"
    if position >= len(theirs):
        return f"the DLT template ends here; the template goes on with {_name(ours[position])}"
    return f"the template has {_name(ours[position])}, the DLT template {_name(theirs[position])}"


def _name(char: str) -> str:
    """``'’' (U+2019 RIGHT SINGLE QUOTATION MARK)``: look-alikes are the usual culprits."""
    code = f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed')}"
    return f"{char!r} ({code})" if _shown(char) == char else code


def _shown(text: str) -> str:
    """Invisible and look-alike space characters written as escapes, so a difference shows."""
    return "".join(
        ch if ch == " " or (ch.isprintable() and not ch.isspace()) else _escape(ch) for ch in text
    )


def _escape(char: str) -> str:
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\u{ord(char):04x}")


def _width(text: str) -> int:
    """Terminal columns of ``text``: wide East Asian characters take two, combining marks none."""
    return sum(
        0
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf")
        else 2
        if unicodedata.east_asian_width(ch) in ("W", "F")
        else 1
        for ch in text
    )
