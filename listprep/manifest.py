"""The manifest (a shareable record of the run: counts, names, hashes, never a phone number)
and the create-campaign request bodies Exotel expects."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from listprep.campaign import Schedule
from listprep.config import PipelineConfig, Purpose
from listprep.limits import Channel, Method

MANIFEST_VERSION = "1.0.0"


def manifest_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every manifest satisfies; it ships in the package."""
    text = resources.files("listprep").joinpath("manifest.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


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
    schedule: Schedule | None = None,
) -> dict[str, Any]:
    """The JSON body of Exotel's create-campaign call (voice) or message-campaign call (SMS).

    What only the user knows stays a ``{{placeholder}}``; with ``wrap`` the body is wrapped as
    ``{"campaigns": [body]}``, the form seen in client code.
    """
    campaign = config.campaign
    body = (_sms_body if config.channel is Channel.SMS else _voice_body)(
        config, f"{campaign.name_prefix}-campaign-{index:02d}", list_files, numbers
    )
    if schedule is not None and (schedule.start or schedule.end):
        body["schedule"] = schedule.body(config.channel)
    body.update(dict(campaign.callbacks))
    if campaign.custom_field is not None:
        body["custom_field"] = campaign.custom_field
    return {"campaigns": [body]} if campaign.wrap else body


def _voice_body(
    config: PipelineConfig, name: str, list_files: list[str], numbers: list[str] | None
) -> dict[str, Any]:
    campaign = config.campaign
    body: dict[str, Any] = {"name": name, "caller_id": campaign.caller_id or "{{caller_id}}"}
    if numbers is not None:
        body["from"] = numbers
    else:
        body["lists"] = [list_sid_placeholder(f) for f in list_files]
    body["campaign_type"] = "dynamic" if config.method is Method.DYNAMIC else "static"
    text = config.template.text
    if text and not campaign.flow_url:
        body["flow_type"] = campaign.flow_type or "greeting"
        body["read_via_text"] = text
    else:
        body["url"] = campaign.flow_url or "{{flow_url}}"
    body["type"] = "trans"
    body["call_duplicate_numbers"] = campaign.call_duplicate_numbers
    if campaign.retries.number_of_retries:
        body["retries"] = campaign.retries.body()
    if campaign.throttle is not None:
        body["throttle"] = campaign.throttle
    return body


def _sms_body(
    config: PipelineConfig, name: str, list_files: list[str], numbers: list[str] | None
) -> dict[str, Any]:
    campaign = config.campaign
    transactional = config.scrub.purpose is Purpose.TRANSACTIONAL
    return {
        "name": name,
        "channel": "SMS",
        "content_type": "dynamic" if config.method is Method.DYNAMIC else "static",
        "lists": [list_sid_placeholder(f) for f in list_files],
        "template": config.template.text,
        "sender_id": campaign.sender_id or "{{sender_id}}",
        "dlt_entity_id": campaign.dlt_entity_id or "{{dlt_entity_id}}",
        "dlt_template_id": campaign.dlt_template_id or "{{dlt_template_id}}",
        "sms_type": campaign.sms_type or ("Transactional" if transactional else "Promotional"),
    }
