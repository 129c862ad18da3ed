"""Clients that run as a child process speaking JSON-RPC lines on stdio.

- mcp-remote 0.15.1, started exactly as the demo's Claude Desktop configuration says, with the
  local binary in place of `npx -y mcp-remote`;
- the TypeScript SDK behind `ts_bridge.mjs`.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit

import anyio
import httpx2

from .conversations import APPS_CAPABILITY
from .line_rpc import LineRpc, RpcError
from .session import ClientError, Rejection, wrong_token
from .sniffer import sniffing_relay

HERE = Path(__file__).resolve().parent.parent
NODE_MODULES = HERE / "node_modules"
REQUEST_TIMEOUT = 30.0
INITIALIZE = {
    "protocolVersion": "2024-11-05",
    "capabilities": {"extensions": APPS_CAPABILITY},
    "clientInfo": {"name": "claude-ai", "version": "0.1.0"},
}


class _SubscribeWatch:
    mechanism = "resources/subscribe + notifications/resources/updated"

    def __init__(self, rpc: LineRpc, uri: str, start: int) -> None:
        self.rpc = rpc
        self.uri = uri
        self.start = start

    async def wait_updated(self, timeout: float) -> dict[str, Any]:
        def match(note: dict[str, Any]) -> bool:
            params = note.get("params") or {}
            return note.get("method") == "notifications/resources/updated" and params.get("uri") == self.uri

        try:
            return await self.rpc.wait_notification(match, timeout, self.start)
        except TimeoutError as e:
            seen = sorted({str(n.get("method")) for n in self.rpc.notifications[self.start :]})
            raise ClientError(f"no notifications/resources/updated for {self.uri} within {timeout:.0f}s "
                              f"(notifications seen meanwhile: {seen or 'none'})") from e


class LineRpcSession:
    """An initialised MCP session over a `LineRpc` child."""

    def __init__(self, rpc: LineRpc, initialize_result: Mapping[str, Any]) -> None:
        self.rpc = rpc
        self.initialize_result = dict(initialize_result)
        self.protocol_version = str(initialize_result.get("protocolVersion"))

    async def list_tools(self) -> list[dict[str, Any]]:
        tools: list[dict[str, Any]] = []
        params: dict[str, Any] = {}
        for _ in range(20):
            page = await self.rpc.request("tools/list", params, REQUEST_TIMEOUT)
            tools.extend(page.get("tools", []))
            cursor = page.get("nextCursor")
            if not cursor:
                break
            params = {"cursor": cursor}
        return tools

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return await self.rpc.request("tools/call", {"name": name, "arguments": arguments}, REQUEST_TIMEOUT)

    async def read_resource(self, uri: str) -> dict[str, Any]:
        return await self.rpc.request("resources/read", {"uri": uri}, REQUEST_TIMEOUT)

    @asynccontextmanager
    async def watch(self, uri: str) -> AsyncIterator[_SubscribeWatch]:
        start = len(self.rpc.notifications)
        await self.rpc.request("resources/subscribe", {"uri": uri}, REQUEST_TIMEOUT)
        yield _SubscribeWatch(self.rpc, uri, start)


async def _initialize(rpc: LineRpc, timeout: float) -> dict[str, Any]:
    result = await rpc.request("initialize", INITIALIZE, timeout)
    await rpc.notify("notifications/initialized")
    return result


class _ChildClient:
    """Shared by both child-process clients: start, initialise, and the wrong-token attempt."""

    name: str
    connect_timeout = REQUEST_TIMEOUT

    def _command(self, authorization: str, home: str) -> tuple[Sequence[str], dict[str, str]]:
        raise NotImplementedError

    @asynccontextmanager
    async def _child(self, authorization: str) -> AsyncIterator[LineRpc]:
        with tempfile.TemporaryDirectory(prefix=f"aether365-{self.name.replace('/', '-')}-") as home:
            argv, env = self._command(authorization, home)
            async with LineRpc(argv, env, self.name) as rpc:
                yield rpc

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[LineRpcSession]:
        async with self._child(f"Bearer {self.token}") as rpc:  # type: ignore[attr-defined]
            try:
                result = await _initialize(rpc, self.connect_timeout)
            except ClientError as e:
                raise ClientError(f"{e}; stderr: {_tail(rpc.stderr_tail())}") from e
            yield LineRpcSession(rpc, result)

    async def connect_with_wrong_token(self) -> Rejection:
        async with self._child(f"Bearer {wrong_token(self.token)}") as rpc:
            try:
                await _initialize(rpc, self.connect_timeout)
                await rpc.request("tools/list", {}, REQUEST_TIMEOUT)
                detail = "connected"
                status = None
                www = None
            except ClientError as e:
                detail = str(e)
                status, www = self._rejection_of(e, rpc)
            return Rejection(status=status, www_authenticate=www, detail=detail)

    def _rejection_of(self, error: ClientError, rpc: LineRpc) -> tuple[int | None, str | None]:
        raise NotImplementedError


class TypeScriptSdkClient(_ChildClient):
    """`@modelcontextprotocol/sdk` 1.32.2 `Client` with `StreamableHTTPClientTransport` or `SSEClientTransport`."""

    def __init__(self, name: str, transport: str, base_url: str, token: str) -> None:
        self.name = name
        self.transport = transport
        self.url = base_url.rstrip("/") + ("/sse" if transport == "sse" else "/mcp")
        self.token = token

    def _command(self, authorization: str, home: str) -> tuple[Sequence[str], dict[str, str]]:
        env = _base_env(home)
        env["AETHER365_AUTH"] = authorization
        argv = ["node", str(HERE / "ts_bridge.mjs"), "--transport", self.transport, "--url", self.url]
        return argv, env

    def _rejection_of(self, error: ClientError, rpc: LineRpc) -> tuple[int | None, str | None]:
        data = error.data if isinstance(error, RpcError) and isinstance(error.data, dict) else {}
        rejected = [r for r in data.get("responses", []) if r.get("status", 0) >= 400]
        if rejected:
            return rejected[0]["status"], rejected[0].get("wwwAuthenticate")
        status = data.get("httpStatus")
        return (status if isinstance(status, int) else None), None


class McpRemoteClient(_ChildClient):
    """mcp-remote 0.15.1 as Claude Desktop runs it, from the demo's `claude_desktop` configuration.

    The configuration points at `/mcp` (Streamable HTTP); with `endpoint="/sse"` the same
    bridge is pointed at the legacy HTTP+SSE endpoint that older bridges use.
    """

    # mcp-remote may try OAuth discovery and its transport fallbacks before giving up.
    connect_timeout = 45.0

    def __init__(
        self, name: str, claude_desktop: Mapping[str, Any], token: str, endpoint: str | None = None
    ) -> None:
        self.name = name
        servers = claude_desktop.get("mcpServers", {})
        if len(servers) != 1:
            raise ValueError(f"expected one server in the claude_desktop configuration, got {list(servers)}")
        (self.server,) = servers.values()
        if endpoint is not None:
            args = list(self.server["args"])
            args[2] = urlsplit(args[2])._replace(path=endpoint).geturl()
            self.server = {**self.server, "args": args}
        self.token = token

    def _command(self, authorization: str, home: str) -> tuple[Sequence[str], dict[str, str]]:
        command, args = self.server["command"], list(self.server["args"])
        if command != "npx" or args[:2] != ["-y", "mcp-remote"]:
            raise ValueError(f"unexpected Claude Desktop command: {command} {args}")
        configured = dict(self.server.get("env", {}))
        if configured.get("AETHER365_AUTH") != f"Bearer {self.token}":
            raise ValueError("the Claude Desktop configuration does not set AETHER365_AUTH to 'Bearer <token>'")
        env = _base_env(home)
        env.update(configured)
        env["AETHER365_AUTH"] = authorization  # the same, except in the wrong-token run
        argv = ["node", str(NODE_MODULES / ".bin" / "mcp-remote"), *args[2:]]
        return argv, env

    async def connect_with_wrong_token(self) -> Rejection:
        """mcp-remote through a sniffing relay: the server's answer, and what mcp-remote made of it."""
        url = urlsplit(self.server["args"][2])
        async with sniffing_relay(url.port or 80) as sniffer:
            relayed = url._replace(netloc=f"127.0.0.1:{sniffer.port}").geturl()
            self.server = {**self.server, "args": [*self.server["args"][:2], relayed, *self.server["args"][3:]]}
            try:
                async with self._child(f"Bearer {wrong_token(self.token)}") as rpc:
                    try:
                        await _initialize(rpc, WRONG_TOKEN_WAIT)
                        detail = "mcp-remote connected"
                    except ClientError as e:
                        fatal = [line for line in rpc.stderr_tail().splitlines() if "error" in line.lower()]
                        detail = f"{e}; mcp-remote said: {_tail(fatal[-1] if fatal else rpc.stderr_tail(), 1)}"
                    with anyio.move_on_after(5):
                        while not rpc.exited:
                            await anyio.sleep(0.1)
                    problems = [] if rpc.exited else _waiting_problems(rpc.stderr_tail(), urlsplit(relayed))
                    if not rpc.exited and not problems:
                        detail = "refused, then mcp-remote registered and asks the person to authorize in a browser"
            finally:
                self.server = {**self.server, "args": [*self.server["args"][:2], url.geturl(), *self.server["args"][3:]]}
            answered = [x for x in sniffer.exchanges if x.path.split("?")[0] == url.path and x.status is not None]
            if not answered:
                return Rejection(None, None, f"no answer from the server to {url.path} ({detail})", problems)
            first = answered[0]
            if first.www_authenticate:
                # mcp-remote asked the relay, so the metadata must describe the relayed URL.
                problems += await _metadata_problems(first.www_authenticate, relayed)
            return Rejection(first.status, first.www_authenticate, detail, problems)


