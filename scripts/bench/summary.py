"""Prints the results of scripts/bench/run beside the targets and the baselines.

    python3 scripts/bench/summary.py OUT_DIR
"""

import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1])


def load(name):
    path = out / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def tool(report, name):
    return (report or {}).get("tools", {}).get(name)


def verdict(ok):
    return "met" if ok else "MISSED"


rows = []
startup = load("startup")
if startup:
    ms = startup["first_answer_ms"]
    rows.append(("start-up to first answer", f"{ms:.0f} ms", "<= 1000 ms", verdict(ms <= 1000)))

for name, tool_name, target_cps in [("posture", "get_posture", 20000), ("findings", "list_findings", 5000)]:
    ours, theirs = load(name), load(f"python-{name}")
    t = tool(ours, tool_name)
    if t:
        text = f"{t['calls_per_second']:.0f}/s p50 {t['p50_ms']:.2f} p99 {t['p99_ms']:.2f} ms"
        ok = t["calls_per_second"] >= target_cps and (tool_name != "get_posture" or t["p99_ms"] <= 10)
        target = f">= {target_cps}/s" + (", p99 <= 10 ms" if tool_name == "get_posture" else "")
        rows.append((f"{tool_name} x{ours['sessions']} (ours)", text, target, verdict(ok)))
    p = tool(theirs, tool_name)
    if p:
        text = f"{p['calls_per_second']:.0f}/s p50 {p['p50_ms']:.2f} p99 {p['p99_ms']:.2f} ms"
        ratio = f"ours/python = {t['calls_per_second'] / max(p['calls_per_second'], 1e-9):.1f}x" if t else ""
        rows.append((f"{tool_name} x{theirs['sessions']} (python SDK)", text, ratio, ""))

for transport in ["legacy", "streamable", "stateless"]:
    t = tool(load(f"posture-{transport}"), "get_posture")
    if t:
        rows.append((f"get_posture over {transport}", f"{t['calls_per_second']:.0f}/s p99 {t['p99_ms']:.2f} ms", "", ""))

mixed = load("mixed")
if mixed:
    rows.append(("mixed workload", f"{mixed['calls_per_second']:.0f}/s, {mixed['errors_total']} errors", "", ""))
    n = mixed.get("scan_notify")
    if n:
        rows.append(("  start_scan -> notification", f"p50 {n['p50_ms']:.0f} ms max {n['max_ms']:.0f} ms", "", ""))

audit = out / "audit.txt"
if audit.exists():
    words = audit.read_text().split()
    rows_seen, answered = int(words[2]), int(words[5])
    rows.append(("audit rows / answered calls", f"{rows_seen} / {answered}", "0 missing", verdict(rows_seen >= answered)))

idle = load("idle")
if idle:
    server = idle.get("server") or {}
    per = server.get("rss_per_session_bytes")
    ok = idle["errors_total"] == 0 and idle["sessions_opened"] == idle["sessions"] and per is not None and per <= 16384
    per_text = f"{per / 1024:.1f} KiB/session" if per is not None else "no --server-pid"
    rows.append((f"{idle['sessions']} idle sessions", f"{idle['sessions_opened']} held, {idle['errors_total']} errors, "
                 f"{idle['keepalives']} keep-alives, {per_text}", "0 errors, <= 16 KiB", verdict(ok)))

fanout = load("fanout")
if fanout and fanout.get("fanout"):
    f = fanout["fanout"]
    lat = f.get("latency_from_finish") or {}
    ok = f["missing"] == 0 and lat.get("max_ms", 1e9) <= 1000 and not f["ended_before_subscribed"]
    rows.append((f"fan-out to {f['subscribed']} sessions",
                 f"{f['received']} received, max {lat.get('max_ms', float('nan')):.0f} ms after finished_at, "
                 f"spread {f['spread_ms']:.0f} ms" + (" VOID" if f["ended_before_subscribed"] else ""),
                 "all within 1 s", verdict(ok)))

def cpu_us_per_call(report):
    """Server CPU microseconds per answered call over the measured phase."""
    server = (report or {}).get("server") or {}
    calls = report["calls_per_second"] * report["measured_seconds"] if report else 0
    return server["cpu_seconds"] * 1e6 / calls if calls and "cpu_seconds" in server else None


for name in ["posture", "findings"]:
    ours, noauth, plain = load(name), load(f"{name}-noauth"), load(f"{name}-plain")
    if ours and noauth:
        a, n = cpu_us_per_call(ours), cpu_us_per_call(noauth)
        rate = noauth["calls_per_second"] / max(ours["calls_per_second"], 1e-9)
        cost = f"CPU/call {a:.0f} vs {n:.0f} us (x{a / n:.2f})" if a and n else "no CPU figures"
        ok = a is not None and n is not None and a <= 1.10 * n
        rows.append((f"{name}: authenticated vs no auth", f"{cost}; calls/s no-auth/auth x{rate:.2f}",
                     "<= +10 %", verdict(ok)))
    if ours and plain:
        a, c = cpu_us_per_call(ours), cpu_us_per_call(plain)
        rate = ours["calls_per_second"] / max(plain["calls_per_second"], 1e-9)
        cost = f"CPU/call {a:.0f} vs {c:.0f} us" if a and c else "no CPU figures"
        rows.append((f"{name}: MCP vs plain JSON ceiling", f"calls/s MCP/plain x{rate:.2f}; {cost}", "", ""))

width = max(len(r[0]) for r in rows)
print()
for name, value, target, result in rows:
    print(f"{name:<{width}}  {value:<70} {target:<24} {result}")
