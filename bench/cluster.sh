#!/usr/bin/env bash
# Cluster throughput: N router processes in one cluster on 127.0.0.1, each relaying to the same two
# smtp-sink "firewalls" (equal-cost connectors), with one smtp-source load split evenly across the
# nodes' SMTP ports. Prints accepted and delivered messages per second and each process's CPU.
# Run it for --nodes 1, 2, 3 to see how throughput changes as nodes are added, or --matrix to run
# every node count and shadow mode in one go. --cpu-per-node caps each router process with a
# cgroup cpu quota, so that a 2-core machine shows what adding nodes adds instead of how the
# processes share two cores.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
LIB="$HERE/lib/benchlib.py"

usage() {
  cat <<'EOF'
usage: bench/cluster.sh [options]

  --nodes N          router processes in the cluster (default 3); the load is split evenly
  --messages M       messages in all (default 6000)
  --sessions S       concurrent SMTP sessions in all (default 21)
  --sessions-per-node S
                     concurrent SMTP sessions per node instead (the load grows with the nodes)
  --shadow MODE      router.shadow: off, preferred (the default) or required; standalone: see --shadows
  --cpu-per-node X   cap each router process at X CPUs (e.g. 0.2) with a cgroup cpu quota
                     (cgroup v1 cpu.cfs_quota_us or v2 cpu.max; needs root); default no cap
  --cpu-period-ms P  the quota's period (default 100, the kernel's and Kubernetes' default): a node
                     capped at 0.2 runs 0.2 x P ms, then waits until the period ends; a shorter
                     period spreads the same CPU more evenly (bench/README.md: what it showed)
  --warm N           messages per node sent and delivered before the timed load (default 0)
  --settle M         after --warm, keep warming in rounds of --settle-round messages per node until
                     no node compiled more than M methods in the last round (the runtime's JIT,
                     router_jit_compiled_methods_total: at a 0.2 CPU cap it still recompiles hot
                     code for tens of seconds after the first thousands of messages, and that
                     would be timed as the router's cost); default 0 (off); at most --settle-max
                     rounds (default 20)
  --settle-round N   messages per node in one settling round (default 1000)
  --settle-max K     settling rounds at most (default 20); the log says when the nodes did not settle
  --shadow-port P    router.shadow-port on every node (default 0, the shipped default: copies over
                     their own TCP connection); off sends them through Akka remoting as before
  --deliver-first D  router.shadow-deliver-first on every node (default 100ms, the shipped default: the 250
                     waits that long for the message to be delivered before copying it); 0 copies every
                     message alongside the local fsync, as before 2026-12-05
  --idle SEC         no load: each node's CPU (ms per second) over SEC seconds once the nodes are up
  --load-nodes K     send the load to the first K nodes only (default: every node); the others
                     only hold shadow copies, so their CPU is the holder's share of the shadow path
  --matrix "1 2 3"   run every node count in the list with every --shadows mode (fresh processes
                     each), print one Markdown table and write it to bench/results/cluster-DATE.md
  --split R          the shadow path's CPU, owner and holder apart, R rounds: one node (shadow off),
                     then two nodes with the load on the first only, shadow off and preferred;
                     writes bench/results/cluster-split-DATE.md (owner's and holder's ms per message,
                     the shadow path's share of a message's CPU)
  --shadows "off preferred required"
                     the shadow modes of --matrix (default "off preferred"); "standalone" as a mode
                     runs the same N routers, caps and load without a cluster (each alone, no
                     copies): the most N nodes get out of this machine, to set the cluster against
  --size B           body bytes per message (default 5120)
  --reuse            reuse SMTP connections (smtp-source -d); default: a new connection per message
  --max-connections  connections per firewall per node (default 16); written as the cluster budget
                     max-connections = this x the number of nodes, so each node keeps this many
  --timeout SEC      limit for the load and the delivery (default 300)
  --no-build         use the existing Release build
  --keep             keep the temporary directory (configs, logs, spools)
EOF
}

NODES=3 MESSAGES=6000 SESSIONS=21 PER_NODE_SESSIONS="" SIZE=5120 REUSE=0 MAX_CONN=16 TIMEOUT=300 BUILD=1 KEEP=0
SHADOW=preferred SHADOW_PORT=0 DELIVER_FIRST=100ms CPU_CAP="" CPU_PERIOD_MS=100 WARM=0 SETTLE=0 SETTLE_ROUND=1000 SETTLE_MAX=20 MATRIX="" SPLIT="" LOAD_NODES="" SHADOWS="off preferred"
ARGS=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --sessions-per-node) PER_NODE_SESSIONS="$2"; shift 2 ;;
    --shadow) SHADOW="$2"; shift 2 ;;
    --cpu-per-node) CPU_CAP="$2"; shift 2 ;;
    --cpu-period-ms) CPU_PERIOD_MS="$2"; shift 2 ;;
    --warm) WARM="$2"; shift 2 ;;
    --settle) SETTLE="$2"; shift 2 ;;
    --settle-round) SETTLE_ROUND="$2"; shift 2 ;;
    --settle-max) SETTLE_MAX="$2"; shift 2 ;;
    --load-nodes) LOAD_NODES="$2"; shift 2 ;;
    --idle) IDLE="$2"; shift 2 ;;
    --shadow-port) SHADOW_PORT="$2"; shift 2 ;;
    --deliver-first) DELIVER_FIRST="$2"; shift 2 ;;
    --matrix) MATRIX="$2"; shift 2 ;;
    --split) SPLIT="$2"; shift 2 ;;
    --shadows) SHADOWS="$2"; shift 2 ;;
    --nodes) NODES="$2"; shift 2 ;;
    --messages) MESSAGES="$2"; shift 2 ;;
    --sessions) SESSIONS="$2"; shift 2 ;;
    --size) SIZE="$2"; shift 2 ;;
    --reuse) REUSE=1; shift ;;
    --max-connections) MAX_CONN="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
