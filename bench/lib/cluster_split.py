"""The shadow path's CPU, owner and holder apart, from the RESULT lines of bench/cluster.sh --split.

usage: cluster_split.py OUT UPTIME COMMAND COMMIT "RESULT k=v ..." ... (one node off; two nodes with the load on
the first, off; the same, preferred; repeated per round)

Per message of the load: a lone node's CPU is the rest of the mail path; node 1's CPU with copies less a lone
node's is the owner's share; node 2's CPU with copies less its CPU without (its idle upkeep in a cluster) is the
holder's share.
"""
import sys

from cluster_table import preamble, write_report


def main():
    out, uptime, command, commit = sys.argv[1:5]
    rows = [dict(kv.split("=", 1) for kv in r.split()[1:]) for r in sys.argv[5:]]

    def per_msg(row):
        cpu = [float(c) for c in row["cpu_s_per_node"].split(",")]
        return [c / int(row["delivered"]) * 1000 for c in cpu]

    lines = preamble(f"Shadow path CPU, owner and holder apart, router at {commit}", command, uptime) + [
        "| round | lone node ms/msg | owner's extra ms/msg | holder ms/msg (beyond upkeep) | idle upkeep ms/msg |"
        " shadow path share of a message's CPU | delivered/s lone / with copies | load |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i in range(0, len(rows) - 2, 3):
        lone, off, pref = rows[i:i + 3]
        if any("delivered" not in r for r in (lone, off, pref)):
            lines.append(f"| {i // 3 + 1} | failed | | | | | | |")
            continue
        base = per_msg(lone)[0]
        upkeep = per_msg(off)[1]
        owner_with, holder_with = per_msg(pref)
        owner = owner_with - base
        holder = holder_with - upkeep
        share = (owner + holder) / (base + owner + holder)
        lines.append(
            f"| {i // 3 + 1} | {base:.2f} | {owner:.2f} | {holder:.2f} | {upkeep:.2f} | {share * 100:.0f}%"
            f" | {float(lone['delivered_per_s']):.0f} / {float(pref['delivered_per_s']):.0f} | {pref['load']} |")
    write_report(out, lines)


if __name__ == "__main__":
    main()
