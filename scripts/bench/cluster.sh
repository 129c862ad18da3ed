# Sourced by scripts/bench/run --cluster: the coordination overhead of issue 11. One, then three
# `aether365 serve` instances on one PostgreSQL database on this machine (so the figure is what
# coordinating costs, not a speed-up): the get_posture mix at 64 connections spread over the
# instances, closed loop; then one scan's completion fanned out to FANOUT_SESSIONS sessions
# spread over the instances (the scan runs on whichever instance claims its lease).
CLUSTER_SESSIONS=${BENCH_CLUSTER_SESSIONS:-64}
CLUSTER_TIME=${BENCH_CLUSTER_TIME:-10s}
CLUSTER_SIZES=${BENCH_CLUSTER_SIZES:-1 3}
# Each instance may hold every session's stream (the default, 4096, would leave one instance
# unable to take the fan-out's 10,000 sessions); 19,000 stays below the 20,000 open files a
# process may have here.
CLUSTER_MAX_CONNECTIONS=${BENCH_CLUSTER_MAX_CONNECTIONS:-19000}
# The stand-in's delay per request: a scan must outlast the subscriptions of the fan-out.
CLUSTER_STANDIN_LATENCY_MS=${BENCH_STANDIN_LATENCY_MS:-3000}

cluster() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    echo "  (PostgreSQL: nothing listens on 127.0.0.1:5432; the cluster benchmark needs it)" >&2
    return 1
  fi
  local db="aether365_cluster_$$" key="$OUT/cluster.token-key"
  psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $db" >/dev/null
  local url="postgres://postgres@127.0.0.1:5432/$db"
  "$BIN" --database-url "$url" --token-key-file "$key" demo --json >"$OUT/cluster-demo.json" 2>>"$OUT/demo.log"
  AETHER365_TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$OUT/cluster-demo.json")
  export AETHER365_TOKEN
  # The demo tenant collects from a stand-in that answers each request after a delay, so a
  # scan outlasts the subscriptions of the fan-out phase.
  "$BIN_DIR/m365-standin" --port 0 --latency-ms "$CLUSTER_STANDIN_LATENCY_MS" >"$OUT/cluster-standin.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do grep -q '^export AETHER365_DNS_SERVER' "$OUT/cluster-standin.log" && break; sleep 0.1; done
  eval "$(grep '^export ' "$OUT/cluster-standin.log")"
  "$BIN" --database-url "$url" --token-key-file "$key" tenant connect --org Contoso \
    --microsoft-tenant-id 3c19c757-3b55-411f-b03f-2bcc514a598d >>"$OUT/cluster-server.log" 2>&1

  local n ports pids addrs
  for n in $CLUSTER_SIZES; do
    ports=() pids=() addrs=()
    for i in $(seq 1 "$n"); do
      local port=$((PORT + 10 + i))
      "$BIN" --database-url "$url" --token-key-file "$key" serve --bind "127.0.0.1:$port" \
        --instance-id "bench-$n-$i" "${QUOTAS[@]}" --max-connections "$CLUSTER_MAX_CONNECTIONS" >>"$OUT/cluster-server-$n-$i.log" 2>&1 &
      pids+=($!)
      PIDS+=($!)
      ports+=("$port")
      addrs+=("127.0.0.1:$port")
    done
    for port in "${ports[@]}"; do wait_port "$port"; done
    local list
    list=$(IFS=,; echo "${addrs[*]}")
    echo "== $n instance(s) on PostgreSQL: get_posture mix, $CLUSTER_SESSIONS connections, $CLUSTER_TIME"
    "$LOAD" --addr "$list" --server-pid "${pids[0]}" --sessions "$CLUSTER_SESSIONS" \
      --transports streamable=1,stateless=1 --json calls --duration "$CLUSTER_TIME" \
      --mix get_posture >"$OUT/cluster-$n-calls.json"
    echo "== $n instance(s): one scan's completion to $FANOUT_SESSIONS sessions"
    "$LOAD" --addr "$list" --sessions "$FANOUT_SESSIONS" --processes 2 --sources 8 \
      --open-concurrency 128 --json fanout --wait 120s >"$OUT/cluster-$n-fanout.json"
    python3 - "$OUT" "$n" <<'PY'
import json, pathlib, sys
out, n = pathlib.Path(sys.argv[1]), sys.argv[2]
c = json.loads((out / f"cluster-{n}-calls.json").read_text())
t = c["tools"]["get_posture"]
print(f"  calls: {t['calls_per_second']:.0f} calls/s  p50 {t['p50_ms']:.2f} ms  p99 {t['p99_ms']:.2f} ms  errors {c['errors_total']}")
f = json.loads((out / f"cluster-{n}-fanout.json").read_text())
fo = f.get("fanout") or {}
lat = fo.get("latency_from_finish") or {}
print(f"  fan-out: {fo.get('received')} of {fo.get('subscribed')} notified, missing {fo.get('missing')}, "
      f"p50 {lat.get('p50_ms')} ms  p99 {lat.get('p99_ms')} ms  max {lat.get('max_ms')} ms from the scan's end"
      f"{'  VOID: the scan ended before every session subscribed' if fo.get('ended_before_subscribed') else ''}")
PY
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  done
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE $db WITH (FORCE)" >/dev/null || true
}
