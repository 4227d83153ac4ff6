// Package reach is the reach planner: which forums, interviews and publications
// reach the most people of the audiences that matter, within a budget of money and
// speaker time, under the hard rules of the other capabilities. The model (channels,
// audience cells, reach and pickup probabilities, options) is kept by reach/model;
// the engine (reverse-reachable sets, OPIM-C, budgeted greedy) is reach/im; this
// package turns a tenant's model into the engine's problem, explains the result in
// words, and turns an accepted plan into proposed engagements.
package reach

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"

	"inoculate/internal/reach/im"
	"inoculate/internal/reach/model"
)

// Problem is a planning question on a model: which target cells, which options are
// allowed at all, and the budget.
type Problem struct {
	Model   model.Model
	Targets []string        // cell ids
	Allowed map[string]bool // option id → passes the hard rules
	// Budgets in money and speaker hours; a zero budget does not limit that
	// dimension, but at least one must be set.
	BudgetMoney, BudgetHours float64
	Eps                      float64
	Seed                     uint64
}

// Choice is one option in a plan, with what it adds.
type Choice struct {
	OptionID string  `json:"option_id"`
	Rank     int     `json:"rank"`
	Gain     float64 `json:"gain"`  // expected people of the target cells it adds
	Share    float64 `json:"share"` // Gain as a fraction of the plan's estimate
	Money    float64 `json:"money"`
	Hours    float64 `json:"hours"`
}

// SharePct is Share in percent, as the plan page words it.
func (c Choice) SharePct() string { return strconv.FormatFloat(100*c.Share, 'f', 0, 64) }

// Result is a computed plan.
type Result struct {
	Chosen []Choice `json:"chosen"`
	// Estimate is the expected number of people of the target cells reached.
	Estimate float64 `json:"estimate"`
	// Audience is the number of people in the target cells.
	Audience float64 `json:"audience"`
	// Ratio: with probability at least 1-Delta, Estimate's plan reaches at least
	// Ratio of what the best plan within the budget would.
	Ratio float64 `json:"ratio"`
	Delta float64 `json:"delta"`
	Money float64 `json:"money"`
	Hours float64 `json:"hours"`
	// Next is what the next unit of budget would buy: the best option left out,
	// with its gain and cost; nil when none is left.
	Next *Choice `json:"next,omitempty"`
	// Unreachable: no allowed option can reach a target cell at all.
	Unreachable bool `json:"unreachable,omitempty"`
}

// node numbering in the engine's graph: options, then channels, then cells.
type index struct {
	options, channels, cells map[string]uint64
	optionAt                 []string
}

func newIndex(m model.Model) index {
	ix := index{options: map[string]uint64{}, channels: map[string]uint64{}, cells: map[string]uint64{}}
	var n uint64
	for _, o := range m.Options {
		ix.options[o.ID] = n
		ix.optionAt = append(ix.optionAt, o.ID)
		n++
	}
	for _, c := range m.Channels {
		ix.channels[c.ID] = n
		n++
	}
	for _, c := range m.Cells {
		ix.cells[c.ID] = n
		n++
	}
	return ix
}

// edgeList writes the model as the engine's edge list: option → its channel (the
// story is placed there for sure), channel → channel pickups, channel → cell reach.
func edgeList(m model.Model, ix index) []byte {
	var b bytes.Buffer
	line := func(a, c uint64, p float64) {
		b.WriteString(strconv.FormatUint(a, 10))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatUint(c, 10))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatFloat(p, 'g', -1, 64))
		b.WriteByte('\n')
	}
	for _, o := range m.Options {
		if ch, ok := ix.channels[o.ChannelID]; ok {
			line(ix.options[o.ID], ch, 1)
		}
	}
	for _, p := range m.Pickups {
		a, ok1 := ix.channels[p.FromChannelID]
		c, ok2 := ix.channels[p.ToChannelID]
		if ok1 && ok2 && p.Probability > 0 {
			line(a, c, p.Probability)
		}
	}
	for _, l := range m.Links {
		a, ok1 := ix.channels[l.ChannelID]
		c, ok2 := ix.cells[l.CellID]
		if ok1 && ok2 && l.Probability > 0 {
			line(a, c, l.Probability)
		}
	}
	return b.Bytes()
}

