#!/usr/bin/env python3
"""Small helpers for bench/run.sh (standard library only).

Subcommands:
  freeports N                      print N free loopback TCP ports
  waitsmtp HOST PORT TIMEOUT       wait until HOST:PORT answers with a 220 greeting
  blackhole HOST PORT MODE         a firewall that never answers (MODE accept|noaccept)
  otlpsink HOST PORT               an OTLP/HTTP collector that answers 200 and counts requests and bytes
  freeze PID OUT N MODE HOST PORT  stop the smtp-sink PID once it counted N messages (SIGSTOP: sessions hang,
                                   new connections never greeted; noaccept: its backlog filled, SYNs
                                   unanswered); logs "died at EPOCH"
  watch ...                        sample sink counters until all mail arrived (see --help)
  procstat PID                     print "cpu_seconds vmhwm_kb" of a process
  groupstat SID                    print "cpu_seconds pss_kb rss_kb processes" of a session (Postfix)
  paced HOST PORT S M L RATE REUSE OUT SRC_OUT SRC_ERR
                                   open-loop load at RATE msg/s over S sessions, every message timed
  rsswatch PID STOP CSV OUT        sample a process's RSS until STOP exists (the --queued case)
  report RESULTS.jsonl ...         render the Markdown results table
"""
import argparse
import json
import os
import re
import select
import signal
import socket
import struct
import sys
import time

# ---------------------------------------------------------------- ports, smtp


def freeports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    print(" ".join(str(p) for p in ports))


def waitsmtp(host, port, timeout, pid=None):
    deadline = time.monotonic() + timeout
    last = "no attempt"
    while time.monotonic() < deadline:
        if pid and not os.path.exists(f"/proc/{pid}"):
            print(f"process {pid} exited before {host}:{port} answered", file=sys.stderr)
            return 1
        try:
            with socket.create_connection((host, port), timeout=2) as s:
                s.settimeout(5)
                banner = s.recv(512).decode("ascii", "replace")
                if banner.startswith("220"):
                    try:
                        s.sendall(b"QUIT\r\n")
                        s.recv(512)
                    except OSError:
                        pass
                    return 0
                last = "banner " + banner.strip()
        except OSError as e:
            last = str(e)
        time.sleep(0.2)
    print(f"no SMTP greeting on {host}:{port} within {timeout}s ({last})", file=sys.stderr)
    return 1


BLACKHOLE_MODES = ["accept", "noaccept", "stall-ehlo", "stall-mail", "reset"]


def blackhole(host, port, mode):
    """A firewall that is dead from the start, in one of issue 18's shapes:
    accept: complete TCP and hold the socket, never send a greeting.
    noaccept: listen with a small backlog and never accept; once the backlog is full
    the kernel drops further SYNs, so new connects time out.
    stall-ehlo: greet (220), then never answer EHLO or HELO.
    stall-mail: greet, answer EHLO, then never answer MAIL FROM.
    reset: greet, then reset the connection (RST) as soon as the client speaks.
    The first connection it takes is printed as "first stalled connection at <time>" (the
    "death" the report measures the trip from); noaccept has no such moment of its own."""
    import threading
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    if mode == "noaccept":
        srv.listen(4)
        print("blackhole: listening with backlog 4, never accepting", flush=True)
        while True:
            time.sleep(3600)
    srv.listen(1024)
    held = []

    def speak(conn):
        try:
            conn.sendall(b"220 blackhole ESMTP\r\n")
            f = conn.makefile("rb")
            while True:
                line = f.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if mode == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    conn.close()
                    return
                if verb in (b"EHLO", b"HELO") and mode == "stall-mail":
                    conn.sendall(b"250-blackhole\r\n250 PIPELINING\r\n")
                elif verb in (b"EHLO", b"HELO") or verb == b"MAIL":
                    pass  # the stall: never answered, the connection held open
                elif verb == b"QUIT":
                    conn.sendall(b"221 2.0.0 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 2.0.0 ok\r\n")
        except OSError:
            pass

    while True:
        conn, _ = srv.accept()
        held.append(conn)  # never closed by us (except reset)
        if len(held) == 1:
            print(f"blackhole: first stalled connection at {time.time():.3f}", flush=True)
        if mode != "accept":
            threading.Thread(target=speak, args=(conn,), daemon=True).start()
        print(f"blackhole: holding {len(held)} connections", flush=True)


