#!/usr/bin/env bash
# Reach planner benchmark (issue 6): builds inoculate, generates the graphs
# the issue measures SUBSIM / OPIM-C / IMM on, and prints time, peak
# memory, RR sets per second and an independent Monte Carlo spread for
# k ∈ {1, 10, 50, 100} and ε ∈ {0.5, 0.1} on
#   1. R-MAT "scale 21": --nodes 2097152 (2^21 ids) --edges 10334477 with
#      a=0.57 b=0.19 c=0.19 d=0.05, no self-loops or duplicates, weighted
#      cascade p = 1/in-degree. Seed 1 gives 915,345 non-isolated nodes
#      (the issue's instance has 917,193; R-MAT samplers differ in detail);
#   2. its high-influence variant p = min(1, 3/in-degree), where RR sets
#      hold a large part of the graph and the HIST sentinel phase runs;
#   3. a planted-community graph (plan gen --kind planted) whose largest
#      hubs all share one audience: a degree sort picks them and fails, so
#      its rows end with the Monte Carlo spread of the top-k out-degree
#      nodes for comparison.
# Generated graphs are kept in DIR and reused.
#
# Environment:
#   NODES, EDGES, GSEED  R-MAT size and seed (smaller for a quick run, e.g.
#                        NODES=262144 EDGES=1300000)
#   PNODES, PEDGES       planted graph size (default 1000000, 10000000)
#   RUNS                 Monte Carlo runs per seed set (default 200)
#   HRUNS                Monte Carlo runs on the high-influence variant, where
#                        one run touches most of the graph (default 50)
#   THREADS              --threads for plan (default: all cores)
#   HIGH=0, PLANTED=0    skip the high-influence variant / the planted graph
#   KS, EPSS             the grid (default "1 10 50 100" and "0.5 0.1")
#   DIR                  work directory (default /tmp/inoculate-reach-bench)
set -euo pipefail

NODES=${NODES:-2097152}
EDGES=${EDGES:-10334477}
GSEED=${GSEED:-1}
PNODES=${PNODES:-1000000}
PEDGES=${PEDGES:-10000000}
RUNS=${RUNS:-200}
HRUNS=${HRUNS:-50}
THREADS=${THREADS:-0}
KS=${KS:-1 10 50 100}
EPSS=${EPSS:-0.5 0.1}
DIR=${DIR:-/tmp/inoculate-reach-bench}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$DIR"
BIN="$DIR/inoculate"

echo "== build"
(cd "$ROOT" && go build -o "$BIN" ./cmd/inoculate)

GRAPH="$DIR/rmat-$NODES-$EDGES-$GSEED.txt"
if [[ ! -s $GRAPH ]]; then
	echo "== generate R-MAT"
	"$BIN" plan gen --nodes "$NODES" --edges "$EDGES" --seed "$GSEED" --out "$GRAPH"
fi
graphs=("$GRAPH")
runs=("$RUNS")

if [[ ${HIGH:-1} == 1 ]]; then
	HIGHG="$DIR/rmat-$NODES-$EDGES-$GSEED-p3.txt"
	if [[ ! -s $HIGHG ]]; then
		echo "== high-influence variant p = min(1, 3/in-degree)"
		awk 'NR == FNR { d[$2]++; next } { p = 3 / d[$2]; if (p > 1) p = 1; printf "%s\t%s\t%.6g\n", $1, $2, p }' "$GRAPH" "$GRAPH" >"$HIGHG.tmp"
		mv "$HIGHG.tmp" "$HIGHG"
	fi
	graphs+=("$HIGHG")
	runs+=("$HRUNS")
fi

if [[ ${PLANTED:-1} == 1 ]]; then
	PLANTG="$DIR/planted-$PNODES-$PEDGES-$GSEED.txt"
	if [[ ! -s $PLANTG ]]; then
		echo "== generate planted communities"
		"$BIN" plan gen --kind planted --nodes "$PNODES" --edges "$PEDGES" --seed "$GSEED" --out "$PLANTG"
	fi
	graphs+=("$PLANTG")
	runs+=("$RUNS")
fi

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in "${!graphs[@]}"; do
	g=${graphs[$i]}
	r=${runs[$i]}
	planted=0
	[[ $(basename "$g") == planted-* ]] && planted=1
	echo
	echo "== $(basename "$g") (Monte Carlo: $r runs)"
	if [[ $planted == 1 ]]; then
		# Nodes by decreasing out-degree, ties by id: the degree sort.
		awk '{ d[$1]++ } END { for (v in d) print d[v], v }' "$g" | sort -k1,1nr -k2,2n | awk '{ print $2 }' >"$DIR/degree-order.txt"
	fi
	printf '%4s %5s %8s %7s %8s %8s %11s %5s %6s %10s %10s %8s' k eps select_s load_s peak_MB rr_sets rr_sets/s sent approx estimate mc_spread mc_se
	[[ $planted == 1 ]] && printf ' %10s' degree_top_k
	echo
	for eps in $EPSS; do
		for k in $KS; do
			out="$DIR/plan-k$k-e$eps.json"
			"$BIN" plan --graph "$g" --k "$k" --eps "$eps" --seed 1 --threads "$THREADS" --json --stats >"$out"
			ev=$("$BIN" plan eval --graph "$g" --seeds "$out" --runs "$r" --seed 2 --json)
			deg='{}'
			if [[ $planted == 1 ]]; then
				head -n "$k" "$DIR/degree-order.txt" >"$DIR/degree-seeds.txt"
				deg=$("$BIN" plan eval --graph "$g" --seeds "$DIR/degree-seeds.txt" --runs "$r" --seed 2 --json)
			fi
			python3 - "$out" "$k" "$eps" "$ev" "$deg" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); e = json.loads(sys.argv[4]); d = json.loads(sys.argv[5])
rate = p["rr_sets"] / p["sample_seconds"] if p["sample_seconds"] > 0 else 0
line = "%4s %5s %8.3f %7.2f %8.1f %8d %11.0f %5d %6.3f %10.1f %10.1f %8.1f" % (sys.argv[2], sys.argv[3], p["seconds"], p["load_seconds"],
      p["peak_rss_bytes"] / 2**20, p["rr_sets"], rate, p["sentinels"], p["approx"], p["estimate"], e["spread"], e["stderr"])
if d:
    line += " %10.1f" % d["spread"]
print(line)
PY
		done
	done
done
