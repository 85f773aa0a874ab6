#!/usr/bin/env bash
# Profile one router under a steady smtp-source load (issue 8). See bench/README.md, "Profile".
#
#   bench/profile.sh [options] MODE
#     MODE  perf    perf record -g of the router during the load (JIT frames named through
#                   DOTNET_PerfMapEnabled=1; DOTNET_EnableWriteXorExecute=0 so that perf can map them),
#                   then a summary: CPU per thread and per module, top inclusive frames
#           stat    perf stat: instructions per message (user, kernel), sched_yield calls and context
#                   switches per message -- far steadier than CPU seconds on a shared machine
#           strace  strace -c -f: system calls per message
#           none    only the timing and CPU s/1k
#   options (environment): COUNT (6000) SIZE (1024) SESSIONS (20) CONN (new|reuse) WARM (3000 warm-up
#           messages before the measured window: the JIT settles) ROUTER_DLL (Release build of this
#           tree) ROUTER_ENV ("DOTNET_x=y ..." for the router) OUT (a temp dir; kept and printed)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
LIB="$HERE/lib/benchlib.py"
MODE="${1:-none}"
COUNT="${COUNT:-6000}"; SIZE="${SIZE:-1024}"; SESSIONS="${SESSIONS:-20}"; CONN="${CONN:-new}"; WARM="${WARM:-3000}"
ROUTER_DLL="${ROUTER_DLL:-$REPO/Router.Node/bin/Release/net10.0/router.dll}"
ROUTER_ENV="${ROUTER_ENV:-}"
OUT="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/router-profile.XXXXXX")}"
PFX="$HERE/.tools/postfix"
[ -x "$PFX/usr/sbin/smtp-source" ] || { echo "run bench/run.sh once first (it fetches smtp-source/smtp-sink)" >&2; exit 1; }
[ -f "$ROUTER_DLL" ] || { echo "no router build at $ROUTER_DLL (dotnet build Router.Node -c Release)" >&2; exit 1; }
export LD_LIBRARY_PATH="$PFX/usr/lib/postfix${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
DFLAG=(); [ "$CONN" = reuse ] && DFLAG=(-d)
SINK_USER=(); [ "$(id -u)" = 0 ] && SINK_USER=(-u nobody)
mkdir -p "$OUT"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

read -r PR PA PB <<<"$(python3 "$LIB" freeports 3)"
"$PFX/usr/sbin/smtp-sink" "${SINK_USER[@]}" -c "127.0.0.1:$PA" 4096 > "$OUT/fw-a.out" 2>&1 & PIDS+=($!)
"$PFX/usr/sbin/smtp-sink" "${SINK_USER[@]}" -c "127.0.0.1:$PB" 4096 > "$OUT/fw-b.out" 2>&1 & PIDS+=($!)
cat > "$OUT/router.conf" <<EOF
router {
  node-name = "profile-1"
  spool.path = "$OUT/spool"
  smtp { listen = ["127.0.0.1:$PR"], hostname = "router.bench", relay.allowed-networks = ["127.0.0.0/8"], max-connections-per-ip = $((SESSIONS + 50)) }
  admin.listen = "127.0.0.1:0"
  firewalls {
    fw-a { host = "127.0.0.1", port = $PA, max-connections = 16 }
    fw-b { host = "127.0.0.1", port = $PB, max-connections = 16 }
  }
  connectors {
    outbound-a { address-spaces = ["*;1"], firewalls = [fw-a] }
    outbound-b { address-spaces = ["*;1"], firewalls = [fw-b] }
  }
}
EOF
[ "$MODE" = perf ] && ROUTER_ENV="DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 $ROUTER_ENV"
# shellcheck disable=SC2086
env $ROUTER_ENV dotnet "$ROUTER_DLL" run --config "$OUT/router.conf" > "$OUT/router.log" 2>&1 &
RP=$!; PIDS+=("$RP")
python3 "$LIB" waitsmtp 127.0.0.1 "$PR" 60 "$RP"
source_load() {  # source_load MESSAGES
  "$PFX/usr/sbin/smtp-source" -A -c -N "${DFLAG[@]}" -s "$SESSIONS" -m "$1" -l "$SIZE" \
    -f bench@example.test -t rcpt@example.test "127.0.0.1:$PR" > /dev/null 2>> "$OUT/source.err"
}
delivered() { echo $(( $(python3 "$LIB" sinkcount "$OUT/fw-a.out") + $(python3 "$LIB" sinkcount "$OUT/fw-b.out") )); }
wait_delivered() {  # wait_delivered N: until the sinks hold N (at most 10 minutes)
  for _ in $(seq 1 3000); do [ "$(delivered)" -ge "$1" ] && return 0; sleep 0.2; done
  echo "only $(delivered) of $1 arrived" >&2
}
if [ "$WARM" -gt 0 ]; then source_load "$WARM"; wait_delivered "$WARM"; sleep 2; fi

