"""The Python SDK (`mcp` 2.3.0): `mcp.Client` over Streamable HTTP (legacy or auto mode) or SSE."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Literal

import anyio
import httpx2
import mcp_types
from mcp import Client as McpClient
from mcp import Implementation
from mcp.client.extension import advertise
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.client.subscriptions import ResourceUpdated
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel

from .conversations import APPS_EXTENSION, APPS_CAPABILITY
from .session import ClientError, Rejection, wrong_token

REQUEST_TIMEOUT = 30.0
Transport = Literal["streamable", "sse"]


def _wire(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(by_alias=True, mode="json", exclude_none=True)


class _Recorder:
    """Keeps the status and WWW-Authenticate of every HTTP response the SDK receives."""

    def __init__(self) -> None:
        self.responses: list[tuple[int, str | None]] = []

    async def __call__(self, response: httpx2.Response) -> None:
        self.responses.append((response.status_code, response.headers.get("www-authenticate")))

    def http_client(
        self,
        headers: dict[str, str] | None = None,
        timeout: httpx2.Timeout | None = None,
        auth: httpx2.Auth | None = None,
    ) -> httpx2.AsyncClient:
        """An httpx2 client shaped like `create_mcp_http_client`, with this recorder hooked in."""
        return httpx2.AsyncClient(
            headers=headers,
            timeout=timeout or httpx2.Timeout(REQUEST_TIMEOUT, read=300.0),
            auth=auth,
            event_hooks={"response": [self]},
        )


class _UpdatedNotifications:
    """`notifications/resources/updated` received through the session's message handler."""

    def __init__(self) -> None:
        self.uris: list[str] = []
        self._changed = anyio.Event()

    async def __call__(self, message: Any) -> None:
        if isinstance(message, mcp_types.ResourceUpdatedNotification):
            self.uris.append(message.params.uri)
            self._changed.set()
            self._changed = anyio.Event()

    async def wait(self, uri: str, start: int, timeout: float) -> dict[str, Any]:
        with anyio.fail_after(timeout):
            while uri not in self.uris[start:]:
                await self._changed.wait()
        return {"method": "notifications/resources/updated", "params": {"uri": uri}}


class _SubscribeWatch:
    """Handshake era: `resources/subscribe`, updates through the message handler."""

    mechanism = "resources/subscribe + notifications/resources/updated"

    def __init__(self, updates: _UpdatedNotifications, uri: str) -> None:
        self.updates = updates
        self.uri = uri
        self.start = len(updates.uris)

    async def wait_updated(self, timeout: float) -> dict[str, Any]:
        return await self.updates.wait(self.uri, self.start, timeout)


class _ListenWatch:
    """2026-07-28: a `subscriptions/listen` stream filtered on the resource."""

    mechanism = "subscriptions/listen + notifications/resources/updated"

    def __init__(self, subscription: Any, uri: str) -> None:
        self.subscription = subscription
        self.uri = uri

    async def wait_updated(self, timeout: float) -> dict[str, Any]:
        with anyio.fail_after(timeout):
            async for event in self.subscription:
                if isinstance(event, ResourceUpdated) and event.uri == self.uri:
                    return {"method": "notifications/resources/updated", "params": {"uri": event.uri}}
        raise ClientError("the subscriptions/listen stream closed before the resource was updated")


class PythonSdkSession:
    """A connected `mcp.Client`."""

    def __init__(self, client: McpClient, updates: _UpdatedNotifications) -> None:
        self.client = client
        self.updates = updates
        self.protocol_version = client.protocol_version

    async def list_tools(self) -> list[dict[str, Any]]:
        tools: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(20):
            page = await self._call(self.client.list_tools(cursor=cursor))
            tools.extend(_wire(t) for t in page.tools)
            cursor = page.next_cursor
            if cursor is None:
                break
        return tools

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return _wire(await self._call(self.client.call_tool(name, arguments)))

    async def read_resource(self, uri: str) -> dict[str, Any]:
        return _wire(await self._call(self.client.read_resource(uri)))

    @asynccontextmanager
    async def watch(self, uri: str) -> AsyncIterator[_SubscribeWatch | _ListenWatch]:
        if self.protocol_version in MODERN_PROTOCOL_VERSIONS:
            async with self.client.listen(resource_subscriptions=[uri]) as subscription:
                yield _ListenWatch(subscription, uri)
            return
        watch = _SubscribeWatch(self.updates, uri)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            await self._call(self.client.session.subscribe_resource(uri))
        yield watch

    @staticmethod
    async def _call(awaitable: Any) -> Any:
        try:
            with anyio.fail_after(REQUEST_TIMEOUT + 5):
                return await awaitable
        except MCPError as e:
            raise ClientError(f"JSON-RPC error {e.code}: {e.message}") from e
        except TimeoutError as e:
            raise ClientError(f"no answer within {REQUEST_TIMEOUT + 5:.0f}s") from e


class PythonSdkClient:
    """`mcp.Client` on one transport and connect mode."""

    def __init__(self, name: str, transport: Transport, mode: str, base_url: str, token: str) -> None:
        self.name = name
        self.transport = transport
        self.mode = mode
        self.base_url = base_url.rstrip("/")
        self.token = token

    def _transport(self, token: str, recorder: _Recorder) -> AbstractAsyncContextManager[Any]:
        headers = {"Authorization": f"Bearer {token}"}
        if self.transport == "sse":
            return sse_client(
                f"{self.base_url}/sse",
                headers=headers,
                timeout=REQUEST_TIMEOUT,
                httpx_client_factory=recorder.http_client,
            )
        return _owned_streamable(f"{self.base_url}/mcp", recorder.http_client(headers=headers))

    def _client(self, token: str, recorder: _Recorder, updates: _UpdatedNotifications) -> McpClient:
        return McpClient(
            self._transport(token, recorder),
            mode=self.mode,
            read_timeout_seconds=REQUEST_TIMEOUT,
            message_handler=updates,
            client_info=Implementation(name=f"aether365-tests-{self.name}", version="1.0.0"),
            extensions=[advertise(APPS_EXTENSION, APPS_CAPABILITY[APPS_EXTENSION])],
        )

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[PythonSdkSession]:
        updates = _UpdatedNotifications()
        async with self._client(self.token, _Recorder(), updates) as client:
            yield PythonSdkSession(client, updates)

    async def connect_with_wrong_token(self) -> Rejection:
        recorder = _Recorder()
        client = self._client(wrong_token(self.token), recorder, _UpdatedNotifications())
        detail = "connected"
        try:
            with anyio.fail_after(REQUEST_TIMEOUT):
                async with client:
                    await client.list_tools()
        except TimeoutError:
            detail = f"no answer within {REQUEST_TIMEOUT:.0f}s"
        except Exception as e:  # what the SDK raises on a 401 differs by transport: any error will do
            detail = f"{type(e).__name__}: {_first_line(e)}"
        rejected = [r for r in recorder.responses if r[0] >= 400]
        status, www = rejected[0] if rejected else (None, None)
        return Rejection(status=status, www_authenticate=www, detail=detail)


@asynccontextmanager
async def _owned_streamable(url: str, http_client: httpx2.AsyncClient) -> AsyncIterator[Any]:
    """`streamable_http_client` over our own httpx2 client, which we close afterwards."""
    async with http_client, streamable_http_client(url, http_client=http_client) as streams:
        yield streams


def _first_line(e: BaseException) -> str:
    if isinstance(e, BaseExceptionGroup) and e.exceptions:
        return _first_line(e.exceptions[0])
    text = str(e) or repr(e)
    return text.splitlines()[0] if text else ""