def otlpsink(host, port):
    """--telemetry: stands in for an OpenTelemetry collector (OTLP over HTTP/protobuf). Every POST is read
    whole and answered 200 with an empty body; a line per request goes to stdout, so the log shows what
    the router exported. The exporter's work is all on the router's side; this sink costs it nothing."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    totals = {"requests": 0, "bytes": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(n)
            totals["requests"] += 1
            totals["bytes"] += n
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()
            print(f"otlpsink: {self.path} {n} B (total {totals['requests']} requests, {totals['bytes']} B)", flush=True)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer((host, port), Handler).serve_forever()
def freeze(pid, out, after, mode, host, port):
    """Issue 18's mid-run blackhole: once the smtp-sink PID (stdout OUT) has counted AFTER messages, it is
    stopped (SIGSTOP), the way a hung appliance stops: its open sessions get no more replies, and new
    connections complete in the kernel and are never greeted (accept). With noaccept its listen backlog is
    then filled with connections of ours, so every further SYN goes unanswered (connects time out).
    The sink is continued (SIGCONT) on SIGTERM, so it can be stopped as usual."""
    held = []

    def done(*_):
        try:
            os.kill(pid, signal.SIGCONT)
        except OSError:
            pass
        os._exit(0)

    signal.signal(signal.SIGTERM, done)
    while sink_count(out) < after:
        time.sleep(0.005)
    os.kill(pid, signal.SIGSTOP)
    died = time.time()
    if mode == "noaccept":
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        for _ in range(min(hard - 64, 20000)):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setblocking(False)
            c.connect_ex((host, port))
            held.append(c)
            poller = select.poll()
            poller.register(c, select.POLLOUT)
            if not poller.poll(300):
                break  # this SYN was dropped: the queue is full
    print(f"dying: died at {died:.3f} after {after} messages ({mode}; {len(held)} connections fill the backlog)", flush=True)
    while True:
        time.sleep(3600)


def latency_probe(host, port, rate, size, stop_file, out):
    """One extra SMTP session of ours: one message every 1/rate s on a reused connection,
    timing the final '.' to the 250 (the accept latency, which includes the router's fsync).
    Runs until stop_file exists; writes {"sent": n, "failed": n, "ms": [...]} to out."""
    body = ("X" * 78 + "\r\n") * max(1, size // 80)
    msg = (f"From: <latency@example.test>\r\nTo: <rcpt@example.test>\r\nSubject: latency probe\r\n\r\n{body}"
           ".\r\n").encode()
    lat, sent, failed = [], 0, 0
    f = None

    def reply():
        line = f.readline()
        while len(line) > 3 and line[3:4] == b"-":
            line = f.readline()
        return line

    def connect():
        s = socket.create_connection((host, port), timeout=30)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        fh = s.makefile("rwb")
        return s, fh

    sock = None
    next_at = time.monotonic()
    while not os.path.exists(stop_file):
        try:
            if sock is None:
                sock, f = connect()
                reply()
                f.write(b"EHLO latency.probe\r\n"); f.flush(); reply()
            for cmd in (b"MAIL FROM:<latency@example.test>\r\n", b"RCPT TO:<rcpt@example.test>\r\n", b"DATA\r\n"):
                f.write(cmd); f.flush()
                r = reply()
                if not r.startswith((b"2", b"3")):
                    raise OSError(r.decode(errors="replace").strip())
            f.write(msg[:-3]); f.flush()
            t = time.perf_counter()
            f.write(b".\r\n"); f.flush()
            r = reply()
            if r.startswith(b"2"):
                lat.append((time.perf_counter() - t) * 1000.0)
                sent += 1
            else:
                failed += 1
        except OSError:
            failed += 1
            try:
                sock.close()
            except Exception:
                pass
            sock = None
        next_at += 1.0 / rate
        time.sleep(max(0.0, next_at - time.monotonic()))
    try:
        f.write(b"QUIT\r\n"); f.flush(); sock.close()
    except Exception:
        pass
    with open(out, "w") as fh:
        json.dump({"sent": sent, "failed": failed, "ms": lat}, fh)


def paced_load(host, port, sessions, count, size, rate, reuse, out, source_out, source_err, warm_s=0.0):
    """Open-loop load at a fixed rate: message i is due at t0 + i/rate and goes out on the next
    free one of `sessions` connections (new connection per message unless reuse). Times every
    message's final '.' to its 250 (the accept latency, fsync included). The messages due in the
    first warm_s seconds are the warm-up: timed the same way but kept apart ("warm_ms"), so that
    "ms" is the steady state of a server that has been running (a fresh .NET process compiles its
    code during its first second of load). Writes a running counter to source_out (like
    smtp-source -c), one 'warning:' line per failure to source_err, and {"sent", "failed", "ms",
    "warm_ms", "late_ms_max", "wall_s"} to out."""
    warm_count = int(warm_s * rate)
    import threading
    body = ("X" * 78 + "\r\n") * max(1, size // 80)
    lock = threading.Lock()
    state = {"next": 0, "sent": 0, "failed": 0, "late": 0.0}
    lat = []
    warm_lat = []
    t0 = time.monotonic()
    src = open(source_out, "w")
    err = open(source_err, "w")

    def take():
        with lock:
            i = state["next"]
            if i >= count:
                return None
            state["next"] = i + 1
            return i

    def worker(wid):
        sock = f = None

        def reply():
            line = f.readline()
            while len(line) > 3 and line[3:4] == b"-":
                line = f.readline()
            return line

        while True:
            i = take()
            if i is None:
                break
            due = t0 + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                with lock:
                    state["late"] = max(state["late"], -delay)
            try:
                if sock is None:
                    sock = socket.create_connection((host, port), timeout=60)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    f = sock.makefile("rwb")
                    if not reply().startswith(b"220"):
                        raise OSError("no 220")
                    f.write(b"EHLO paced.load\r\n"); f.flush(); reply()
                rcpt = f"{i + 1}rcpt@example.test".encode()
                for cmd in (b"MAIL FROM:<bench@example.test>\r\n", b"RCPT TO:<" + rcpt + b">\r\n", b"DATA\r\n"):
                    f.write(cmd); f.flush()
                    r = reply()
                    if not r.startswith((b"2", b"3")):
                        raise OSError(r.decode(errors="replace").strip())
                f.write((f"From: <bench@example.test>\r\nTo: <{rcpt.decode()}>\r\nSubject: paced {i}\r\n\r\n{body}").encode())
                f.flush()
                t = time.perf_counter()
                f.write(b".\r\n"); f.flush()
                r = reply()
                ms = (time.perf_counter() - t) * 1000.0
                with lock:
                    if r.startswith(b"2"):
                        (warm_lat if i < warm_count else lat).append(ms); state["sent"] += 1
                    else:
                        state["failed"] += 1
                        err.write(f"paced: warning: message {i}: {r.decode(errors='replace').strip()}\n")
                    src.write(f"{state['sent']}\r"); src.flush()
                if not reuse:
                    f.write(b"QUIT\r\n"); f.flush(); reply(); sock.close(); sock = None
            except OSError as e:
                with lock:
                    state["failed"] += 1
                    err.write(f"paced: warning: message {i}: {e}\n")
                try:
                    sock.close()
                except Exception:
                    pass
                sock = None
        if sock is not None:
            try:
                f.write(b"QUIT\r\n"); f.flush(); sock.close()
            except Exception:
                pass

    threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    src.write(f"{state['sent']}\n"); src.close(); err.close()
    with open(out, "w") as fh:
        json.dump({"sent": state["sent"], "failed": state["failed"], "ms": lat, "warm_ms": warm_lat, "warm_s": warm_s,
                   "late_ms_max": round(state["late"] * 1000.0, 1), "wall_s": round(time.monotonic() - t0, 2),
                   "rate": rate}, fh)
    return 0


def _latency_fields(r, path):
    """Accept-latency columns of a result row from a probe's or paced load's JSON; returns the JSON."""
    l = json.load(open(path))
    ms = l["ms"]
    r["latency_p50_ms"] = round(_pct(ms, 50), 1) if ms else None
    r["latency_p99_ms"] = round(_pct(ms, 99), 1) if ms else None
    r["latency_max_ms"] = round(max(ms), 1) if ms else None
    r["latency_n"] = len(ms) if "warm_ms" in l else l["sent"]
    r["paced_rate"] = l.get("rate")
    warm = l.get("warm_ms") or []
    if warm:
        r["warm_n"] = len(warm)
        r["warm_p99_ms"] = round(_pct(warm, 99), 1)
        r["warm_max_ms"] = round(max(warm), 1)
    return l


def rsswatch(pid, stop_file, csv, out, interval=0.5):
    """Samples VmRSS of pid until stop_file exists; writes a CSV and {"peak_rss_kb", "hwm_kb", "rss_kb"}."""
    peak = 0
    t0 = time.time()
    with open(csv, "w") as c:
        c.write("t_s,router_rss_mb\n")
        while not os.path.exists(stop_file) and os.path.exists(f"/proc/{pid}"):
            rss = _status_kb(pid, "VmRSS")
            peak = max(peak, rss or 0)
            c.write(f"{time.time() - t0:.1f},{(rss or 0) / 1024.0:.0f}\n"); c.flush()
            time.sleep(interval)
    with open(out, "w") as fh:
        json.dump({"peak_rss_kb": peak, "hwm_kb": _status_kb(pid, "VmHWM"), "rss_kb": _status_kb(pid, "VmRSS")}, fh)
    return 0


def _status_kb(pid, key):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] if v else None


# ---------------------------------------------------------------- counters


def _tail(path, nbytes=512):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - nbytes))
            return f.read().decode("ascii", "replace")
    except FileNotFoundError:
        return ""


_MESG = re.compile(r"mesg=(\d+)")


def sink_count(path):
    """smtp-sink -c writes '\\rsess=N quit=N mesg=N' after every event; take the last one."""
    found = _MESG.findall(_tail(path))
    return int(found[-1]) if found else 0


_NUM = re.compile(r"(\d+)\r")


def source_count(path):
    """smtp-source -c writes 'N\\r' after every completed DATA."""
    found = _NUM.findall(_tail(path, 128))
    return int(found[-1]) if found else 0


def proc_cpu_rss(pid):
    """(utime+stime in seconds, VmHWM kB, VmRSS kB) or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        fields = stat[stat.rindex(")") + 2:].split()
        ticks = os.sysconf("SC_CLK_TCK")
        cpu = (int(fields[11]) + int(fields[12])) / ticks  # fields 14, 15 of stat(5)
        hwm = rss = 0
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
                elif line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        return cpu, hwm, rss
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return None


def procstat(pid):
    r = proc_cpu_rss(pid)
    if r is None:
        print("gone", file=sys.stderr)
        return 1
    print(f"{r[0]:.2f} {r[1]}")
    return 0


def group_cpu_mem(sid, pss=True):
    """CPU and memory of every process in session SID (Postfix: the master calls setsid(), and
    every daemon it spawns inherits the session).

    cpu = sum of utime+stime of the live processes of the session, plus the session leader's
    cutime+cstime: the kernel adds an exited child's CPU (its own and its reaped children's) to
    the parent that reaps it, and the master reaps every smtpd/cleanup/smtp it retires
    (max_use, max_idle). So a difference of two samples is the CPU of all Postfix processes,
    including those that came and went in between.
    Returns (cpu_s, sum VmRSS kB, sum Pss kB, processes) or None when the leader is gone."""
    ticks = os.sysconf("SC_CLK_TCK")
    cpu_ticks = rss = pss_kb = n = 0
    leader = False
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[3]) != sid:  # field 6 of stat(5): session id
                continue
            cpu_ticks += int(fields[11]) + int(fields[12])
            if int(d) == sid:
                leader = True
                cpu_ticks += int(fields[13]) + int(fields[14])  # cutime + cstime
            n += 1
            with open(f"/proc/{d}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                        break
            if pss:
                with open(f"/proc/{d}/smaps_rollup") as f:
                    for line in f:
                        if line.startswith("Pss:"):
                            pss_kb += int(line.split()[1])
                            break
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError, PermissionError):
            continue
    if not leader:
        return None
    return cpu_ticks / ticks, rss, pss_kb, n


