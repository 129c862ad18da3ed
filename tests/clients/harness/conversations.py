"""What an assistant asks aether365, as every client asks it, with assertions on the answers.

Each conversation returns a one-line summary or raises (AssertionError, ClientError, timeout).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio

from .results import is_number, normal_service, payload, resource_uris, text_of
from .session import Client, ClientError, Session

TENANT = "Contoso Production"
TOOLS = {
    "get_posture",
    "list_findings",
    "get_finding",
    "get_score_trend",
    "list_scans",
    "get_scan",
    "start_scan",
    "compare_scans",
    "generate_report",
}
FINISHED = {"completed", "failed", "cancelled"}
APPS_EXTENSION = "io.modelcontextprotocol/ui"
"""MCP Apps: every client here declares it, as Claude, ChatGPT and VS Code do."""
APPS_MIME_TYPE = "text/html;profile=mcp-app"
APPS_CAPABILITY = {APPS_EXTENSION: {"mimeTypes": [APPS_MIME_TYPE]}}
VIEWS = {
    "get_posture": "ui://aether365/posture",
    "list_findings": "ui://aether365/findings",
    "get_finding": "ui://aether365/findings",
    "compare_scans": "ui://aether365/comparison",
}
SCAN_TIMEOUT = 60.0


async def tools_listed(session: Session) -> str:
    """The server lists the whole read-only tool surface."""
    tools = await session.list_tools()
    names = {t["name"] for t in tools}
    missing = TOOLS - names
    assert not missing, f"tools/list lacks {sorted(missing)} (has {sorted(names)})"
    for tool in tools:
        assert tool.get("inputSchema", {}).get("type") == "object", f"{tool['name']}: inputSchema is not an object"
    return f"protocol {session.protocol_version}, {len(tools)} tools"


async def critical_findings(session: Session) -> str:
    """(1) What are my critical findings in the latest scan?"""
    page = await ask(session, "list_findings", {"tenant": TENANT, "severity": "critical", "status": "fail"})
    findings = page["findings"]
    assert findings, "no critical failing finding in the latest scan"
    scan_ids = {scan["id"] for scan in page["scans"]}
    latest = await latest_completed_scans(session, 1)
    assert latest[0]["id"] in scan_ids, f"findings come from scans {scan_ids}, the latest is {latest[0]['id']}"
    for f in findings:
        assert f["severity"] == "critical", f"{f['check_id']} has severity {f['severity']}"
        assert f["status"] == "fail", f"{f['check_id']} has status {f['status']}"
        assert f["scan_id"] in scan_ids, f"{f['check_id']} comes from scan {f['scan_id']}"
    return f"{len(findings)} critical, e.g. {findings[0]['check_id']} {findings[0]['title']!r}"


async def failing_cis_exchange(session: Session) -> str:
    """(2) Which CIS checks fail for Exchange Online?"""
    page = await ask(session, "list_findings", {"tenant": TENANT, "framework": "CIS", "service": "Exchange Online"})
    findings = page["findings"]
    assert findings, "no failing CIS check for Exchange Online"
    for f in findings:
        assert normal_service(f["service"]) == "exchange online", f"{f['check_id']} is a {f['service']} check"
        assert any(r.startswith("CIS") for r in f["references"]), f"{f['check_id']} has no CIS reference"
        assert f["status"] == "fail", f"{f['check_id']} has status {f['status']} (default should be fail)"
    cis = next(r for r in findings[0]["references"] if r.startswith("CIS"))
    return f"{len(findings)} failing, e.g. {cis}: {findings[0]['title']!r}"


async def score_trend(session: Session) -> str:
    """(3) How did my score change over the last month?"""
    since = datetime.now(UTC) - timedelta(days=30)
    trend = await ask(session, "get_score_trend", {"tenant": TENANT, "since": "30d"})
    points = trend["points"]
    assert len(points) >= 4, f"{len(points)} points over 30 days of weekly scans"
    for p in points:
        assert is_number(p["score"]), f"scan {p['scan_id']} has score {p['score']!r}"
        finished = datetime.fromisoformat(p["finished_at"].replace("Z", "+00:00"))
        assert finished >= since - timedelta(minutes=1), f"scan {p['scan_id']} finished {finished}, before {since}"
    times = [p["finished_at"] for p in points]
    assert times == sorted(times), "points are not oldest first"
    first, last = points[0]["score"], points[-1]["score"]
    if trend.get("change") is not None:
        assert abs(trend["change"] - (last - first)) < 0.01, f"change {trend['change']} != {last} - {first}"
    return f"{len(points)} points, score {first:g} -> {last:g}"


async def scan_and_wait(session: Session) -> str:
    """(4) Start a scan, get told when it is done, then: what newly fails?"""
    started = await ask(session, "start_scan", {"kind": "compliance", "tenant": TENANT})
    scan_id = started["scan_id"]
    assert isinstance(scan_id, int), f"start_scan gave no scan id: {started}"
    uri = f"aether365://scans/{scan_id}"
    updates = 0
    async with session.watch(uri) as watch:
        status = await scan_status(session, scan_id)
        assert status not in FINISHED, (
            f"scan {scan_id} was already {status} when the subscription was acknowledged: "
            "the completion notification cannot be observed (raise the stand-in's --latency-ms in tests/clients/run)"
        )
        with anyio.fail_after(SCAN_TIMEOUT):
            while status not in FINISHED:
                await watch.wait_updated(SCAN_TIMEOUT)
                updates += 1
                status = await scan_status(session, scan_id)
    assert status == "completed", f"scan {scan_id} ended {status}"
    newest, previous = await latest_completed_scans(session, 2)
    assert newest["id"] == scan_id, f"list_scans shows {newest['id']} as the newest completed scan, not {scan_id}"
    diff = await ask(session, "compare_scans", {"tenant": TENANT, "head_scan": scan_id})
    assert diff["head"]["id"] == scan_id, f"compared head {diff['head']['id']}, not the new scan {scan_id}"
    assert diff["base"]["id"] == previous["id"], (
        f"compared against scan {diff['base']['id']}, but the completed scan before {scan_id} is {previous['id']}"
    )
    newly = [f["check_id"] for f in diff["newly_failing"]]
    return (
        f"scan {scan_id} completed, {updates} update(s) via {watch.mechanism}; "
        f"newly failing since scan {diff['base']['id']}: {', '.join(newly) or 'none'}"
    )


async def compare_last_two(session: Session) -> str:
    """(5) What changed between the last two scans?"""
    head, base = await latest_completed_scans(session, 2)
    diff = await ask(session, "compare_scans", {"tenant": TENANT})
    assert diff["head"]["id"] == head["id"], f"head {diff['head']['id']}, the latest completed is {head['id']}"
    assert diff["base"]["id"] == base["id"], f"base {diff['base']['id']}, the one before is {base['id']}"
    for key in ("newly_failing", "resolved", "still_failing"):
        assert isinstance(diff[key], list), f"{key} is not a list"
    if is_number(head.get("score")) and is_number(base.get("score")) and diff.get("score_change") is not None:
        expected = head["score"] - base["score"]
        assert abs(diff["score_change"] - expected) < 0.01, f"score_change {diff['score_change']} != {expected}"
    return (
        f"scan {base['id']} -> {head['id']}: {len(diff['newly_failing'])} newly failing, "
        f"{len(diff['resolved'])} resolved, {len(diff['still_failing'])} still failing"
    )


async def board_report(session: Session) -> str:
    """(6) Write a board summary."""
    posture = await ask(session, "get_posture", {"tenant": TENANT})
    latest = posture["tenants"][0]["latest"]
    assert latest, "the tenant has no completed scan"
    score = latest[0]["scan"]["score"]
    assert is_number(score), f"posture score {score!r}"
    result = await session.call_tool("generate_report", {"audience": "board", "tenant": TENANT})
    markdown = text_of(result)
    for uri in resource_uris(result):
        if uri.startswith("aether365://reports/"):
            markdown += "\n" + text_of(await session.read_resource(uri))
    assert "\n#" in f"\n{markdown}", f"no Markdown heading in the report: {markdown[:200]!r}"
    spellings = {f"{score:.0f}", f"{score:.1f}", f"{score:g}", f"{score:.2f}"}
    assert any(s in markdown for s in spellings), f"the score {score} ({sorted(spellings)}) is not in the report"
    heading = next(line for line in markdown.splitlines() if line.startswith("#"))
    return f"{len(markdown)} characters, {heading.strip()!r}, score {score:g}"


async def ask(session: Session, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Calls a tool and reads its answer."""
    return payload(await session.call_tool(tool, arguments), tool)


