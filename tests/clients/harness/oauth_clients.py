"""Real OAuth clients against the server by its URL alone, the consent page driven in Chromium by
Playwright (oauth_consent.mjs), each then calling `get_posture` with the token it obtained:

- `oauth/typescript-sdk`: the TypeScript SDK's OAuth client provider (oauth_ts.mjs);
- `oauth/python-sdk`: the Python SDK's `OAuthClientProvider` (mcp 2.3.0);
- `oauth/mcp-remote`: mcp-remote 0.15.1 without `--header`: it registers, prints the
  authorization URL for a browser, and receives the code on its own loopback callback;
- `oauth/typescript-sdk-metadata-document`, `oauth/python-sdk-metadata-document`: the two SDKs
  naming themselves by a Client ID Metadata Document (`clientMetadataUrl`,
  `client_metadata_url`) served over https on loopback with a certificate of a CA made at test
  time (harness.test_ca, directory in AETHER365_CLIENTS_TLS_DIR), which the server trusts
  through `--extra-root-ca` (with `--allow-loopback-destinations`): nothing is registered, the
  server fetches the document through its guarded outbound path, and the consent page shows
  the document's domain as verified.

The person grants ONE tenant of the demo (which has two): the posture must show that tenant and
never the other. One PASS or FAIL line per client.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import anyio
import anyio.abc
import httpx2

from .line_rpc import LineRpc
from .stdio_clients import HERE, NODE_MODULES, _base_env, _initialize, _tail

TITLE = "OAuth by URL alone: register, consent to one tenant in Chromium, get_posture sees only it"
GRANTED = "Contoso EU"
"""The tenant the person grants."""
WITHHELD = "Contoso Production"
"""The demo's other tenant, which the client must never see."""
DOCUMENT_TITLE = ("OAuth by URL alone with a Client ID Metadata Document over https: nothing registered, "
                  "consent to one tenant in Chromium, get_posture sees only it")
BUDGET = 110.0
CLIENTS = ["oauth/typescript-sdk", "oauth/python-sdk", "oauth/mcp-remote",
           "oauth/typescript-sdk-metadata-document", "oauth/python-sdk-metadata-document"]


def title_of(name: str) -> str:
    """The one conversation title of an OAuth client."""
    return DOCUMENT_TITLE if name.endswith("-metadata-document") else TITLE


def tls_dir() -> Path:
    """The test CA's directory (tests/clients/run makes it and starts the server trusting it)."""
    value = os.environ.get("AETHER365_CLIENTS_TLS_DIR")
    if not value or not (Path(value) / "cert.pem").is_file():
        raise RuntimeError("AETHER365_CLIENTS_TLS_DIR is not set: the metadata document clients need the server "
                           "tests/clients/run starts (--extra-root-ca with the test CA)")
    return Path(value)


def check_document_client(client_id: str | None, fetches: int, consent: dict[str, Any]) -> str:
    """A client named by its metadata document: the URL is its id, the server fetched it, and the
    consent page showed the serving domain as verified."""
    if not client_id or not client_id.startswith("https://127.0.0.1:"):
        raise AssertionError(f"the client id is not the metadata document URL: {client_id!r}")
    if fetches < 1:
        raise AssertionError("the server never fetched the metadata document")
    if consent.get("verifiedDomain") != "127.0.0.1":
        raise AssertionError(f"the consent page did not show the document's domain as verified: {consent!r}")
    if "metadata document" not in str(consent.get("heading", "")):
        raise AssertionError(f"the consent page does not name the document's client_name: {consent!r}")
    return f"client_id {client_id} (fetched {fetches}x over https, domain shown verified)"


def consent_env(demo: dict[str, Any]) -> dict[str, str]:
    """What oauth_consent.mjs needs: the browser, the demo owner's sign-in, the tenant to grant."""
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise RuntimeError("Chromium is not installed (tests/clients/run installs it)")
    password = demo.get("dashboard_password")
    if not password:
        raise RuntimeError("the demo JSON has no dashboard_password (the demo must be created fresh)")
    return {
        "CHROMIUM": chromium,
        "AETHER365_DASHBOARD_EMAIL": str(demo["dashboard_user"]),
        "AETHER365_DASHBOARD_PASSWORD": str(password),
        "AETHER365_CONSENT_TENANT": GRANTED,
    }


def check_posture(text: str, token_prefix: str | None) -> str:
    """The posture text of the granted tenant only, from an OAuth access token."""
    if token_prefix is not None and token_prefix != "a365o_":
        raise AssertionError(f"the access token is not an OAuth access token ({token_prefix}…)")
    if "Security posture" not in text and GRANTED not in text:
        raise AssertionError(f"get_posture did not answer a posture: {text[:300]!r}")
    if GRANTED not in text:
        raise AssertionError(f"the granted tenant {GRANTED!r} is missing: {text[:300]!r}")
    if WITHHELD in text:
        raise AssertionError(f"the withheld tenant {WITHHELD!r} is visible: {text[:300]!r}")
    return f"get_posture shows {GRANTED} only"


