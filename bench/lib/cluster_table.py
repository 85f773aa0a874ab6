"""The Markdown table of bench/cluster.sh --matrix, from the RESULT lines of its cases.

usage: cluster_table.py OUT UPTIME COMMAND COMMIT "RESULT k=v ..." ...
"""
import sys


def main():
    out, uptime, command, commit = sys.argv[1:5]
    rows = [dict(kv.split("=", 1) for kv in r.split()[1:]) for r in sys.argv[5:]]
    # Each mode's ratio is against one node in the same mode.
    base = {r["shadow"]: float(r["delivered_per_s"]) for r in rows
            if r.get("nodes") == "1" and "delivered_per_s" in r}
    lines = preamble(f"Cluster scale-out, router at {commit}", command, uptime) + [
        "| nodes | shadow | CPU cap per node | accepted/s | delivered/s | x one node (same shadow mode)"
        " | router CPU ms per message (all nodes) | CPU s per node | methods compiled per node in the load (settling rounds) | messages copied | duplicates | load average |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "delivered_per_s" not in r:
            lines.append(f"| {r['nodes']} | {r['shadow']} | | failed | | | | | | | | |")
            continue
        delivered = float(r["delivered_per_s"])
        ratio = f"{delivered / base[r['shadow']]:.2f}x" if r["shadow"] in base else ""
        per_node = r["cpu_s_per_node"].replace(",", " / ")
        jit = f"{r['jit_methods_per_node'].replace(',', ' / ')} ({r['settle_rounds']})" if "jit_methods_per_node" in r else ""
        lines.append(
            f"| {r['nodes']} | {r['shadow']} | {r['cap']} | {float(r['accepted_per_s']):.0f} | {delivered:.0f} | {ratio}"
            f" | {float(r['cpu_ms_per_msg']):.2f} | {per_node} | {jit} | {r.get('copied', '')} | {r['duplicates']} | {r['load']} |")
    write_report(out, lines)


def preamble(title, command, uptime):
    """A report's first lines: its title, the command that made it and the machine's load before the run."""
    return [f"# {title}", "", f"`{command}`", "", f"Before the run: `{uptime.strip()}`", ""]


def write_report(out, lines):
    """Writes the report's lines to OUT and prints them."""
    text = "\n".join(lines) + "\n"
    with open(out, "w") as f:
        f.write(text)
    print(text)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