case "$SHADOW" in off|preferred|required|standalone) ;; *) echo "--shadow: off, preferred, required or standalone" >&2; exit 2 ;; esac
# standalone: the same N routers, caps and load, but each alone (no cluster, no shadow copies): what N
# routers get out of this machine with nothing shared between them, the row to set the cluster's against.
STANDALONE=0; [ "$SHADOW" = standalone ] && STANDALONE=1

# ---------------------------------------------------------------- several cases: this script once per case
# The arguments given less those each case sets itself (and less the options named as arguments here); the
# build, once; the start (uptime and date) for the report.
begin_cases() {
  rest=() rows=()
  local skip=0 a
  for a in "${ARGS[@]}"; do
    if [ "$skip" = 1 ]; then skip=0; continue; fi
    case "$a" in --split|--matrix|--shadows|--nodes|--shadow) skip=1 ;; --no-build) ;; *)
      if [[ " $* " == *" $a "* ]]; then skip=1; else rest+=("$a"); fi ;;
    esac
  done
  if [ "$BUILD" = 1 ]; then ( cd "$REPO" && dotnet build Router.Node -c Release -nologo -v q ) >&2; fi
  mkdir -p "$HERE/results"
  before="$(uptime)" stamp="$(date -u +%Y%m%d-%H%M%S)"
}
# One case, fresh processes: its RESULT line (or a failed one) is added to rows.
run_case() {
  local line
  line="$("$0" "${rest[@]}" --no-build "$@" | grep '^RESULT ' || true)"
  [ -n "$line" ] || line="RESULT nodes=$2 shadow=${*: -1} failed=1"
  rows+=("$line")
}
# The report of the cases, by bench/lib/SCRIPT, to bench/results/PREFIX-<the start's date>.md.
end_cases() {
  python3 "$HERE/lib/$1" "$HERE/results/$2-$stamp.md" "$before" "bench/cluster.sh ${ARGS[*]}" "$(cd "$REPO" && git rev-parse --short HEAD)" "${rows[@]}"
  exit 0
}

