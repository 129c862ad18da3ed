"""Runs every conversation through one client and prints one PASS or FAIL line per conversation.

    python -m harness --client NAME --url http://127.0.0.1:PORT --demo-json demo.json

The demo JSON is what `aether365 demo --json` printed (token, client configurations).
Exit status: 0 when every line is PASS.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import anyio

from .conversations import CONVERSATIONS, WRONG_TOKEN, describe, wrong_token
from .oauth_clients import CLIENTS as OAUTH_CLIENTS
from .oauth_clients import title_of as oauth_title
from .oauth_clients import run as run_oauth
from .python_sdk import PythonSdkClient
from .session import Client
from .stdio_clients import McpRemoteClient, TypeScriptSdkClient

CONVERSATION_BUDGET = 95.0
"""Seconds for connecting and all conversations of one client."""
WRONG_TOKEN_BUDGET = 25.0
"""Seconds for the wrong-token attempt (mcp-remote may try OAuth discovery first)."""

CLIENTS = [
    "python-sdk/streamable-legacy",
    "python-sdk/streamable-auto",
    "python-sdk/sse",
    "typescript-sdk/streamable",
    "typescript-sdk/sse",
    "mcp-remote/stdio",
    "mcp-remote/sse",
]


def make_client(name: str, url: str, demo: dict[str, Any]) -> Client:
    token = demo["token"]
    match name:
        case "python-sdk/streamable-legacy":
            return PythonSdkClient(name, "streamable", "legacy", url, token)
        case "python-sdk/streamable-auto":
            return PythonSdkClient(name, "streamable", "auto", url, token)
        case "python-sdk/sse":
            return PythonSdkClient(name, "sse", "auto", url, token)
        case "typescript-sdk/streamable":
            return TypeScriptSdkClient(name, "streamable", url, token)
        case "typescript-sdk/sse":
            return TypeScriptSdkClient(name, "sse", url, token)
        case "mcp-remote/stdio":
            return McpRemoteClient(name, demo["claude_desktop"], token)
        case "mcp-remote/sse":
            return McpRemoteClient(name, demo["claude_desktop"], token, endpoint="/sse")
    raise SystemExit(f"unknown client {name}; known: {', '.join(CLIENTS)}")


class Report:
    def __init__(self, client: str) -> None:
        self.client = client
        self.failed = 0

    def line(self, ok: bool, title: str, text: str, seconds: float) -> None:
        self.failed += not ok
        verdict = "PASS" if ok else "FAIL"
        print(f"{verdict} {self.client} | {title} | {text} ({seconds:.1f}s)", flush=True)


async def run_conversations(client: Client, report: Report) -> None:
    reported: set[str] = set()
    started = time.monotonic()
    try:
        with anyio.fail_after(CONVERSATION_BUDGET):
            async with client.connect() as session:
                for title, conversation, timeout in CONVERSATIONS:
                    t0 = time.monotonic()
                    try:
                        with anyio.fail_after(timeout):
                            summary = await conversation(session)
                        report.line(True, title, summary, time.monotonic() - t0)
                    except Exception as e:  # every failure becomes a FAIL line; the next conversation runs
                        report.line(False, title, describe(e), time.monotonic() - t0)
                    reported.add(title)
    except Exception as e:  # connecting failed, the budget ran out, or closing the session failed
        why = describe(e)
        missing = [title for title, _, _ in CONVERSATIONS if title not in reported]
        for title in missing:
            report.line(False, title, f"not run: {why}", time.monotonic() - started)
        if not missing:
            print(f"NOTE {client.name} | closing the session failed: {why}", file=sys.stderr, flush=True)


async def run_wrong_token(client: Client, report: Report) -> None:
    t0 = time.monotonic()
    try:
        with anyio.fail_after(WRONG_TOKEN_BUDGET):
            summary = await wrong_token(client)
        report.line(True, WRONG_TOKEN, summary, time.monotonic() - t0)
    except Exception as e:  # reported as a FAIL line
        report.line(False, WRONG_TOKEN, describe(e), time.monotonic() - t0)


async def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__)
    parser.add_argument("--client", help=", ".join(CLIENTS + OAUTH_CLIENTS))
    parser.add_argument("--url", help="server base URL, e.g. http://127.0.0.1:8365")
    parser.add_argument("--demo-json", type=Path)
    parser.add_argument("--list", action="store_true",
                        help="print the conversation titles (of --client, when given) and exit")
    args = parser.parse_args()
    if args.list and args.client in OAUTH_CLIENTS:
        print(oauth_title(args.client))
        return 0
    if args.list:
        for title, _, _ in CONVERSATIONS:
            print(title)
        print(WRONG_TOKEN)
        return 0
    if not (args.client and args.url and args.demo_json):
        parser.error("--client, --url and --demo-json are required")
    demo = json.loads(args.demo_json.read_text())
    if args.client in OAUTH_CLIENTS:
        return await run_oauth(args.client, args.url, demo)
    client = make_client(args.client, args.url, demo)
    report = Report(args.client)
    await run_conversations(client, report)
    await run_wrong_token(client, report)
    return 1 if report.failed else 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.CRITICAL)
    sys.exit(anyio.run(main))
