"""Checks of a three-instance cluster behind a load balancer (run by scripts/test-cluster).

Each check prints "PASS name | detail" or "FAIL name | detail"; the exit status is 1 when one
failed. Instances are named NAME=URL=PID. The alert check kills the instance sending an alert
(twice) and restarts it under its instance id, so the cluster is whole again after it; the
kill -9 check of a scan kills the instance running it, so it runs last. Instances this script
restarted are stopped when it ends.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.server
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx  # the HTTP client of the Python SDK (tests/clients/.venv)

VERSION = "2025-06-18"
END = object()  # a stream's end, in its queue


@dataclass
class Instance:
    name: str
    url: str
    pid: int


class Stream:
    """An SSE stream read by a thread: its events' data in a queue, then END."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.events: queue.Queue[Any] = queue.Queue()
        self.ended_at: float | None = None
        self.status: int | None = None
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, headers), daemon=True)
        self._thread.start()
        if not self._opened.wait(10):
            raise RuntimeError(f"stream {url} did not open")
        if self.status != 200:
            raise RuntimeError(f"stream {url} answered {self.status}")

    def _run(self, url: str, headers: dict[str, str]) -> None:
        try:
            with httpx.Client(timeout=httpx.Timeout(10, read=None)) as client:
                with client.stream("GET", url, headers=headers) as response:
                    self.status = response.status_code
                    self._opened.set()
                    data: list[str] = []
                    for line in response.iter_lines():
                        if line.startswith("data:"):
                            data.append(line[5:].lstrip())
                        elif line == "" and data:
                            text = "\n".join(data)
                            data = []
                            try:
                                self.events.put(json.loads(text))
                            except ValueError:
                                self.events.put(text)
        except httpx.HTTPError:
            pass
        finally:
            self.ended_at = time.monotonic()
            self._opened.set()
            self.events.put(END)

    def next(self, timeout: float) -> Any:
        """The next event, END when the stream ended, None on timeout."""
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def wait_for(self, predicate, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            event = self.next(left)
            if event is None or event is END:
                return event
            if predicate(event):
                return event
        return None

    def wait_end(self, timeout: float) -> bool:
        return self.wait_for(lambda _e: False, timeout) is END


@dataclass
class Attempt:
    """One request the webhook receiver got."""
    delivery: str
    at: float  # time.time()
    held: bool  # the first attempt of its delivery: held open, never answered
    signature_ok: bool
    body: dict | None
    answered: int | None = None  # the status it was answered, once written


class Receiver:
    """A signed-webhook receiver on loopback. The first attempt of each delivery (by its
    X-Aether365-Delivery id) is held open without an answer (its sender is killed meanwhile);
    later ones are answered 200 when the signature verifies with the secret, else 400."""

    def __init__(self) -> None:
        self.secret = ""
        self.attempts: list[Attempt] = []
        self.changed = threading.Condition()
        self.release = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                delivery = self.headers.get("X-Aether365-Delivery", "")
                ok = receiver.verify(self.headers.get("X-Aether365-Signature", ""), body)
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                with receiver.changed:
                    held = all(a.delivery != delivery for a in receiver.attempts)
                    attempt = Attempt(delivery, time.time(), held, ok, parsed)
                    receiver.attempts.append(attempt)
                    receiver.changed.notify_all()
                if held:
                    receiver.release.wait()
                    self.close_connection = True
                    return
                status = 200 if ok else 400
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.wfile.flush()
                with receiver.changed:
                    attempt.answered = status
                    attempt.at = time.time()
                    receiver.changed.notify_all()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A held request's connection is gone once its sender is killed: nothing to report.
        self.server.handle_error = lambda _request, _address: None  # type: ignore[method-assign]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def verify(self, header: str, body: bytes, tolerance: int = 300) -> bool:
        """docs/alerts.md: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>."""
        try:
            parts = dict(p.split("=", 1) for p in header.split(","))
            t, v1 = parts["t"], parts["v1"]
            if abs(time.time() - int(t)) > tolerance:
                return False
        except (KeyError, ValueError):
            return False
        expected = hmac.new(self.secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, v1)

    def wait(self, predicate, timeout: float) -> Attempt | None:
        """The first attempt matching predicate, waiting up to timeout seconds."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = next((a for a in self.attempts if predicate(a)), None)
                left = deadline - time.monotonic()
                if found or left <= 0:
                    return found
                self.changed.wait(left)

    def of(self, delivery: str) -> list[Attempt]:
        with self.changed:
            return [a for a in self.attempts if a.delivery == delivery]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class Checks:
    def __init__(self, args: argparse.Namespace) -> None:
        self.balancer: str = args.balancer
        self.instances = []
        for spec in args.instance:
            name, url, pid = spec.split("=")
            self.instances.append(Instance(name, url, int(pid)))
        demo = json.loads(open(args.demo_json).read())
        self.token: str = demo["token"]
        self.dashboard_login = {"email": demo["dashboard_user"], "password": demo["dashboard_password"]}
        self.bin: str = args.bin
        self.database_url: str = args.database_url
        self.lease = float(args.lease_seconds)
        self.alert_lease = float(args.alert_lease_seconds)
        self.restarted: list[subprocess.Popen] = []  # instances this script started again
        self.failed = 0
        self.http = httpx.Client(timeout=30)

    # --- helpers ---------------------------------------------------------------------------
    def report(self, ok: bool, name: str, detail: str) -> None:
        self.failed += not ok
        print(f"{'PASS' if ok else 'FAIL'} cluster | {name} | {detail}", flush=True)

    def cli(self, *args: str) -> str:
        env = dict(os.environ, AETHER365_DATABASE_URL=self.database_url)
        done = subprocess.run([self.bin, *args], env=env, check=True, capture_output=True, text=True)
        return done.stdout

    def sql(self, query: str) -> list[list[str]]:
        out = subprocess.run(
            ["psql", "-qAtF", "\t", self.database_url, "-c", query],
            check=True, capture_output=True, text=True,
        ).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def new_token(self, label: str) -> tuple[str, int]:
        created = json.loads(self.cli("token", "create", "--org", "Contoso", "--label", label, "--json"))
        return created["token"], int(created["id"])

    def headers(self, token: str, session: str | None = None) -> dict[str, str]:
        h = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": VERSION,
        }
        if session:
            h["Mcp-Session-Id"] = session
        return h

    def answer_of(self, response: httpx.Response) -> dict:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            last = {}
            for line in response.text.splitlines():
                if line.startswith("data:"):
                    message = json.loads(line[5:])
                    if "id" in message:
                        last = message
            return last
        return response.json()

    def initialize(self, base: str, token: str) -> str:
        response = self.http.post(
            f"{base}/mcp",
            headers=self.headers(token),
            json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": VERSION, "capabilities": {},
                "clientInfo": {"name": "cluster-checks", "version": "1"}}},
        )
        response.raise_for_status()
        session = response.headers["mcp-session-id"]
        self.http.post(
            f"{base}/mcp", headers=self.headers(token, session),
            json={"jsonrpc": "2.0", "method": "notifications/initialized"},
        ).raise_for_status()
        return session

    def call(self, base: str, token: str, session: str, n: int, method: str, params: dict) -> dict:
        response = self.http.post(
            f"{base}/mcp", headers=self.headers(token, session),
            json={"jsonrpc": "2.0", "id": n, "method": method, "params": params},
        )
        response.raise_for_status()
        return self.answer_of(response)

    def get_stream(self, base: str, token: str, session: str) -> Stream:
        return Stream(f"{base}/mcp", {
            "Authorization": f"Bearer {token}", "Accept": "text/event-stream",
            "Mcp-Session-Id": session, "MCP-Protocol-Version": VERSION,
        })

    def start_scan(self, base: str, session: str) -> int:
        started = self.call(base, self.token, session, 1, "tools/call", {
            "name": "start_scan", "arguments": {"tenant": "Contoso Production"}})
        content = started["result"]["structuredContent"]
        return int(content.get("scan", {}).get("id") or content["scan_id"])


    def alive(self) -> list[Instance]:
        return [i for i in self.instances if pid_alive(i.pid)]

    def restart(self, instance: Instance, cmdline: list[str], log: str) -> None:
        """Starts `instance` again with its command line (its --instance-id and port), its
        output appended to its log; waits until it is ready."""
        with open(log, "ab") as out:
            child = subprocess.Popen(cmdline, stdout=out, stderr=subprocess.STDOUT)
        self.restarted.append(child)
        instance.pid = child.pid
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise RuntimeError(f"{instance.name} exited at restart ({child.returncode}); see {log}")
            try:
                if httpx.get(f"{instance.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{instance.name} not ready 30 s after its restart")

    def stop_restarted(self) -> None:
        for child in self.restarted:
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(10)
                except subprocess.TimeoutExpired:
                    child.kill()

    def dashboard(self, base: str) -> dict[str, str]:
        """Headers of a signed-in dashboard session of the demo owner."""
        response = self.http.post(f"{base}/api/v1/session", json=self.dashboard_login)
        response.raise_for_status()
        cookie = response.headers["set-cookie"].split(";", 1)[0]
        return {"Cookie": cookie}

    # --- checks ----------------------------------------------------------------------------
    def legacy_answers_cross_instances(self) -> None:
        name = "legacy session, POSTs on every instance"
        stream = Stream(f"{self.balancer}/sse", {
            "Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"})
        endpoint = stream.next(10)
        if not isinstance(endpoint, str) or "sessionId=" not in endpoint:
            return self.report(False, name, f"no endpoint event: {endpoint!r}")
        targets = [i.url for i in self.instances] + [self.balancer] * 3
        post = lambda base, message: self.http.post(  # noqa: E731
            f"{base}{endpoint}", headers={"Authorization": f"Bearer {self.token}"}, json=message)
        init = post(targets[0], {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2024-11-05", "capabilities": {},
            "clientInfo": {"name": "cluster-checks", "version": "1"}}})
        if init.status_code != 202:
            return self.report(False, name, f"initialize answered {init.status_code}")
        first = stream.wait_for(lambda m: isinstance(m, dict) and m.get("id") == 1, 10)
        if not isinstance(first, dict) or "result" not in first:
            return self.report(False, name, f"initialize's answer missing: {first!r}")
        post(targets[1], {"jsonrpc": "2.0", "method": "notifications/initialized"})
        methods = ["tools/list", "ping", "resources/list", "prompts/list", "ping", "tools/list"]
        for n, method in enumerate(methods, start=2):
            posted = post(targets[(n - 1) % len(targets)], {"jsonrpc": "2.0", "id": n, "method": method})
            if posted.status_code != 202:
                return self.report(False, name, f"{method} answered {posted.status_code}")
        wanted = set(range(2, 2 + len(methods)))
        seen: set[int] = set()
        while seen != wanted:
            event = stream.wait_for(lambda m: isinstance(m, dict) and "id" in m, 15)
            if not isinstance(event, dict):
                return self.report(False, name, f"answers {sorted(wanted - seen)} never arrived")
            if "result" not in event:
                return self.report(False, name, f"an error answer: {event}")
            seen.add(event["id"])
        self.report(True, name, f"{len(methods) + 1} answers on the stream, POSTed to 3 instances and the balancer")

    def scan_notifies_other_instances(self) -> None:
        name = "a scan started through one instance notifies sessions on the other two"
        one, two, three = self.instances
        followers = []
        for holder in (two, three):
            session = self.initialize(holder.url, self.token)
            followers.append((holder, session, self.get_stream(holder.url, self.token, session)))
        starter = self.initialize(one.url, self.token)
        scan_id = self.start_scan(one.url, starter)
        uri = f"aether365://scans/{scan_id}"
        # The second's session subscribes through the first instance; the third's through itself.
        for (holder, session, _), via in zip(followers, (one, three)):
            answer = self.call(via.url, self.token, session, 2, "resources/subscribe", {"uri": uri})
            if answer.get("result") != {}:
                return self.report(False, name, f"subscribe through {via.name}: {answer}")
        for holder, _, stream in followers:
            event = stream.wait_for(
                lambda m: isinstance(m, dict) and m.get("method") == "notifications/resources/updated"
                and m.get("params", {}).get("uri") == uri, 120)
            if not isinstance(event, dict):
                return self.report(False, name, f"no resources/updated on {holder.name}'s stream")
        self.report(True, name, f"scan {scan_id}: resources/updated on node-2's and node-3's streams")

    def revocation_closes_every_stream(self) -> None:
        name = "revocation closes the token's streams on all three instances"
        token, token_id = self.new_token("cluster revocation check")
        streams = []
        for instance in self.instances:
            session = self.initialize(instance.url, token)
            streams.append((instance.name, self.get_stream(instance.url, token, session)))
        streams.append(("legacy via balancer", Stream(f"{self.balancer}/sse", {
            "Authorization": f"Bearer {token}", "Accept": "text/event-stream"})))
        self.cli("token", "revoke", str(token_id))
        revoked = time.monotonic()
        slowest = 0.0
        for label, stream in streams:
            if not stream.wait_end(10):
                return self.report(False, name, f"the stream on {label} stayed open 10 s")
            slowest = max(slowest, (stream.ended_at or revoked) - revoked)
        self.report(slowest < 1.0, name, f"{len(streams)} streams closed within {slowest * 1000:.0f} ms of the revocation's commit")

    def kill_while_sending_an_alert(self) -> None:
        """An alert whose sender is killed (kill -9) while the receiver holds its request open
        is still delivered, once: by another instance when the lease has expired, and at once
        when the killed instance restarts under its instance id (start-up frees its leases)."""
        receiver = Receiver()
        dashboard = self.dashboard(self.instances[0].url)
        rule_id = None
        try:
            created = self.http.post(
                f"{self.instances[0].url}/api/v1/alerts/destinations", headers=dashboard,
                json={"name": "cluster receiver", "kind": "webhook", "url": receiver.url})
            if created.status_code != 201:
                return self.report(False, "alert destination", f"{created.status_code} {created.text}")
            receiver.secret = created.json()["signing_secret"]
            rule = self.http.post(
                f"{self.instances[1].url}/api/v1/alerts/rules", headers=dashboard,
                json={"name": "cluster regressions", "trigger": "newly_failing", "min_severity": "info",
                      "destination_ids": [created.json()["destination"]["id"]]})
            if rule.status_code != 201:
                return self.report(False, "alert rule", f"{rule.status_code} {rule.text}")
            rule_id = rule.json()["id"]
            self.alert_through_a_kill(receiver, restart=False)
            self.alert_through_a_kill(receiver, restart=True)
        finally:
            if rule_id is not None:  # later scans raise nothing to a receiver that is gone
                self.http.delete(f"{self.alive()[0].url}/api/v1/alerts/rules/{rule_id}", headers=dashboard)
            receiver.close()

    def alert_through_a_kill(self, receiver: Receiver, restart: bool) -> None:
        name = ("kill -9 of the instance sending an alert, restarted under its id: sent at once"
                if restart else
                "kill -9 of the instance sending an alert: another sends it when the lease ends")
        # A regression: the checks failing in the tenant's latest scan passed in it, as far as
        # the next scan's drift can tell (newly failing at or above info raises the rule).
        tenants = self.sql("SELECT id FROM tenants WHERE display_name = 'Contoso Production'")
        if len(tenants) != 1:
            return self.report(False, name, f"tenants named Contoso Production: {tenants}")
        tenant_id = tenants[0][0]
        passed = self.sql(
            "WITH latest AS (SELECT id FROM scans WHERE tenant_id = " + tenant_id + " AND kind = 'compliance'"
            " AND status = 'completed' ORDER BY finished_at DESC, id DESC LIMIT 1),"
            " flipped AS (UPDATE findings SET status = 'pass' WHERE scan_id IN (SELECT id FROM latest)"
            " AND status = 'fail' RETURNING 1) SELECT count(*) FROM flipped")
        if int(passed[0][0]) == 0:
            return self.report(False, name, "the latest scan has no failing check to regress")
        known = {a.delivery for a in receiver.attempts}
        starter = self.alive()[0]
        scan_id = self.start_scan(starter.url, self.initialize(starter.url, self.token))
        held = receiver.wait(lambda a: a.held and a.delivery not in known, 90)
        if held is None:
            return self.report(False, name, f"scan {scan_id}: no alert reached the receiver in 90 s")
        delivery = held.delivery
        owner, lease_end, row_scan = self.sql(
            "SELECT coalesce(lease_owner, ''), coalesce(extract(epoch FROM lease_expires_at), 0), scan_id"
            f" FROM alert_deliveries WHERE id = {int(delivery)}")[0]
        lease_end = float(lease_end)
        victim = next((i for i in self.instances if i.name == owner), None)
        if victim is None or row_scan != str(scan_id):
            return self.report(False, name, f"delivery {delivery} (scan {row_scan}) leased by {owner!r}")
        if not 0 < lease_end - held.at <= self.alert_lease + 1:
            return self.report(False, name, (
                f"the lease ends {lease_end - held.at:.1f} s after the send; serve --alert-lease is "
                f"{self.alert_lease:.0f} s"))
        cmdline = open(f"/proc/{victim.pid}/cmdline", "rb").read().decode().split("\0")[:-1]
        log = os.readlink(f"/proc/{victim.pid}/fd/1")
        os.kill(victim.pid, signal.SIGKILL)
        killed = time.time()
        while pid_alive(victim.pid) and time.time() < killed + 10:
            time.sleep(0.05)
        try:
            if restart:
                self.restart(victim, cmdline, log)
            acked = receiver.wait(lambda a: a.delivery == delivery and a.answered is not None,
                                  max(lease_end - time.time(), 0) + 30)
        finally:
            if not restart:  # the cluster is whole again for the next checks
                self.restart(victim, cmdline, log)
        if acked is None:
            return self.report(False, name, f"delivery {delivery} not sent again after {victim.name} was killed")
        # One alert per change: no second success, from any instance, a few seconds later.
        time.sleep(3)
        attempts = receiver.of(delivery)
        successes = [a for a in attempts if a.answered == 200]
        body = acked.body or {}
        rows = self.sql(
            "SELECT id, status, coalesce(lease_owner, ''), delivered_at IS NOT NULL"
            f" FROM alert_deliveries WHERE scan_id = {scan_id}")
        problems = []
        if not acked.signature_ok:
            problems.append("the signature did not verify with the destination's secret")
        if len(successes) != 1 or len(attempts) != 2:
            problems.append(f"{len(successes)} successful of {len(attempts)} attempts (want 1 of 2)")
        if body.get("type") != "alert" or str(body.get("delivery_id")) != delivery \
                or body.get("scan_id") != scan_id or body.get("trigger") != "newly_failing":
            problems.append(f"body {body}")
        if rows != [[delivery, "delivered", "", "t"]]:
            problems.append(f"the scan's outbox rows: {rows}")
        waited = acked.at - killed
        if restart and acked.at > lease_end - 5:
            problems.append(f"sent {waited:.1f} s after the kill: not before the lease ended")
        if not restart and acked.at < lease_end:
            problems.append(f"sent {lease_end - acked.at:.1f} s before the killed instance's lease ended")
        self.report(not problems, name, "; ".join(problems) or (
            f"scan {scan_id} on {starter.name}, delivery {delivery} held open by the receiver while "
            f"{victim.name} sent it; killed; sent again {waited:.1f} s later (lease ended "
            f"{lease_end - killed:.1f} s after the kill), signature verified, acknowledged once, "
            f"none more in 3 s, outbox row delivered"))

    def kill_during_scan(self) -> None:
        name = "kill -9 of the instance running a scan"
        token, token_id = self.new_token("cluster audit check")
        acknowledged = 0
        for instance in self.instances:
            session = self.initialize(instance.url, token)
            for n in range(10):
                answer = self.call(instance.url, token, session, 10 + n, "tools/call",
                                   {"name": "list_scans", "arguments": {}})
                if "result" in answer:
                    acknowledged += 1
        starter = self.initialize(self.instances[0].url, self.token)
        victim = None
        scan_id = None
        for _attempt in range(5):
            scan_id = self.start_scan(self.instances[0].url, starter)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                rows = self.sql(f"SELECT status, coalesce(lease_owner, '') FROM scans WHERE id = {scan_id}")
                status, owner = rows[0]
                if status == "running" and owner:
                    victim = next((i for i in self.instances if i.name == owner), None)
                    break
                if status not in ("queued", "running"):
                    break
                time.sleep(0.02)
            if victim:
                break
        if not victim or scan_id is None:
            return self.report(False, name, "no scan was seen running on an instance")
        # A legacy session whose stream the victim holds (initialized through another instance).
        orphan = Stream(f"{victim.url}/sse", {
            "Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"})
        endpoint = orphan.next(10)
        other = next(i for i in self.instances if i is not victim)
        self.http.post(f"{other.url}{endpoint}", headers={"Authorization": f"Bearer {self.token}"},
                       json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                           "protocolVersion": "2024-11-05", "capabilities": {},
                           "clientInfo": {"name": "cluster-checks", "version": "1"}}})
        os.kill(victim.pid, signal.SIGKILL)
        killed = time.monotonic()
        deadline = killed + self.lease + 180
        final = None
        while time.monotonic() < deadline:
            status, owner = self.sql(
                f"SELECT status, coalesce(lease_owner, '') FROM scans WHERE id = {scan_id}")[0]
            if status not in ("queued", "running"):
                final = status
                break
            time.sleep(0.2)
        if final != "completed":
            return self.report(False, name, f"scan {scan_id} ended {final!r} after {victim.name} was killed")
        took = time.monotonic() - killed
        left = []
        while time.monotonic() < deadline:
            left = self.sql("SELECT id, status FROM scans WHERE status IN ('queued', 'running')")
            if not left:
                break
            time.sleep(0.2)
        if left:
            return self.report(False, name, f"scans left unfinished: {left}")
        rows = self.sql(
            f"SELECT count(*) FROM audit_log WHERE actor_id = {token_id} AND tool = 'list_scans'")
        audited = int(rows[0][0])
        if audited < acknowledged:
            return self.report(False, name, f"{acknowledged} calls acknowledged, {audited} audit rows")
        self.report(True, name, (
            f"scan {scan_id} ran on {victim.name}, killed; completed elsewhere {took:.1f} s later "
            f"(lease {self.lease:.0f} s); no scan left running; {audited}/{acknowledged} audit rows"))
        # The legacy session's stream died with the victim: a POST for it is refused, not
        # accepted into the void (once the victim's heartbeat is 6 s old).
        name = "a legacy POST whose stream's instance died is refused"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            posted = self.http.post(f"{other.url}{endpoint}",
                                    headers={"Authorization": f"Bearer {self.token}"},
                                    json={"jsonrpc": "2.0", "id": 2, "method": "ping"})
            if posted.status_code != 202:
                break
            time.sleep(0.5)
        detail = posted.json().get("error", {}).get("message", "") if posted.status_code != 202 else ""
        self.report(posted.status_code == 404 and victim.name in detail, name,
                    f"{posted.status_code} {detail!r}")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of this script not yet reaped is a zombie: dead too.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--balancer", required=True)
    parser.add_argument("--instance", action="append", required=True, help="NAME=URL=PID")
    parser.add_argument("--demo-json", required=True)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--lease-seconds", default="3")
    parser.add_argument("--alert-lease-seconds", default="25")
    checks = Checks(parser.parse_args())
    try:
        for check in (
            checks.legacy_answers_cross_instances,
            checks.scan_notifies_other_instances,
            checks.revocation_closes_every_stream,
            checks.kill_while_sending_an_alert,
            checks.kill_during_scan,
        ):
            try:
                check()
            except Exception as e:  # a check that raises fails; the others still run
                checks.report(False, check.__name__, f"{type(e).__name__}: {e}")
    finally:
        checks.stop_restarted()
    print(f"cluster checks: {'all passed' if not checks.failed else f'{checks.failed} failed'}")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