# The shadow path's owner and holder shares: a lone node, then two with the load on the first, off and preferred.
if [ -n "$SPLIT" ]; then
  begin_cases --load-nodes
  for round in $(seq 1 "$SPLIT"); do
    for c in "1 1 off" "2 1 off" "2 1 preferred"; do
      set -- $c
      log "split round $round: $1 node(s), load on $2, shadow $3"
      run_case --nodes "$1" --load-nodes "$2" --shadow "$3"
    done
  done
  end_cases cluster_split.py cluster-split
fi

# Every node count with every shadow mode.
if [ -n "$MATRIX" ]; then
  begin_cases
  for shadow in $SHADOWS; do
    for n in $MATRIX; do
      log "case: $n node(s), shadow $shadow"
      run_case --nodes "$n" --shadow "$shadow"
    done
  done
  end_cases cluster_table.py cluster
fi

# The nodes that take the load (all unless --load-nodes); checked before anything starts.
LOADED="${LOAD_NODES:-$NODES}"
[ "$LOADED" -ge 1 ] 2>/dev/null && [ "$LOADED" -le "$NODES" ] || { echo "--load-nodes: 1 to --nodes ($NODES)" >&2; exit 2; }

# ---------------------------------------------------------------- CPU caps (a cgroup cpu quota per router process)
CG_ROOT="" CG_KIND=""
if [ -n "$CPU_CAP" ]; then
  [ "$(id -u)" = 0 ] || { echo "--cpu-per-node needs root (it writes cgroup cpu quotas)" >&2; exit 2; }
  if [ -e /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
    CG_ROOT=/sys/fs/cgroup/cpu CG_KIND=v1
  elif grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
    CG_ROOT=/sys/fs/cgroup CG_KIND=v2
    grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || echo +cpu > /sys/fs/cgroup/cgroup.subtree_control
  else
    echo "--cpu-per-node: no cgroup cpu controller (v1 /sys/fs/cgroup/cpu, or v2 with cpu in cgroup.controllers)" >&2; exit 2
  fi
  [ "$CPU_PERIOD_MS" -ge 1 ] 2>/dev/null && [ "$CPU_PERIOD_MS" -le 1000 ] || { echo "--cpu-period-ms: 1 to 1000" >&2; exit 2; }
  PERIOD_US=$(( CPU_PERIOD_MS * 1000 ))
  QUOTA_US="$(python3 -c "print(int(round($CPU_CAP * $PERIOD_US)))")"
  [ "$QUOTA_US" -ge 1000 ] || { echo "--cpu-per-node: at least 0.01" >&2; exit 2; }
fi
# Makes the cgroup NAME with the quota and prints its path.
make_cgroup() {
  local dir="$CG_ROOT/$1"
  mkdir -p "$dir"
  if [ "$CG_KIND" = v1 ]; then
    echo "$PERIOD_US" > "$dir/cpu.cfs_period_us"; echo "$QUOTA_US" > "$dir/cpu.cfs_quota_us"
    # The highest weight as well: on a machine that is not quiet, a node still gets its whole quota.
    echo 262144 > "$dir/cpu.shares"
  else
    echo "$QUOTA_US $PERIOD_US" > "$dir/cpu.max"
    echo 10000 > "$dir/cpu.weight"
  fi
  echo "$dir"
}
CGROUPS=()

# ---------------------------------------------------------------- tools (as bench/run.sh)
PFX="$HERE/.tools/postfix"
if [ ! -x "$PFX/usr/sbin/smtp-source" ] || [ ! -x "$PFX/usr/sbin/smtp-sink" ]; then
  log "fetching Postfix's smtp-source/smtp-sink (apt-get download postfix, no daemon installed)"
  mkdir -p "$HERE/.tools/deb"
  ( cd "$HERE/.tools/deb" && { apt-get download postfix >/dev/null 2>&1 || { apt-get update -qq && apt-get download postfix; }; } )
  rm -rf "$PFX"; mkdir -p "$PFX"
  dpkg-deb -x "$(ls -t "$HERE"/.tools/deb/postfix_*.deb | head -n 1)" "$PFX"
fi
export LD_LIBRARY_PATH="$PFX/usr/lib/postfix${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
SMTP_SOURCE="$PFX/usr/sbin/smtp-source"
SMTP_SINK="$PFX/usr/sbin/smtp-sink"
SINK_USER=()
[ "$(id -u)" = 0 ] && SINK_USER=(-u nobody)

if [ "$BUILD" = 1 ]; then
  log "dotnet build Router.Node -c Release"
  ( cd "$REPO" && dotnet build Router.Node -c Release -nologo -v q ) >&2
fi
DLL="$REPO/Router.Node/bin/Release/net10.0/router.dll"

TMP="$(mktemp -d -t router-cluster-bench.XXXXXX)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  for g in "${CGROUPS[@]}"; do rmdir "$g" 2>/dev/null || true; done
  [ "$KEEP" = 1 ] && log "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT

# ---------------------------------------------------------------- sinks and nodes
read -r -a PORTS <<<"$(python3 "$LIB" freeports $(( NODES * 3 + 2 )))"
FWA="${PORTS[0]}" FWB="${PORTS[1]}"
"$SMTP_SINK" "${SINK_USER[@]}" -c "127.0.0.1:$FWA" 4096 > "$TMP/fw-a.out" 2> "$TMP/fw-a.err" & PIDS+=($!)
"$SMTP_SINK" "${SINK_USER[@]}" -c "127.0.0.1:$FWB" 4096 > "$TMP/fw-b.out" 2> "$TMP/fw-b.err" & PIDS+=($!)
python3 "$LIB" waitsmtp 127.0.0.1 "$FWA" 10 && python3 "$LIB" waitsmtp 127.0.0.1 "$FWB" 10

SMTP=() REMOTE=() ADMIN=() NODE_PIDS=()
for i in $(seq 1 "$NODES"); do
  SMTP+=("${PORTS[$(( 2 + (i - 1) * 3 ))]}") REMOTE+=("${PORTS[$(( 3 + (i - 1) * 3 ))]}") ADMIN+=("${PORTS[$(( 4 + (i - 1) * 3 ))]}")
done
SEED="akka.tcp://router@127.0.0.1:${REMOTE[0]}"
CLUSTERED=$([ "$STANDALONE" = 1 ] && echo 1 || echo "$NODES")  # the nodes a firewall's budget is divided among
for i in $(seq 1 "$NODES"); do
  n=$(( i - 1 ))
  mkdir -p "$TMP/node$i"
  cat > "$TMP/node$i/router.conf" <<EOF
router {
  node-name = "bench-$i"
  spool.path = "$TMP/node$i/spool"
  smtp {
    listen = ["127.0.0.1:${SMTP[$n]}"]
    hostname = "router$i.bench"
    relay.allowed-networks = ["127.0.0.0/8"]
  }
  admin.listen = "127.0.0.1:${ADMIN[$n]}"
  shadow = $([ "$STANDALONE" = 1 ] && echo off || echo "$SHADOW")
  shadow-port = $SHADOW_PORT
  shadow-deliver-first = $DELIVER_FIRST
  # --warm warms every node over the real path; the start-up warm-up would only delay the start.
  warm-up.messages = 0
  cluster {
    enabled = $([ "$STANDALONE" = 1 ] && echo off || echo on)
    hostname = "127.0.0.1"
    port = ${REMOTE[$n]}
    seed-nodes = ["$SEED"]
  }
  firewalls {
    # max-connections is a budget for the whole cluster: each node's part is MAX_CONN.
    fw-a { host = "127.0.0.1", port = $FWA, max-connections = $(( MAX_CONN * CLUSTERED )) }
    fw-b { host = "127.0.0.1", port = $FWB, max-connections = $(( MAX_CONN * CLUSTERED )) }
  }
  connectors {
    outbound-a { address-spaces = ["*;1"], firewalls = [fw-a] }
    outbound-b { address-spaces = ["*;1"], firewalls = [fw-b] }
  }
}
EOF
  if [ -n "$CPU_CAP" ]; then
    # The process enters its cgroup before the runtime starts, so .NET sizes its thread pool and
    # GC for the quota, as it would in a container with that limit.
    cg="$(make_cgroup "router-bench-$$-node$i")"; CGROUPS+=("$cg")
    ( cd "$TMP/node$i" && echo "$BASHPID" > "$cg/cgroup.procs" && exec dotnet "$DLL" run --config "$TMP/node$i/router.conf" ) > "$TMP/node$i/router.log" 2>&1 &
  else
    ( cd "$TMP/node$i" && exec dotnet "$DLL" run --config "$TMP/node$i/router.conf" ) > "$TMP/node$i/router.log" 2>&1 &
  fi
  NODE_PIDS+=($!); PIDS+=($!)
  # The first node forms the cluster before the others join it.
  [ "$i" = 1 ] && python3 "$LIB" waitsmtp 127.0.0.1 "${SMTP[0]}" 60 "${NODE_PIDS[0]}"
done
for n in $(seq 0 $(( NODES - 1 ))); do python3 "$LIB" waitsmtp 127.0.0.1 "${SMTP[$n]}" 60 "${NODE_PIDS[$n]}"; done
[ "$STANDALONE" = 1 ] || log "waiting for $NODES member(s) up"
[ "$STANDALONE" = 1 ] || python3 - "${ADMIN[0]}" "$NODES" <<'EOF'
import json, sys, time, urllib.request
port, want = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        view = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/cluster", timeout=5))
        if sum(1 for m in view["members"] if m["status"] == "up") == want:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.5)