def machine_busy():
    """The whole machine's busy CPU seconds so far: user, nice, system, irq and softirq from /proc/stat."""
    with open("/proc/stat") as f:
        v = f.readline().split()
    return sum(int(v[i]) for i in (1, 2, 3, 6, 7)) / os.sysconf("SC_CLK_TCK")


def coldcurve(logs):
    """From a router log, per burst of deliveries (a pause of over a second ends one: the prime, then the case), the
    delivery rate over its 1st-500th, 501st-1,000th, ... messages, from the "Delivered" lines' timestamps: how soon a
    fresh node reaches its warm rate."""
    for log in logs:
        ts = []
        for line in open(log, errors="replace"):
            if "] Delivered " in line:
                ts.append(time.mktime(time.strptime(line[:19], "%Y-%m-%d %H:%M:%S")) + float(line[19:23]))
        bursts, start = [], 0
        for i in range(1, len(ts) + 1):
            if i == len(ts) or ts[i] - ts[i - 1] > 1.0:
                bursts.append(ts[start:i])
                start = i
        out = []
        for n, burst in enumerate(bursts, 1):
            parts = []
            for a, b in [(0, 500), (500, 1000), (1000, 2000), (2000, len(burst))]:
                b = min(b, len(burst))
                if b - a > 1 and burst[b - 1] > burst[a]:
                    parts.append(f"{a + 1:,}-{b:,}: {(b - a - 1) / (burst[b - 1] - burst[a]):,.0f}/s")
            out.append(f"burst {n} ({len(burst):,}): " + ", ".join(parts))
        print(f"{log}: " + " | ".join(out))
    return 0


def groupstat(sid):
    r = group_cpu_mem(sid)
    if r is None:
        print("gone", file=sys.stderr)
        return 1
    print(f"{r[0]:.2f} {r[2]} {r[1]} {r[3]}")
    return 0


# ---------------------------------------------------------------- watch


