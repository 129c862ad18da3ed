"""Reading the Markdown text of tool results, for protocol versions without `structuredContent`.

At 2024-11-05 (mcp-remote over the legacy SSE transport, as Claude Desktop runs it) a tool
result is text only: this is what the assistant reads, so the conversations assert on it.
Each reader returns the subset of the structured payload that the conversations use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

SCAN_LINE = re.compile(
    r"scan (?P<id>\d+) \((?P<kind>\w+), (?P<origin>\w+)\) of (?P<tenant>.+?): (?P<status>\w+)"
    r"(?:, score (?P<score>-?[\d.]+))?"
)
UTC_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}) UTC")


def tables(text: str) -> list[list[dict[str, str]]]:
    """Every Markdown table, as rows keyed by lower-cased header."""
    found: list[list[dict[str, str]]] = []
    lines = text.splitlines()
    i = 0
    while i + 1 < len(lines):
        if lines[i].startswith("|") and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1].strip()):
            header = [c.strip().lower() for c in lines[i].strip().strip("|").split("|")]
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                rows.append(dict(zip(header, cells, strict=False)))
                i += 1
            found.append(rows)
        else:
            i += 1
    return found


def _finding(row: dict[str, str]) -> dict[str, Any]:
    check = re.match(r"(?P<check>\S+)(?: \(id (?P<id>\d+)\))?", row.get("check", ""))
    return {
        "id": int(check["id"]) if check and check["id"] else None,
        "check_id": check["check"] if check else "",
        "severity": row.get("severity", ""),
        "status": row.get("status", ""),
        "service": row.get("service", ""),
        "title": row.get("title", ""),
        "references": [r.strip() for r in row.get("references", "").split(",") if r.strip()],
    }


def _findings_tables(text: str) -> list[list[dict[str, Any]]]:
    return [[_finding(r) for r in t] for t in tables(text) if t and "check" in t[0] and "severity" in t[0]]


def _scan(match: re.Match[str]) -> dict[str, Any]:
    return {
        "id": int(match["id"]),
        "kind": match["kind"],
        "origin": match["origin"],
        "tenant_name": match["tenant"],
        "status": match["status"],
        "score": float(match["score"]) if match["score"] else None,
    }


def _scans(text: str) -> list[dict[str, Any]]:
    return [_scan(m) for m in SCAN_LINE.finditer(text)]


def _iso(text: str) -> str:
    match = UTC_TIME.search(text)
    return f"{match[1]}T{match[2]}:00+00:00" if match else text


def list_findings(text: str) -> dict[str, Any]:
    found = _findings_tables(text)
    findings = found[0] if found else []
    scans = _scans(text.split("\n|", 1)[0])
    if len(scans) == 1:
        for finding in findings:
            finding["scan_id"] = scans[0]["id"]
    return {"findings": findings, "scans": scans}


def list_scans(text: str) -> dict[str, Any]:
    return {"scans": _scans(text)}


def get_scan(text: str) -> dict[str, Any]:
    scans = _scans(text)
    return {"scan": scans[0]} if scans else {}


def get_posture(text: str) -> dict[str, Any]:
    scans = _scans(text)
    return {"tenants": [{"latest": [{"scan": scans[0]}] if scans else []}]}


def start_scan(text: str) -> dict[str, Any]:
    match = re.search(r"scan (\d+) of .+?: (\w+)", text)
    return {"scan_id": int(match[1]), "status": match[2]} if match else {}


def get_score_trend(text: str) -> dict[str, Any]:
    rows = next((t for t in tables(text) if t and "score" in t[0] and "scan" in t[0]), [])
    points = [
        {
            "scan_id": int(r["scan"]),
            "finished_at": _iso(r.get("finished", "")),
            "score": float(r["score"]) if re.fullmatch(r"-?[\d.]+", r["score"]) else r["score"],
        }
        for r in rows
    ]
    change = re.search(r"change ([+\-−±]?\d+(?:\.\d+)?)", text)
    value = float(change[1].replace("−", "-").replace("±", "")) if change else None
    return {"points": points, "change": value}


def compare_scans(text: str) -> dict[str, Any]:
    ids = re.search(r"between scan (\d+).*? and scan (\d+)", text)
    scores = re.search(r"Score (-?[\d.]+) → (-?[\d.]+)", text)
    result: dict[str, Any] = {
        "base": {"id": int(ids[1]) if ids else None, "score": float(scores[1]) if scores else None},
        "head": {"id": int(ids[2]) if ids else None, "score": float(scores[2]) if scores else None},
        "score_change": float(scores[2]) - float(scores[1]) if scores else None,
    }
    sections = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    for key, heading in (("newly_failing", "Newly failing"), ("resolved", "Resolved"), ("still_failing", "Still failing")):
        section = next((s for s in sections if s.startswith(heading)), None)
        if section is not None:
            found = _findings_tables(section)
            result[key] = found[0] if found else []
    return result


READERS: dict[str, Callable[[str], dict[str, Any]]] = {
    "list_findings": list_findings,
    "list_scans": list_scans,
    "get_scan": get_scan,
    "get_posture": get_posture,
    "start_scan": start_scan,
    "get_score_trend": get_score_trend,
    "compare_scans": compare_scans,
}
