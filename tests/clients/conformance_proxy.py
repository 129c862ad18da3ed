"""A loopback reverse proxy that adds `Authorization: Bearer <token>` to every request.

The MCP conformance suite (@modelcontextprotocol/conformance 0.1.13) cannot send a header, and
aether365 requires a bearer token everywhere. This test helper sits between them: one upstream
connection per request (`Connection: close` both ways), the request head rewritten, everything
else relayed byte for byte as it arrives, so SSE streams pass through unbuffered. Host and
Origin pass unchanged (the suite's DNS-rebinding scenario depends on it).

    AETHER365_CONFORMANCE_TOKEN=… python3 conformance_proxy.py --listen 127.0.0.1:9000 \\
        --upstream 127.0.0.1:8365

Stdlib only. Test use only: it listens on loopback and trusts its one client.
"""

import argparse
import asyncio
import os
import sys

CRLF = b"\r\n"
HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection"}
MAX_HEAD = 64 * 1024
CHUNK = 64 * 1024


def header_name(line: bytes) -> bytes:
    return line.split(b":", 1)[0].strip().lower()


def rewrite_head(head: bytes, extra: list) -> bytes:
    """The head without hop-by-hop headers, with `Connection: close` and `extra` added."""
    lines = head.split(CRLF)
    first, fields = lines[0], [l for l in lines[1:] if l]
    names = {header_name(l) for l in fields}
    kept = [l for l in fields if header_name(l) not in HOP_BY_HOP]
    added = [l for l in extra if header_name(l) not in names]
    return CRLF.join([first, *kept, *added, b"Connection: close"]) + CRLF + CRLF


async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copies bytes as they arrive until `reader` ends."""
    while True:
        data = await reader.read(CHUNK)
        if not data:
            return
        writer.write(data)
        await writer.drain()


async def read_head(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(CRLF + CRLF)
    return head[: -len(CRLF + CRLF)]


def close(writer: asyncio.StreamWriter) -> None:
    try:
        writer.close()
    except Exception:  # noqa: BLE001 - already closed
        pass


class Proxy:
    def __init__(self, upstream_host: str, upstream_port: int, token: str):
        self.upstream = (upstream_host, upstream_port)
        self.authorization = b"Authorization: Bearer " + token.encode()

    async def handle(self, client_r, client_w) -> None:
        upstream_w = None
        try:
            try:
                head = await read_head(client_r)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                return
            upstream_r, upstream_w = await asyncio.open_connection(*self.upstream)
            upstream_w.write(rewrite_head(head, [self.authorization]))
            await upstream_w.drain()

            async def response() -> None:
                head = await read_head(upstream_r)
                client_w.write(rewrite_head(head, []))
                await client_w.drain()
                await relay(upstream_r, client_w)

            # The request body (if any) goes up while the response comes down; whichever side
            # ends first ends the exchange: the response is complete, or the client went away
            # (HTTP clients do not half-close).
            tasks = [
                asyncio.ensure_future(relay(client_r, upstream_w)),
                asyncio.ensure_future(response()),
            ]
            done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.exception() is not None:
                    raise task.exception()
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
            print(f"conformance proxy: {type(e).__name__}: {e}", file=sys.stderr)
        finally:
            close(client_w)
            if upstream_w is not None:
                close(upstream_w)


def host_port(value: str):
    host, _, port = value.rpartition(":")
    return host or "127.0.0.1", int(port)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, type=host_port, help="HOST:PORT (loopback)")
    parser.add_argument("--upstream", required=True, type=host_port, help="HOST:PORT of aether365")
    args = parser.parse_args()
    token = os.environ.get("AETHER365_CONFORMANCE_TOKEN", "")
    if not token:
        sys.exit("conformance proxy: set AETHER365_CONFORMANCE_TOKEN")
    proxy = Proxy(*args.upstream, token)
    server = await asyncio.start_server(proxy.handle, *args.listen, limit=MAX_HEAD)
    print(f"conformance proxy: {args.listen[0]}:{args.listen[1]} -> "
          f"{args.upstream[0]}:{args.upstream[1]}", file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