async def latest_completed_scans(session: Session, count: int) -> list[dict[str, Any]]:
    """The newest completed compliance scans of the tenant, newest first."""
    page = await ask(
        session, "list_scans", {"tenant": TENANT, "kind": "compliance", "status": "completed", "limit": count}
    )
    scans = page["scans"]
    assert len(scans) >= count, f"list_scans gave {len(scans)} completed scans, wanted {count}"
    return scans[:count]


async def scan_status(session: Session, scan_id: int) -> str:
    detail = await ask(session, "get_scan", {"scan": scan_id})
    return str(detail["scan"]["status"])


Conversation = Callable[[Session], Awaitable[str]]
async def app_views(session: Session) -> str:
    """(7) MCP Apps: tools name their views, and each view is a whole HTML document that fetches
    nothing from the network."""
    tools = {t["name"]: t for t in await session.list_tools()}
    sizes = []
    for tool, uri in VIEWS.items():
        meta = tools[tool].get("_meta") or {}
        linked = (meta.get("ui") or {}).get("resourceUri")
        assert linked == uri, f"{tool} links view {linked!r}, expected {uri}"
    for uri in sorted(set(VIEWS.values())):
        contents = (await session.read_resource(uri)).get("contents", [])
        assert len(contents) == 1, f"{uri}: {len(contents)} contents"
        view = contents[0]
        assert view.get("mimeType") == APPS_MIME_TYPE, f"{uri}: MIME type {view.get('mimeType')!r}"
        html = view.get("text", "")
        assert html.lstrip().lower().startswith("<!doctype html"), f"{uri}: not an HTML document"
        for remote in ('src="http', "src='http", 'href="http', "@import"):
            assert remote not in html, f"{uri}: loads {remote}..."
        csp = ((view.get("_meta") or {}).get("ui") or {}).get("csp")
        assert csp is not None, f"{uri}: no CSP declared in _meta.ui.csp"
        sizes.append(f"{uri.rsplit('/', 1)[-1]} {len(html) // 1024} KiB")
    return ", ".join(sizes)


