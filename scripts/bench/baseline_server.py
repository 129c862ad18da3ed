"""Baseline for scripts/bench/run: the same read tools as aether365 (get_posture,
list_findings, get_score_trend, compare_scans), served by the official Python SDK
(`MCPServer` from `mcp` 2.3.0) straight from aether365's SQLite database.

No authentication, no audit trail, no tenant-scope checks: a lower bound on the work an
MCP server must do per call, to compare throughput and latency with.

    .venv/bin/python baseline_server.py --db /path/to/db --port 18400
"""

import argparse
import json
import sqlite3
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer

SEVERITIES = ["critical", "high", "medium", "low", "info"]

parser = argparse.ArgumentParser()
parser.add_argument("--db", required=True, help="aether365's SQLite database file")
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=18400)
args = parser.parse_args()

db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True, check_same_thread=False)
db.row_factory = sqlite3.Row

server = MCPServer("aether365-python-baseline")


def tenant_row(tenant: str | None) -> sqlite3.Row:
    if tenant:
        row = db.execute(
            "SELECT * FROM tenants WHERE display_name = ? OR primary_domain = ? OR CAST(id AS TEXT) = ?",
            (tenant, tenant, tenant),
        ).fetchone()
    else:
        row = db.execute("SELECT * FROM tenants ORDER BY id LIMIT 1").fetchone()
    if row is None:
        raise ValueError(f"tenant {tenant!r} not found")
    return row


def completed_scans(tenant_id: int, limit: int) -> list[sqlite3.Row]:
    return db.execute(
        "SELECT * FROM scans WHERE tenant_id = ? AND kind = 'compliance' AND status = 'completed' "
        "ORDER BY finished_at DESC, id DESC LIMIT ?",
        (tenant_id, limit),
    ).fetchall()


def scan_summary(scan: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": scan["id"],
        "kind": scan["kind"],
        "status": scan["status"],
        "finished_at": scan["finished_at"],
        "score": scan["score"],
        "counts": {k: scan[f"{k}_count"] for k in ["pass", "fail", "manual", "error", "not_applicable"]},
        "failing": {k: scan[f"{k}_count"] for k in SEVERITIES},
        "summary": json.loads(scan["summary"]) if scan["summary"] else None,
    }


def finding(row: sqlite3.Row) -> dict[str, Any]:
    keys = ["id", "scan_id", "tenant_id", "check_id", "title", "service", "severity", "status",
            "cis_section", "cis_version", "scuba_ids", "nist_controls", "iso_controls", "message"]
    return {k: row[k] for k in keys}


@server.tool()
def get_posture(tenant: str | None = None) -> dict[str, Any]:
    """Current security posture of a tenant: latest completed scan, score change, top failing checks."""
    t = tenant_row(tenant)
    scans = completed_scans(t["id"], 2)
    if not scans:
        return {"tenant": t["display_name"], "latest": None}
    latest = scan_summary(scans[0])
    previous = scans[1]["score"] if len(scans) > 1 else None
    top = db.execute(
        "SELECT * FROM findings WHERE scan_id = ? AND status = 'fail' ORDER BY severity_rank, check_id LIMIT 5",
        (scans[0]["id"],),
    ).fetchall()
    return {
        "tenant": {"id": t["id"], "name": t["display_name"], "domain": t["primary_domain"]},
        "latest": latest,
        "score_change": None if previous is None or latest["score"] is None else latest["score"] - previous,
        "top_failing": [finding(r) for r in top],
    }


@server.tool()
def list_findings(
    tenant: str | None = None,
    severity: str | list[str] | None = None,
    service: str | list[str] | None = None,
    framework: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """Findings of the tenant's latest completed scan, most severe first, filtered, a page of `limit`."""
    t = tenant_row(tenant)
    scans = completed_scans(t["id"], 1)
    if not scans:
        return {"total": 0, "findings": []}
    where = ["scan_id = ?"]
    params: list[Any] = [scans[0]["id"]]
    if status != "any":
        where.append("status = ?")
        params.append(status or "fail")
    for column, value in [("severity", severity), ("service", service)]:
        if value:
            values = [value] if isinstance(value, str) else value
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    if framework:
        column = {"cis": "cis_section", "scuba": "scuba_ids", "nist-800-53": "nist_controls",
                  "iso-27001": "iso_controls"}.get(framework.lower().split("-m365")[0], "cis_section")
        where.append(f"{column} IS NOT NULL")
    clause = " AND ".join(where)
    total = db.execute(f"SELECT COUNT(*) FROM findings WHERE {clause}", params).fetchone()[0]
    rows = db.execute(
        f"SELECT * FROM findings WHERE {clause} ORDER BY severity_rank, check_id LIMIT ?",
        [*params, max(1, min(limit, 200))],
    ).fetchall()
    return {"total": total, "findings": [finding(r) for r in rows]}


@server.tool()
def get_score_trend(tenant: str | None = None, since: str | None = None) -> dict[str, Any]:
    """Scores of the tenant's completed scans, oldest first."""
    t = tenant_row(tenant)
    rows = completed_scans(t["id"], 1000)
    points = [{"scan_id": r["id"], "finished_at": r["finished_at"], "score": r["score"]} for r in reversed(rows)]
    return {"tenant": t["display_name"], "points": points}


@server.tool()
def compare_scans(tenant: str | None = None) -> dict[str, Any]:
    """Newly failing and resolved checks between the tenant's two latest completed scans."""
    t = tenant_row(tenant)
    scans = completed_scans(t["id"], 2)
    if len(scans) < 2:
        return {"tenant": t["display_name"], "newly_failing": [], "resolved": []}

    def failing(scan_id: int) -> set[str]:
        rows = db.execute("SELECT check_id FROM findings WHERE scan_id = ? AND status = 'fail'", (scan_id,))
        return {r[0] for r in rows}

    head, base = failing(scans[0]["id"]), failing(scans[1]["id"])
    return {
        "tenant": t["display_name"],
        "score_change": (scans[0]["score"] or 0) - (scans[1]["score"] or 0),
        "newly_failing": sorted(head - base),
        "resolved": sorted(base - head),
        "still_failing": len(head & base),
    }


if __name__ == "__main__":
    app = server.streamable_http_app(json_response=True, max_sessions=None, session_idle_timeout=None)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
