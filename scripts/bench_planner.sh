#!/usr/bin/env bash
# Planner benchmark: wall time and search statistics of `planner --model 70b --gpus 512` and
# `planner --model 405b --gpus 16384` (targets on a 2-core machine: 10 s and 60 s). Prints one row
# per case: wall time, configurations considered, pruned by the rules and by the memory bound,
# candidates, simulated and bounded out, and whether the target was met. Informative: exits 0
# whatever the times (a loaded machine measures the machine). Run after scripts/build.sh release.
#   PTSIM_BENCH_THREADS  simulation threads (default: all hardware threads)
#   PTSIM_BENCH_CASES    cases to run, e.g. "70b:512:10" (model:gpus:target seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin/planner
if [ ! -x "$bin" ]; then
  echo "bench_planner: $bin not found; run scripts/build.sh release first" >&2
  exit 2
fi
threads="${PTSIM_BENCH_THREADS:-0}"
cases="${PTSIM_BENCH_CASES:-70b:512:10 405b:16384:60}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

number() { tr -d ',' <<<"$1"; }

printf '# planner benchmark: %s hardware threads, load average %s\n' "$(nproc)" \
  "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
printf '# %-18s %9s %7s %11s %9s %9s %10s %9s %11s  %s\n' case wall target considered \
  by_rules by_memory candidates simulated bounded_out result
printf '# %-18s %9s %7s %11s %9s %9s %10s %9s %11s\n' "" "(s)" "(s)" "" "" "" "" "" ""
for c in $cases; do
  IFS=: read -r model gpus target <<<"$c"
  start=$(date +%s.%N)
  "$bin" --model "$model" --gpus "$gpus" --threads "$threads" --quiet >"$work/out.txt"
  end=$(date +%s.%N)
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
  line1=$(grep -m1 '^# search ' "$work/out.txt")
  line2=$(grep -m1 ' candidates: ' "$work/out.txt")
  considered=$(number "$(sed -E 's/^# search +([0-9,]+) configurations.*/\1/' <<<"$line1")")
  by_rules=$(number "$(sed -E 's/.*; ([0-9,]+) pruned by rules.*/\1/' <<<"$line1")")
  by_memory=$(number "$(sed -E 's/.* ([0-9,]+) by the memory bound.*/\1/' <<<"$line1")")
  candidates=$(number "$(sed -E 's/^# +([0-9,]+) candidates:.*/\1/' <<<"$line2")")
  simulated=$(number "$(sed -E 's/.*candidates: ([0-9,]+) simulated.*/\1/' <<<"$line2")")
  bounded=$(number "$(sed -E 's/.*, ([0-9,]+) bounded out.*/\1/' <<<"$line2")")
  result=$(awk -v w="$wall" -v t="$target" 'BEGIN { print (w <= t) ? "within target" : "over target" }')
  printf '  %-18s %9s %7s %11s %9s %9s %10s %9s %11s  %s\n' "$model/$gpus" "$wall" "$target" \
    "$considered" "$by_rules" "$by_memory" "$candidates" "$simulated" "$bounded" "$result"
  grep -m1 'listing and bounding' "$work/out.txt" | sed -E 's/^# +/#   where the time went: /'
done