CONVERSATIONS: list[tuple[str, Conversation, float]] = [
    ("tools/list", tools_listed, 30.0),
    ("(1) critical findings of the latest scan", critical_findings, 30.0),
    ("(2) failing CIS checks for Exchange Online", failing_cis_exchange, 30.0),
    ("(3) score trend over the last 30 days", score_trend, 30.0),
    ("(4) start a scan, wait for its completion notification, list what newly fails", scan_and_wait, 75.0),
    ("(5) compare the last two scans", compare_last_two, 30.0),
    ("(6) board report", board_report, 30.0),
    ("(7) MCP Apps views listed and readable", app_views, 30.0),
]
WRONG_TOKEN = "wrong token rejected with 401"


async def wrong_token(client: Client) -> str:
    """A token the server never issued gets a clean 401."""
    rejection = await client.connect_with_wrong_token()
    assert rejection.status == 401, f"expected HTTP 401, saw status {rejection.status} ({rejection.detail})"
    assert not rejection.problems, f"{'; '.join(rejection.problems)} ({rejection.detail})"
    if rejection.www_authenticate is not None:
        assert rejection.www_authenticate.lower().startswith("bearer"), (
            f"WWW-Authenticate is {rejection.www_authenticate!r}, not a Bearer challenge"
        )
    challenge = f", WWW-Authenticate: {rejection.www_authenticate}" if rejection.www_authenticate else ""
    return f"401{challenge}; client said: {rejection.detail[:120]}"


def describe(error: BaseException) -> str:
    """One line for a FAIL message."""
    if isinstance(error, BaseExceptionGroup) and error.exceptions:
        return describe(error.exceptions[0])
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, AssertionError):
        return f"assertion: {error}"
    if isinstance(error, KeyError):
        return f"missing key {error} in the answer"
    if isinstance(error, ClientError):
        return str(error)
    return f"{type(error).__name__}: {error}"
