#!/usr/bin/env bash
# Router benchmark: smtp-source -> router -> two smtp-sink "firewalls", all on 127.0.0.1.
# See bench/README.md for what each figure means.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
LIB="$HERE/lib/benchlib.py"
COMMAND_LINE="$(printf '%q ' "$0" "$@")"

usage() {
  cat <<'EOF'
usage: bench/run.sh [options]

  --cases "S:M:L:C[:R] ..." load cases, each sessions:messages:body-bytes:conn, conn = new|reuse;
                          an optional 5th field R paces the load at R msg/s (our own open-loop
                          generator instead of smtp-source; every message's accept latency timed)
                          (default "20:5000:5120:new 20:5000:5120:reuse", the issue-2 case;
                          env BENCH_CASES). Use --cases "" to skip them.
  --failover "S:M:L:C"    load for the failover pair (healthy, then fw-b blackholed)
                          (default "20:5000:5120:new"; env BENCH_FAILOVER)
  --no-failover           skip the failover pair
  --quick                 short development run: 500 messages per case, 1000 for failover
                          (with --compare: the short comparison list)
  --postfix               also run every case against Postfix 3.7 (Debian package, unpacked into
                          bench/.tools, own temporary config/queue) relaying to the same two sinks,
                          right after the router's run of that case; prints router/Postfix ratios.
                          Implies --unique-rcpt for both. Needs root (Postfix's master does).
  --postfix-only          run the cases against Postfix only (no router, no failover pair)
  --compare               the issue-8 comparison: --postfix, --no-failover and the cases
                          1 KB x 10000, 10 KB x 6000, 100 KB x 4000, 20 and 100 sessions, new and reuse each;
                          with --quick: 1 KB x 1000 new+reuse, 10 KB x 600, 100 KB x 200 (new);
                          --cases / --failover still override
  --unique-rcpt           smtp-source -N: a different recipient per message (1rcpt@, 2rcpt@, ...);
                          Postfix needs it to split the load over its two relays (see README)
  --no-build              do not run dotnet build (use the existing Release build)
  --r2r                   run the router as published with ReadyToRun (dotnet publish -r linux-x64
                          -p:PublishReadyToRun=true into bench/.tools/r2r): every assembly, Akka,
                          SmtpServer and MailKit included, carries precompiled code, as a deployment would
  --timeout SEC           per-case limit, from the start of the load (default 180; env BENCH_TIMEOUT)
  --stall SEC             give up when nothing arrived for SEC after the load ended (default 30)
  --blackhole-mode MODE   accept: fw-b completes TCP and never sends a greeting (default);
                          noaccept: fw-b never accepts (backlog 4), later connects time out;
                          with --blackhole-when start also stall-ehlo (greets, never answers EHLO),
                          stall-mail (greets, answers EHLO, never answers MAIL FROM) and reset
                          (greets, then resets the connection when the client speaks);
                          slow: fw-b is alive but slow (smtp-sink -W connect:3 -w 3), and must not trip
  --blackhole-when WHEN   start: fw-b is a blackhole from the start (default; the node never saw it
                          answer, so only the fixed timeouts can judge it);
                          midrun: fw-b is a working smtp-sink that hangs (SIGSTOP) once it has counted
                          --die-after messages: its sessions get no more replies, new connections are
                          never greeted (accept) or, with noaccept, get no SYN-ACK (issue 18)
  --die-after N           midrun: messages fw-b takes before it hangs (default: messages/8)
  --max-connections N     max-connections per firewall in the generated config (default 16)
  --fw-opts "HOCON"       extra per-firewall settings, e.g. "connect-timeout = 2s, trip-after = 3"
  --smtp-opts "HOCON"     extra lines for router.smtp, e.g. "max-connections = 200"
  --telemetry RATIO       OpenTelemetry on: the router exports traces (sample-ratio RATIO, 0-1) and
                          metrics over OTLP/HTTP to a sink of ours on loopback (bench/lib otlpsink);
                          compare a run without it to see what tracing costs
  --half-rate             after each case (per target), the same case paced at half the accepted/s
                          it reached, every message's '.' -> 250 timed: accept latency at half
                          the maximum rate (issue 8: p99 < 50 ms)
  --prime PCT             every case but the failover pair: each freshly started target first gets
                          PCT% of the case's messages (smtp-source, full speed), delivered before
                          the timed run starts; the timed figures are the warmed-up ones, the
                          prime's delivered/s is reported as the cold figure (default 25; 0 = time
                          the fresh target)
  --warm-up SEC           paced cases: the messages of the first SEC seconds are timed apart, the
                          p50/p99 are the rest (default 5; 0 times every message together)
  --queued N              issue 8 memory case: both firewalls stalled (blackholes that accept and
                          never greet), N messages accepted (--queued-load, default 20:N:1024:reuse);
                          reports the router's peak RSS with N queued and the count on reopening
  --queued-load "S:M:L:C" the load of the --queued case (M is replaced by N)
  --latency               add one probe session of ours (20 msg/s, same size) that times '.' -> 250;
                          reports accept latency p50/p99/max (its messages count as delivered load)
  --stop-timeout SEC      how long the router gets to exit after SIGTERM before SIGKILL (default 20)
  --keep                  keep the temporary spool directories
  -h, --help
EOF
}

COMPARE_CASES="20:10000:1024:new 20:10000:1024:reuse 20:6000:10240:new 20:6000:10240:reuse 20:4000:102400:new 20:4000:102400:reuse
  100:10000:1024:new 100:10000:1024:reuse 100:6000:10240:new 100:6000:10240:reuse 100:4000:102400:new 100:4000:102400:reuse"
COMPARE_QUICK="20:1000:1024:new 20:1000:1024:reuse 20:600:10240:new 20:200:102400:new"
CASES="${BENCH_CASES-20:5000:5120:new 20:5000:5120:reuse}"
FAILOVER="${BENCH_FAILOVER-20:5000:5120:new}"
BUILD=1
CASE_TIMEOUT="${BENCH_TIMEOUT:-180}"
STALL=30
BLACKHOLE_MODE=accept
BLACKHOLE_WHEN=start
DIE_AFTER=""
MAX_CONN=16
FW_OPTS=""
SMTP_OPTS=""
TELEMETRY=""
OTLP_PORT=""
KEEP=0
R2R=0
LATENCY=0
STOP_TIMEOUT=20
QUICK=0
COMPARE=0
TARGETS="router"
UNIQUE_RCPT=0
CASES_GIVEN=0
FAILOVER_GIVEN=0
HALF_RATE=0
WARM_S=5
PRIME_PCT=25
QUEUED=0
QUEUED_LOAD="20:0:1024:reuse"
PER_IP=50       # router.smtp.max-connections-per-ip of the generated config (raised per case, see write_config)
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) CASES="$2"; CASES_GIVEN=1; shift 2 ;;
    --failover) FAILOVER="$2"; FAILOVER_GIVEN=1; shift 2 ;;
    --no-failover) FAILOVER=""; FAILOVER_GIVEN=1; shift ;;
    --quick) QUICK=1; shift ;;
    --postfix) TARGETS="router postfix"; shift ;;
    --postfix-only) TARGETS="postfix"; shift ;;
    --compare) COMPARE=1; shift ;;
    --unique-rcpt) UNIQUE_RCPT=1; shift ;;
    --no-build) BUILD=0; shift ;;
    --timeout) CASE_TIMEOUT="$2"; shift 2 ;;
    --stall) STALL="$2"; shift 2 ;;
    --blackhole-mode) BLACKHOLE_MODE="$2"; shift 2 ;;
    --blackhole-when) BLACKHOLE_WHEN="$2"; shift 2 ;;
    --die-after) DIE_AFTER="$2"; shift 2 ;;
    --max-connections) MAX_CONN="$2"; shift 2 ;;
    --fw-opts) FW_OPTS="$2"; shift 2 ;;
    --smtp-opts) SMTP_OPTS="$2"; shift 2 ;;
    --telemetry) TELEMETRY="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --r2r) R2R=1; shift ;;
    --latency) LATENCY=1; shift ;;
    --half-rate) HALF_RATE=1; shift ;;
    --warm-up) WARM_S="$2"; shift 2 ;;
    --prime) PRIME_PCT="$2"; shift 2 ;;
    --queued) QUEUED="$2"; shift 2 ;;
    --queued-load) QUEUED_LOAD="$2"; shift 2 ;;
    --stop-timeout) STOP_TIMEOUT="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
