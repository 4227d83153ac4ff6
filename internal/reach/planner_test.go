package reach

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"inoculate/internal/reach/im"
	"inoculate/internal/reach/model"
)

// randomModel makes a small model: channels with pickups, cells with sizes, options
// with costs on random channels.
func randomModel(r *rand.Rand, nOpt, nCh, nCell int) model.Model {
	var m model.Model
	for i := range nCh {
		m.Channels = append(m.Channels, model.ChannelRef{ID: fmt.Sprintf("ch%d", i), Kind: "media_outlet", Name: fmt.Sprintf("Channel %d", i)})
	}
	for i := range nCell {
		m.Cells = append(m.Cells, model.Cell{ID: fmt.Sprintf("cell%d", i), Size: float64(100 + r.IntN(5000)), Language: "ar", AgeBand: "18-24"})
	}
	for i := range nCh {
		for j := range nCell {
			if r.Float64() < 0.4 {
				m.Links = append(m.Links, model.ReachLink{ChannelID: m.Channels[i].ID, CellID: m.Cells[j].ID, Probability: 0.05 + 0.9*r.Float64()})
			}
		}
		for j := range nCh {
			if i != j && r.Float64() < 0.2 {
				m.Pickups = append(m.Pickups, model.Pickup{FromChannelID: m.Channels[i].ID, ToChannelID: m.Channels[j].ID, Probability: 0.1 + 0.5*r.Float64()})
			}
		}
	}
	for i := range nOpt {
		m.Options = append(m.Options, model.Option{ID: fmt.Sprintf("opt%d", i), Title: fmt.Sprintf("Option %d", i),
			ChannelID: m.Channels[r.IntN(nCh)].ID, Money: float64(r.IntN(1000)), SpeakerHours: float64(r.IntN(10))})
	}
	return m
}

// spread estimates a set of options' expected people reached by independent Monte
// Carlo on the same graph.
func spread(t *testing.T, m model.Model, targets []string, chosen []string, runs int) float64 {
	t.Helper()
	ix := newIndex(m)
	g, err := im.ReadEdgeList(bytes.NewReader(edgeList(m, ix)))
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]float64{}
	for _, c := range m.Cells {
		sizes[c.ID] = c.Size
	}
	var tg []uint32
	var w []float64
	for _, id := range targets {
		if d, ok := g.Dense(ix.cells[id]); ok {
			tg, w = append(tg, d), append(w, sizes[id])
		}
	}
	var seeds []uint32
	for _, id := range chosen {
		if d, ok := g.Dense(ix.options[id]); ok {
			seeds = append(seeds, d)
		}
	}
	if len(tg) == 0 || len(seeds) == 0 {
		return 0
	}
	return im.MonteCarloWeighted(g, g.Forward(), im.IC, seeds, tg, w, runs, 7, 1).Mean
}

// TestSolveRespectsBudgetsAndRules: on random small models, a plan never exceeds
// either budget, never takes a forbidden option, and its estimate agrees with an
// independent Monte Carlo of the chosen options; against the brute-force best plan
// it keeps its stated ratio (up to Monte Carlo noise).
func TestSolveRespectsBudgetsAndRules(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 25 {
		m := randomModel(r, 6, 5, 6)
		allowed := map[string]bool{}
		for _, o := range m.Options {
			allowed[o.ID] = r.Float64() < 0.8
		}
		targets := []string{m.Cells[0].ID, m.Cells[1].ID, m.Cells[2].ID}
		pr := Problem{Model: m, Targets: targets, Allowed: allowed, BudgetMoney: 1200, BudgetHours: 12, Eps: 0.1, Seed: uint64(trial)}
		res, err := Solve(pr)
		if err != nil {
			t.Fatal(err)
		}
		var chosen []string
		for _, c := range res.Chosen {
			if !allowed[c.OptionID] {
				t.Fatalf("trial %d: a forbidden option was chosen", trial)
			}
			chosen = append(chosen, c.OptionID)
		}
		if res.Money > pr.BudgetMoney+1e-9 || res.Hours > pr.BudgetHours+1e-9 {
			t.Fatalf("trial %d: over budget: %v money, %v hours", trial, res.Money, res.Hours)
		}
		if res.Unreachable {
			continue
		}
		mc := spread(t, m, targets, chosen, 20000)
		if d := res.Estimate - mc; d > 0.05*res.Audience || -d > 0.05*res.Audience {
			t.Errorf("trial %d: estimate %.0f, Monte Carlo %.0f (audience %.0f)", trial, res.Estimate, mc, res.Audience)
		}
		// Brute force over every affordable set of allowed options.
		var ids []string
		for _, o := range m.Options {
			if allowed[o.ID] {
				ids = append(ids, o.ID)
			}
		}
		best := 0.0
		for mask := 1; mask < 1<<len(ids); mask++ {
			var set []string
			money, hours := 0.0, 0.0
			for i, id := range ids {
				if mask&(1<<i) != 0 {
					o := m.Options[slices.IndexFunc(m.Options, func(o model.Option) bool { return o.ID == id })]
					set, money, hours = append(set, id), money+o.Money, hours+o.SpeakerHours
				}
			}
			if money > pr.BudgetMoney || hours > pr.BudgetHours {
				continue
			}
			best = max(best, spread(t, m, targets, set, 4000))
		}
		if mc < res.Ratio*best-0.03*res.Audience {
			t.Errorf("trial %d: plan %.0f below ratio %.2f of the best %.0f", trial, mc, res.Ratio, best)
		}
	}
}

func TestSolveEdgeCases(t *testing.T) {
	m := randomModel(rand.New(rand.NewPCG(3, 4)), 3, 2, 2)
	if _, err := Solve(Problem{Model: m, Targets: []string{"cell0"}}); err == nil {
		t.Fatal("a plan without any budget")
	}
	res, err := Solve(Problem{Model: m, Targets: []string{"cell0"}, Allowed: map[string]bool{}, BudgetMoney: 1000})
	if err != nil || !res.Unreachable || len(res.Chosen) != 0 {
		t.Fatalf("nothing allowed: %+v %v", res, err)
	}
	res, err = Solve(Problem{Model: model.Model{}, Targets: []string{"x"}, BudgetHours: 3})
	if err != nil || !res.Unreachable {
		t.Fatalf("empty model: %+v %v", res, err)
	}
}
