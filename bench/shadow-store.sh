#!/usr/bin/env bash
# The holder's store path of a shadow copy alone (issue 17): ShadowStore.StoreBatchAsync in batches, no transport.
# usage: bench/shadow-store.sh [--cpu X] [--copies N] [--warm N] BATCH...   (default --cpu 0.2, 6000 copies, 3000 warm)
# --cpu runs it under a cgroup cpu quota as bench/cluster.sh --cpu-per-node does (root, cgroup v1 or v2); 0 = no cap.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CPU=0.2 COPIES=6000 WARM=3000 BATCHES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) CPU="$2"; shift 2 ;;
    --copies) COPIES="$2"; shift 2 ;;
    --warm) WARM="$2"; shift 2 ;;
    -h|--help) sed -n 2,4p "$0"; exit 0 ;;
    *) BATCHES+=("$1"); shift ;;
  esac
done
[ "${#BATCHES[@]}" -gt 0 ] || BATCHES=(1 5 16)
dotnet build "$HERE/shadow-store" -c Release -nologo -v q >&2
DLL="$HERE/shadow-store/bin/Release/net10.0/shadow-store.dll"
CG=""
if [ "$CPU" != 0 ]; then
  quota="$(python3 -c "print(int(round($CPU * 100000)))")"
  if [ -e /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
    CG=/sys/fs/cgroup/cpu/router-shadow-store-$$; mkdir -p "$CG"
    echo 100000 > "$CG/cpu.cfs_period_us"; echo "$quota" > "$CG/cpu.cfs_quota_us"
  else
    CG=/sys/fs/cgroup/router-shadow-store-$$; mkdir -p "$CG"; echo "$quota 100000" > "$CG/cpu.max"
  fi
  trap 'rmdir "$CG" 2>/dev/null || true' EXIT
fi
echo "$(uptime)"
for b in "${BATCHES[@]}"; do
  if [ -n "$CG" ]; then
    bash -c "echo \$\$ > '$CG/cgroup.procs'; exec dotnet '$DLL' $b $COPIES $WARM"
  else
    dotnet "$DLL" "$b" "$COPIES" "$WARM"
  fi
done
