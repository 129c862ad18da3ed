"""What a conversation needs from a connected client, whatever the library underneath."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol


def wrong_token(token: str) -> str:
    """A well-formed token the server never issued: the real one with its secret changed, so the
    server must reject it by verifying the secret, not by its shape."""
    tail = "A" * 8 if not token.endswith("A" * 8) else "B" * 8
    return token[:-8] + tail


class ClientError(Exception):
    """A request failed: a JSON-RPC error, a transport error or a timeout."""


@dataclass
class Rejection:
    """How the server answered a connection attempt with a wrong token."""

    status: int | None
    www_authenticate: str | None
    detail: str
    problems: list[str] = field(default_factory=list)
    """What went wrong beyond the status, e.g. metadata that does not describe the endpoint."""


class Watch(Protocol):
    """A live subscription to one resource."""

    mechanism: str
    """How updates travel, for the PASS line (e.g. `resources/subscribe on the GET stream`)."""

    async def wait_updated(self, timeout: float) -> dict[str, Any]:
        """The first `notifications/resources/updated` (or equivalent event) for the resource."""
        ...


class Session(Protocol):
    """A connected, initialised MCP client."""

    protocol_version: str

    async def list_tools(self) -> list[dict[str, Any]]: ...

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """The `CallToolResult` as wire JSON (camelCase keys)."""
        ...

    async def read_resource(self, uri: str) -> dict[str, Any]:
        """The `ReadResourceResult` as wire JSON."""
        ...

    def watch(self, uri: str) -> AbstractAsyncContextManager[Watch]: ...


class Client(Protocol):
    """One way of connecting: a library and a transport."""

    name: str

    def connect(self) -> AbstractAsyncContextManager[Session]: ...

    async def connect_with_wrong_token(self) -> Rejection:
        """Tries to connect with a token the server never issued."""
        ...