if [ "$COMPARE" = 1 ]; then
  [ "$TARGETS" = router ] && TARGETS="router postfix"
  if [ "$CASES_GIVEN" = 0 ]; then CASES="$COMPARE_CASES"; [ "$QUICK" = 1 ] && CASES="$COMPARE_QUICK"; fi
  [ "$FAILOVER_GIVEN" = 0 ] && FAILOVER=""
elif [ "$QUICK" = 1 ]; then
  [ "$CASES_GIVEN" = 0 ] && CASES="20:500:5120:new 20:500:5120:reuse"
  [ "$FAILOVER_GIVEN" = 0 ] && FAILOVER="20:1000:5120:new"
fi
case " $TARGETS " in *" postfix "*) UNIQUE_RCPT=1 ;; esac
[ "$TARGETS" = postfix ] && FAILOVER=""  # the failover pair is the router's (issue 3)
if [ "$QUEUED" != 0 ] && [ "$CASES_GIVEN" = 0 ] && [ "$COMPARE" = 0 ]; then CASES=""; fi  # --queued alone: just that case
if [ "$QUEUED" != 0 ] && [ "$FAILOVER_GIVEN" = 0 ]; then FAILOVER=""; fi
case "$BLACKHOLE_MODE" in accept|noaccept|stall-ehlo|stall-mail|reset|slow) ;; *) echo "--blackhole-mode: accept|noaccept|stall-ehlo|stall-mail|reset|slow" >&2; exit 2 ;; esac
case "$BLACKHOLE_WHEN" in start|midrun) ;; *) echo "--blackhole-when: start|midrun" >&2; exit 2 ;; esac
if [ "$BLACKHOLE_WHEN" = midrun ]; then case "$BLACKHOLE_MODE" in accept|noaccept) ;; *) echo "--blackhole-when midrun: --blackhole-mode accept|noaccept (a hung smtp-sink)" >&2; exit 2 ;; esac; fi

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- cleanup
PIDS=()
TMP_ROOT=""
PF_RUNNING=""   # directory of a Postfix instance we started and have not stopped yet
cleanup() {
  local pid
  [ -n "$PF_RUNNING" ] && postfix_stop "$PF_RUNNING" >/dev/null 2>&1
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ -n "$TMP_ROOT" ] && [ "$KEEP" = 0 ]; then rm -rf "$TMP_ROOT"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget_pid() {  # drop a pid we stopped ourselves from the cleanup list
  local keep=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

STOP_TOOK=""
stop_pid() {  # stop_pid PID [seconds]: TERM, wait, KILL; sets STOP_TOOK (seconds); returns 1 if KILL was needed
  local pid="$1" limit="${2:-5}" start end rc=0
  start=$(date +%s.%N)
  kill -TERM "$pid" 2>/dev/null || true
  local n=$(( limit * 10 ))
  while [ $n -gt 0 ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; n=$((n - 1)); done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; rc=1; fi
  wait "$pid" 2>/dev/null || true
  end=$(date +%s.%N)
  forget_pid "$pid"
  STOP_TOOK="$(python3 -c "print(f'{$end - $start:.1f}')")"
  return $rc
}

# ---------------------------------------------------------------- tools
TOOLS="$HERE/.tools"
PFX="$TOOLS/postfix"
if [ ! -x "$PFX/usr/sbin/smtp-source" ] || [ ! -x "$PFX/usr/sbin/smtp-sink" ]; then
  log "fetching Postfix's smtp-source/smtp-sink (apt-get download postfix, no daemon installed)"
  mkdir -p "$TOOLS/deb"
  ( cd "$TOOLS/deb" && { apt-get download postfix >/dev/null 2>&1 || { apt-get update -qq && apt-get download postfix; }; } )
  rm -rf "$PFX"; mkdir -p "$PFX"
  dpkg-deb -x "$(ls -t "$TOOLS"/deb/postfix_*.deb | head -n 1)" "$PFX"
fi
export LD_LIBRARY_PATH="$PFX/usr/lib/postfix${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
SMTP_SOURCE="$PFX/usr/sbin/smtp-source"
SMTP_SINK="$PFX/usr/sbin/smtp-sink"
SINK_USER=()
[ "$(id -u)" = 0 ] && SINK_USER=(-u nobody)

# ---------------------------------------------------------------- build
DLL="$REPO/Router.Node/bin/Release/net10.0/router.dll"
if [ "$BUILD" = 1 ]; then
  log "dotnet build Router.sln -c Release"
  ( cd "$REPO" && dotnet build Router.sln -c Release -nologo -v q ) >&2
  mkdir -p "$TOOLS"
  ( cd "$REPO" && echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench' || echo '+dirty')" ) > "$TOOLS/built-from"
fi
if [ "$R2R" = 1 ]; then
  DLL="$TOOLS/r2r/router.dll"
  if [ "$BUILD" = 1 ] || [ ! -f "$DLL" ]; then
    log "dotnet publish Router.Node -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o $TOOLS/r2r"
    ( cd "$REPO" && dotnet publish Router.Node -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -nologo -v q -o "$TOOLS/r2r" ) >&2
  fi
fi
BUILT_FROM="$(cat "$TOOLS/built-from" 2>/dev/null || echo 'unknown (built outside bench/run.sh)')"
[ "$R2R" = 1 ] && BUILT_FROM="$BUILT_FROM, published ReadyToRun (linux-x64)"
[ -f "$DLL" ] || [ -n "${BENCH_ROUTER_CMD:-}" ] || [ "$TARGETS" = postfix ] || { echo "router not built: $DLL missing (drop --no-build?)" >&2; exit 1; }

# ---------------------------------------------------------------- output
STAMP="$(date +%Y%m%d-%H%M%S)"
RESULTS_DIR="$HERE/results"
ART="$RESULTS_DIR/$STAMP"          # logs, CSVs, plot of this run
MD="$RESULTS_DIR/$STAMP.md"
mkdir -p "$ART"
TMP_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/router-bench.XXXXXX")"   # spools (same disk as /work here)
RESULTS="$ART/results.jsonl"
: > "$RESULTS"
if [ -n "$TELEMETRY" ]; then  # one collector stand-in for the whole run
  OTLP_PORT="$(python3 "$LIB" freeports 1)"
  python3 -u "$LIB" otlpsink 127.0.0.1 "$OTLP_PORT" > "$ART/otlpsink.log" 2>&1 &
  PIDS+=("$!")
fi

write_config() {  # write_config FILE SPOOL ROUTER_PORT FWA_PORT FWB_PORT
  local extra="" per_ip=""
  [ -n "$FW_OPTS" ] && extra=", $FW_OPTS"
  # All load comes from 127.0.0.1 and loopback is not exempt from the per-IP limit (default 50):
  # a case with more sessions (plus the latency probe) gets room, unless --smtp-opts sets it.
  case "$SMTP_OPTS" in *max-connections-per-ip*) ;; *) [ "$PER_IP" -gt 50 ] && per_ip="max-connections-per-ip = $PER_IP" ;; esac
  local telemetry=""
  [ -n "$OTLP_PORT" ] && telemetry="telemetry { otlp-endpoint = \"http://127.0.0.1:$OTLP_PORT\", otlp-protocol = \"http/protobuf\", sample-ratio = $TELEMETRY, metric-interval = 5s }"
  cat > "$1" <<EOF
router {
  node-name = "bench-1"
  spool.path = "$2"
  smtp {
    listen = ["127.0.0.1:$3"]
    hostname = "router.bench"
    relay.allowed-networks = ["127.0.0.0/8"]
    $per_ip
    $SMTP_OPTS
  }
  admin.listen = "127.0.0.1:0"
  $telemetry
  firewalls {
    fw-a { host = "127.0.0.1", port = $4, max-connections = $MAX_CONN$extra }
    fw-b { host = "127.0.0.1", port = $5, max-connections = $MAX_CONN$extra }
  }
  connectors {
    outbound-a { address-spaces = ["*;1"], firewalls = [fw-a] }
    outbound-b { address-spaces = ["*;1"], firewalls = [fw-b] }
  }
}
EOF
}

start_sink() {  # start_sink PORT OUTFILE [smtp-sink options...] -> sets SINK_PID
  local port="$1" out="$2"; shift 2
  "$SMTP_SINK" "${SINK_USER[@]}" "$@" -c "127.0.0.1:$port" 4096 > "$out" 2> "${out%.out}.err" &
  SINK_PID=$!
  PIDS+=("$SINK_PID")
}

# ---------------------------------------------------------------- Postfix (issue 8 baseline)
# The binaries come from the same unpacked package as smtp-source/smtp-sink (bench/.tools/postfix);
# nothing is installed and /etc/postfix is never read or written: every path Postfix uses is set in
# a main.cf of our own under the case's temporary directory, and the commands get "-c" that dir.
POSTFIX_CMD="$PFX/usr/sbin/postfix"

postfix_prepare() {  # once per run: the accounts Postfix insists on (mail_owner, setgid_group)
  if [ "$(id -u)" != 0 ]; then
    echo "--postfix needs root: Postfix's master runs as root and drops to mail_owner" >&2; exit 1
  fi
  getent group postdrop >/dev/null || { log "groupadd --system postdrop (Postfix's setgid_group)"; groupadd --system postdrop; }
  getent passwd postfix >/dev/null || {
    log "useradd --system postfix (Postfix's mail_owner; no home, no login)"
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postfix
  }
  chmod 711 "$TMP_ROOT"  # Postfix daemons (user postfix) must reach their queue below it
}

# postfix_config DIR SMTPD_PORT FWA_PORT FWB_PORT: DIR/conf/{main,master}.cf, DIR/queue, DIR/data
postfix_config() {
  local d="$1"
  mkdir -p "$d/conf" "$d/queue" "$d/data"
  chmod 755 "$d" "$d/conf" "$d/queue"
  chown postfix "$d/data"
  cat > "$d/conf/main.cf" <<EOF
# Written by bench/run.sh: Postfix 3.7 as a plain relay to two equal smart hosts (the sinks).
# Everything not set here is Postfix's default: one fsync per queue file before smtpd's 250,
# smtp_connection_cache_on_demand = yes, default_process_limit = 100, in_flow_delay = 1s, ...
compatibility_level = 3.6
config_directory = $d/conf
queue_directory = $d/queue
data_directory = $d/data
daemon_directory = $PFX/usr/lib/postfix/sbin
command_directory = $PFX/usr/sbin
shlib_directory = $PFX/usr/lib/postfix
meta_directory = $PFX/etc/postfix
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME LD_LIBRARY_PATH=$PFX/usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = $d/maillog
maillog_file_prefixes = $d
myhostname = postfix.bench
mydomain = bench
myorigin = \$myhostname
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
biff = no
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtp_dns_support_level = disabled
# The two sinks as equal smart hosts: each recipient resolves to one of them at random.
# (qmgr caches the last resolved address, so identical recipients would all go the same way:
# run.sh gives smtp-source -N for Postfix runs, and for the router's runs alike.)
transport_maps = randmap:{smtp:[127.0.0.1]:$3, smtp:[127.0.0.1]:$4}
EOF
  # Debian's master.cf services, without chroot (no copy of /etc needed) and with smtpd on our port.
  cat > "$d/conf/master.cf" <<EOF
127.0.0.1:$2 inet n - n - - smtpd
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n - 0 cleanup
qmgr       unix  n - n 300 1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n - - trivial-rewrite
bounce     unix  - - n - 0 bounce
defer      unix  - - n - 0 bounce
trace      unix  - - n - 0 bounce
verify     unix  - - n - 1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n - - proxymap
proxywrite unix  - - n - 1 proxymap
smtp       unix  - - n - - smtp
relay      unix  - - n - - smtp
showq      unix  n - n - - showq
error      unix  - - n - - error
retry      unix  - - n - - error
discard    unix  - - n - - discard
lmtp       unix  - - n - - lmtp
anvil      unix  - - n - 1 anvil
scache     unix  - - n - 1 scache
postlog    unix-dgram n - n - 1 postlogd
EOF
}

PF_SID=""
postfix_start() {  # postfix_start DIR PORT -> sets PF_SID (the master's pid = its session id)
  local d="$1"
  PF_RUNNING="$d"
  "$POSTFIX_CMD" -c "$d/conf" start > "$d/start.log" 2>&1 || {
    log "postfix -c $d/conf start failed:"; cat "$d/start.log" "$d/maillog" 2>/dev/null | tail -n 20 >&2; return 1; }
  PF_SID="$(tr -d ' \n' < "$d/queue/pid/master.pid" 2>/dev/null || true)"
  [ -n "$PF_SID" ] || { log "no $d/queue/pid/master.pid"; return 1; }
  python3 "$LIB" waitsmtp 127.0.0.1 "$2" 30 "$PF_SID"
}

postfix_stop() {  # postfix_stop DIR: "postfix stop" (it waits 5 s, then kills the process group)
  local d="$1" sid
  sid="$(tr -d ' \n' < "$d/queue/pid/master.pid" 2>/dev/null || true)"
  "$POSTFIX_CMD" -c "$d/conf" stop >> "$d/start.log" 2>&1 || true
  if [ -n "$sid" ]; then
    for _ in $(seq 1 50); do kill -0 "$sid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$sid" 2>/dev/null && kill -KILL -- "-$sid" 2>/dev/null
  fi
  PF_RUNNING=""
  return 0
}

# smtp_source MESSAGES PORT PREFIX: smtp-source with the caller's sessions, size and flags (dflag,
# nflag) against 127.0.0.1:PORT, its counter to PREFIX.out and its warnings to PREFIX.err.
smtp_source() {
  timeout "$CASE_TIMEOUT" "$SMTP_SOURCE" -A -c "${dflag[@]}" "${nflag[@]}" -s "$sessions" -m "$1" -l "$size" \
    -f bench@example.test -t rcpt@example.test "127.0.0.1:$2" > "$3.out" 2> "$3.err"
}

# prime_load PORT: PRIME_PCT% of the case's messages to the freshly started target (full speed, also
# before a paced case: its latency is then that of a target in service), then wait until
# the sinks hold them. Uses run_case's locals; sets prime_n, prime_rejected, prime_s (start of the
# prime to its last delivery) and sink_base (the sinks' counts afterwards, subtracted by the watcher).
prime_load() {
  prime_n=0; prime_rejected=0; prime_s=""; sink_base=""
  [ -z "$role" ] || return 0
  prime_n=$(( count * PRIME_PCT / 100 ))
  [ "$prime_n" -gt 0 ] || { prime_n=0; return 0; }
  local p0 out
  log "  prime: $prime_n messages first (timed apart)"
  p0="$(date +%s.%N)"
  smtp_source "$prime_n" "$1" "$dir/prime-source" || true
  prime_rejected="$(grep -c 'warning:' "$dir/prime-source.err" || true)"
  out="$(python3 "$LIB" waitsinks $(( prime_n - prime_rejected )) "$p0" "$CASE_TIMEOUT" "$dir/fw-a.out" "$dir/fw-b.out")" \
    || log "  prime: not all of it arrived ($out)"
  prime_s="${out%% *}"; sink_base="${out#* }"
  log "  prime: delivered in ${prime_s}s; sinks at $sink_base"
}

# run_case NAME SESSIONS COUNT SIZE CONN ROLE [TARGET] [RATE]   (ROLE: "" | healthy | blackholed; TARGET: router | postfix;
#   RATE: pace the load at RATE msg/s with our own generator, every message's accept latency timed)
run_case() {
  local name="$1" sessions="$2" count="$3" size="$4" conn="$5" role="$6" target="${7:-router}" rate="${8:-}"
  PER_IP=$(( sessions + 10 > 50 ? sessions + 10 : 50 ))
  local dir="$ART/$name" spool="$TMP_ROOT/$name/spool" reuse=0 dflag=() nflag=()
  [ "$conn" = reuse ] && { reuse=1; dflag=(-d); }
  [ "$UNIQUE_RCPT" = 1 ] && nflag=(-N)
  mkdir -p "$dir"
  [ "$target" = router ] && mkdir -p "$spool"
  local ports pr pa pb pbh
  read -r pr pa pb pbh <<<"$(python3 "$LIB" freeports 4)"
  log "case $name: $target, $sessions sessions, $count x $size B, conn=$conn${role:+, $role}${rate:+, paced at $rate msg/s}"

  local sink_a sink_b="" hole="" firewalls="fw-a, fw-b"
  start_sink "$pa" "$dir/fw-a.out"; sink_a=$SINK_PID
  local fwb_port="$pb"
  if [ "$role" = blackholed ] && [ "$BLACKHOLE_WHEN" = midrun ]; then
    # fw-b is a working sink that the node learns, then hangs (SIGSTOP) once it has counted --die-after messages.
    start_sink "$pb" "$dir/fw-b.out"; sink_b=$SINK_PID
    local die_after="${DIE_AFTER:-$(( count / 8 ))}"
    python3 -u "$LIB" freeze "$sink_b" "$dir/fw-b.out" "$die_after" "$BLACKHOLE_MODE" 127.0.0.1 "$pb" > "$dir/blackhole.log" 2>&1 &
    hole=$!; PIDS+=("$hole")
    firewalls="fw-a, fw-b hangs after $die_after messages ($BLACKHOLE_MODE)"
  elif [ "$role" = blackholed ] && [ "$BLACKHOLE_MODE" = slow ]; then
    # Not dead at all: a slow but alive firewall (a 3 s greeting, 3 s before it answers DATA), never to be tripped.
    start_sink "$pb" "$dir/fw-b.out" -W connect:3 -w 3; sink_b=$SINK_PID
    firewalls="fw-a, fw-b slow (3 s greeting, 3 s DATA)"
  elif [ "$role" = blackholed ]; then
    python3 -u "$LIB" blackhole 127.0.0.1 "$pbh" "$BLACKHOLE_MODE" > "$dir/blackhole.log" 2>&1 &
    hole=$!; PIDS+=("$hole")
    fwb_port="$pbh"
    firewalls="fw-a, fw-b blackholed ($BLACKHOLE_MODE)"
  else
    start_sink "$pb" "$dir/fw-b.out"; sink_b=$SINK_PID
  fi
  python3 "$LIB" waitsmtp 127.0.0.1 "$pa" 10
  [ -n "$sink_b" ] && python3 "$LIB" waitsmtp 127.0.0.1 "$pb" 10

  if [ "$target" = postfix ]; then
    run_postfix_case; return 0
  fi

  write_config "$dir/router.conf" "$spool" "$pr" "$pa" "$fwb_port"
  if [ -n "${BENCH_ROUTER_CMD:-}" ]; then  # only for testing this script without the router
    ( cd "$TMP_ROOT" && exec $BENCH_ROUTER_CMD --config "$dir/router.conf" ) > "$dir/router.log" 2>&1 &
  else
    ( cd "$TMP_ROOT" && exec dotnet "$DLL" run --config "$dir/router.conf" ) > "$dir/router.log" 2>&1 &
  fi
  local rpid=$!
  PIDS+=("$rpid")
  if ! python3 "$LIB" waitsmtp 127.0.0.1 "$pr" 60 "$rpid"; then
    log "router did not answer on 127.0.0.1:$pr; last log lines:"; tail -n 20 "$dir/router.log" >&2
    printf '%s\n' "{\"case\": \"$name\", \"sessions\": $sessions, \"count\": $count, \"size\": $size, \"reuse\": $([ $reuse = 1 ] && echo true || echo false), \"firewalls\": \"$firewalls\", \"failover_role\": \"$role\", \"status\": \"ROUTER DID NOT START\", \"notes\": [\"see $dir/router.log\"]}" >> "$RESULTS"
    stop_pid "$rpid" 5 || true
    for p in $hole $sink_a $sink_b; do stop_pid "$p" 2 || true; done
    return 0
  fi

  local prime_n prime_rejected prime_s sink_base
  prime_load "$pr"
  local cpu_before hwm t0 t_src_end src_rc=0 rejected first_reject
  cpu_before="$(python3 "$LIB" procstat "$rpid" | cut -d' ' -f1)"
  t0="$(date +%s.%N)"
  local watch_args=(--sink "fw-a=$dir/fw-a.out" --sink "fw-b=$dir/fw-b.out" --source "$dir/source.out"
    --pid "$rpid" --expect "$count" --expect-file "$dir/expect" --source-done-file "$dir/source.done"
    --t0 "$t0" --timeout "$(( CASE_TIMEOUT + STALL ))" --stall "$STALL" --csv "$dir/timeseries.csv" --out "$dir/watch.json"
    ${sink_base:+--base "$sink_base"})
  python3 "$LIB" watch "${watch_args[@]}" &
  local wpid=$!
  PIDS+=("$wpid")
  local lpid=""
  if [ "$LATENCY" = 1 ] && [ -z "$rate" ]; then
    python3 "$LIB" latency 127.0.0.1 "$pr" 20 "$size" "$dir/source.done" "$dir/latency.json" &
    lpid=$!; PIDS+=("$lpid")
  fi

  run_load "$pr"

  local cpu_after="" hwm_kb=0 stat
  if stat="$(python3 "$LIB" procstat "$rpid" 2>/dev/null)"; then
    cpu_after="${stat% *}"; hwm_kb="${stat#* }"
  fi

  local stop_note=""
  if stop_pid "$rpid" "$STOP_TIMEOUT"; then
    log "  router stopped on SIGTERM in ${STOP_TOOK}s"
  else
    stop_note="router did not stop within $STOP_TIMEOUT s of SIGTERM; killed"
    log "  $stop_note"
  fi
  for p in $hole $sink_a $sink_b; do stop_pid "$p" 2 || true; done

  # What the router itself still holds: reopen the spool with both firewalls pointed at a
  # closed port and read its "Spool ... opened: N messages" line. Delivered mail must be gone.
  local spool_left="" closed
  closed="$(python3 "$LIB" freeports 2)"
  write_config "$dir/recheck.conf" "$spool" "${closed% *}" "${closed#* }" "${closed#* }"
  ( cd "$TMP_ROOT" && exec dotnet "$DLL" run --config "$dir/recheck.conf" ) > "$dir/recheck.log" 2>&1 &
  local cpid=$!
  PIDS+=("$cpid")
  for _ in $(seq 1 100); do
    grep -q 'opened: ' "$dir/recheck.log" 2>/dev/null && break
    kill -0 "$cpid" 2>/dev/null || break
    sleep 0.2
  done
  spool_left="$(grep -m1 -o 'opened: [0-9]* messages' "$dir/recheck.log" | grep -o '[0-9]*' || true)"
  stop_pid "$cpid" 3 || true
  [ -n "$spool_left" ] || { spool_left=-1; log "  could not read the spool's message count; see $dir/recheck.log"; }
  [ -n "${BENCH_ROUTER_CMD:-}" ] && spool_left=0

  python3 "$LIB" summarize --case "$name" --unique-rcpt "$UNIQUE_RCPT" --firewalls "$firewalls" --role "$role" \
    --watch "$dir/watch.json" --log "$dir/router.log" --results "$RESULTS" \
    --first-reject "$first_reject" --blackhole-log "$([ -n "$hole" ] && echo "$dir/blackhole.log")" \
    --stop-note "$stop_note" --latency "$( { [ -n "$lpid" ] || [ -n "$rate" ]; } && echo "$dir/latency.json")" --sessions "$sessions" --count "$count" --size "$size" --reuse "$reuse" \
    --rejected "$rejected" --spool-left "$spool_left" --source-rc "$src_rc" --hwm-kb "$hwm_kb" \
    --t0 "$t0" --t-src-end "$t_src_end" --cpu-before "$cpu_before" ${cpu_after:+--cpu-after "$cpu_after"} \
    --prime-count "$prime_n" --prime-rejected "$prime_rejected" ${prime_s:+--prime-s "$prime_s"}
  tail -n 1 "$RESULTS" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("[bench]   ", {k: r.get(k) for k in ("accepted_per_s","delivered_per_s","delivered","expect","fw_a","fw_b","cpu_per_1k","peak_rss_mb","status")})' >&2
}

# run_load PORT: smtp-source against PORT, then wait for the sinks (the watcher). Uses and sets
# run_case's locals (dir, count, lpid, wpid, t0 -> t_src_end, src_rc, rejected, first_reject).
run_load() {
  if [ -n "$rate" ]; then  # paced: our generator (unique recipients like -N; latency of every message)
    timeout "$CASE_TIMEOUT" python3 "$LIB" paced --warm "$WARM_S" 127.0.0.1 "$1" "$sessions" "$count" "$size" "$rate" "$reuse" \
      "$dir/latency.json" "$dir/source.out" "$dir/source.err" || src_rc=$?
  else
    smtp_source "$count" "$1" "$dir/source" || src_rc=$?
  fi
  t_src_end="$(date +%s.%N)"
  local sent
  rejected="$(grep -c 'warning:' "$dir/source.err" || true)"
  first_reject="$(grep -m1 -E 'warning:|fatal:' "$dir/source.err" | sed 's/^.*smtp-source: //' || true)"
  sent="$count"
  if [ "$src_rc" != 0 ]; then  # killed or fatal: only what the counter saw was sent
    sent="$(tr '\r' '\n' < "$dir/source.out" | grep -E '^[0-9]+$' | tail -n 1 || true)"
    sent="${sent:-0}"
  fi
  touch "$dir/source.done"
  local probe_sent=0
  if [ -n "$lpid" ]; then
    wait "$lpid" || true; forget_pid "$lpid"
    probe_sent="$(python3 -c "import json; print(json.load(open('$dir/latency.json'))['sent'])" 2>/dev/null || echo 0)"
  fi
  echo $(( sent - rejected + probe_sent )) > "$dir/expect"
  log "  smtp-source done in $(python3 -c "print(f'{$t_src_end - $t0:.1f}')") s (rc=$src_rc, rejected=$rejected); waiting for the sinks"
  wait "$wpid" || true
  forget_pid "$wpid"
}

# The Postfix half of run_case (same sinks, same load, same watcher; its locals are visible here).
run_postfix_case() {
  local pfd="$TMP_ROOT/$name/postfix"
  firewalls="fw-a, fw-b (randmap)"
  postfix_config "$pfd" "$pr" "$pa" "$pb"
  cp "$pfd/conf/main.cf" "$pfd/conf/master.cf" "$dir/"
  if ! postfix_start "$pfd" "$pr"; then
    printf '%s\n' "{\"case\": \"$name\", \"target\": \"postfix\", \"sessions\": $sessions, \"count\": $count, \"size\": $size, \"reuse\": $([ $reuse = 1 ] && echo true || echo false), \"firewalls\": \"$firewalls\", \"failover_role\": null, \"status\": \"POSTFIX DID NOT START\", \"notes\": [\"see $dir/maillog\"]}" >> "$RESULTS"
    cp "$pfd/maillog" "$pfd/start.log" "$dir/" 2>/dev/null || true
    postfix_stop "$pfd"
    for p in $sink_a $sink_b; do stop_pid "$p" 2 || true; done
    return 0
  fi
  local sid="$PF_SID" cpu_before cpu_after="" t0 t_src_end src_rc=0 rejected first_reject stat
  local prime_n prime_rejected prime_s sink_base
  prime_load "$pr"
  cpu_before="$(python3 "$LIB" groupstat "$sid" | cut -d' ' -f1)"
  t0="$(date +%s.%N)"
  python3 "$LIB" watch --sink "fw-a=$dir/fw-a.out" --sink "fw-b=$dir/fw-b.out" --source "$dir/source.out" \
    --sid "$sid" --label postfix --expect "$count" --expect-file "$dir/expect" --source-done-file "$dir/source.done" \
    --t0 "$t0" --timeout "$(( CASE_TIMEOUT + STALL ))" --stall "$STALL" --csv "$dir/timeseries.csv" --out "$dir/watch.json" \
    ${sink_base:+--base "$sink_base"} &
  local wpid=$!
  PIDS+=("$wpid")
  local lpid=""
  if [ "$LATENCY" = 1 ] && [ -z "$rate" ]; then
    python3 "$LIB" latency 127.0.0.1 "$pr" 20 "$size" "$dir/source.done" "$dir/latency.json" &
    lpid=$!; PIDS+=("$lpid")
  fi
  run_load "$pr"
  stat="$(python3 "$LIB" groupstat "$sid" 2>/dev/null)" && cpu_after="${stat%% *}"
  postfix_stop "$pfd"
  log "  postfix stopped"
  for p in $sink_a $sink_b; do stop_pid "$p" 2 || true; done
  # What Postfix still holds: queue files left in any queue after it stopped (should be 0).
  local left
  left="$(find "$pfd/queue/incoming" "$pfd/queue/active" "$pfd/queue/deferred" "$pfd/queue/hold" \
    "$pfd/queue/maildrop" "$pfd/queue/corrupt" -type f 2>/dev/null | wc -l)"
  cp "$pfd/maillog" "$pfd/start.log" "$dir/" 2>/dev/null || true
  python3 "$LIB" summarize --case "$name" --target postfix --unique-rcpt "$UNIQUE_RCPT" --firewalls "$firewalls" --role "" \
    --watch "$dir/watch.json" --log "$dir/maillog" --results "$RESULTS" --first-reject "$first_reject" \
    --latency "$( { [ -n "$lpid" ] || [ -n "$rate" ]; } && echo "$dir/latency.json")" --sessions "$sessions" --count "$count" --size "$size" --reuse "$reuse" \
    --rejected "$rejected" --spool-left "$left" --source-rc "$src_rc" \
    --t0 "$t0" --t-src-end "$t_src_end" --cpu-before "$cpu_before" ${cpu_after:+--cpu-after "$cpu_after"} \
    --prime-count "$prime_n" --prime-rejected "$prime_rejected" ${prime_s:+--prime-s "$prime_s"}
  tail -n 1 "$RESULTS" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("[bench]   ", {k: r.get(k) for k in ("accepted_per_s","delivered_per_s","delivered","expect","fw_a","fw_b","cpu_per_1k","peak_rss_mb","peak_rss_sum_mb","max_procs","status")})' >&2
}

parse_case() {  # parse_case "S:M:L:C[:R]" -> sets C_S C_M C_L C_C C_R
  IFS=: read -r C_S C_M C_L C_C C_R <<<"$1"
  case "$C_C" in new|reuse) ;; *) echo "bad case '$1' (want sessions:messages:bytes:new|reuse)" >&2; exit 2 ;; esac
  [[ "$C_S$C_M$C_L" =~ ^[0-9]+$ ]] || { echo "bad case '$1'" >&2; exit 2; }
  [[ -z "$C_R" || "$C_R" =~ ^[0-9]+$ ]] || { echo "bad rate in case '$1'" >&2; exit 2; }
}