// cost is an option's share of the tighter budget: a plan whose costs add up to at
// most 1 respects both budgets (it may leave some of one unused).
func cost(o model.Option, money, hours float64) float64 {
	c := 0.0
	if money > 0 {
		c = o.Money / money
	}
	if hours > 0 {
		c = math.Max(c, o.SpeakerHours/hours)
	}
	return c
}

// Solve plans: the allowed options within the budgets that reach the most people of
// the target cells, by the engine's budgeted greedy with its guarantee.
func Solve(pr Problem) (Result, error) {
	if pr.BudgetMoney <= 0 && pr.BudgetHours <= 0 {
		return Result{}, fmt.Errorf("reach: a plan needs a budget of money or speaker hours")
	}
	if pr.Eps <= 0 || pr.Eps >= 1 {
		pr.Eps = 0.1
	}
	m := pr.Model
	ix := newIndex(m)
	sizes := map[string]float64{}
	for _, c := range m.Cells {
		sizes[c.ID] = c.Size
	}
	res := Result{Chosen: []Choice{}}
	for _, t := range pr.Targets {
		res.Audience += sizes[t]
	}
	edges := edgeList(m, ix)
	if len(edges) == 0 {
		res.Unreachable, res.Ratio = true, 1
		return res, nil
	}
	g, err := im.ReadEdgeList(bytes.NewReader(edges))
	if err != nil {
		return Result{}, fmt.Errorf("reach: build the graph: %w", err)
	}
	var targets []uint32
	var weights []float64
	for _, t := range pr.Targets {
		id, ok := ix.cells[t]
		if !ok {
			continue
		}
		if d, ok := g.Dense(id); ok && sizes[t] > 0 {
			targets = append(targets, d)
			weights = append(weights, sizes[t])
		}
	}
	costs := make([]float64, g.N())
	for i := range costs {
		costs[i] = 2 // beyond the budget: only candidates (options) are ever bought
	}
	var candidates []uint32
	byDense := map[uint32]model.Option{}
	for _, o := range m.Options {
		if !pr.Allowed[o.ID] {
			continue
		}
		d, ok := g.Dense(ix.options[o.ID])
		if !ok {
			continue // its channel reaches nothing
		}
		c := cost(o, pr.BudgetMoney, pr.BudgetHours)
		if c > 1 {
			continue // alone it breaks a budget
		}
		costs[d] = c
		candidates = append(candidates, d)
		byDense[d] = o
	}
	if len(targets) == 0 || len(candidates) == 0 {
		res.Unreachable, res.Ratio = true, 1
		return res, nil
	}
	slices.Sort(candidates)
	out, err := im.Select(g, im.Options{Eps: pr.Eps, Budget: 1, Costs: costs, Targets: targets, TargetWeights: weights,
		Candidates: candidates, Explain: true, Seed: pr.Seed, Threads: 1})
	if err != nil {
		return Result{}, fmt.Errorf("reach: select: %w", err)
	}
	res.Estimate, res.Ratio, res.Delta = out.Estimate, out.Ratio, out.Delta
	if len(out.Seeds) == 0 {
		res.Unreachable = true
	}
	for i, d := range out.Seeds {
		o := byDense[d]
		ch := Choice{OptionID: o.ID, Rank: i + 1, Money: o.Money, Hours: o.SpeakerHours}
		if i < len(out.Gains) {
			ch.Gain = out.Gains[i]
		}
		if out.Estimate > 0 {
			ch.Share = ch.Gain / out.Estimate
		}
		res.Money += o.Money
		res.Hours += o.SpeakerHours
		res.Chosen = append(res.Chosen, ch)
	}
	if out.Next != nil {
		if o, ok := byDense[out.Next.Node]; ok {
			res.Next = &Choice{OptionID: o.ID, Gain: out.Next.Gain, Money: o.Money, Hours: o.SpeakerHours}
		}
	}
	return res, nil
}
