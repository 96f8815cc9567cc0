"""Exceptions and reject reasons.

Row problems never raise: they become rows of the rejects frame with a stable
:class:`RejectReason`. Only what stops the whole run raises, and always a
subclass of :class:`ListprepError`, so callers catch one type::

    ListprepError                 anything listprep refuses to do
    ├── InputError                an input file or frame cannot be read or used
    ├── ConfigError               an option or option combination is invalid
    ├── TemplateError             a template cannot be used with these inputs
    └── OutputError               the output folder cannot be written
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from enum import StrEnum

from listprep.privacy import mask_digit_runs


class ListprepError(Exception):
    """Base of every error listprep raises on purpose.

    ``file``, ``row`` and ``column`` locate the problem where that makes sense;
    ``hint`` tells the user what to do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file is not None:  # a path that does not exist may be a cell taken for one
            where.append(self.file if os.path.exists(self.file) else mask_digit_runs(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:  # a header may be a contact (a file without a header)
            where.append(f"column {mask_digit_runs(repr(self.column))}")
        # a message may quote a cell (a header that is really a contact, a polars parse error):
        # phone-like digit runs are masked here, once, for every error listprep raises
        message = mask_digit_runs(self.message)
        text = f"{', '.join(where)}: {message}" if where else message
        return f"{text}\n  hint: {mask_digit_runs(self.hint)}" if self.hint else text


class ListprepWarning(UserWarning):
    """A run's warning (a stale register, contacts that would pause at the window's end …),
    raised through :mod:`warnings` by ``prepare`` and ``prepare_to`` so that a job's logs
    show it; the manifest lists them too."""


class InputError(ListprepError):
    """An input (file, frame, register) is missing, unreadable or unusable."""


class ConfigError(ListprepError):
    """An option value, or a combination of options, is invalid."""


class TemplateError(ListprepError):
    """A campaign template cannot be used with these inputs."""


class OutputError(ListprepError):
    """The output folder cannot be created or written."""


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """A hint for an unknown name: the near miss if there is one, else every known name."""
    choices = sorted(known)
    near = difflib.get_close_matches(name, choices, n=1)
    return f"did you mean {near[0]!r}?" if near else f"known: {', '.join(choices)}"


def refuse_unknown(
    keys: Iterable[str], known: Iterable[str], *, what: str, file: str | None = None
) -> None:
    """Raise a :class:`ConfigError` for the first key not in ``known``, naming its near miss."""
    allowed = set(known)
    for key in keys:
        if key not in allowed:
            raise ConfigError(f"unknown {what} {key!r}", file=file, hint=did_you_mean(key, allowed))


class RejectReason(StrEnum):
    """Why a row was dropped. The values are stable: downstream jobs branch on them."""

    MALFORMED_ROW = "malformed-row"
    EMPTY = "empty"
    NOT_A_NUMBER = "not-a-number"
    INVALID = "invalid"
    MASKED = "masked"
    PRECISION_LOST = "precision-lost"
    WRONG_TYPE = "wrong-type"
    COMMERCIAL_SERIES = "commercial-series"
    FOREIGN_REGION = "foreign-region"
    HAS_EXTENSION = "has-extension"
    MULTIPLE_NUMBERS = "multiple-numbers"
    DUPLICATE = "duplicate"
    SUPPRESSED = "suppressed"
    DND = "dnd"
    DND_FULL = "dnd-full"
    DND_CATEGORY = "dnd-category"
    EMPTY_VARIABLE = "empty-variable"
    VARIABLE_TOO_LONG = "variable-too-long"
    COLUMN_CHECK = "column-check"
    UNICODE_MESSAGE = "unicode-message"
    TOO_MANY_SEGMENTS = "too-many-segments"
