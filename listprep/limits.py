"""Exotel's limits as data: the one table the splitter obeys.

Every row cites its source in ``../shared/exotel-facts.md`` §1 (Exotel's campaign FAQ and
API reference, marked [A] there). Users may ask for lower caps, never higher ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Channel(StrEnum):
    VOICE = "voice"
    SMS = "sms"


class Method(StrEnum):
    """How contacts reach Exotel: inline in the request, or uploaded CSV lists."""

    INLINE = "inline"
    STATIC = "static"
    DYNAMIC = "dynamic"


@dataclass(frozen=True, slots=True, kw_only=True)
class Limit:
    """What Exotel accepts for one channel × method."""

    rows_per_list: int
    """Contacts per list (for ``inline``: numbers in one campaign's ``from``)."""
    lists_per_campaign: int
    max_list_bytes: int | None
    max_variables: int
    source: str


#: "under 60 MB" for a dynamic CSV upload: read as 60 × 10^6 bytes, the stricter reading.
DYNAMIC_LIST_BYTES = 60_000_000 - 1

LIMITS: dict[tuple[Channel, Method], Limit] = {
    (Channel.VOICE, Method.INLINE): Limit(
        rows_per_list=5_000,
        lists_per_campaign=1,
        max_list_bytes=None,
        max_variables=0,
        source="Campaign FAQ; create-campaign API: 5,000 numbers in `from`",
    ),
    (Channel.VOICE, Method.STATIC): Limit(
        rows_per_list=100_000,
        lists_per_campaign=5,
        max_list_bytes=None,
        max_variables=0,
        source="Campaign FAQ: 1,00,000 per static list, up to 5 lists",
    ),
    (Channel.VOICE, Method.DYNAMIC): Limit(
        rows_per_list=500_000,
        lists_per_campaign=1,
        max_list_bytes=DYNAMIC_LIST_BYTES,
        max_variables=5,
        source="Campaign FAQ: 5,00,000 in 1 dynamic list; csv-upload: 5 variables, under 60 MB",
    ),
    (Channel.SMS, Method.STATIC): Limit(
        rows_per_list=100_000,
        lists_per_campaign=5,
        max_list_bytes=None,
        max_variables=0,
        source="Campaign FAQ: SMS static 1,00,000 per list, up to 5 lists",
    ),
    (Channel.SMS, Method.DYNAMIC): Limit(
        rows_per_list=500_000,
        lists_per_campaign=1,
        max_list_bytes=DYNAMIC_LIST_BYTES,
        max_variables=5,
        source="Campaign FAQ: SMS dynamic 5,00,000 in 1 list; csv-upload: 5 variables, under 60 MB",
    ),
}

#: Exotel's standard columns of a static list; custom columns are refused there (csv-upload [A]).
STATIC_COLUMNS: tuple[str, ...] = ("first_name", "last_name", "company_name", "email", "tag")

#: An SMS campaign template is at most this many characters (message-campaigns API [A]).
SMS_TEMPLATE_MAX_CHARS = 2_000

#: `number_of_retries` range of the campaign API.
MAX_RETRIES = 3
