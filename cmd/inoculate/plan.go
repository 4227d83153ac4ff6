package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"inoculate/internal/reach/im"
)

// planCmd is the reach planner on plain edge lists (issue 6): seed
// selection, an R-MAT generator and an independent Monte Carlo evaluator,
// so anyone can benchmark other tools on the very same input.
func planCmd(ctx context.Context, e env) error {
	if len(e.args) > 0 {
		switch e.args[0] {
		case "gen":
			return planGen(e, e.args[1:])
		case "eval":
			return planEval(e, e.args[1:])
		}
	}
	return planSelect(e, e.args)
}

func planGen(e env, args []string) error {
	fs := newFlags("plan gen", e)
	kind := fs.String("kind", "rmat", "rmat (weighted cascade) or planted (communities whose hubs share one audience, with probabilities)")
	nodes := fs.Int("nodes", 0, "node id space (ids 0..N-1; ids with no edge do not appear)")
	edges := fs.Int64("edges", 0, "number of distinct directed edges, no self-loops")
	seed := fs.Uint64("seed", 1, "random seed")
	out := fs.String("out", "", "output edge list (- for standard output)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	if *nodes <= 0 || *edges <= 0 {
		fmt.Fprintln(e.stderr, "--nodes and --edges must be positive")
		return errUsage
	}
	gen, desc := im.RMAT, "R-MAT (a=0.57 b=0.19 c=0.19 d=0.05)"
	switch *kind {
	case "rmat":
	case "planted":
		gen, desc = im.Planted, "planted communities (shared-audience hubs)"
	default:
		fmt.Fprintf(e.stderr, "unknown --kind %q (want rmat or planted)\n", *kind)
		return errUsage
	}
	w, closeOut := e.stdout, func() error { return nil }
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		w, closeOut = f, f.Close
	}
	start := time.Now()
	present, err := gen(w, *nodes, *edges, *seed)
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if *out != "-" {
		fmt.Fprintf(e.stdout, "wrote %s: %s, %d edges on %d nodes (of %d ids), seed %d, %.2f s\n",
			*out, desc, *edges, present, *nodes, *seed, time.Since(start).Seconds())
	}
	return nil
}

// loadGraph reads an edge list and reports how long it took.
func loadGraph(path string) (*im.Graph, float64, error) {
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	g, err := im.ReadEdgeList(f)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	// Reading leaves the raw edge blocks as garbage as large as the graph;
	// collecting now lets selection reuse that memory instead of raising
	// the peak on top of it.
	runtime.GC()
	return g, time.Since(start).Seconds(), nil
}

type planOutput struct {
	Seeds        []uint64 `json:"seeds"`
	Estimate     float64  `json:"estimate"`
	Seconds      float64  `json:"seconds"`
	LoadSeconds  float64  `json:"load_seconds"`
	PeakRSSBytes int64    `json:"peak_rss_bytes"`
	// With --budget only: the total cost of the seeds and the budget.
	Cost   *float64 `json:"cost,omitempty"`
	Budget *float64 `json:"budget,omitempty"`
	*planStats
}

// planStats are the extra figures --stats adds for benchmarks; the plain
// contract keeps exactly the five keys above.
type planStats struct {
	Lower     float64 `json:"lower"`
	UpperOPT  float64 `json:"upper_opt"`
	Approx    float64 `json:"approx"`
	RRSets    int     `json:"rr_sets"`
	RRNodes   int64   `json:"rr_nodes"`
	Rounds    int     `json:"rounds"`
	Sentinels int     `json:"sentinels"`
	PilotMean float64 `json:"pilot_mean"`
	Pilot     float64 `json:"pilot_seconds"`
	Sample    float64 `json:"sample_seconds"`
	Greedy    float64 `json:"greedy_seconds"`
	Nodes     int     `json:"nodes"`
	Edges     int     `json:"edges"`
	Threads   int     `json:"threads"`
}

