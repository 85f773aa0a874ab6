#!/usr/bin/env bash
# Shadow redundancy's cost on the 250: three router processes on loopback form a cluster (as in
# hocon/cluster/), and one latency probe (bench/lib/benchlib.py latency: one session, one message
# every 1/rate s, timing the final '.' to the reply) talks to node1, once per router.shadow mode.
# The firewalls are a port nobody listens on: delivery does not run, so only accepting is timed.
# The first 5 s of each mode warm up and are not counted.
#   bench/shadow-latency.sh [--no-build] [--seconds 30] [--rate 20] [--size 5120] [--modes "off preferred required"]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=1; SECONDS_PER=30; RATE=20; SIZE=5120; MODES="off preferred required"
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0; shift ;;
    --seconds) SECONDS_PER="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --size) SIZE="$2"; shift 2 ;;
    --modes) MODES="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$BUILD" = 1 ] && dotnet build Router.Node -c Release -v q -nologo >/dev/null
DLL="$PWD/Router.Node/bin/Release/net10.0/router.dll"
LIB="$PWD/bench/lib/benchlib.py"
WORK="$(mktemp -d /tmp/shadow-latency.XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_ports() { python3 -c "
import socket
ss=[socket.socket() for _ in range($1)]
[s.bind(('127.0.0.1',0)) for s in ss]
print(' '.join(str(s.getsockname()[1]) for s in ss))"; }

printf '| router.shadow | sent | failed | p50 ms | p99 ms | max ms | copies stored / failed | mean ack ms |\n|---|---|---|---|---|---|---|---|\n' > "$WORK/table.md"
for mode in $MODES; do
  dir="$WORK/$mode"; mkdir -p "$dir"
  read -r r1 r2 r3 smtp1 adm1 dead <<<"$(free_ports 6)"
  remoting=("$r1" "$r2" "$r3")
  for n in 1 2 3; do
    smtp=0; admin=0; [ "$n" = 1 ] && { smtp=$smtp1; admin=$adm1; }
    cat > "$dir/node$n.conf" <<CONF
router {
  node-name = "node$n"
  spool.path = "$dir/node$n/spool"
  admin.listen = "127.0.0.1:$admin"
  tracking.enabled = off
  smtp { listen = ["127.0.0.1:$smtp"], hostname = "node$n.bench", relay.allowed-networks = ["127.0.0.0/8"] }
  cluster {
    enabled = on
    hostname = "127.0.0.1"
    port = ${remoting[$((n-1))]}
    seed-nodes = ["akka.tcp://router@127.0.0.1:$r1", "akka.tcp://router@127.0.0.1:$r2"]
  }
  shadow = $mode
  firewalls { fw { host = "127.0.0.1", port = $dead } }
  connectors { out { address-spaces = ["*;1"], firewalls = [fw] } }
}
CONF
    dotnet "$DLL" run --config "$dir/node$n.conf" > "$dir/node$n.log" 2>&1 &
    PIDS+=($!)
  done
  for _ in $(seq 1 120); do
    up=$( (curl -s "http://127.0.0.1:$adm1/api/cluster" || true) | python3 -c "import json,sys
try: print(sum(1 for m in json.load(sys.stdin)['members'] if m['status'].lower()=='up'))
except Exception: print(0)" || true)
    [ "$up" = 3 ] && break
    sleep 1
  done
  [ "$up" = 3 ] || { echo "cluster did not form for $mode; see $dir/node1.log" >&2; exit 1; }
  # Warm-up (JIT, connections between the nodes, each holder's shadow spool opened), not counted.
  python3 "$LIB" latency 127.0.0.1 "$smtp1" "$RATE" "$SIZE" "$dir/warm.stop" "$dir/warm.json" &
  probe=$!
  sleep 5; touch "$dir/warm.stop"; wait "$probe"
  python3 "$LIB" latency 127.0.0.1 "$smtp1" "$RATE" "$SIZE" "$dir/stop" "$dir/latency.json" &
  probe=$!
  sleep "$SECONDS_PER"; touch "$dir/stop"; wait "$probe"
  curl -s "http://127.0.0.1:$adm1/metrics" > "$dir/metrics.txt" || true
  python3 - "$mode" "$dir/latency.json" "$dir/metrics.txt" >> "$WORK/table.md" <<'PY'
import json, re, sys
mode, path, metrics = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
d = json.load(open(path)); ms = sorted(d["ms"])
pct = lambda p: ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))] if ms else float("nan")
def value(name):
    m = re.search(r"^" + re.escape(name) + r"\s+(\S+)$", metrics, re.M)
    return float(m.group(1)) if m else 0.0
stored = value('router_shadow_copies_total{result="stored"}')
failed = value('router_shadow_copies_total{result="failed"}')
count = value("router_shadow_ack_seconds_count")
ack = f"{1000 * value('router_shadow_ack_seconds_sum') / count:.1f}" if count else "-"
print(f"| {mode} | {d['sent']} | {d['failed']} | {pct(50):.1f} | {pct(99):.1f} | {max(ms) if ms else float('nan'):.1f} | {int(stored)} / {int(failed)} | {ack} |")
PY
  cleanup; PIDS=()
  sleep 1
done
cat "$WORK/table.md"
echo "(work dir: $WORK)"