def watch(a):
    """Sample the sinks every --interval seconds from --t0 on and write a CSV time series.

    Ends when the sinks together hold --expect messages (re-read from --expect-file when
    that file appears: run.sh writes count minus rejected there once smtp-source ends),
    then keeps sampling --grace seconds to catch late duplicates. Gives up after --timeout
    seconds from t0, or when nothing arrived for --stall seconds after smtp-source ended
    (--source-done-file exists). Writes a JSON summary to --out."""
    sinks = [s.split("=", 1) for s in a.sink]  # name=path
    base = [int(b) for b in a.base.split(",")] if a.base else [0] * len(sinks)  # counts before t0 (the prime)
    expect = a.expect
    t0 = a.t0
    done_at = None
    last_change = time.time()
    last_total = -1
    prev_t, prev_total = t0, 0
    peak_rate = 0.0
    reason = "timeout"
    history = []
    final = not a.expect_file
    detected_at = None
    label = a.label
    peak_rss = peak_pss = max_procs = 0
    with open(a.csv, "w") as out:
        out.write("t_s,accepted," + ",".join(n for n, _ in sinks) +
                  f",delivered,delivered_per_s,{label}_cpu_pct,{label}_rss_mb\n")
        prev_cpu = None
        machine_first = machine_done = None  # (machine busy s, target cpu s, time)
        while True:
            now = time.time()
            counts = [sink_count(p) - b for (_, p), b in zip(sinks, base)]
            total = sum(counts)
            accepted = source_count(a.source) if a.source else 0
            if a.sid:  # a process group (Postfix): CPU summed, RSS column = sum of PSS
                g = group_cpu_mem(a.sid)
                pr = None
                if g is not None:
                    peak_rss, peak_pss, max_procs = max(peak_rss, g[1]), max(peak_pss, g[2]), max(max_procs, g[3])
                    pr = (g[0], 0, g[2])
            else:
                pr = proc_cpu_rss(a.pid) if a.pid else None
            cpu_pct = ""
            if pr is not None and prev_cpu is not None and now > prev_t:
                cpu_pct = f"{100.0 * (pr[0] - prev_cpu) / (now - prev_t):.0f}"
            rate = (total - prev_total) / (now - prev_t) if now > prev_t else 0.0
            if prev_cpu is not None:  # the first interval starts before the load
                peak_rate = max(peak_rate, rate)
            out.write(f"{now - t0:.2f},{accepted}," + ",".join(str(c) for c in counts) +
                      f",{total},{rate:.1f},{cpu_pct},{(pr[2] / 1024.0 if pr else 0):.0f}\n")
            out.flush()
            prev_t, prev_total = now, total
            prev_cpu = pr[0] if pr else None
            machine_now = (machine_busy(), pr[0], now) if pr else None
            machine_first = machine_first or machine_now
            if total != last_total:
                last_total, last_change = total, now
            history.append((now, total))
            if not final and a.expect_file and os.path.exists(a.expect_file):
                try:
                    expect = int(open(a.expect_file).read().strip())
                    final = True
                except ValueError:
                    pass
            if done_at is None and final and total >= expect:
                # First crossing, interpolated between the two samples around it.
                for (t1, n1), (t2, n2) in zip([(t0, 0)] + history, history):
                    if n2 >= expect:
                        done_at = t1 + (t2 - t1) * (expect - n1) / (n2 - n1) if n2 > n1 else t2
                        break
                detected_at = now
                machine_done = machine_now
            if done_at is not None and now - detected_at >= a.grace:
                reason = "complete"
                break
            if now - t0 > a.timeout:
                reason = "timeout"
                break
            if (done_at is None and a.source_done_file and os.path.exists(a.source_done_file)
                    and now - last_change > a.stall):
                reason = f"stalled {a.stall:.0f}s"
                break
            time.sleep(max(0.0, a.interval - (time.time() - now)))
    def crossing(target):
        for (t1, n1), (t2, n2) in zip([(t0, 0)] + history, history):
            if n2 >= target:
                return round((t1 + (t2 - t1) * (target - n1) / (n2 - n1) if n2 > n1 else t2) - t0, 2)
        return None

    summary = {
        "t_pct": {str(p): crossing(expect * p / 100.0) for p in (50, 90, 99)},
        "reason": reason,
        "expect": expect,
        "delivered": total,
        "per_sink": {n: c for (n, _), c in zip(sinks, counts)},
        "t_done": done_at,
        "t_last_change": last_change,
        "peak_rate": round(peak_rate, 1),
    }
    if a.sid:
        summary.update({"group_peak_rss_kb": peak_rss, "group_peak_pss_kb": peak_pss, "group_max_procs": max_procs})
    if machine_first and machine_done:
        summary["machine_window"] = {"busy": machine_done[0] - machine_first[0], "target": machine_done[1] - machine_first[1],
                                     "wall": machine_done[2] - machine_first[2]}
    with open(a.out, "w") as f:
        json.dump(summary, f)
    return 0 if reason == "complete" else 2


def waitsinks(expect, paths, t0, timeout, grace=1.0):
    """Wait until the sinks together hold EXPECT messages (the prime load of a case), then GRACE
    seconds more for stragglers. Prints 'seconds-from-t0-to-EXPECT count,count,...' (the counts
    after the grace: the watcher's base). Exit 2 on timeout (the counts are printed anyway)."""
    done = None
    while True:
        now = time.time()
        counts = [sink_count(p) for p in paths]
        if done is None and sum(counts) >= expect:
            done = now
        if done is not None and now - done >= grace:
            break
        if now - t0 > timeout:
            break
        time.sleep(0.1)
    print(f"{(done or now) - t0:.3f} {','.join(str(c) for c in counts)}")
    return 0 if done is not None else 2


# ---------------------------------------------------------------- report


def _fmt(v, digits=0):
    if v is None or v == "":
        return "n/a"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


LEGEND = """Columns: **accepted/s** = messages accepted (2xx after DATA) / wall time of smtp-source;
**delivered/s** = messages expected at the sinks / time from the start of smtp-source until the
sinks together counted them all; **delivered** = sink count at the end (after a grace period) /
expected (sent minus rejected); **rejected** = non-2xx replies seen by smtp-source (-A keeps it
going); **dup** = sink count above expected; **left in spool** = messages the router reports
when it reopens the case's spool afterwards (firewalls unreachable), should be 0; **CPU s/1k msgs** = router utime+stime (/proc/PID/stat) from just before the load to
the end of delivery, per 1,000 messages; **peak RSS** = router VmHWM at the end of the case
(fresh process per case). smtp-source, smtp-sink and the router share the machine's cores.
With `--prime PCT` (default 25; every case but the failover pair) the fresh target first gets PCT%
of the case's messages from smtp-source (same sessions, size, connections), and the columns above
time the case's own messages, sent once those have arrived (sink counts, CPU, latency and the
time series start after the prime).
"""


def _ratio(a, b, digits=2):
    return f"{a / b:.{digits}f}" if a and b else "n/a"


