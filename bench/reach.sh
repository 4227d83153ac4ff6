#!/usr/bin/env bash
# Reach planner benchmark (issue 6): builds inoculate, generates the R-MAT
# graph the issue measures SUBSIM / OPIM-C / IMM on, and prints time, peak
# memory, RR sets per second and an independent Monte Carlo spread for
# k ∈ {1, 10, 50, 100} and ε ∈ {0.5, 0.1}.
#
# R-MAT "scale 21": --nodes 2097152 (2^21 ids) --edges 10334477 with
# a=0.57 b=0.19 c=0.19 d=0.05, no self-loops or duplicates. Seed 1 gives
# 915,345 non-isolated nodes (the issue's instance has 917,193; R-MAT
# samplers differ in detail), weighted cascade p = 1/in-degree.
#
# Environment:
#   NODES, EDGES, GSEED  graph size and seed (smaller for a quick run)
#   RUNS                 Monte Carlo runs per seed set (default 200)
#   THREADS              --threads for plan (default: all cores)
#   HIGH=1               also the high-influence variant p = min(1, 3/in-degree);
#                        without HIST-style truncation its RR sets are huge: slow
#   DIR                  work directory (default /tmp/inoculate-reach-bench)
set -euo pipefail

NODES=${NODES:-2097152}
EDGES=${EDGES:-10334477}
GSEED=${GSEED:-1}
RUNS=${RUNS:-200}
THREADS=${THREADS:-0}
DIR=${DIR:-/tmp/inoculate-reach-bench}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$DIR"
BIN="$DIR/inoculate"

echo "== build"
(cd "$ROOT" && go build -o "$BIN" ./cmd/inoculate)

GRAPH="$DIR/rmat-$NODES-$EDGES-$GSEED.txt"
if [[ ! -s $GRAPH ]]; then
	echo "== generate"
	"$BIN" plan gen --nodes "$NODES" --edges "$EDGES" --seed "$GSEED" --out "$GRAPH"
fi
graphs=("$GRAPH")

if [[ ${HIGH:-0} == 1 ]]; then
	HIGHG="$DIR/rmat-$NODES-$EDGES-$GSEED-p3.txt"
	if [[ ! -s $HIGHG ]]; then
		echo "== high-influence variant p = min(1, 3/in-degree)"
		awk 'NR == FNR { d[$2]++; next } { p = 3 / d[$2]; if (p > 1) p = 1; printf "%s\t%s\t%.6g\n", $1, $2, p }' "$GRAPH" "$GRAPH" >"$HIGHG"
	fi
	graphs+=("$HIGHG")
fi

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for g in "${graphs[@]}"; do
	echo
	echo "== $(basename "$g")"
	printf '%4s %5s %9s %9s %9s %8s %12s %12s %12s %10s\n' k eps select_s load_s peak_MB rr_sets rr_sets/s estimate mc_spread mc_stderr
	for eps in 0.5 0.1; do
		for k in 1 10 50 100; do
			out="$DIR/plan-k$k-e$eps.json"
			"$BIN" plan --graph "$g" --k "$k" --eps "$eps" --seed 1 --threads "$THREADS" --json --stats >"$out"
			ev=$("$BIN" plan eval --graph "$g" --seeds "$out" --runs "$RUNS" --seed 2 --json)
			python3 - "$out" "$k" "$eps" "$ev" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); e = json.loads(sys.argv[4])
rate = p["rr_sets"] / p["sample_seconds"] if p["sample_seconds"] > 0 else 0
print("%4s %5s %9.3f %9.2f %9.1f %8d %12.0f %12.1f %12.1f %10.1f" % (sys.argv[2], sys.argv[3], p["seconds"], p["load_seconds"],
      p["peak_rss_bytes"] / 2**20, p["rr_sets"], rate, p["estimate"], e["spread"], e["stderr"]))
PY
		done
	done
done
