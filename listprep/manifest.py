"""The manifest (a shareable record of the run: counts, names, hashes, never a phone number)
and the create-campaign request bodies Exotel expects."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

from listprep.config import PipelineConfig, Purpose
from listprep.limits import Channel, Method

MANIFEST_VERSION = "1.0.0"


def created_at() -> str:
    """The run's timestamp; ``SOURCE_DATE_EPOCH`` fixes it for reproducible output."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def to_json(value: Any) -> bytes:
    """Stable, readable JSON bytes: the same value always gives the same bytes."""
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()


def list_sid_placeholder(list_file: str) -> str:
    """Where the user pastes the list SID Exotel returns after uploading ``list_file``."""
    return "{{list_sid:" + list_file + "}}"


def campaign_request(
    config: PipelineConfig,
    index: int,
    *,
    list_files: list[str],
    numbers: list[str] | None = None,
) -> dict[str, Any]:
    """The JSON body of Exotel's create-campaign call (voice) or message-campaign call (SMS)."""
    campaign = config.campaign
    name = f"{campaign.name_prefix}-campaign-{index:02d}"
    kind = "dynamic" if config.method is Method.DYNAMIC else "static"
    text = config.template.text
    if config.channel is Channel.SMS:
        return {
            "name": name,
            "channel": "SMS",
            "content_type": kind,
            "lists": [list_sid_placeholder(f) for f in list_files],
            "template": text,
            "sender_id": "{{sender_id}}",
            "dlt_entity_id": "{{dlt_entity_id}}",
            "dlt_template_id": "{{dlt_template_id}}",
            "sms_type": (
                "Transactional" if config.scrub.purpose is Purpose.TRANSACTIONAL else "Promotional"
            ),
        }
    body: dict[str, Any] = {"name": name, "caller_id": campaign.caller_id or "{{caller_id}}"}
    if numbers is not None:
        body["from"] = numbers
    else:
        body["lists"] = [list_sid_placeholder(f) for f in list_files]
    body["campaign_type"] = kind
    if text:
        body["flow_type"] = "greeting"
        body["read_via_text"] = text
    else:
        body["url"] = campaign.flow_url or "{{flow_url}}"
    body["type"] = "trans"
    body["call_duplicate_numbers"] = False
    if campaign.retries:
        body["retries"] = {
            "number_of_retries": campaign.retries,
            "interval_mins": campaign.retry_interval_mins,
            "mechanism": "Linear",
            "on_status": ["busy", "no-answer", "failed"],
        }
    return body
