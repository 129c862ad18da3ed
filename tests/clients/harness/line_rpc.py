"""JSON-RPC 2.0 over a child process's stdin/stdout, one message per line.

mcp-remote speaks exactly this (it is the stdio side of Claude Desktop), and so does
`ts_bridge.mjs`, which puts the TypeScript SDK behind the same framing.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from itertools import count
from typing import Any

import anyio
from anyio.abc import Process, TaskGroup
from anyio.streams.buffered import BufferedByteReceiveStream

from .session import ClientError

MAX_LINE_BYTES = 32 * 1024 * 1024
STDERR_TAIL_BYTES = 16 * 1024


class RpcError(ClientError):
    """A JSON-RPC error answer."""

    def __init__(self, method: str, error: Mapping[str, Any]) -> None:
        self.code = error.get("code")
        self.message = str(error.get("message", ""))
        self.data = error.get("data")
        super().__init__(f"{method}: JSON-RPC error {self.code}: {self.message}")


class ChildExited(ClientError):
    """The child closed its stdout before answering."""


class LineRpc:
    """A JSON-RPC peer running as a child process; use as an async context manager."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], label: str) -> None:
        self.argv = list(argv)
        self.env = dict(env)
        self.label = label
        self.notifications: list[dict[str, Any]] = []
        self.stray_stdout: list[str] = []
        self._stderr = bytearray()
        self._ids = count(1)
        self._pending: dict[int, tuple[anyio.Event, list[dict[str, Any]]]] = {}
        self._changed = anyio.Event()
        self._closed = False
        self._process: Process | None = None
        self._tg: TaskGroup | None = None

    async def __aenter__(self) -> LineRpc:
        self._process = await anyio.open_process(
            self.argv,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(self._read_stdout)
        self._tg.start_soon(self._read_stderr)
        return self

    async def __aexit__(self, *exc: object) -> None:
        process = self._process
        if process is not None:
            if process.stdin is not None:
                with anyio.move_on_after(1):
                    await process.stdin.aclose()
            with anyio.move_on_after(3):
                await process.wait()
            if process.returncode is None:
                _signal_group(process.pid, 15)
                with anyio.move_on_after(3):
                    await process.wait()
            if process.returncode is None:
                _signal_group(process.pid, 9)
                with anyio.move_on_after(3):
                    await process.wait()
        if self._tg is not None:
            self._tg.cancel_scope.cancel()
            await self._tg.__aexit__(None, None, None)

    def stderr_tail(self) -> str:
        """The last lines the child wrote on stderr (for failure messages)."""
        return self._stderr.decode("utf-8", "replace")

    @property
    def exited(self) -> bool:
        return self._closed

    async def request(self, method: str, params: Mapping[str, Any] | None, timeout: float) -> dict[str, Any]:
        """Sends a request and waits for its answer."""
        request_id = next(self._ids)
        done = anyio.Event()
        slot: list[dict[str, Any]] = []
        self._pending[request_id] = (done, slot)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = dict(params)
        try:
            await self._send(message)
            with anyio.fail_after(timeout):
                await done.wait()
        except TimeoutError as e:
            raise ClientError(f"{method}: no answer within {timeout:.0f}s") from e
        finally:
            self._pending.pop(request_id, None)
        if not slot:
            raise ChildExited(f"{method}: {self.label} exited before answering")
        answer = slot[0]
        if "error" in answer:
            raise RpcError(method, answer["error"])
        result = answer.get("result")
        if not isinstance(result, dict):
            raise ClientError(f"{method}: answer without a result object: {answer}")
        return result

    async def notify(self, method: str, params: Mapping[str, Any] | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = dict(params)
        await self._send(message)

    async def wait_notification(
        self, match: Callable[[dict[str, Any]], bool], timeout: float, start: int = 0
    ) -> dict[str, Any]:
        """The first notification from index `start` on that `match`es, waiting up to `timeout`."""
        seen = start
        with anyio.fail_after(timeout):
            while True:
                for note in self.notifications[seen:]:
                    if match(note):
                        return note
                seen = len(self.notifications)
                if self._closed:
                    raise ChildExited(f"{self.label} exited while waiting for a notification")
                changed = self._changed
                await changed.wait()

    async def _send(self, message: Mapping[str, Any]) -> None:
        if self._process is None or self._process.stdin is None or self._closed:
            raise ChildExited(f"{self.label} is not running")
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode()
        try:
            await self._process.stdin.send(data)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as e:
            raise ChildExited(f"{self.label} stdin closed: {e}") from e

    def _wake(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def _read_stdout(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        reader = BufferedByteReceiveStream(self._process.stdout)
        try:
            while True:
                line = await reader.receive_until(b"\n", MAX_LINE_BYTES)
                await self._dispatch(line)
        except (anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass
        finally:
            self._closed = True
            for done, _slot in self._pending.values():
                done.set()
            self._wake()

    async def _read_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        try:
            async for chunk in self._process.stderr:
                self._stderr.extend(chunk)
                del self._stderr[:-STDERR_TAIL_BYTES]
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass

    async def _dispatch(self, line: bytes) -> None:
        text = line.decode("utf-8", "replace").strip()
        if not text:
            return
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            self.stray_stdout.append(text)
            return
        if not isinstance(message, dict):
            self.stray_stdout.append(text)
            return
        if "method" in message and "id" in message:
            await self._answer_server_request(message)
        elif "method" in message:
            self.notifications.append(message)
            self._wake()
        elif "id" in message:
            pending = self._pending.get(message["id"])
            if pending is not None:
                done, slot = pending
                slot.append(message)
                done.set()

    async def _answer_server_request(self, message: Mapping[str, Any]) -> None:
        """Requests from the server side: answer ping, decline everything else."""
        if message["method"] == "ping":
            reply: dict[str, Any] = {"jsonrpc": "2.0", "id": message["id"], "result": {}}
        else:
            reply = {
                "jsonrpc": "2.0",
                "id": message["id"],
                "error": {"code": -32601, "message": f"client does not support {message['method']}"},
            }
        try:
            await self._send(reply)
        except ChildExited:
            pass


def _signal_group(pid: int, signal: int) -> None:
    try:
        os.killpg(pid, signal)
    except (ProcessLookupError, PermissionError):
        pass
