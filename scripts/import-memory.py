#!/usr/bin/env python3
"""Memory of ScubaGear imports through the dashboard API (issue 20, item 6), measured by hand.

Builds an export of about 32 MiB (the bundled fixture, 1,000 conditional access policies, the
most accepted, and a large section the engine does not read), starts `aether365 serve` on a
temporary SQLite database, signs in and posts the export to `POST /api/v1/tenants/{id}/imports`
(once, then N at once), and prints the server's VmRSS before, its peak (VmHWM, and the highest
VmRSS sampled every 5 ms) and VmRSS after.

    cargo build --release --quiet
    scripts/import-memory.py [--binary target/release/aether365] [--concurrent 4]

Not part of the test suite: figures depend on the machine.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1024 * 1024
TARGET = 32 * MIB - 64 * 1024  # just under the upload limit (32 MiB)


def export_bytes():
    with open(os.path.join(ROOT, "fixtures/scubagear/ProviderSettingsExport.json"), "rb") as f:
        doc = json.loads(f.read().decode("utf-8-sig"))
    policy = doc["conditional_access_policies"][0]
    doc["conditional_access_policies"] = [policy] * 1000
    base = len(json.dumps(doc).encode())
    # Padding the engine never reads: 9,000 entries (the default limit is 10,000).
    n = 9000
    each = (TARGET - base - 64) // n - 3
    doc["unread_padding"] = ["x" * each] * n
    body = json.dumps(doc).encode()
    assert len(body) <= 32 * MIB, len(body)
    return body


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS", "VmHWM")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) // 1024  # MiB
    return out


def run(cmd, env, stdin=None):
    subprocess.run(cmd, env=env, input=stdin, check=True, capture_output=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, "target/release/aether365"))
    parser.add_argument("--concurrent", type=int, default=4)
    parser.add_argument("--port", type=int, default=18661)
    args = parser.parse_args()

    body = export_bytes()
    print(f"export: {len(body):,} bytes ({len(body) / MIB:.1f} MiB)")
    work = tempfile.mkdtemp(prefix="aether365-import-memory-")
    env = dict(os.environ, AETHER365_DATABASE_URL=f"sqlite://{work}/db.sqlite?mode=rwc")
    for key in [k for k in env if k.startswith("AETHER365_ENTRA")]:
        del env[key]
    run([args.binary, "org", "create", "Memory"], env)
    run([args.binary, "user", "create", "--org", "Memory", "--email", "owner@memory.example",
         "--role", "owner"], env, stdin=b"a long enough password\n")
    run([args.binary, "tenant", "add", "--org", "Memory", "--name", "Memory",
         "--domain", "memory.example"], env)
    server = subprocess.Popen([args.binary, "serve", "--bind", f"127.0.0.1:{args.port}"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        login = urllib.request.Request(
            f"{base}/api/v1/session", method="POST",
            data=json.dumps({"email": "owner@memory.example",
                             "password": "a long enough password"}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(login) as r:
            cookie = r.headers["Set-Cookie"].split(";")[0]
        with urllib.request.urlopen(urllib.request.Request(
                f"{base}/api/v1/tenants", headers={"Cookie": cookie})) as r:
            tenant = json.load(r)["items"][0]["id"]

        def upload(results, i):
            req = urllib.request.Request(
                f"{base}/api/v1/tenants/{tenant}/imports", method="POST", data=body,
                headers={"Cookie": cookie, "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=300) as r:
                    results[i] = r.status
            except urllib.error.HTTPError as e:
                results[i] = f"{e.code} {e.read()[:200]!r}"

        def measured(label, n):
            time.sleep(1)
            before = status(server.pid)["VmRSS"]
            peak = [before]
            done = threading.Event()

            def sample():
                while not done.is_set():
                    peak[0] = max(peak[0], status(server.pid)["VmRSS"])
                    time.sleep(0.005)

            sampler = threading.Thread(target=sample)
            sampler.start()
            results = [None] * n
            started = time.monotonic()
            threads = [threading.Thread(target=upload, args=(results, i)) for i in range(n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - started
            time.sleep(2)
            done.set()
            sampler.join()
            s = status(server.pid)
            print(f"{label}: answers {results}, {elapsed:.2f} s; VmRSS before {before} MiB, "
                  f"peak sampled {peak[0]} MiB, VmHWM {s['VmHWM']} MiB, after {s['VmRSS']} MiB")

        measured("one import", 1)
        measured(f"{args.concurrent} at once", args.concurrent)
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
