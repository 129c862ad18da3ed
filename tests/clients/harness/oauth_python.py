"""The Python SDK's `OAuthClientProvider` (mcp 2.3.0) against the server by its URL alone.

It registers (RFC 7591), or, given a TLS directory (harness.test_ca), names itself by a Client
ID Metadata Document served over https on loopback (`client_metadata_url`; the server trusts
the test CA through --extra-root-ca); hands the authorization URL to the redirect handler
(Playwright consents in Chromium), reads the code, `state` and `iss` from its loopback callback,
exchanges them and calls `get_posture` with the token.
"""

from __future__ import annotations

import json
import os
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import anyio
import anyio.abc
import httpx2
from mcp import Client as McpClient
from mcp import Implementation
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from .stdio_clients import HERE, _tail
from .test_ca import DocumentServer


class _Memory:
    """Token storage for one run."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class _Callback:
    """The loopback redirect URI (RFC 8252): a one-request HTTP listener."""

    def __init__(self) -> None:
        self.params: dict[str, str] = {}
        self.received = anyio.Event()
        self.listener: anyio.abc.SocketListener | None = None
        self.port = 0

    async def start(self, tg: anyio.abc.TaskGroup) -> None:
        self.listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        self.port = self.listener.extra(anyio.abc.SocketAttribute.local_port)
        tg.start_soon(self.listener.serve, self._handle)

    async def _handle(self, stream: anyio.abc.SocketStream) -> None:
        async with stream:
            head = (await stream.receive(65536)).decode("latin-1")
            target = head.split(" ")[1] if head.count(" ") >= 2 else "/"
            url = urlsplit(target)
            if url.path == "/callback" and not self.received.is_set():
                self.params = dict(parse_qsl(url.query))
                self.received.set()
            body = b"You may close this window."
            await stream.send(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/callback"


@dataclass
class Outcome:
    """What the Python SDK client ended with."""

    text: str
    """get_posture's text."""
    token_prefix: str | None
    client_id: str | None
    document_fetches: int
    """How often the server fetched the metadata document (0 without one)."""
    consent: dict[str, Any]
    """What oauth_consent.mjs saw: heading, verifiedDomain."""


async def run_python_sdk(url: str, consent_env: dict[str, str], tls_dir: Path | None = None) -> Outcome:
    """Connects by `url` alone; with `tls_dir`, as a client named by a metadata document."""
    base = url.rstrip("/")
    storage = _Memory()
    consent: dict[str, Any] = {}
    with ExitStack() as stack:
        document = stack.enter_context(DocumentServer(tls_dir)) if tls_dir else None
        async with anyio.create_task_group() as tg:
            result = await _connect(base, storage, consent, document, consent_env, tg)
            tg.cancel_scope.cancel()
        fetches = document.fetches if document else 0
    wire: dict[str, Any] = json.loads(result.model_dump_json(by_alias=True))
    text = "\n".join(str(c.get("text", "")) for c in wire.get("content", []))
    token = storage.tokens.access_token if storage.tokens else None
    client_id = storage.client.client_id if storage.client else None
    return Outcome(text, token[:6] if token else None, client_id, fetches, consent)


async def _connect(base: str, storage: _Memory, consent: dict[str, Any], document: DocumentServer | None,
                   consent_env: dict[str, str], tg: anyio.abc.TaskGroup) -> Any:
    """The OAuth flow and one get_posture call; answers the call's result."""
    callback = _Callback()
    await callback.start(tg)
    client_name = "aether365 client test (Python SDK)"
    if document is not None:
        document.document = {
            "client_id": document.url,
            "client_name": f"{client_name}, metadata document",
            "redirect_uris": [callback.redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }

    async def open_browser(authorization_url: str) -> None:
        env = {**{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}, **consent_env}
        done = await anyio.run_process(
            ["node", str(HERE / "oauth_consent.mjs"), authorization_url], env=env, check=False, cwd=str(HERE)
        )
        if done.returncode != 0:
            raise RuntimeError(f"consent failed: {_tail(done.stderr.decode(), 6)}")
        consent.update(json.loads(done.stdout.decode().strip().splitlines()[-1]))

    async def wait_callback() -> AuthorizationCodeResult:
        with anyio.fail_after(60):
            await callback.received.wait()
        params = callback.params
        if "error" in params:
            raise RuntimeError(f"authorization refused: {params['error']}")
        return AuthorizationCodeResult(code=params["code"], state=params.get("state"), iss=params.get("iss"))

    auth = OAuthClientProvider(
        server_url=f"{base}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name=client_name,
            redirect_uris=[callback.redirect_uri],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=open_browser,
        callback_handler=wait_callback,
        client_metadata_url=document.url if document else None,
    )
    http = httpx2.AsyncClient(auth=auth, timeout=httpx2.Timeout(30.0, read=120.0))
    async with http:
        client = McpClient(
            streamable_http_client(f"{base}/mcp", http_client=http),
            read_timeout_seconds=60,
            client_info=Implementation(name="aether365-oauth-python", version="1.0.0"),
        )
        async with client:
            return await client.call_tool("get_posture", {})