def compare_table(rows):
    """Router and Postfix side by side for every case run against both (same sessions, messages,
    size and connection mode), with the ratio router/Postfix."""
    def key(r):
        return (r["sessions"], r["count"], r["size"], r["reuse"])
    by = {}
    for r in rows:
        if not r.get("failover_role") and not r.get("paced_rate"):  # paced runs: latency table only
            by.setdefault(key(r), {})[r.get("target", "router")] = r
    out = ["## Router vs Postfix (issue 8)\n",
           "Same load, same two smtp-sinks, one after the other. Ratio = router / Postfix: above 1 is "
           "better for the router in the rate columns, below 1 is better in the CPU and memory columns. "
           "Targets (issue 21): warm ≥ 6× and cold ≥ 4× Postfix at 1 KB and 10 KB, ≥ 4× at 100 KB; CPU ≤ 0.3 "
           "s per 1,000 messages at 1 KB. The last column is the whole machine during each target's run: its idle "
           "share, and the CPU that went to everything but the target (smtp-source, the sinks, softirqs) per "
           "1,000 messages; idle near 0 means the machine, not the target, bounds the rate.\n",
           "Each target first gets a prime load from a fresh start (`--prime`, a share of the case's messages, "
           "same sessions and size), and the case's own messages are timed after it has been delivered: the "
           "rate and CPU columns are the warmed-up figures. The prime's own delivered/s is the **cold** column "
           "(the router compiles its code paths in those first seconds; Postfix forks its processes).\n",
           "| case | delivered/s router | delivered/s Postfix | **ratio** | cold: prime msgs, delivered/s router / Postfix (ratio) | "
           "accepted/s router | accepted/s Postfix | ratio | "
           "CPU s/1k router | CPU s/1k Postfix | ratio | peak MB router (RSS) | peak MB Postfix (ΣPSS / ΣRSS) | target | "
           "machine idle %, CPU s/1k of the rest: router run / Postfix run |",
           "|" + "---|" * 15]
    any_pair = False
    for k, t in by.items():
        ro, pf = t.get("router"), t.get("postfix")
        if not ro or not pf:
            continue
        any_pair = True
        s, m, l, reuse = k
        label = f"{m:,} × {l / 1024:g} KB, {s} sessions, {'reused (-d)' if reuse else 'new conn/msg'}"
        target = "warm ≥ 6×, cold ≥ 4×" if l <= 10240 else "≥ 4×"
        ok = lambda r: r.get("status", "").startswith("ok")
        flag = "" if ok(ro) and ok(pf) else " (incomplete run, see above)"
        out.append("| " + " | ".join([
            label + flag,
            _fmt(ro.get("delivered_per_s"), 0), _fmt(pf.get("delivered_per_s"), 0),
            "**" + _ratio(ro.get("delivered_per_s"), pf.get("delivered_per_s")) + "**",
            (f'{_fmt(ro.get("prime_count"))}, {_fmt(ro.get("prime_delivered_per_s"), 0)} / '
             f'{_fmt(pf.get("prime_delivered_per_s"), 0)} ({_ratio(ro.get("prime_delivered_per_s"), pf.get("prime_delivered_per_s"))})'
             if ro.get("prime_count") else "not primed"),
            _fmt(ro.get("accepted_per_s"), 0), _fmt(pf.get("accepted_per_s"), 0),
            _ratio(ro.get("accepted_per_s"), pf.get("accepted_per_s")),
            _fmt(ro.get("cpu_per_1k"), 2), _fmt(pf.get("cpu_per_1k"), 2),
            _ratio(ro.get("cpu_per_1k"), pf.get("cpu_per_1k")),
            _fmt(ro.get("peak_rss_mb"), 0),
            f'{_fmt(pf.get("peak_rss_mb"), 0)} / {_fmt(pf.get("peak_rss_sum_mb"), 0)}',
            target,
            f'{_fmt(ro.get("machine_idle_pct"), 0)}%, {_fmt(ro.get("others_cpu_per_1k"), 2)} / '
            f'{_fmt(pf.get("machine_idle_pct"), 0)}%, {_fmt(pf.get("others_cpu_per_1k"), 2)}',
        ]) + " |")
    if not any_pair:
        out.append("| (no case ran against both) |" + " |" * 14)
    out.append("")
    out.append("Postfix CPU = utime+stime of every process in the Postfix master's session (master, smtpd, "
               "cleanup, qmgr, trivial-rewrite, smtp, scache, postlogd, …) plus the master's cutime+cstime "
               "(processes that exited and were reaped during the case), from /proc, before the load and "
               "after the last message arrived. Postfix memory = peak of the sum over those processes, "
               "sampled every 0.5 s, of PSS (shared pages divided among the processes mapping them) and of "
               "RSS (shared libraries counted once per process, an overstatement). Router memory = VmHWM "
               "of its single process.\n")
    return out


