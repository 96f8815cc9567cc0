"""The scrub rules in plain Python: the oracle both the stage's and the index's properties use."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from listprep import Purpose, RejectReason

Registers = Sequence[Sequence[tuple[str, Sequence[int]]]]
"""Each register: its (national number, preference codes) entries."""


def entry_mask(codes: Sequence[int]) -> int:
    """Allowed-category bits of one preference cell: ``0`` anywhere, or no code, blocks all."""
    if not codes or 0 in codes:
        return 0
    mask = 0
    for code in codes:
        mask |= 1 << code
    return mask


def expected_outcome(
    number: str,
    registers: Registers,
    suppressed: Collection[str],
    purpose: Purpose,
    category: int | None,
) -> str | None:
    """The reject reason for ``number``, or None (kept)."""
    if number in suppressed:
        return RejectReason.SUPPRESSED.value  # the customer's own instruction wins
    if purpose is Purpose.TRANSACTIONAL:
        return None
    masks = [entry_mask(codes) for register in registers for n, codes in register if n == number]
    if not masks:
        return None
    allowed = masks[0]
    for mask in masks[1:]:
        allowed &= mask  # several entries or registers: the most restrictive wins
    if allowed == 0:
        return RejectReason.DND_FULL.value
    if category is None:
        return RejectReason.DND.value
    return None if allowed & (1 << category) else RejectReason.DND_CATEGORY.value