func planSelect(e env, args []string) error {
	fs := newFlags("plan", e)
	graph := fs.String("graph", "", "edge list: src dst [prob] per line; no prob means weighted cascade 1/in-degree")
	k := fs.Int("k", 0, "number of seeds")
	eps := fs.Float64("eps", 0.1, "approximation slack: the seeds are (1-1/e-eps)-optimal with probability 1-delta")
	delta := fs.Float64("delta", 0, "failure probability (default 1/n)")
	model := fs.String("model", "ic", "diffusion model: ic or lt")
	threads := fs.Int("threads", 0, "sampling goroutines (default: all cores); results do not depend on it")
	seed := fs.Uint64("seed", 1, "random seed")
	asJSON := fs.Bool("json", false, "print one JSON object")
	stats := fs.Bool("stats", false, "with --json: add bounds, RR-set counts and stage times")
	histFlag := fs.String("hist", "auto", "HIST sentinel phase for graphs with huge RR sets: auto, on or off")
	budget := fs.Float64("budget", 0, "instead of --k: the most the seeds may cost in all ((1-1/e)/2-eps guarantee)")
	costsPath := fs.String("costs", "", "with --budget: \"node cost\" per line; nodes not listed cost 1 (default: all cost 1)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "graph"); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	withBudget := set["budget"]
	switch {
	case withBudget && set["k"]:
		fmt.Fprintln(e.stderr, "--k and --budget exclude each other: give one")
		return errUsage
	case set["costs"] && !withBudget:
		fmt.Fprintln(e.stderr, "--costs needs --budget")
		return errUsage
	case withBudget && !(*budget > 0 && !math.IsInf(*budget, 1)):
		fmt.Fprintln(e.stderr, "--budget must be positive and finite")
		return errUsage
	case !withBudget && *k < 1:
		fmt.Fprintln(e.stderr, "--k must be at least 1")
		return errUsage
	}
	m, err := im.ParseModel(*model)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return errUsage
	}
	hist, err := im.ParseHist(*histFlag)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return errUsage
	}
	g, loadSec, err := loadGraph(*graph)
	if err != nil {
		return err
	}
	opt := im.Options{K: *k, Eps: *eps, Delta: *delta, Model: m, Seed: *seed, Threads: *threads, Hist: hist}
	if withBudget {
		opt.K, opt.Budget = 0, *budget
		if *costsPath != "" {
			if opt.Costs, err = readCosts(g, *costsPath); err != nil {
				return err
			}
		}
	}
	start := time.Now()
	res, err := im.Select(g, opt)
	if err != nil {
		return err
	}
	sec := time.Since(start).Seconds()
	ids := make([]uint64, len(res.Seeds))
	for i, s := range res.Seeds {
		ids[i] = g.IDs[s]
	}
	out := planOutput{Seeds: ids, Estimate: res.Estimate, Seconds: sec, LoadSeconds: loadSec, PeakRSSBytes: peakRSS()}
	if withBudget {
		out.Cost, out.Budget = &res.Cost, budget
	}
	th := *threads
	if th <= 0 {
		th = runtime.GOMAXPROCS(0)
	}
	if *asJSON {
		if *stats {
			out.planStats = &planStats{Lower: res.Lower, UpperOPT: res.UpperOPT, Approx: res.Approx, RRSets: res.RRSets, RRNodes: res.RRNodes,
				Rounds: res.Rounds, Sentinels: res.Sentinels, PilotMean: res.PilotMean, Pilot: res.Pilot.Seconds(), Sample: res.Sample.Seconds(), Greedy: res.Greedy.Seconds(), Nodes: g.N(), Edges: g.M(), Threads: th}
		}
		return json.NewEncoder(e.stdout).Encode(out)
	}
	w := e.stdout
	fmt.Fprintf(w, "graph     %s: %d nodes, %d edges, read in %.2f s\n", *graph, g.N(), g.M(), loadSec)
	choose, needed := fmt.Sprintf("k=%d", *k), fmt.Sprintf("%.3f = 1-1/e-eps", 1-1/math.E-*eps)
	if withBudget {
		choose, needed = fmt.Sprintf("budget=%g", *budget), fmt.Sprintf("%.3f = (1-1/e)/2-eps; aimed at %.3f", (1-1/math.E)/2-*eps, 1-1/math.E-*eps)
	}
	fmt.Fprintf(w, "model     %v, %s, eps=%g, delta=%.3g, seed=%d, threads=%d\n", m, choose, *eps, deltaOr(*delta, g.N()), *seed, th)
	fmt.Fprintf(w, "seeds     %s\n", strings.Trim(fmt.Sprint(ids), "[]"))
	if withBudget {
		fmt.Fprintf(w, "cost      %g of the budget %g\n", res.Cost, *budget)
	}
	fmt.Fprintf(w, "estimate  %.1f nodes reached in expectation (at least %.1f with probability 1-delta)\n", res.Estimate, res.Lower)
	fmt.Fprintf(w, "guarantee %.3f of the best possible (needed %s)\n", res.Approx, needed)
	fmt.Fprintf(w, "work      %d RR sets (%d entries) in %d rounds: %.3f s sampling, %.3f s greedy, %.3f s in all\n",
		res.RRSets, res.RRNodes, res.Rounds, res.Sample.Seconds(), res.Greedy.Seconds(), sec)
	if res.Sentinels > 0 {
		fmt.Fprintf(w, "sentinels the first %d seeds, chosen on pilot RR sets (%.0f nodes each on average, capped) in %.3f s; RR sets stop at them (HIST)\n",
			res.Sentinels, res.PilotMean, res.Pilot.Seconds())
	}
	fmt.Fprintf(w, "memory    %.1f MiB peak\n", float64(out.PeakRSSBytes)/(1<<20))
	return nil
}