sys.exit("the cluster did not form")
EOF

# ---------------------------------------------------------------- load
cpu() { python3 "$LIB" procstat "$1" 2>/dev/null | cut -d' ' -f1 || echo 0; }
sinks() { echo $(( $(python3 "$LIB" sinkcount "$TMP/fw-a.out") + $(python3 "$LIB" sinkcount "$TMP/fw-b.out") )); }
dflag=(); [ "$REUSE" = 1 ] && dflag=(-d)
per_sessions=$(( SESSIONS / LOADED )); [ "$per_sessions" -lt 1 ] && per_sessions=1
[ -n "$PER_NODE_SESSIONS" ] && per_sessions="$PER_NODE_SESSIONS"
# --idle: no load at all; each node's CPU over that many seconds (what a node spends doing nothing).
if [ -n "${IDLE:-}" ]; then
  declare -a I0
  for n in $(seq 0 $(( NODES - 1 ))); do I0[$n]="$(cpu "${NODE_PIDS[$n]}")"; done
  log "idle: ${IDLE}s"
  sleep "$IDLE"
  per_node=""
  for n in $(seq 0 $(( NODES - 1 ))); do
    per_node+="$(python3 -c "print(f'{($(cpu "${NODE_PIDS[$n]}") - ${I0[$n]}) * 1000 / $IDLE:.1f}')") "
  done
  echo "idle $NODES node(s), shadow $SHADOW: CPU ms per second per node: $per_node"
  echo "RESULT idle nodes=$NODES shadow=$SHADOW seconds=$IDLE cpu_ms_per_s_per_node=$(echo $per_node | tr ' ' ',')"
  exit 0
