"""A loopback TCP relay that notes the HTTP request lines and response statuses passing through.

mcp-remote reports a rejected token only through its own OAuth handling; to see the server's
real answer to it, the wrong-token run goes through this relay.

The server names itself by its configured public URL, never by the Host it was reached at, so
the relay rewrites the server's address to its own in what it relays back, as a reverse proxy
in front of the server would be configured to (both ports have as many digits, so lengths hold).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
from anyio.abc import SocketStream

REQUEST_LINE = re.compile(rb"(?:^|\r\n)(GET|POST|DELETE|PUT|HEAD|OPTIONS) (\S+) HTTP/1\.[01]\r\n")
STATUS_LINE = re.compile(rb"(?:^|\r\n)HTTP/1\.[01] (\d{3}) [^\r\n]*\r\n((?:[^\r\n]+\r\n)*)")


@dataclass
class Exchange:
    method: str
    path: str
    status: int | None = None
    www_authenticate: str | None = None


@dataclass
class Sniffer:
    port: int = 0
    exchanges: list[Exchange] = field(default_factory=list)


@asynccontextmanager
async def sniffing_relay(target_port: int) -> AsyncIterator[Sniffer]:
    """Listens on a free loopback port and relays every connection to `target_port`."""
    sniffer = Sniffer()
    while True:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        sniffer.port = listener.extra(anyio.abc.SocketAttribute.local_port)
        if len(str(sniffer.port)) == len(str(target_port)):
            break
        await listener.aclose()
    rewrite = (f"127.0.0.1:{target_port}".encode(), f"127.0.0.1:{sniffer.port}".encode())

    async def relay(client: SocketStream) -> None:
        pending: list[Exchange] = []
        async with client, await anyio.connect_tcp("127.0.0.1", target_port) as server:
            async with anyio.create_task_group() as tg:
                tg.start_soon(_pipe, client, server, pending, sniffer, None)
                tg.start_soon(_pipe, server, client, pending, sniffer, rewrite)

    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, relay)
        try:
            yield sniffer
        finally:
            tg.cancel_scope.cancel()


async def _pipe(
    source: SocketStream,
    sink: SocketStream,
    pending: list[Exchange],
    sniffer: Sniffer,
    rewrite: tuple[bytes, bytes] | None,
) -> None:
    """Relays `source` to `sink`: requests when `rewrite` is None, else responses, rewritten."""
    try:
        async for chunk in source:
            if rewrite is None:
                for m in REQUEST_LINE.finditer(chunk):
                    exchange = Exchange(m[1].decode(), m[2].decode())
                    pending.append(exchange)
                    sniffer.exchanges.append(exchange)
            else:
                chunk = chunk.replace(*rewrite)
                for m in STATUS_LINE.finditer(chunk):
                    if pending:
                        exchange = pending.pop(0)
                        exchange.status = int(m[1])
                        www = re.search(rb"(?im)^www-authenticate: *([^\r\n]+)", m[2])
                        exchange.www_authenticate = www[1].decode() if www else None
            await sink.send(chunk)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream, OSError):
        pass
    finally:
        with anyio.move_on_after(1):
            await sink.send_eof()
