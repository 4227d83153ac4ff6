package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func TestPlanCommandContract(t *testing.T) {
	dir := t.TempDir()
	graph := filepath.Join(dir, "g.txt")
	mustCLI(t, "", "plan", "gen", "--nodes", "4096", "--edges", "30000", "--seed", "3", "--out", graph)
	if b, err := os.ReadFile(graph); err != nil || strings.Count(string(b), "\n") != 30000 {
		t.Fatalf("gen wrote %d lines, %v", strings.Count(string(b), "\n"), err)
	}

	out := mustCLI(t, "", "plan", "--graph", graph, "--k", "5", "--eps", "0.2", "--seed", "7", "--json")
	if strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("plan --json printed more than one line:\n%s", out)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatalf("plan --json: %v\n%s", err, out)
	}
	var keys []string
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if got := strings.Join(keys, " "); got != "estimate load_seconds peak_rss_bytes seconds seeds" {
		t.Errorf("plan --json keys: %s", got)
	}
	var plan struct {
		Seeds        []uint64
		Estimate     float64
		PeakRSSBytes int64 `json:"peak_rss_bytes"`
	}
	json.Unmarshal([]byte(out), &plan)
	if len(plan.Seeds) != 5 || plan.Estimate < 5 || plan.PeakRSSBytes <= 0 {
		t.Errorf("plan: %+v", plan)
	}

	// eval takes one id per line and agrees with the estimate.
	var ids []string
	for _, s := range plan.Seeds {
		ids = append(ids, strconv.FormatUint(s, 10))
	}
	seeds := filepath.Join(dir, "seeds.txt")
	os.WriteFile(seeds, []byte("# chosen\n"+strings.Join(ids, "\n")+"\n"), 0o600)
	out = mustCLI(t, "", "plan", "eval", "--graph", graph, "--seeds", seeds, "--runs", "4000", "--seed", "9", "--json")
	var ev map[string]float64
	if err := json.Unmarshal([]byte(out), &ev); err != nil || len(ev) != 2 {
		t.Fatalf("eval --json: %v\n%s", err, out)
	}
	// Within both standard errors; the estimate's is that of a coverage
	// fraction over a third of the RR sets, which --stats reports (the
	// same run: same seeds and estimate).
	var st struct {
		Seeds    []uint64
		Estimate float64
		Nodes    int
		RRSets   int `json:"rr_sets"`
	}
	json.Unmarshal([]byte(mustCLI(t, "", "plan", "--graph", graph, "--k", "5", "--eps", "0.2", "--seed", "7", "--json", "--stats")), &st)
	if fmt.Sprint(st.Seeds) != fmt.Sprint(plan.Seeds) || st.Estimate != plan.Estimate || st.RRSets < 3 {
		t.Fatalf("plan --stats: %+v, plan: %+v", st, plan)
	}
	frac := plan.Estimate / float64(st.Nodes)
	sdEst := float64(st.Nodes) * math.Sqrt(frac*(1-frac)/float64(st.RRSets/3))
	if d := ev["spread"] - plan.Estimate; math.Abs(d) > 4*(ev["stderr"]+sdEst) {
		t.Errorf("eval spread %.2f ± %.2f, plan estimate %.2f ± %.2f", ev["spread"], ev["stderr"], plan.Estimate, sdEst)
	}

	// Human-readable output, and the LT model.
	if out := mustCLI(t, "", "plan", "--graph", graph, "--k", "3", "--model", "lt", "--threads", "1"); !strings.Contains(out, "estimate") || !strings.Contains(out, "seeds") {
		t.Errorf("plan (text):\n%s", out)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"plan", "--k", "3"}, 2, "--graph is required"},
		{[]string{"plan", "--graph", graph}, 2, "--k must be at least 1"},
		{[]string{"plan", "--graph", graph, "--k", "3", "--budget", "10"}, 2, "--k and --budget exclude each other"},
		{[]string{"plan", "--graph", graph, "--k", "3", "--costs", graph}, 2, "--costs needs --budget"},
		{[]string{"plan", "--graph", graph, "--budget", "-1"}, 2, "--budget must be positive"},
		{[]string{"plan", "--graph", graph, "--k", "3", "--hist", "maybe"}, 2, "unknown hist mode"},
		{[]string{"plan", "--graph", graph, "--budget", "3", "--hist", "on"}, 1, "not with a budget"},
		{[]string{"plan", "gen", "--kind", "er", "--nodes", "10", "--edges", "5", "--out", "-"}, 2, "unknown --kind"},
		{[]string{"plan", "--graph", graph, "--k", "3", "--model", "sir"}, 2, "unknown model"},
		{[]string{"plan", "--graph", filepath.Join(dir, "none"), "--k", "3"}, 1, "no such file"},
		{[]string{"plan", "eval", "--graph", graph, "--seeds", graph}, 1, "line 1"},
		{[]string{"plan", "gen", "--nodes", "10"}, 2, "--out is required"},
	} {
		code, _, errs := cli(t, "", c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q; want %d, %q", c.args, code, errs, c.code, c.want)
		}
	}
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("1 2\n3 x\n"), 0o600)
	if code, _, errs := cli(t, "", "plan", "--graph", bad, "--k", "1"); code != 1 || !strings.Contains(errs, "bad.txt: line 2") {
		t.Errorf("bad graph: exit %d, %q", code, errs)
	}

	badCosts := filepath.Join(dir, "costs-bad.txt")
	os.WriteFile(badCosts, []byte("# hours\n0 2\n1 -3\n"), 0o600)
	if code, _, errs := cli(t, "", "plan", "--graph", graph, "--budget", "3", "--costs", badCosts); code != 1 || !strings.Contains(errs, "costs-bad.txt: line 3: cost \"-3\"") {
		t.Errorf("bad costs: exit %d, %q", code, errs)
	}
}