async def headless_sees_both(url: str, token: str) -> None:
    """The demo's headless token (the whole organisation) sees both tenants in get_posture, so
    the OAuth client not seeing the withheld one means something."""
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "get_posture", "arguments": {}, "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": {"name": "oauth-check", "version": "1"},
            "io.modelcontextprotocol/clientCapabilities": {}}}}
    async with httpx2.AsyncClient(timeout=30) as http:
        response = await http.post(url.rstrip("/") + "/mcp", json=request, headers={
            "Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "get_posture"})
    if GRANTED not in response.text or WITHHELD not in response.text:
        raise AssertionError(f"the demo's headless token does not see both tenants: {response.text[:300]!r}")


async def run_node(argv: list[str], env: dict[str, str], timeout: float) -> str:
    """Runs a node script; answers its stdout, raising with its stderr when it fails."""
    with anyio.fail_after(timeout):
        done = await anyio.run_process(argv, env=env, check=False, cwd=str(HERE))
    out, err = done.stdout.decode(), done.stderr.decode()
    if done.returncode != 0:
        raise RuntimeError(f"{argv[1]} exited {done.returncode}: {_tail(err, 6)}")
    return out


async def typescript_sdk(url: str, demo: dict[str, Any]) -> str:
    with tempfile.TemporaryDirectory(prefix="aether365-oauth-ts-") as home:
        env = {**_base_env(home), **consent_env(demo)}
        out = await run_node(["node", str(HERE / "oauth_ts.mjs"), url], env, BUDGET - 10)
    answer = json.loads(out.strip().splitlines()[-1])
    summary = check_posture(answer["text"], answer.get("token_prefix"))
    return f"registered {answer.get('client_id')}, consented in Chromium, {summary}"


async def typescript_sdk_document(url: str, demo: dict[str, Any]) -> str:
    with tempfile.TemporaryDirectory(prefix="aether365-oauth-ts-") as home:
        env = {**_base_env(home), **consent_env(demo)}
        out = await run_node(["node", str(HERE / "oauth_ts.mjs"), url, str(tls_dir())], env, BUDGET - 10)
    answer = json.loads(out.strip().splitlines()[-1])
    named = check_document_client(answer.get("client_id"), int(answer.get("document_fetches", 0)),
                                  {"heading": answer.get("consent_heading"),
                                   "verifiedDomain": answer.get("verified_domain")})
    summary = check_posture(answer["text"], answer.get("token_prefix"))
    return f"{named}, consented in Chromium, {summary}"


async def python_sdk(url: str, demo: dict[str, Any]) -> str:
    from .oauth_python import run_python_sdk

    outcome = await run_python_sdk(url, consent_env(demo))
    summary = check_posture(outcome.text, outcome.token_prefix)
    return f"registered {outcome.client_id}, consented in Chromium, {summary}"


async def python_sdk_document(url: str, demo: dict[str, Any]) -> str:
    from .oauth_python import run_python_sdk

    outcome = await run_python_sdk(url, consent_env(demo), tls_dir())
    named = check_document_client(outcome.client_id, outcome.document_fetches, outcome.consent)
    summary = check_posture(outcome.text, outcome.token_prefix)
    return f"{named}, consented in Chromium, {summary}"


async def mcp_remote(url: str, demo: dict[str, Any]) -> str:
    """mcp-remote without `--header`: the authorization URL it prints is opened by Playwright."""
    endpoint = url.rstrip("/") + "/mcp"
    with tempfile.TemporaryDirectory(prefix="aether365-oauth-mcp-remote-") as home:
        env = {**_base_env(home), **consent_env(demo)}
        # Its own attempt to open a browser must do nothing: the test is the browser.
        env["BROWSER"] = "true"
        argv = ["node", str(NODE_MODULES / ".bin" / "mcp-remote"), endpoint, "--host", "127.0.0.1"]
        async with LineRpc(argv, env, "oauth/mcp-remote") as rpc:
            async with anyio.create_task_group() as tg:
                authorize: list[str] = []

                async def open_browser() -> None:
                    with anyio.fail_after(45):
                        while True:
                            found = re.search(r"(https?://\S+/oauth/authorize\?\S+)", rpc.stderr_tail())
                            if found:
                                authorize.append(found[1])
                                break
                            await anyio.sleep(0.2)
                    await run_node(["node", str(HERE / "oauth_consent.mjs"), authorize[0]], env, 60)

                tg.start_soon(open_browser)
                try:
                    await _initialize(rpc, 90)
                except Exception as e:
                    raise RuntimeError(f"{e}; mcp-remote said: {_tail(rpc.stderr_tail(), 4)}") from e
            query = dict(parse_qsl(urlsplit(authorize[0]).query))
            result = await rpc.request("tools/call", {"name": "get_posture", "arguments": {}}, 30)
    text = "\n".join(str(c.get("text", "")) for c in result.get("content", []))
    summary = check_posture(text, None)
    return f"registered {query.get('client_id')}, consented in Chromium, {summary}"


async def run(name: str, url: str, demo: dict[str, Any]) -> int:
    runners = {"oauth/typescript-sdk": typescript_sdk, "oauth/python-sdk": python_sdk, "oauth/mcp-remote": mcp_remote,
               "oauth/typescript-sdk-metadata-document": typescript_sdk_document,
               "oauth/python-sdk-metadata-document": python_sdk_document}
    title = title_of(name)
    started = time.monotonic()
    try:
        with anyio.fail_after(BUDGET):
            await headless_sees_both(url, demo["token"])
            summary = await runners[name](url, demo)
        print(f"PASS {name} | {title} | {summary} ({time.monotonic() - started:.1f}s)", flush=True)
        return 0
    except Exception as e:  # every failure is a FAIL line
        why = f"{type(e).__name__}: {e}".replace("\n", " ")
        print(f"FAIL {name} | {title} | {why} ({time.monotonic() - started:.1f}s)", flush=True)
        print(f"{name}: {why}", file=sys.stderr)
        return 1