case " $TARGETS " in *" postfix "*) postfix_prepare ;; esac
for c in $CASES; do
  parse_case "$c"
  for target in $TARGETS; do  # per case: the router, then Postfix, so slow drift of the shared
    prefix=""                 # machine's load hits both alike
    [ "$target" = postfix ] && prefix="postfix-"
    run_case "${prefix}s${C_S}-m${C_M}-l${C_L}-${C_C}${C_R:+-r$C_R}" "$C_S" "$C_M" "$C_L" "$C_C" "" "$target" "$C_R"
    if [ "$HALF_RATE" = 1 ] && [ -z "$C_R" ]; then
      half="$(tail -n 1 "$RESULTS" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(int((r.get("accepted_per_s") or 0) / 2))')"
      if [ "$half" -gt 0 ]; then  # about 20 s of paced load after the warm-up (at most the case's count + the warm-up, at least 1,000)
        pm=$(( half * 20 )); [ "$pm" -gt "$C_M" ] && pm="$C_M"; [ "$pm" -lt 1000 ] && pm=1000
        pm=$(( pm + half * ${WARM_S%.*} ))
        run_case "${prefix}s${C_S}-m${pm}-l${C_L}-${C_C}-half-r$half" "$C_S" "$pm" "$C_L" "$C_C" "" "$target" "$half"
      else
        log "no accepted/s from the last case; no half-rate run"
      fi
    fi
  done