def report(a):
    rows = [json.loads(line) for line in open(a.results) if line.strip()]
    out = []
    out.append(f"# Router benchmark, {a.title}\n")
    out.append(f"Command: `{a.command}`\n")
    out.append(f"Machine: {a.machine}\n")
    out.append(f"Counting: {a.counting}\n")
    with_pf = any(r.get("target") == "postfix" for r in rows)
    out.append("| case | " + ("target | " if with_pf else "") + "sessions | msgs | size | conn | firewalls | accepted/s | delivered/s | "
               "delivered | fw-a / fw-b | rejected | dup | left in spool | CPU s/1k msgs | peak RSS MB | status |")
    out.append("|" + "---|" * (17 if with_pf else 16))
    queued = [r for r in rows if r.get("queued")]
    rows = [r for r in rows if not r.get("queued")]
    for r in rows:
        out.append("| " + " | ".join([r["case"]] + ([r.get("target", "router")] if with_pf else []) + [
            str(r["sessions"]), _fmt(r["count"]), _fmt(r["size"]),
            "reuse (-d)" if r["reuse"] else "new/msg", r["firewalls"],
            _fmt(r.get("accepted_per_s"), 0), _fmt(r.get("delivered_per_s"), 0),
            f'{_fmt(r.get("delivered"))}/{_fmt(r.get("expect"))}',
            f'{_fmt(r.get("fw_a"))} / {_fmt(r.get("fw_b"))}',
            _fmt(r.get("rejected")), _fmt(r.get("duplicates")), _fmt(r.get("spool_left")),
            _fmt(r.get("cpu_per_1k"), 2), _fmt(r.get("peak_rss_mb"), 0), r.get("status", "?"),
        ]) + " |")
    out.append("")
    if with_pf:
        out.extend(compare_table(rows))
    lat = [r for r in rows if r.get("latency_n")]
    if lat:
        out.append("Accept latency, final '.' to 250 (fsync included). Paced cases (`-r<rate>` in the name, "
                   "`--half-rate`): every message of the case, sent open-loop at that rate, each target started "
                   "fresh; the messages of the first seconds (warm-up column) are timed apart and the p50/p99/max "
                   "columns are the rest, the steady state; other cases: our probe session, one message every "
                   "50 ms during the full-speed load (`--latency`):\n")
        out.append("| case | target | paced at msg/s | timed msgs | p50 ms | p99 ms | max ms | warm-up: msgs, p99 / max ms | accepted/s |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for r in lat:
            warm = f"{r['warm_n']}, {_fmt(r['warm_p99_ms'], 1)} / {_fmt(r['warm_max_ms'], 1)}" if r.get("warm_n") else ""
            out.append(f"| {r['case']} | {r.get('target', 'router')} | {_fmt(r.get('paced_rate'))} | {r['latency_n']} | "
                       f"{_fmt(r['latency_p50_ms'], 1)} | {_fmt(r['latency_p99_ms'], 1)} | {_fmt(r['latency_max_ms'], 1)} | "
                       f"{warm} | {_fmt(r.get('accepted_per_s'))} |")
        out.append("")
    if queued:
        out.append("## Queued messages, firewalls stalled (issue 8: peak RSS < 400 MB with 100,000 queued)\n")
        out.append("Both firewalls are blackholes that complete TCP and never greet; every accepted message stays "
                   "queued. Peak RSS = router VmHWM after the load (plus 5 s); in spool = messages the router "
                   "reported when it reopened the spool afterwards (should equal accepted).\n")
        out.append("| case | sessions | msgs | size | conn | accepted/s | rejected | peak RSS MB | RSS at end MB | in spool on reopen | CPU s/1k | status |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in queued:
            out.append(f"| {r['case']} | {r['sessions']} | {_fmt(r['count'])} | {_fmt(r['size'])} | "
                       f"{'reuse (-d)' if r['reuse'] else 'new/msg'} | {_fmt(r.get('accepted_per_s'))} | {_fmt(r.get('rejected'))} | "
                       f"{_fmt(r.get('peak_rss_mb'))} | {_fmt(r.get('rss_end_mb'))} | {_fmt(r.get('spool_left'))} | "
                       f"{_fmt(r.get('cpu_per_1k'), 2)} | {r.get('status')} |")
        out.append("")
    pairs = {}
    for r in rows:
        if r.get("failover_role"):
            pairs[r["failover_role"]] = r
    if "healthy" in pairs and "blackholed" in pairs:
        h, b = pairs["healthy"], pairs["blackholed"]
        out.append("## Failover (issue 3): one of two firewalls blackholed\n")
        out.append("| metric | healthy | fw-b blackholed | ratio | target |")
        out.append("|---|---|---|---|---|")
        for key, label, target in (("delivered_per_s", "delivered/s", "≥ 80%"),
                                   ("accepted_per_s", "accepted/s", "")):
            hv, bv = h.get(key), b.get(key)
            ratio = f"{100.0 * bv / hv:.0f}%" if hv and bv else "n/a"
            out.append(f"| {label} | {_fmt(hv)} | {_fmt(bv)} | {ratio} | {target} |")
        for p in ("50", "90", "99"):
            hv, bv = h.get("t_pct", {}).get(p), b.get("t_pct", {}).get(p)
            out.append(f"| seconds until {p}% delivered | {_fmt(hv, 1)} | {_fmt(bv, 1)} | | |")
        out.append(f"| seconds until 100% delivered | {_fmt(h.get('delivery_wall_s'), 1)} | "
                   f"{_fmt(b.get('delivery_wall_s'), 1)} | | |")
        hw, bw = h.get("delivery_wall_s"), b.get("delivery_wall_s")
        if hw and bw:
            out.append(f"| **seconds lost to the blackhole** (issue 18) | | {bw - hw:.1f} | {bw / hw:.2f}x | ≤ 1 s (floor 2 s) |")
        if b.get("died_after_s") is not None:
            out.append(f"| fw-b died, s after the load started | | {_fmt(b['died_after_s'], 2)} | | |")
        if b.get("trip_after_death_s") is not None:
            out.append(f"| s from fw-b's death (first stalled connection) to its trip | | {_fmt(b['trip_after_death_s'], 2)} | | |")
        if b.get("change_after_death_s") is not None:
            out.append(f"| s from fw-b's first stalled connection to its first state change | | {_fmt(b['change_after_death_s'], 2)} | | |")
        out.append(f"| jobs hedged away from fw-b | {h.get('hedged', 'n/a')} | {b.get('hedged', 'n/a')} | | |")
        out.append("")
        if b.get("trip_line"):
            out.append(f"First trip log line ({b.get('trip_after_s', 'n/a')} s after the load started): "
                       f"`{b['trip_line']}`\n")
        else:
            out.append("No log line mentioning a trip of fw-b was found in the router log.\n")
        if b.get("blackhole_conns") is not None:
            out.append(f"Connections the blackhole accepted and held: {b['blackhole_conns']}\n")
        if a.plot:
            out.append(f"Time series: `{a.csv}`; plot: `{a.plot}`\n")
        elif a.csv:
            out.append(f"Time series: `{a.csv}` (no plot: gnuplot unavailable)\n")
    notes = [r for r in rows if r.get("notes")]
    if notes:
        out.append("## Notes per case\n")
        for r in notes:
            for n in r["notes"]:
                out.append(f"- {r['case']}: {n}")
        out.append("")
    out.append(LEGEND)
    if with_pf:
        out.append("Postfix rows: the same columns, measured the same way at the sinks and at smtp-source; "
                   "**left in spool** = queue files left in Postfix's queue after `postfix stop`; **CPU** and "
                   "**peak RSS** are summed over all Postfix processes (peak RSS column = peak sum of PSS), see "
                   "the comparison section.\n")
    text = "\n".join(out) + "\n"
    with open(a.md, "w") as f:
        f.write(text)
    print(text)


# ---------------------------------------------------------------- case summary


def _postfix_log(a, r):
    """Postfix maillog: warnings, fatal/panic lines, deliveries that were not status=sent."""
    warn = err = sent = deferred = 0
    first_err = first_def = None
    if a.log and os.path.exists(a.log):
        for line in open(a.log, errors="replace"):
            if "status=sent" in line:
                sent += 1
            elif "status=deferred" in line or "status=bounced" in line:
                deferred += 1
                first_def = first_def or line.strip()
            if re.search(r": (fatal|panic|error): ", line):
                err += 1
                first_err = first_err or line.strip()
            elif ": warning: " in line and "postfix-script" not in line:
                warn += 1  # postfix-script's start-up warnings are about postdrop's set-gid bit
    r["log_warnings"], r["log_errors"], r["postfix_sent"], r["postfix_deferred"] = warn, err, sent, deferred
    if err:
        r["notes"].append(f"postfix maillog: {err} fatal/panic/error lines, first: `{first_err[:300]}`")
    if warn:
        r["notes"].append(f"postfix maillog: {warn} warning lines (see maillog)")
    if deferred:
        r["notes"].append(f"postfix maillog: {deferred} deliveries deferred or bounced, first: `{first_def[:300]}`")
    if a.latency and os.path.exists(a.latency):
        _latency_fields(r, a.latency)
    if a.stop_note:
        r["notes"].append(a.stop_note)


def summarize(a):
    """Combine the timings, watch summary and router log of one case into one JSON line."""
    w = json.load(open(a.watch))
    t0, t_src_end = a.t0, a.t_src_end
    r = {
        "case": a.case, "target": a.target or "router", "unique_rcpt": a.unique_rcpt == 1,
        "sessions": a.sessions, "count": a.count, "size": a.size,
        "reuse": a.reuse == 1, "firewalls": a.firewalls,
        "failover_role": a.role or None,
        "expect": w["expect"], "delivered": w["delivered"],
        "fw_a": w["per_sink"].get("fw-a"), "fw_b": w["per_sink"].get("fw-b"),
        "rejected": a.rejected, "spool_left": a.spool_left,
        "peak_rate": w.get("peak_rate"),
        "notes": [],
    }
    accepted = a.count - a.rejected
    r["accepted_per_s"] = round(accepted / (t_src_end - t0), 1) if t_src_end > t0 else None
    if w["t_done"]:
        r["delivered_per_s"] = round(w["expect"] / (w["t_done"] - t0), 1)
        r["delivery_wall_s"] = round(w["t_done"] - t0, 2)
    else:
        r["delivered_per_s"] = None
    r["duplicates"] = max(0, w["delivered"] - w["expect"])
    r["t_pct"] = w.get("t_pct", {})
    if a.prime_count:  # the prime load before t0, from the freshly started target: the cold figure
        r["prime_count"] = a.prime_count
        r["prime_delivered_per_s"] = round((a.prime_count - a.prime_rejected) / a.prime_s, 1) if a.prime_s else None
        if a.prime_rejected:
            r["notes"].append(f"prime load: smtp-source saw {a.prime_rejected} non-2xx replies")
    if a.cpu_before is not None and a.cpu_after is not None:
        r["cpu_per_1k"] = round((a.cpu_after - a.cpu_before) / max(1, w["expect"]) * 1000, 3)
    r["peak_rss_mb"] = round(a.hwm_kb / 1024.0, 0) if a.hwm_kb else None
    mw = w.get("machine_window")
    if mw and mw["wall"] > 0:
        # The whole machine from the watcher's first sample to the one that saw the last message: what the target
        # did not use went to smtp-source, the sinks, softirqs and anything else running. Idle near 0 means the
        # machine, not the target, bounds the rate.
        r["machine_idle_pct"] = round(100 * (1 - mw["busy"] / mw["wall"] / (os.cpu_count() or 1)), 1)
        r["others_cpu_per_1k"] = round((mw["busy"] - mw["target"]) / max(1, w["expect"]) * 1000, 3)
    if r["target"] == "postfix":
        # Many processes: "peak RSS" is the peak of the sampled sum of PSS (shared pages split
        # between the processes that map them); the sum of RSS counts libc & co. once per process.
        r["peak_rss_mb"] = round(w.get("group_peak_pss_kb", 0) / 1024.0, 0) or None
        r["peak_rss_sum_mb"] = round(w.get("group_peak_rss_kb", 0) / 1024.0, 0) or None
        r["max_procs"] = w.get("group_max_procs")
    status = "ok"
    if w["reason"] != "complete":
        status = f"INCOMPLETE ({w['reason']}: {w['delivered']}/{w['expect']})"
        r["notes"].append(f"delivery did not complete: {w['reason']}, {w['delivered']} of "
                          f"{w['expect']} arrived; last arrival {w['t_last_change'] - t0:.1f}s after start")
    if a.rejected:
        r["notes"].append(f"smtp-source saw {a.rejected} non-2xx replies (first: {a.first_reject})")
        status = "ok*" if status == "ok" else status
    if r["duplicates"]:
        r["notes"].append(f"{r['duplicates']} messages more than expected reached the sinks (duplicates)")
    if a.spool_left > 0 and a.target == "postfix":
        r["notes"].append(f"{a.spool_left} queue files were left in Postfix's queue after it stopped")
    elif a.spool_left > 0:
        r["notes"].append(f"the router reopened its spool with {a.spool_left} messages still in it after delivery")
    elif a.spool_left < 0:
        r["spool_left"] = None
        r["notes"].append("the spool's message count could not be read (recheck.log)")
    if a.source_rc:
        r["notes"].append(f"smtp-source exited {a.source_rc}" + (" (killed by the case timeout)" if a.source_rc == 124 else ""))
        if status == "ok":
            status = f"smtp-source rc={a.source_rc}"
    if r["target"] == "postfix":
        _postfix_log(a, r)
        r["status"] = status
        with open(a.results, "a") as f:
            f.write(json.dumps(r) + "\n")
        return 0
    # Router log: warnings/errors and the first trip of a firewall.
    warn = err = 0
    first_err = None
    trip_line = loose_trip = None
    transitions = []
    hedged = 0
    first_change = None
    if os.path.exists(a.log):
        for line in open(a.log, errors="replace"):
            if " ERR " in line or " FTL " in line:
                err += 1
                first_err = first_err or line.strip()
            elif " WRN " in line:
                warn += 1
            if "fw-b" in line and "Hedged " in line:
                hedged += 1
            if "fw-b" in line and re.search(r"->\s*Tripped", line):
                trip_line = trip_line or line.strip()
            elif "fw-b" in line and re.search(r"trip", line, re.I):
                loose_trip = loose_trip or line.strip()
            if re.search(r"Firewall fw-\S+ .*\S+ -> \S+", line) and len(transitions) < 12:
                transitions.append(line.strip()[:240])
            if first_change is None and re.search(r"Firewall fw-b .*\S+ -> \S+", line):
                first_change = line.strip()
    r["log_warnings"], r["log_errors"] = warn, err
    if err:
        r["notes"].append(f"router log: {err} ERR lines, first: `{first_err[:300]}`")
    if warn:
        r["notes"].append(f"router log: {warn} WRN lines")
    trip_line = trip_line or loose_trip
    if transitions:
        r["notes"].append("firewall state changes (router log): " + "; ".join(f"`{t}`" for t in transitions))
    if trip_line:
        r["trip_line"] = trip_line[:300]
        m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})", trip_line)
        if m:
            ts = time.mktime(time.strptime(m.group(1)[:19], "%Y-%m-%d %H:%M:%S")) + float(m.group(1)[19:])
            r["trip_after_s"] = round(ts - t0, 1)
    r["hedged"] = hedged
    if a.blackhole_log and os.path.exists(a.blackhole_log):
        text = open(a.blackhole_log).read()
        died = re.search(r"(?:died|first stalled connection) at (\d+\.\d+)", text)
        if died:
            r["died_after_s"] = round(float(died.group(1)) - t0, 2)
            if "trip_after_s" in r:
                r["trip_after_death_s"] = round(ts - float(died.group(1)), 2)
            m = first_change and re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})", first_change)
            if m:
                cs = time.mktime(time.strptime(m.group(1)[:19], "%Y-%m-%d %H:%M:%S")) + float(m.group(1)[19:])
                r["change_after_death_s"] = round(cs - float(died.group(1)), 2)
                r["first_change"] = first_change[:240]
        found = re.findall(r"holding (\d+)", text)
        if "dying:" not in text and (found or "never accepting" not in text):
            r["blackhole_conns"] = int(found[-1]) if found else 0
    if a.latency and os.path.exists(a.latency):
        l = _latency_fields(r, a.latency)
        if l["failed"]:
            r["notes"].append(f"latency probe: {l['failed']} attempts failed")
    if a.stop_note:
        r["notes"].append(a.stop_note)
    r["status"] = status
    with open(a.results, "a") as f:
        f.write(json.dumps(r) + "\n")
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("freeports"); s.add_argument("n", type=int)
    s = sub.add_parser("waitsmtp"); s.add_argument("host"); s.add_argument("port", type=int); s.add_argument("timeout", type=float); s.add_argument("pid", type=int, nargs="?")
    s = sub.add_parser("blackhole"); s.add_argument("host"); s.add_argument("port", type=int); s.add_argument("mode", choices=BLACKHOLE_MODES)
    s = sub.add_parser("otlpsink"); s.add_argument("host"); s.add_argument("port", type=int)
    s = sub.add_parser("freeze"); s.add_argument("pid", type=int); s.add_argument("out"); s.add_argument("after", type=int)
    s.add_argument("mode", choices=["accept", "noaccept"]); s.add_argument("host"); s.add_argument("port", type=int)
    s = sub.add_parser("procstat"); s.add_argument("pid", type=int)
    s = sub.add_parser("coldcurve"); s.add_argument("logs", nargs="+")
    s = sub.add_parser("groupstat"); s.add_argument("sid", type=int)
    s = sub.add_parser("latency"); s.add_argument("host"); s.add_argument("port", type=int); s.add_argument("rate", type=float)
    s.add_argument("size", type=int); s.add_argument("stop_file"); s.add_argument("out")
    s = sub.add_parser("paced"); s.add_argument("host"); s.add_argument("port", type=int); s.add_argument("sessions", type=int)
    s.add_argument("count", type=int); s.add_argument("size", type=int); s.add_argument("rate", type=float); s.add_argument("reuse", type=int)
    s.add_argument("out"); s.add_argument("source_out"); s.add_argument("source_err")
    s.add_argument("--warm", type=float, default=0.0, help="seconds of warm-up load timed apart (warm_ms)")
    s = sub.add_parser("rsswatch"); s.add_argument("pid", type=int); s.add_argument("stop_file"); s.add_argument("csv"); s.add_argument("out")
    s = sub.add_parser("sinkcount"); s.add_argument("path")
    s = sub.add_parser("watch")
    s.add_argument("--sink", action="append", required=True, help="name=path of an smtp-sink -c stdout file")
    s.add_argument("--source", help="stdout of smtp-source -c (accepted counter)")
    s.add_argument("--pid", type=int, help="router pid (CPU/RSS columns)")
    s.add_argument("--sid", type=int, help="session id of a process group (Postfix master): CPU and PSS summed")
    s.add_argument("--label", default="router", help="prefix of the CPU/RSS CSV columns")
    s.add_argument("--expect", type=int, required=True)
    s.add_argument("--expect-file")
    s.add_argument("--source-done-file")
    s.add_argument("--t0", type=float, required=True)
    s.add_argument("--interval", type=float, default=0.5)
    s.add_argument("--grace", type=float, default=2.0)
    s.add_argument("--timeout", type=float, default=120.0)
    s.add_argument("--stall", type=float, default=30.0)
    s.add_argument("--csv", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--base", default="", help="comma-separated sink counts before t0, one per --sink (subtracted)")
    s = sub.add_parser("waitsinks"); s.add_argument("expect", type=int); s.add_argument("t0", type=float)
    s.add_argument("timeout", type=float); s.add_argument("paths", nargs="+")
    s = sub.add_parser("summarize")
    for name in ("case", "target", "firewalls", "role", "watch", "log", "results", "first_reject", "blackhole_log", "stop_note", "latency"):
        s.add_argument("--" + name.replace("_", "-"), dest=name, default="")
    for name in ("sessions", "count", "size", "reuse", "rejected", "spool_left", "source_rc", "hwm_kb", "unique_rcpt",
                 "prime_count", "prime_rejected"):
        s.add_argument("--" + name.replace("_", "-"), dest=name, type=int, default=0)
    for name in ("t0", "t_src_end"):
        s.add_argument("--" + name.replace("_", "-"), dest=name, type=float, required=True)
    for name in ("cpu_before", "cpu_after", "prime_s"):
        s.add_argument("--" + name.replace("_", "-"), dest=name, type=float, default=None)
    s = sub.add_parser("report")
    for name in ("results", "md", "title", "command", "machine", "counting", "csv", "plot"):
        s.add_argument("--" + name, default="")
    a = p.parse_args()
    if a.cmd == "freeports":
        return freeports(a.n)
    if a.cmd == "waitsmtp":
        return waitsmtp(a.host, a.port, a.timeout, a.pid)
    if a.cmd == "blackhole":
        return blackhole(a.host, a.port, a.mode)
    if a.cmd == "otlpsink":
        return otlpsink(a.host, a.port)
    if a.cmd == "freeze":
        return freeze(a.pid, a.out, a.after, a.mode, a.host, a.port)
    if a.cmd == "coldcurve":
        return coldcurve(a.logs)
    if a.cmd == "procstat":
        return procstat(a.pid)
    if a.cmd == "groupstat":
        return groupstat(a.sid)
    if a.cmd == "latency":
        return latency_probe(a.host, a.port, a.rate, a.size, a.stop_file, a.out)
    if a.cmd == "paced":
        return paced_load(a.host, a.port, a.sessions, a.count, a.size, a.rate, a.reuse == 1, a.out, a.source_out, a.source_err, a.warm)
    if a.cmd == "rsswatch":
        return rsswatch(a.pid, a.stop_file, a.csv, a.out)
    if a.cmd == "sinkcount":
        print(sink_count(a.path))
        return 0
    if a.cmd == "watch":
        return watch(a)
    if a.cmd == "waitsinks":
        return waitsinks(a.expect, a.paths, a.t0, a.timeout)
    if a.cmd == "summarize":
        return summarize(a)
    if a.cmd == "report":
        return report(a)


if __name__ == "__main__":
    sys.exit(main() or 0)