fi
per_messages=$(( MESSAGES / LOADED ))
BASE=0
# COUNT messages per loaded node, sent and delivered (warm-up and settling rounds; not timed).
warm_round() {
  local WSRC=() p want deadline
  for n in $(seq 0 $(( LOADED - 1 ))); do
    timeout "$TIMEOUT" "$SMTP_SOURCE" -A -c "${dflag[@]}" -s "$per_sessions" -m "$1" -l "$SIZE" \
      -f bench@example.test -t rcpt@example.test "127.0.0.1:${SMTP[$n]}" > /dev/null 2> "$TMP/warm$n.err" &
    WSRC+=($!)
  done
  for p in "${WSRC[@]}"; do wait "$p" || true; done
  want=$(( BASE + $1 * LOADED - $(cat "$TMP"/warm*.err | grep -c 'warning:' || true) ))
  deadline=$(( $(date +%s) + TIMEOUT ))
  while [ "$(sinks)" -lt "$want" ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
  BASE="$(sinks)"
}
# Methods node N has compiled since it started (its /metrics; every tier counts).
jit_methods() {
  curl -s "http://127.0.0.1:${ADMIN[$1]}/metrics" | awk '/^router_jit_compiled_methods_total /{printf "%.0f", $2}'
}
jit_all() { local n; for n in $(seq 0 $(( NODES - 1 ))); do echo -n "$(jit_methods "$n") "; done; }
# Sums over every node of: shadow batches and their copies by transport (socket, remoting), spool fsyncs and the
# records they committed (copies per batch and records per fsync tell a cheap run from a dear one).
shadow_counts() {
  local n
  for n in $(seq 0 $(( NODES - 1 ))); do curl -s "http://127.0.0.1:${ADMIN[$n]}/metrics"; done | awk '
    /^router_shadow_batches_total\{transport="socket"\}/ { sb += $2 }
    /^router_shadow_batches_total\{transport="remoting"\}/ { rb += $2 }
    /^router_shadow_batched_copies_total\{transport="socket"\}/ { sc += $2 }
    /^router_shadow_batched_copies_total\{transport="remoting"\}/ { rc += $2 }
    /^router_spool_fsync_batch_records_count / { f += $2 }
    /^router_spool_fsync_batch_records_sum / { r += $2 }
    /^router_shadow_copies_total\{result="stored"\}/ { st += $2 }
    /^router_shadow_copies_total\{result="not_needed"\}/ { nn += $2 }
    END { printf "%.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f", sb, sc, rb, rc, f, r, st, nn }'
}
if [ "$WARM" -gt 0 ]; then
  log "warm-up: $WARM message(s) per node"
  warm_round "$WARM"
fi
SETTLED=0
if [ "$SETTLE" -gt 0 ]; then
  for round in $(seq 1 "$SETTLE_MAX"); do
    jit_before=($(jit_all))
    warm_round "$SETTLE_ROUND"
    jit_after=($(jit_all)) spent="" busy=0
    for n in $(seq 0 $(( NODES - 1 ))); do
      d=$(( ${jit_after[$n]:-0} - ${jit_before[$n]:-0} )); spent+="$d "
      [ "$d" -gt "$SETTLE" ] && busy=1
    done
    log "settling round $round: $SETTLE_ROUND message(s) per node, methods compiled per node: $spent"
    SETTLED=$round
    [ "$busy" = 0 ] && break
    [ "$round" = "$SETTLE_MAX" ] && log "not settled after $SETTLE_MAX rounds: the timed load includes compiling"
  done
fi
JIT0=($(jit_all))
SHADOW0=($(shadow_counts))
declare -a CPU0
for n in $(seq 0 $(( NODES - 1 ))); do CPU0[$n]="$(cpu "${NODE_PIDS[$n]}")"; done
TOTAL=$(( per_messages * LOADED ))
log "load: $TOTAL x $SIZE B over $LOADED of $NODES node(s), $per_sessions session(s) each, $([ "$REUSE" = 1 ] && echo reused || echo new) connections"
t0="$(date +%s.%N)"
SRC=()
for n in $(seq 0 $(( LOADED - 1 ))); do
  timeout "$TIMEOUT" "$SMTP_SOURCE" -A -c "${dflag[@]}" -s "$per_sessions" -m "$per_messages" -l "$SIZE" \
    -f bench@example.test -t rcpt@example.test "127.0.0.1:${SMTP[$n]}" > "$TMP/source$n.out" 2> "$TMP/source$n.err" &
  SRC+=($!)
done
rc=0
for p in "${SRC[@]}"; do wait "$p" || rc=$?; done
t_src="$(date +%s.%N)"
rejected="$(cat "$TMP"/source*.err | grep -c 'warning:' || true)"
expect=$(( TOTAL - rejected ))
delivered=0
deadline=$(( $(date +%s) + TIMEOUT ))
while :; do
  delivered=$(( $(sinks) - BASE ))
  [ "$delivered" -ge "$expect" ] && break
  [ "$(date +%s)" -ge "$deadline" ] && { log "timed out with $delivered of $expect delivered"; break; }
  sleep 0.2
done
t_end="$(date +%s.%N)"
# Arrivals past the expected count are duplicates (smtp-source's ids are not unique, so the sinks
# can count them but not name them): give stragglers two seconds, then count again.
sleep 2
duplicates=$(( $(sinks) - BASE - expect )); [ "$duplicates" -lt 0 ] && duplicates=0
JIT1=($(jit_all)) jits=""
SHADOW1=($(shadow_counts)) shadowd=""
for k in 0 1 2 3 4 5 6 7; do shadowd+="$(( ${SHADOW1[$k]:-0} - ${SHADOW0[$k]:-0} )),"; done
for n in $(seq 0 $(( NODES - 1 ))); do jits+="$(( ${JIT1[$n]:-0} - ${JIT0[$n]:-0} )),"; done
cpus=""
for n in $(seq 0 $(( NODES - 1 ))); do
  cpus+="$(python3 -c "print(f'{$(cpu "${NODE_PIDS[$n]}") - ${CPU0[$n]}:.1f}')") "
done
python3 - "$NODES" "$TOTAL" "$rejected" "$delivered" "$t0" "$t_src" "$t_end" "$rc" "$SHADOW" "${CPU_CAP:-none}" "$duplicates" "${jits%,}" "$SETTLED" "${shadowd%,}" $cpus <<'EOF'
import os, sys
nodes, total, rejected, delivered = map(int, sys.argv[1:5])
t0, t_src, t_end = map(float, sys.argv[5:8])
rc, shadow, cap, duplicates, jits, settled, counts = sys.argv[8:15]
cpu = [float(c) for c in sys.argv[15:]]
sb, sc, rb, rc_, fsyncs, records, stored, not_needed = map(int, counts.split(","))
# Of the messages accepted during the load, the share that had a copy made (the rest left first: shadow-deliver-first).
copied = f"{stored / (stored + not_needed) * 100:.0f}%" if stored + not_needed else "-"
per_batch = f"{(sc + rc_) / (sb + rb):.2f}" if sb + rb else "-"
by_socket = f"{sc / (sc + rc_) * 100:.0f}%" if sc + rc_ else "-"
per_fsync = f"{records / fsyncs:.2f}" if fsyncs else "-"
accept = (total - rejected) / (t_src - t0)
deliver = delivered / (t_end - t0)
load = os.getloadavg()
print(f"nodes={nodes} messages={total} rejected={rejected} delivered={delivered} smtp-source rc={rc}")
print(f"  accepted {accept:.0f} msg/s (load {t_src - t0:.1f} s), delivered {deliver:.0f} msg/s (until the last at the sinks, {t_end - t0:.1f} s)")
print(f"  router CPU seconds per node: {' '.join(f'{c:.1f}' for c in cpu)} = {sum(cpu):.1f} s "
      f"over {t_end - t0:.1f} s wall ({sum(cpu) / (t_end - t0) * 100:.0f}% of one core; {os.cpu_count()} cores); "
      f"load average {load[0]:.1f}")
print(f"  shadow {shadow}, CPU cap per node {cap}, duplicates {duplicates}; methods compiled per node during the load: "
      f"{jits.replace(',', ' ')} (settling rounds before it: {settled})")
print(f"  shadow copies per batch {per_batch} ({by_socket} over the socket links), messages copied {copied} "
      f"(the rest left first), spool records per fsync {per_fsync} (all nodes, during the load)")
print(f"RESULT nodes={nodes} delivered={delivered} shadow={shadow} cap={cap} accepted_per_s={accept:.1f} delivered_per_s={deliver:.1f} "
      f"cpu_ms_per_msg={sum(cpu) / max(delivered, 1) * 1000:.3f} cpu_s_per_node={','.join(f'{c:.1f}' for c in cpu)} "
      f"duplicates={duplicates} load={load[0]:.1f} jit_methods_per_node={jits} settle_rounds={settled} "
      f"copies_per_batch={per_batch} copies_by_socket={by_socket} copied={copied} records_per_fsync={per_fsync}")
EOF
