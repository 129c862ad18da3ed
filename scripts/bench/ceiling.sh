# Sourced by scripts/bench/run: the side-by-side of issue 10 on one machine, with one load
# generator and the same number of connections: aether365 `get_posture` (stateless 2026-07-28
# and session era 2025-06-18; SQLite, then PostgreSQL when one listens on 127.0.0.1:5432), a
# bare actix-web handler returning aether365's own answer bytes (`aether365-bare`), and the
# official Python SDK server.
CEIL_SESSIONS=${BENCH_CEILING_SESSIONS:-64}
CEIL_TIME=${BENCH_CEILING_TIME:-10s}
# The open-loop phases: calls/s offered over the same connections (latency from each call's
# slot in the schedule, so queueing behind a slow answer counts).
CEIL_RATE=${BENCH_CEILING_RATE:-3000}
RATE=()

python_baseline() { # starts the Python SDK server on the SQLite database
  if [ ! -x "$HERE/.venv/bin/python" ]; then
    python3 -m venv "$HERE/.venv"
    "$HERE/.venv/bin/pip" install -q 'mcp==2.3.0'
  fi
  "$HERE/.venv/bin/python" "$HERE/baseline_server.py" --db "$DB" --port "$PY_PORT" >"$OUT/baseline.log" 2>&1 &
  PY_PID=$!
  PIDS+=("$PY_PID")
  wait_port "$PY_PORT"
}

ceiling_calls() { # name, port, pid, then load-generator options
  local name=$1 port=$2 pid=$3
  shift 3
  "$LOAD" --addr "127.0.0.1:$port" --server-pid "$pid" --sessions "$CEIL_SESSIONS" "$@" \
    --json calls --duration "$CEIL_TIME" --mix get_posture "${RATE[@]}" >"$OUT/ceiling-$name.json"
  python3 - "$OUT/ceiling-$name.json" "$name" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["tools"]["get_posture"]
cpu = (r.get("server") or {}).get("cpu_percent")
cpu = f"  server CPU {cpu:.0f} %" if cpu is not None else ""
print(f"  {sys.argv[2]:<20} {t['calls_per_second']:>8.0f} calls/s  p50 {t['p50_ms']:6.2f} ms"
      f"  p99 {t['p99_ms']:6.2f} ms  errors {r['errors_total']}{cpu}")
EOF
}

WRK_THREADS=${BENCH_WRK_THREADS:-2}
WRK=()
RMCP_PORT=${BENCH_RMCP_PORT:-18402}
RMCP_BIN=${BENCH_RMCP_BIN:-$HERE/rmcp-baseline/target/release/rmcp-baseline}

# The stateless get_posture request: the answer probe and every wrk call send it.
POSTURE_REQUEST="$HERE/posture-request.json"

ceiling_wrk() { # name, port, path, token (may be empty): wrk from Debian, the outside generator
  local name=$1 port=$2 path=$3 token=${4:-}
  [ "${#WRK[@]}" -gt 0 ] || return 0
  WRK_BODY_FILE="$POSTURE_REQUEST" WRK_TOKEN="$token" \
    "${WRK[@]}" -t "$WRK_THREADS" -c "$CEIL_SESSIONS" -d "$CEIL_TIME" --latency \
    -s "$HERE/wrk-post.lua" "http://127.0.0.1:$port$path" >"$OUT/wrk-$name.txt"
  tail -n 1 "$OUT/wrk-$name.txt" >"$OUT/wrk-$name.json"
  python3 - "$OUT/wrk-$name.json" "$name" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
bad = sum(r["errors"].values())
print(f"  wrk {sys.argv[2]:<16} {r['calls_per_second']:>9.0f} calls/s  p50 {r['p50_ms']:6.2f} ms"
      f"  p99 {r['p99_ms']:6.2f} ms  errors {bad}")
EOF
}

posture_answer() { # aether365's own stateless get_posture answer bytes
  curl -s -X POST "http://127.0.0.1:$PORT/mcp" -H "Authorization: Bearer $AETHER365_TOKEN" \
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: get_posture' \
    --data-binary @"$POSTURE_REQUEST"
}

