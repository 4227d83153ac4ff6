package survey

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"

	"inoculate/internal/platform/errs"
)

// MinCell is the smallest count results show. A smaller non-zero count is
// suppressed ("fewer than 5"): in a small audience a count of one or two, or a mean
// of few answers, can tell what a known person answered.
const MinCell = 5

// Count is a count as results show it: N, or suppressed when 0 < N < MinCell. A
// suppressed count's N is 0, so nothing downstream (a page, the API) can leak it.
type Count struct {
	N          int  `json:"n"`
	Suppressed bool `json:"suppressed,omitempty"`
}

func count(n int) Count {
	if n > 0 && n < MinCell {
		return Count{Suppressed: true}
	}
	return Count{N: n}
}

// ItemPhase is one item's answers in one phase.
type ItemPhase struct {
	Answered Count `json:"answered"`
	// Distribution holds the counts of 1…5 (index 0 is "strongly disagree"). When a
	// single cell is suppressed, the smallest other non-zero cell is suppressed too,
	// or the hidden one would follow from Answered minus the rest. Empty when
	// Answered itself is suppressed, or when Withheld.
	Distribution []Count `json:"distribution,omitempty"`
	// Withheld is set when the distribution has a suppressed cell and the mean is
	// shown: with the count and the sum (mean × count) the hidden cells could be
	// solved for, so the distribution is left out and the mean kept.
	Withheld bool    `json:"withheld,omitempty"`
	Mean     float64 `json:"mean,omitempty"` // only when HasMeans
}

// ItemResult is one item's answers before and after.
type ItemResult struct {
	Item
	Before ItemPhase `json:"before"`
	After  ItemPhase `json:"after"`
	// HasMeans is set when both phases have at least MinCell answers: then the means
	// are shown, and Change is After.Mean − Before.Mean. An item asked only after the
	// talk never has means to compare.
	HasMeans bool    `json:"has_means"`
	Change   float64 `json:"change,omitempty"`
}

// Results are the aggregated answers of one engagement's survey.
type Results struct {
	EngagementID string       `json:"engagement_id"`
	MinCell      int          `json:"min_cell"`
	Before       Count        `json:"responses_before"`
	After        Count        `json:"responses_after"`
	Versions     []string     `json:"instrument_versions"` // the versions answers were given under
	Items        []ItemResult `json:"items"`
}

// Empty reports whether nobody has answered yet.
func (r Results) Empty() bool {
	return r.Before == (Count{}) && r.After == (Count{})
}

// Results aggregates the engagement's responses, per phase and item, with small
// cells suppressed. Items are those of the current instrument, then any other item
// answers were given to, in instrument order.
func (s *Service) Results(ctx context.Context, tenantID, engagementID string) (Results, error) {
	rows, err := s.db.Reader().Query(ctx, "SELECT instrument, phase, answers FROM survey_responses WHERE tenant_id = ? AND engagement_id = ?",
		tenantID, engagementID)
	if err != nil {
		return Results{}, errs.Wrap(err, "survey: read responses")
	}
	defer rows.Close()
	var raw []response
	for rows.Next() {
		var r response
		var answers string
		if err := rows.Scan(&r.version, &r.phase, &answers); err != nil {
			return Results{}, errs.Wrap(err, "survey: read response")
		}
		if err := json.Unmarshal([]byte(answers), &r.answers); err != nil {
			// A row Submit did not write; skip it rather than hide every result.
			slog.Warn("survey: unreadable answers skipped", "engagement", engagementID, "err", err)
			continue
		}
		raw = append(raw, r)
	}
	if err := rows.Err(); err != nil {
		return Results{}, errs.Wrap(err, "survey: read responses")
	}
	return aggregate(engagementID, raw), nil
}

type response struct {
	version string
	phase   Phase
	answers map[string]int
}

// aggregate is Results without the store, for tests.
func aggregate(engagementID string, raw []response) Results {
	res := Results{EngagementID: engagementID, MinCell: MinCell}
	items := Current().Items
	perPhase := map[Phase]int{}
	// tallies[phase][item][v-1]
	tallies := map[Phase]map[string]*[ScaleMax]int{Before: {}, After: {}}
	for _, r := range raw {
		if _, ok := tallies[r.phase]; !ok {
			continue
		}
		inst, ok := InstrumentVersion(r.version)
		if !ok {
			continue
		}
		if !slices.Contains(res.Versions, r.version) {
			res.Versions = append(res.Versions, r.version)
		}
		perPhase[r.phase]++
		for id, v := range r.answers {
			it, ok := inst.Item(id)
			if !ok || v < ScaleMin || v > ScaleMax || !it.AskedIn(r.phase) {
				continue
			}
			if !slices.ContainsFunc(items, func(x Item) bool { return x.ID == id }) {
				items = append(items, it)
			}
			t := tallies[r.phase][id]
			if t == nil {
				t = new([ScaleMax]int)
				tallies[r.phase][id] = t
			}
			t[v-ScaleMin]++
		}
	}
	slices.Sort(res.Versions)
	res.Before, res.After = count(perPhase[Before]), count(perPhase[After])
	for _, it := range items {
		ir := ItemResult{Item: it}
		var nb, na int
		var mb, ma float64
		ir.Before, nb, mb = itemPhase(tallies[Before][it.ID])
		ir.After, na, ma = itemPhase(tallies[After][it.ID])
		if nb >= MinCell && na >= MinCell {
			ir.HasMeans = true
			ir.Before.Mean, ir.After.Mean = mb, ma
			ir.Change = ma - mb
			ir.Before.withhold()
			ir.After.withhold()
		}
		res.Items = append(res.Items, ir)
	}
	return res
}

// itemPhase suppresses one tally and returns it with its true total and mean (for
// the caller's decision, never shown unless the total is large enough).
func itemPhase(t *[ScaleMax]int) (ItemPhase, int, float64) {
	if t == nil {
		return ItemPhase{}, 0, 0
	}
	n, sum := 0, 0
	for i, c := range t {
		n += c
		sum += c * (i + ScaleMin)
	}
	ip := ItemPhase{Answered: count(n)}
	if ip.Answered.Suppressed || n == 0 {
		return ip, n, 0
	}
	ip.Distribution = suppress(t[:])
	return ip, n, float64(sum) / float64(n)
}

// withhold leaves out a distribution with a suppressed cell (see Withheld).
func (ip *ItemPhase) withhold() {
	if slices.ContainsFunc(ip.Distribution, func(c Count) bool { return c.Suppressed }) {
		ip.Distribution, ip.Withheld = nil, true
	}
}

// suppress hides the small cells of a distribution whose total is shown, and when
// exactly one is hidden, the smallest other non-zero cell as well (secondary
// suppression), so no hidden cell is the total minus the shown ones.
func suppress(cells []int) []Count {
	out := make([]Count, len(cells))
	hidden := 0
	for i, c := range cells {
		out[i] = count(c)
		if out[i].Suppressed {
			hidden++
		}
	}
	if hidden == 1 {
		smallest := -1
		for i, c := range cells {
			if c > 0 && !out[i].Suppressed && (smallest < 0 || c < cells[smallest]) {
				smallest = i
			}
		}
		if smallest >= 0 {
			out[smallest] = Count{Suppressed: true}
		}
	}
	return out
}
