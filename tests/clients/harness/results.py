"""Reading tool results: the structured payload, the text, the embedded or linked resources."""

from __future__ import annotations

import json
from typing import Any

from . import markdown
from .session import ClientError


class ToolFailed(ClientError):
    """A tool answered with `isError: true`."""


def text_of(result: dict[str, Any]) -> str:
    """Every text block of a tool result (or of a resource's contents), joined."""
    parts = [block.get("text", "") for block in result.get("content", []) if block.get("type") == "text"]
    parts += [c.get("text", "") for c in result.get("contents", []) if "text" in c]
    return "\n".join(parts)


def payload(result: dict[str, Any], tool: str) -> dict[str, Any]:
    """The structured answer of `tool`: `structuredContent`, else the JSON of its text, else what
    its Markdown text says (protocol versions before 2025-06-18 have no structured content)."""
    if result.get("isError"):
        raise ToolFailed(f"tool error: {text_of(result)[:300]}")
    structured = result.get("structuredContent")
    if isinstance(structured, dict):
        return structured
    for block in result.get("content", []):
        if block.get("type") == "text":
            try:
                value = json.loads(block.get("text", ""))
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    text = text_of(result)
    if tool in markdown.READERS and text:
        return markdown.READERS[tool](text)
    raise ClientError(f"{tool}: the result has neither structuredContent nor readable text: {str(result)[:300]}")


def resource_uris(result: dict[str, Any]) -> list[str]:
    """URIs of `resource_link` and embedded `resource` blocks of a tool result."""
    uris: list[str] = []
    for block in result.get("content", []):
        if block.get("type") == "resource_link" and "uri" in block:
            uris.append(block["uri"])
        elif block.get("type") == "resource" and "uri" in block.get("resource", {}):
            uris.append(block["resource"]["uri"])
    return uris


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def normal_service(name: str) -> str:
    """`exchange_online`, `Exchange Online` and `exchange-online` all read `exchange online`."""
    return " ".join(name.replace("_", " ").replace("-", " ").lower().split())