ceiling_db() { # label, database URL
  local label=$1 url=$2
  "$BIN" --database-url "$url" serve --bind "127.0.0.1:$PORT" "${QUOTAS[@]}" >>"$OUT/server-$label.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_port "$PORT"
  posture_answer >"$OUT/posture-answer-$label.json"
  local audit_before=
  [ "$label" = sqlite ] && audit_before=$(audit_rows)
  ceiling_wrk "$label" "$PORT" /mcp "$AETHER365_TOKEN"
  if [ -n "$audit_before" ] && [ -f "$OUT/wrk-$label.json" ]; then
    python3 - "$OUT/wrk-$label.json" "$audit_before" "$(audit_rows)" <<'EOF'
import json, sys
calls = json.load(open(sys.argv[1]))["requests"]
print(f"  (audit: {int(sys.argv[3]) - int(sys.argv[2])} rows written for {calls} wrk calls)")
EOF
  fi
  ceiling_calls "$label-stateless" "$PORT" "$SERVER_PID" --transports stateless=1
  ceiling_calls "$label-session" "$PORT" "$SERVER_PID" --transports streamable=1
  RATE=(--rate "$CEIL_RATE")
  ceiling_calls "$label-stateless-$CEIL_RATE" "$PORT" "$SERVER_PID" --transports stateless=1
  ceiling_calls "$label-session-$CEIL_RATE" "$PORT" "$SERVER_PID" --transports streamable=1
  RATE=()
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

ceiling() {
  if command -v wrk >/dev/null; then
    WRK=(wrk)
  else
    echo "  (wrk is not installed: apt-get install wrk; its runs are skipped)"
  fi
  echo "== side by side: get_posture, $CEIL_SESSIONS connections, $CEIL_TIME, closed loop," \
    "then open loop at $CEIL_RATE calls/s (names ending -$CEIL_RATE)"
  ceiling_db sqlite "$DB_URL"
  echo "  (answer: $(wc -c <"$OUT/posture-answer-sqlite.json") bytes)"
  "$BARE" --bind "127.0.0.1:$BARE_PORT" --body "$OUT/posture-answer-sqlite.json" >"$OUT/bare.log" 2>&1 &
  local bare_pid=$!
  PIDS+=("$bare_pid")
  wait_port "$BARE_PORT"
  ceiling_calls bare-actix "$BARE_PORT" "$bare_pid" --transports plain=1
  ceiling_wrk bare-actix "$BARE_PORT" /
  RATE=(--rate "$CEIL_RATE")
  ceiling_calls "bare-actix-$CEIL_RATE" "$BARE_PORT" "$bare_pid" --transports plain=1
  RATE=()
  kill "$bare_pid" 2>/dev/null || true
  if [ "${#WRK[@]}" -gt 0 ] && [ -x "$RMCP_BIN" ]; then
    "$RMCP_BIN" --bind "127.0.0.1:$RMCP_PORT" --body "$OUT/posture-answer-sqlite.json" >"$OUT/rmcp.log" 2>&1 &
    local rmcp_pid=$!
    PIDS+=("$rmcp_pid")
    wait_port "$RMCP_PORT"
    ceiling_wrk rmcp "$RMCP_PORT" /mcp
    kill "$rmcp_pid" 2>/dev/null || true
  fi
  python_baseline
  ceiling_calls python-stateless "$PY_PORT" "$PY_PID" --transports stateless=1
  ceiling_wrk python "$PY_PORT" /mcp
  ceiling_calls python-session "$PY_PORT" "$PY_PID" --transports streamable=1
  kill "$PY_PID" 2>/dev/null || true
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    local pg_db="aether365_bench_$$" saved=$AETHER365_TOKEN
    psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $pg_db" >/dev/null
    local pg_url="postgres://postgres@127.0.0.1:5432/$pg_db"
    "$BIN" --database-url "$pg_url" demo --json >"$OUT/demo-pg.json" 2>>"$OUT/demo.log"
    AETHER365_TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$OUT/demo-pg.json")
    export AETHER365_TOKEN
    ceiling_db postgres "$pg_url"
    AETHER365_TOKEN=$saved
    psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE $pg_db" >/dev/null || true
  else
    echo "  (PostgreSQL: nothing listens on 127.0.0.1:5432, skipped)"
  fi
  python3 - "$OUT" <<'EOF'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
def cps(name):
    p = out / f"ceiling-{name}.json"
    return json.loads(p.read_text())["tools"]["get_posture"]["calls_per_second"] if p.exists() else None
bare, py = cps("bare-actix"), cps("python-stateless")
for name in ["sqlite-stateless", "sqlite-session", "postgres-stateless", "postgres-session"]:
    ours = cps(name)
    if ours and bare and py:
        print(f"  {name:<20} {ours / bare:5.2f} of bare actix-web (target >= 0.5)   "
              f"{ours / py:6.1f} x the Python SDK (target >= 30)")
EOF
  python3 - "$OUT" <<'EOF'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
def cps(name):
    p = out / f"wrk-{name}.json"
    return json.loads(p.read_text())["calls_per_second"] if p.exists() else None
bare, rmcp, py = cps("bare-actix"), cps("rmcp"), cps("python")
print("  under wrk (targets: >= 0.5 of bare actix-web, >= 2 x rmcp, >= 30 x the Python SDK):")
for name in ["sqlite", "postgres"]:
    ours = cps(name)
    if not ours:
        continue
    parts = [f"  {name:<9}"]
    if bare: parts.append(f"{ours / bare:5.2f} of bare actix-web")
    if rmcp: parts.append(f"{ours / rmcp:5.2f} x rmcp")
    if py: parts.append(f"{ours / py:6.1f} x the Python SDK")
    print("   ".join(parts))
EOF
}
