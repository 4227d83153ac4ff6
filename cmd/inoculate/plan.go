package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	w, closeOut := e.stdout, func() error { return nil }
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		w, closeOut = f, f.Close
	}
	start := time.Now()
	present, err := im.RMAT(w, *nodes, *edges, *seed)
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if *out != "-" {
		fmt.Fprintf(e.stdout, "wrote %s: R-MAT (a=0.57 b=0.19 c=0.19 d=0.05), %d edges on %d nodes (of %d ids), seed %d, %.2f s\n",
			*out, *edges, present, *nodes, *seed, time.Since(start).Seconds())
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
	*planStats
}

// planStats are the extra figures --stats adds for benchmarks; the plain
// contract keeps exactly the five keys above.
type planStats struct {
	Lower    float64 `json:"lower"`
	UpperOPT float64 `json:"upper_opt"`
	Approx   float64 `json:"approx"`
	RRSets   int     `json:"rr_sets"`
	RRNodes  int64   `json:"rr_nodes"`
	Rounds   int     `json:"rounds"`
	Sample   float64 `json:"sample_seconds"`
	Greedy   float64 `json:"greedy_seconds"`
	Nodes    int     `json:"nodes"`
	Edges    int     `json:"edges"`
	Threads  int     `json:"threads"`
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
	budget := fs.String("budget", "", "not implemented yet")
	costs := fs.String("costs", "", "not implemented yet")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *budget != "" || *costs != "" {
		fmt.Fprintln(e.stderr, "--budget and --costs are not implemented yet: use --k")
		return errUsage
	}
	if err := required(fs, "graph"); err != nil {
		return err
	}
	if *k < 1 {
		fmt.Fprintln(e.stderr, "--k must be at least 1")
		return errUsage
	}
	m, err := im.ParseModel(*model)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return errUsage
	}
	g, loadSec, err := loadGraph(*graph)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := im.Select(g, im.Options{K: *k, Eps: *eps, Delta: *delta, Model: m, Seed: *seed, Threads: *threads})
	if err != nil {
		return err
	}
	sec := time.Since(start).Seconds()
	ids := make([]uint64, len(res.Seeds))
	for i, s := range res.Seeds {
		ids[i] = g.IDs[s]
	}
	out := planOutput{Seeds: ids, Estimate: res.Estimate, Seconds: sec, LoadSeconds: loadSec, PeakRSSBytes: peakRSS()}
	th := *threads
	if th <= 0 {
		th = runtime.GOMAXPROCS(0)
	}
	if *asJSON {
		if *stats {
			out.planStats = &planStats{Lower: res.Lower, UpperOPT: res.UpperOPT, Approx: res.Approx, RRSets: res.RRSets, RRNodes: res.RRNodes,
				Rounds: res.Rounds, Sample: res.Sample.Seconds(), Greedy: res.Greedy.Seconds(), Nodes: g.N(), Edges: g.M(), Threads: th}
		}
		return json.NewEncoder(e.stdout).Encode(out)
	}
	w := e.stdout
	fmt.Fprintf(w, "graph     %s: %d nodes, %d edges, read in %.2f s\n", *graph, g.N(), g.M(), loadSec)
	fmt.Fprintf(w, "model     %v, k=%d, eps=%g, delta=%.3g, seed=%d, threads=%d\n", m, *k, *eps, deltaOr(*delta, g.N()), *seed, th)
	fmt.Fprintf(w, "seeds     %s\n", strings.Trim(fmt.Sprint(ids), "[]"))
	fmt.Fprintf(w, "estimate  %.1f nodes reached in expectation (at least %.1f with probability 1-delta)\n", res.Estimate, res.Lower)
	fmt.Fprintf(w, "guarantee %.3f of the best possible (needed %.3f = 1-1/e-eps)\n", res.Approx, 1-1/2.718281828459045-*eps)
	fmt.Fprintf(w, "work      %d RR sets (%d entries) in %d rounds: %.3f s sampling, %.3f s greedy, %.3f s in all\n",
		res.RRSets, res.RRNodes, res.Rounds, res.Sample.Seconds(), res.Greedy.Seconds(), sec)
	fmt.Fprintf(w, "memory    %.1f MiB peak\n", float64(out.PeakRSSBytes)/(1<<20))
	return nil
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