done

# The issue-8 memory case: N messages accepted while both firewalls are stalled (blackholes that
# complete TCP and never greet), so every one of them is queued; peak RSS of the router.
run_queued() {
  local n="$1" name dir spool pr ha hb hole_a hole_b rpid
  parse_case "$QUEUED_LOAD"
  local sessions="$C_S" count="$n" size="$C_L" reuse=0 dflag=() nflag=(-N) rate="" lpid="" wpid t0 t_src_end src_rc=0 rejected first_reject
  [ "$C_C" = reuse ] && { reuse=1; dflag=(-d); }
  name="queued-s${sessions}-m${n}-l${size}-${C_C}"
  dir="$ART/$name"; spool="$TMP_ROOT/$name/spool"
  mkdir -p "$dir" "$spool"
  PER_IP=$(( sessions + 10 > 50 ? sessions + 10 : 50 ))
  read -r pr ha hb <<<"$(python3 "$LIB" freeports 3)"
  log "case $name: router, $sessions sessions, $n x $size B, conn=$C_C, both firewalls stalled (accept, never greet)"
  python3 -u "$LIB" blackhole 127.0.0.1 "$ha" accept > "$dir/blackhole-a.log" 2>&1 & hole_a=$!; PIDS+=("$hole_a")
  python3 -u "$LIB" blackhole 127.0.0.1 "$hb" accept > "$dir/blackhole-b.log" 2>&1 & hole_b=$!; PIDS+=("$hole_b")
  write_config "$dir/router.conf" "$spool" "$pr" "$ha" "$hb"
  ( cd "$TMP_ROOT" && exec dotnet "$DLL" run --config "$dir/router.conf" ) > "$dir/router.log" 2>&1 &
  rpid=$!; PIDS+=("$rpid")
  python3 "$LIB" waitsmtp 127.0.0.1 "$pr" 60 "$rpid" || { log "router did not start; see $dir/router.log"; return 0; }
  python3 "$LIB" rsswatch "$rpid" "$dir/source.done" "$dir/timeseries.csv" "$dir/rss.json" &
  wpid=$!; PIDS+=("$wpid")
  local cpu_before cpu_after
  cpu_before="$(python3 "$LIB" procstat "$rpid" | cut -d' ' -f1)"
  t0="$(date +%s.%N)"
  smtp_source "$n" "$pr" "$dir/source" || src_rc=$?
  t_src_end="$(date +%s.%N)"
  cpu_after="$(python3 "$LIB" procstat "$rpid" | cut -d' ' -f1)"
  sleep 5  # let the router settle (GC) with everything queued
  touch "$dir/source.done"; wait "$wpid" || true; forget_pid "$wpid"
  rejected="$(grep -c 'warning:' "$dir/source.err" || true)"
  stop_pid "$rpid" "$STOP_TIMEOUT" || log "  router needed SIGKILL"
  stop_pid "$hole_a" 2 || true; stop_pid "$hole_b" 2 || true
  local closed left
  closed="$(python3 "$LIB" freeports 2)"
  write_config "$dir/recheck.conf" "$spool" "${closed% *}" "${closed#* }" "${closed#* }"
  ( cd "$TMP_ROOT" && exec dotnet "$DLL" run --config "$dir/recheck.conf" ) > "$dir/recheck.log" 2>&1 &
  local cpid=$!; PIDS+=("$cpid")
  for _ in $(seq 1 300); do
    grep -q 'opened: ' "$dir/recheck.log" 2>/dev/null && break
    kill -0 "$cpid" 2>/dev/null || break
    sleep 0.2
  done
  left="$(grep -m1 -o 'opened: [0-9]* messages' "$dir/recheck.log" | grep -o '[0-9]*' || true)"
  stop_pid "$cpid" 5 || true
  python3 - "$RESULTS" "$dir/rss.json" "$name" "$sessions" "$n" "$size" "$reuse" "$rejected" "${left:--1}" "$src_rc" \
      "$t0" "$t_src_end" "$cpu_before" "$cpu_after" <<'PY'
import json, sys
res, rssf, name, s, n, size, reuse, rej, left, rc, t0, t1, c0, c1 = sys.argv[1:]
m = json.load(open(rssf))
n, rej, left = int(n), int(rej), int(left)
accepted = n - rej
r = {"case": name, "target": "router", "queued": True, "sessions": int(s), "count": n, "size": int(size),
     "reuse": reuse == "1", "firewalls": "fw-a, fw-b stalled (accept, never greet)", "failover_role": None,
     "expect": accepted, "delivered": 0, "rejected": rej, "spool_left": left,
     "accepted_per_s": round(accepted / (float(t1) - float(t0)), 1),
     "cpu_per_1k": round((float(c1) - float(c0)) / max(1, accepted) * 1000, 3),
     "peak_rss_mb": round((m.get("hwm_kb") or 0) / 1024.0), "sampled_peak_rss_mb": round(m["peak_rss_kb"] / 1024.0),
     "rss_end_mb": round((m.get("rss_kb") or 0) / 1024.0), "notes": []}
ok = rc == "0" and left == accepted
r["status"] = "ok" if ok else f"CHECK (smtp-source rc={rc}, {left} in spool on reopen vs {accepted} accepted)"
if rej:
    r["notes"].append(f"{rej} messages were refused (non-2xx)")
open(res, "a").write(json.dumps(r) + "\n")
print("[bench]    ", {k: r[k] for k in ("accepted_per_s", "peak_rss_mb", "rss_end_mb", "spool_left", "status")}, file=sys.stderr)
PY
}