WRONG_TOKEN_WAIT = 8.0
"""Seconds mcp-remote gets to give up on a refused token, or to start the OAuth flow instead."""


def _waiting_problems(stderr: str, server: SplitResult) -> list[str]:
    """mcp-remote still running after a 401 is right only when it started the OAuth flow the
    server advertises: it registered and printed the authorization URL for the person to open,
    which must be on the origin mcp-remote was given (the server's metadata names the origin it
    was asked on), with PKCE S256 and a registered client."""
    found = re.search(r"(https?://\S+/oauth/authorize\?\S+)", stderr)
    if found is None:
        return ["mcp-remote kept running after the rejection without starting an authorization"]
    authorize = urlsplit(found[1])
    query = dict(parse_qsl(authorize.query))
    problems = []
    if (authorize.scheme, authorize.netloc) != (server.scheme, server.netloc):
        problems.append(f"the authorization URL {found[1]} is not on the server {server.netloc}")
    if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
        problems.append(f"the authorization request has no S256 code challenge: {found[1]}")
    if not query.get("client_id"):
        problems.append(f"the authorization request names no registered client: {found[1]}")
    return problems


async def _metadata_problems(www_authenticate: str, endpoint: str) -> list[str]:
    """RFC 9728 and the MCP authorization spec: the metadata the 401 points to must describe the
    resource the client asked for (same origin, and a path that is the endpoint's or a prefix of
    it); OAuth-aware clients such as mcp-remote refuse the server otherwise."""
    match = re.search(r'resource_metadata="([^"]+)"', www_authenticate)
    if match is None:
        return []
    async with httpx2.AsyncClient(timeout=10) as http:
        response = await http.get(match[1])
    if response.status_code != 200:
        return [f"GET {match[1]} answered {response.status_code}"]
    resource = str(response.json().get("resource", ""))
    want, got = urlsplit(endpoint), urlsplit(resource)
    same_origin = (want.scheme, want.netloc) == (got.scheme, got.netloc)
    prefix = got.path.rstrip("/")
    if same_origin and (want.path == got.path or want.path.startswith(prefix + "/") or not prefix):
        return []
    return [f"the 401 for {endpoint} points to {match[1]}, whose resource {resource!r} is another endpoint"]


def _base_env(home: str) -> dict[str, str]:
    """A clean environment: a temporary HOME so no real ~/.mcp-auth or config is read."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")}
    env["HOME"] = home
    env["NO_COLOR"] = "1"
    return env


def _tail(text: str, lines: int = 8) -> str:
    """The last lines of a child's stderr, with anything token-shaped masked."""
    text = re.sub(r"a365_[A-Za-z0-9_-]+", "a365_***", text)
    return " | ".join(text.strip().splitlines()[-lines:]) or "(empty)"

