package main

import (
	"encoding/json"
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
	if d := ev["spread"] - plan.Estimate; d*d > (5*ev["stderr"]+0.03*plan.Estimate)*(5*ev["stderr"]+0.03*plan.Estimate) {
		t.Errorf("eval spread %.2f ± %.2f, plan estimate %.2f", ev["spread"], ev["stderr"], plan.Estimate)
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
		{[]string{"plan", "--graph", graph, "--k", "3", "--budget", "10"}, 2, "not implemented yet"},
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
}