// readCosts reads a costs file for the nodes of g.
func readCosts(g *im.Graph, path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := im.ReadCosts(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	costs, err := g.CostsOf(entries)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return costs, nil
}

func deltaOr(d float64, n int) float64 {
	if d > 0 {
		return d
	}
	return 1 / float64(n)
}

func planEval(e env, args []string) error {
	fs := newFlags("plan eval", e)
	graph := fs.String("graph", "", "edge list, as for plan")
	seedsPath := fs.String("seeds", "", "seed set: one node id per line (or the JSON that plan --json prints)")
	runs := fs.Int("runs", 10000, "Monte Carlo simulations")
	model := fs.String("model", "ic", "diffusion model: ic or lt")
	threads := fs.Int("threads", 0, "goroutines (default: all cores); results do not depend on it")
	seed := fs.Uint64("seed", 1, "random seed")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "graph", "seeds"); err != nil {
		return err
	}
	if *runs < 1 {
		fmt.Fprintln(e.stderr, "--runs must be at least 1")
		return errUsage
	}
	m, err := im.ParseModel(*model)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return errUsage
	}
	g, _, err := loadGraph(*graph)
	if err != nil {
		return err
	}
	if m == im.LT {
		if err := g.CheckLT(); err != nil {
			return err
		}
	}
	raw, err := os.ReadFile(*seedsPath)
	if err != nil {
		return err
	}
	ids, err := parseSeeds(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", *seedsPath, err)
	}
	seeds := make([]uint32, len(ids))
	for i, id := range ids {
		d, ok := g.Dense(id)
		if !ok {
			return fmt.Errorf("%s: node %d is not in %s", *seedsPath, id, *graph)
		}
		seeds[i] = d
	}
	start := time.Now()
	sp := im.MonteCarlo(g, g.Forward(), m, seeds, *runs, *seed, *threads)
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(struct {
			Spread float64 `json:"spread"`
			StdErr float64 `json:"stderr"`
		}{sp.Mean, sp.StdErr})
	}
	fmt.Fprintf(e.stdout, "spread %.2f ± %.2f (standard error, %d runs, %d seeds, %.2f s)\n", sp.Mean, sp.StdErr, sp.Runs, len(seeds), time.Since(start).Seconds())
	return nil
}

// parseSeeds reads one id per line ("#" comments and blank lines allowed),
// or the object plan --json printed, so its output can be evaluated as is.
func parseSeeds(raw []byte) ([]uint64, error) {
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
		var v struct {
			Seeds []uint64 `json:"seeds"`
		}
		if err := json.Unmarshal(t, &v); err != nil {
			return nil, err
		}
		if len(v.Seeds) == 0 {
			return nil, errors.New("no seeds")
		}
		return v.Seeds, nil
	}
	var ids []uint64
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		id, err := strconv.ParseUint(s, 10, 63)
		if err != nil {
			return nil, fmt.Errorf("line %d: %q is not a node id", line, s)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, errors.New("no seeds")
	}
	return ids, nil
}

// peakRSS is the process's peak resident set: VmHWM from /proc, else
// getrusage (whose Maxrss is in KiB on Linux).
func peakRSS() int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
				f := strings.Fields(rest)
				if len(f) >= 1 {
					if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
						return kb * 1024
					}
				}
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		return int64(ru.Maxrss) * 1024
	}
	return 0
}