TP=""
case "$MODE" in
  perf) perf record -F 999 -g -p "$RP" -o "$OUT/perf.data" > "$OUT/perf.log" 2>&1 & TP=$! ;;
  stat) perf stat -e instructions:u,instructions:k,task-clock,context-switches,syscalls:sys_enter_sched_yield \
          -p "$RP" -o "$OUT/stat.txt" > /dev/null 2>&1 & TP=$! ;;
  strace) strace -c -f -p "$RP" -o "$OUT/strace.txt" > /dev/null 2>&1 & TP=$! ;;
  none) ;;
  *) echo "unknown mode $MODE (perf|stat|strace|none)" >&2; exit 2 ;;
esac
[ -n "$TP" ] && sleep 1
busy() { awk '/^cpu /{ print ($2 + $3 + $4 + $7 + $8) / 100 }' /proc/stat; }  # user nice system irq softirq, s
C0="$(python3 "$LIB" procstat "$RP" | cut -d' ' -f1)"
B0="$(busy)"
T0="$(date +%s.%N)"
source_load "$COUNT"
T1="$(date +%s.%N)"
wait_delivered $(( WARM + COUNT ))
T2="$(date +%s.%N)"
C1="$(python3 "$LIB" procstat "$RP" | cut -d' ' -f1)"
B1="$(busy)"
if [ -n "$TP" ]; then kill -INT "$TP" 2>/dev/null || true; wait "$TP" 2>/dev/null || true; fi
python3 - "$COUNT" "$T0" "$T1" "$T2" "$C0" "$C1" "$B0" "$B1" "$(nproc)" <<'PY'
import sys
n, t0, t1, t2, c0, c1, b0, b1, cores = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"{n} messages: accepted/s {n / (t1 - t0):.0f}, delivered/s {n / (t2 - t0):.0f}, CPU s/1k msgs {(c1 - c0) / n * 1000:.3f}")
# The whole machine over the same window (/proc/stat): what the router did not use went to smtp-source, the
# sinks, the kernel's softirqs on their behalf, and anything else running; idle near 0 means the machine bounds the rate.
wall = t2 - t0
print(f"machine: {(b1 - b0) / wall:.2f} of {cores:.0f} cores busy ({100 * (1 - (b1 - b0) / wall / cores):.0f}% idle); "
      f"router {(c1 - c0) / wall:.2f} cores, everything else {(b1 - b0 - (c1 - c0)) / wall:.2f} cores = "
      f"{(b1 - b0 - (c1 - c0)) / n * 1000:.3f} CPU s/1k msgs")
PY
case "$MODE" in
  stat) python3 - "$OUT/stat.txt" "$COUNT" <<'PY'
import re, sys
n = int(sys.argv[2]); v = {}
for line in open(sys.argv[1]):
    m = re.match(r"\s*([\d,.]+)\s+(\S+)", line)
    if m:
        v[m.group(2)] = float(m.group(1).replace(",", ""))
u, k = v.get("instructions:u", 0), v.get("instructions:k", 0)
print(f"per message: {u / n / 1e6:.3f} M instructions user + {k / n / 1e6:.3f} M kernel = {(u + k) / n / 1e6:.3f} M; "
      f"sched_yield {v.get('syscalls:sys_enter_sched_yield', 0) / n:.1f}, context switches {v.get('context-switches', 0) / n:.1f}")
PY
  ;;
  strace) sed -n 1,30p "$OUT/strace.txt"; echo "(divide the calls by $COUNT for calls per message)" ;;
  perf)
    perf report -i "$OUT/perf.data" --no-children --sort comm,dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15
    echo "--- inclusive (children), top 60:"
    perf report -i "$OUT/perf.data" --children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' \
      | sed -E 's/\[OptimizedTier1\]|\[Optimized\]//; s/class |valuetype |instance //g' | cut -c1-200 | head -60
    echo "(perf report -i $OUT/perf.data for the rest)"
    ;;
esac
echo "output: $OUT"