[ "$QUEUED" != 0 ] && run_queued "$QUEUED"

PLOT=""
CSV=""
if [ -n "$FAILOVER" ]; then
  parse_case "$FAILOVER"
  base="s${C_S}-m${C_M}-l${C_L}-${C_C}"
  run_case "failover-healthy-$base" "$C_S" "$C_M" "$C_L" "$C_C" healthy
  run_case "failover-blackholed-$base" "$C_S" "$C_M" "$C_L" "$C_C" blackholed
  # One CSV with both runs side by side is what the plot reads; each run's own CSV stays in its folder.
  CSV="$ART/failover-timeseries.csv"
  {
    echo "run,t_s,accepted,fw_a,fw_b,delivered,delivered_per_s,router_cpu_pct,router_rss_mb"
    for role in healthy blackholed; do
      f="$ART/failover-$role-$base/timeseries.csv"
      [ -f "$f" ] && tail -n +2 "$f" | sed "s/^/$role,/"
    done
  } > "$CSV"
  if ! command -v gnuplot >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    log "installing gnuplot-nox for the plot"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null 2>&1 || log "gnuplot-nox not installable; CSV only"
  fi
  if command -v gnuplot >/dev/null 2>&1; then
    PLOT="$ART/failover.png"
    H="$ART/failover-healthy-$base/timeseries.csv"
    B="$ART/failover-blackholed-$base/timeseries.csv"
    gnuplot -e "healthy='$H'; blackholed='$B'; out='$PLOT'; title='Router failover: $C_M x $C_L B, $C_S sessions ($C_C), fw-b blackholed ($BLACKHOLE_MODE) vs healthy'" \
      "$HERE/lib/failover.gp" || { log "gnuplot failed"; PLOT=""; }
  fi