func TestPlanBudgetAndPlanted(t *testing.T) {
	dir := t.TempDir()
	graph := filepath.Join(dir, "planted.txt")
	out := mustCLI(t, "", "plan", "gen", "--kind", "planted", "--nodes", "3000", "--edges", "20000", "--seed", "2", "--out", graph)
	if !strings.Contains(out, "planted communities") {
		t.Errorf("gen --kind planted: %s", out)
	}
	// A node listed in the graph with its cost; the hubs (largest
	// out-degree) are made expensive.
	g, err := os.ReadFile(graph)
	if err != nil {
		t.Fatal(err)
	}
	outdeg := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(g)), "\n") {
		outdeg[strings.Fields(l)[0]]++
	}
	var b strings.Builder
	b.WriteString("# node cost\n")
	for id, d := range outdeg {
		if d > 50 {
			b.WriteString(id + " 4\n")
		}
	}
	costs := filepath.Join(dir, "costs.txt")
	os.WriteFile(costs, []byte(b.String()), 0o600)

	out = mustCLI(t, "", "plan", "--graph", graph, "--budget", "12.5", "--costs", costs, "--eps", "0.2", "--seed", "3", "--json")
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatalf("plan --budget --json: %v\n%s", err, out)
	}
	var keys []string
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if got := strings.Join(keys, " "); got != "budget cost estimate load_seconds peak_rss_bytes seconds seeds" {
		t.Errorf("plan --budget --json keys: %s", got)
	}
	var plan struct {
		Seeds        []uint64
		Estimate     float64
		Cost, Budget float64
	}
	json.Unmarshal([]byte(out), &plan)
	spent := 0.0
	for _, s := range plan.Seeds {
		if outdeg[strconv.FormatUint(s, 10)] > 50 {
			spent += 4
		} else {
			spent++
		}
	}
	if plan.Budget != 12.5 || plan.Cost != spent || spent > 12.5 || len(plan.Seeds) < 3 || plan.Estimate <= float64(len(plan.Seeds)) {
		t.Errorf("budget plan: %+v (cost by the file %g)", plan, spent)
	}
	// Without a costs file every node costs 1; text output names the cost.
	if out := mustCLI(t, "", "plan", "--graph", graph, "--budget", "4", "--hist", "off"); !strings.Contains(out, "cost      4 of the budget 4") || !strings.Contains(out, "(1-1/e)/2-eps") {
		t.Errorf("plan --budget (text):\n%s", out)
	}
	if out := mustCLI(t, "", "plan", "--graph", graph, "--k", "4", "--hist", "on"); !strings.Contains(out, "sentinels the first ") {
		t.Errorf("plan --hist on (text):\n%s", out)
	}
	// The k contract is unchanged with the sentinel phase forced on.
	out = mustCLI(t, "", "plan", "--graph", graph, "--k", "4", "--hist", "on", "--json")
	var kplan map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &kplan); err != nil || len(kplan) != 5 {
		t.Errorf("plan --hist on --json: %v\n%s", err, out)
	}
}