fi

MACHINE="$(nproc) cores, $(awk -F: '/model name/{print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(uname -r), $(dotnet --version 2>/dev/null | sed 's/^/.NET SDK /'), router built from $BUILT_FROM (worktree HEAD $(cd "$REPO" && git rev-parse --short HEAD))"
case " $TARGETS " in *" postfix "*)
  MACHINE="$MACHINE; Postfix $(dpkg-deb -f "$(ls -t "$TOOLS"/deb/postfix_*.deb | head -n 1)" Version 2>/dev/null || echo '?') from the Debian package (unpacked in bench/.tools, not installed; config: the case folders' main.cf/master.cf)" ;;
esac
[ "$UNIQUE_RCPT" = 1 ] && MACHINE="$MACHINE; smtp-source -N (a different recipient per message) for every run"
python3 "$LIB" report --results "$RESULTS" --md "$MD" --title "$STAMP" --command "$COMMAND_LINE" \
  --machine "$MACHINE; router config extras: smtp {${SMTP_OPTS:-}}, each firewall {max-connections = $MAX_CONN${FW_OPTS:+, $FW_OPTS}}${TELEMETRY:+, telemetry {OTLP/HTTP to a loopback sink, sample-ratio = $TELEMETRY\}}" \
  --counting "delivered counts come from smtp-sink -c counters (mesg=N, one per completed DATA), sampled every 0.5 s" \
  --csv "$CSV" --plot "$PLOT"
log "results: $MD (logs, CSVs, plot: $ART/)"
echo "command: $COMMAND_LINE"
