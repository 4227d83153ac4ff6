package assign_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"inoculate/internal/engagements/assign"
)

func solve(t *testing.T, p assign.Problem) assign.Result {
	t.Helper()
	res, err := assign.Solve(p)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, p, res)
	return res
}

func pairsOf(res assign.Result) []string {
	var out []string
	for _, p := range res.Pairs {
		out = append(out, p.EngagementID+"="+p.SpeakerID)
	}
	return out
}

func keys(cs []assign.Criterion) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Key)
	}
	return out
}

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }

func TestOwnCommunityFirst(t *testing.T) {
	p := assign.Problem{
		Engagements: []assign.Engagement{{ID: "forum", Community: "c1", Week: "w1"}},
		Speakers: []assign.Speaker{
			{ID: "near", Community: "c2", Limit: 2, Travel: map[string]time.Duration{"forum": hours(1)}},
			{ID: "own", Community: "c1", Limit: 2, Travel: map[string]time.Duration{"forum": hours(5)}},
		},
	}
	res := solve(t, p)
	if got := pairsOf(res); !slices.Equal(got, []string{"forum=own"}) {
		t.Fatalf("proposal %v, want the speaker from the community despite four more hours of travel", got)
	}
	pr := res.Pairs[0]
	if want := []string{"assign.reason.own_community", "assign.reason.any_language", "assign.reason.travel", "assign.reason.load"}; !slices.Equal(keys(pr.Criteria), want) {
		t.Errorf("criteria %v, want %v", keys(pr.Criteria), want)
	}
	if want := "Own community, c1: -600. No language set for the engagement: 0. Travel 5 h 0 min: +300. Week w1, engagement 1 of at most 2: +30. Total: -270."; pr.Text != want {
		t.Errorf("text\n%s\nwant\n%s", pr.Text, want)
	}
	if !reflect.DeepEqual(pr.Criteria[0].Args, []any{"c1", "-600"}) || pr.Criteria[0].Points != -600 {
		t.Errorf("own community criterion %+v", pr.Criteria[0])
	}
	if res.Cost != -270 || res.Filled != 1 || len(res.Unfilled) != 0 {
		t.Errorf("result %+v", res)
	}
}

func TestLanguage(t *testing.T) {
	p := assign.Problem{
		Engagements: []assign.Engagement{{ID: "talk", Language: "so", Week: "w1", Remote: true}},
		Speakers: []assign.Speaker{
			{ID: "a", Languages: []string{"ar"}, Limit: 1},
			{ID: "b", Languages: []string{"ar", "so"}, Limit: 1},
			{ID: "c", Languages: []string{"So"}, Limit: 1},
		},
	}
	res := solve(t, p)
	if got := pairsOf(res); !slices.Equal(got, []string{"talk=c"}) {
		t.Fatalf("proposal %v, want the Somali first-language speaker", got)
	}
	if c := res.Pairs[0].Criteria[1]; c.Key != "assign.reason.first_language" || c.Points != -120 {
		t.Errorf("language criterion %+v", c)
	}
	if c := res.Pairs[0].Criteria[2]; c.Key != "assign.reason.remote" || c.Points != 0 {
		t.Errorf("travel criterion %+v", c)
	}
	// Without c: b speaks it as a second language, no bonus; a never speaks it.
	p.Speakers = p.Speakers[:2]
	res = solve(t, p)
	if got := pairsOf(res); !slices.Equal(got, []string{"talk=b"}) || res.Pairs[0].Criteria[1].Key != "assign.reason.speaks_language" {
		t.Fatalf("proposal %v %+v, want b speaking Somali as second language", got, res.Pairs)
	}
	p.Speakers = p.Speakers[:1]
	res = solve(t, p)
	if len(res.Pairs) != 0 || len(res.Unfilled) != 1 || res.Unfilled[0].Key != "assign.unfilled.no_speaker" ||
		res.Unfilled[0].Blocked[0].Key != "assign.block.language" || res.Unfilled[0].Blocked[0].Text != "Does not speak so." {
		t.Fatalf("a speaker without the language was proposed or badly explained: %+v", res)
	}
}

func TestUnknownTravel(t *testing.T) {
	w := assign.DefaultWeights()
	w.UnknownTravel = 90 * time.Minute
	p := assign.Problem{
		Engagements: []assign.Engagement{{ID: "e", Week: "w1"}},
		Speakers:    []assign.Speaker{{ID: "s", Limit: 1}},
		Weights:     &w,
	}
	res := solve(t, p)
	if c := res.Pairs[0].Criteria[2]; c.Key != "assign.reason.travel_unknown" || c.Points != 90 || c.Text != "Travel time unknown, counted as 1 h 30 min: +90." {
		t.Fatalf("unknown travel: %+v", c)
	}
}

// TestLoadSpreads: the convex load cost gives the second engagement of a week to
// someone else unless that costs more travel than it saves.
func TestLoadSpreads(t *testing.T) {
	p := func(otherTravel time.Duration) assign.Problem {
		return assign.Problem{
			Engagements: []assign.Engagement{{ID: "e1", Week: "w1"}, {ID: "e2", Week: "w1"}},
			Speakers: []assign.Speaker{
				{ID: "a", Limit: 3, Travel: map[string]time.Duration{"e1": hours(1), "e2": hours(1)}},
				{ID: "b", Limit: 3, Travel: map[string]time.Duration{"e1": otherTravel, "e2": otherTravel}},
			},
		}
	}
	// a twice: 60+60+30+90 = 240; a and b: 60+90+30+30 = 210.
	res := solve(t, p(hours(1.5)))
	if got := pairsOf(res); res.Cost != 210 || !slices.Contains(got, "e1=a") && !slices.Contains(got, "e2=a") || !slices.Contains(got, "e1=b") && !slices.Contains(got, "e2=b") {
		t.Fatalf("proposal %v at %d, want the work spread at 210", got, res.Cost)
	}
	// a twice: 240; a and b: 60+180+60 = 300.
	res = solve(t, p(hours(3)))
	if got := pairsOf(res); res.Cost != 240 || !slices.Equal(got, []string{"e1=a", "e2=a"}) {
		t.Fatalf("proposal %v at %d, want a twice at 240", got, res.Cost)
	}
	// The explanation gives the second place's dearer load to the later engagement.
	if l1, l2 := res.Pairs[0].Criteria[3], res.Pairs[1].Criteria[3]; l1.Points != 30 || l2.Points != 90 || l2.Text != "Week w1, engagement 2 of at most 3: +90." {
		t.Fatalf("load criteria %+v / %+v", l1, l2)
	}
}

// TestMorePlacesBeforeCost: filling places comes first, whatever the cost.
func TestMorePlacesBeforeCost(t *testing.T) {
	p := assign.Problem{
		Engagements: []assign.Engagement{{ID: "e1", Community: "c1", Week: "w1"}, {ID: "e2", Week: "w1"}},
		Speakers: []assign.Speaker{
			{ID: "a", Community: "c1", Limit: 1, Travel: map[string]time.Duration{"e1": 0, "e2": hours(9)}},
			{ID: "b", Limit: 1, Travel: map[string]time.Duration{"e1": hours(9), "e2": 0}},
		},
		Allowed: func(s assign.Speaker, e assign.Engagement) (bool, string) {
			return s.ID == "a" || e.ID == "e1", "not cleared for this audience"
		},
	}
	res := solve(t, p)
	if got := pairsOf(res); !slices.Equal(got, []string{"e1=b", "e2=a"}) || len(res.Unfilled) != 0 {
		t.Fatalf("proposal %v, want both engagements filled", got)
	}
}

func TestUnfilledReasons(t *testing.T) {
	one := func(id string, limit int, load int) assign.Speaker {
		return assign.Speaker{ID: id, Limit: limit, Load: map[string]int{"w1": load}, Travel: map[string]time.Duration{}}
	}
	cases := []struct {
		name    string
		p       assign.Problem
		unfill  string // engagement
		why     string
		text    string
		blocked []string
	}{{
		name: "rule",
		p: assign.Problem{Engagements: []assign.Engagement{{ID: "e", Week: "w1"}}, Speakers: []assign.Speaker{one("s", 1, 0), one("t", 1, 0)},
			Allowed: func(s assign.Speaker, _ assign.Engagement) (bool, string) {
				if s.ID == "s" {
					return false, "consent does not cover {1} media"
				}
				return false, " "
			}},
		unfill: "e", why: "assign.unfilled.no_speaker",
		text:    "1 of 1 speaker places stay empty: no cleared speaker is allowed to take this engagement.",
		blocked: []string{"s:assign.block.rule:Not allowed: consent does not cover {1} media", "t:assign.block.rule_unspecified:Not allowed by a hard rule."},
	}, {
		name:   "load limit",
		p:      assign.Problem{Engagements: []assign.Engagement{{ID: "e", Week: "w1"}}, Speakers: []assign.Speaker{one("s", 2, 2), one("t", 0, 0)}},
		unfill: "e", why: "assign.unfilled.load_limit",
		blocked: []string{"s:assign.block.load_limit:Already at the weekly load limit in week w1 (2 of 2).", "t:assign.block.load_limit:Already at the weekly load limit in week w1 (0 of 0)."},
	}, {
		name:   "week full",
		p:      assign.Problem{Engagements: []assign.Engagement{{ID: "e1", Week: "w1"}, {ID: "e2", Week: "w1"}}, Speakers: []assign.Speaker{one("s", 2, 1)}},
		unfill: "e2", why: "assign.unfilled.taken",
		blocked: []string{"s:assign.block.week_full:Proposed for other engagements up to the weekly load limit in week w1 (2 of 2)."},
	}, {
		name:   "overlap",
		p:      assign.Problem{Engagements: []assign.Engagement{{ID: "e1", Week: "w1", Overlap: "mon"}, {ID: "e2", Week: "w1", Overlap: "mon"}}, Speakers: []assign.Speaker{one("s", 5, 0)}},
		unfill: "e2", why: "assign.unfilled.taken",
		blocked: []string{"s:assign.block.overlap:Proposed for e1, which overlaps in time."},
	}, {
		name:   "too few",
		p:      assign.Problem{Engagements: []assign.Engagement{{ID: "e", Week: "w1", Slots: 3}}, Speakers: []assign.Speaker{one("s", 1, 0), one("t", 1, 0), one("u", 1, 1)}},
		unfill: "e", why: "assign.unfilled.too_few",
		text:    "1 of 3 speaker places stay empty: only 2 allowed speakers have room that week, and all of them are proposed here.",
		blocked: []string{"u:assign.block.load_limit:Already at the weekly load limit in week w1 (1 of 1)."},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := solve(t, c.p)
			if len(res.Unfilled) != 1 || res.Unfilled[0].EngagementID != c.unfill || res.Unfilled[0].Key != c.why {
				t.Fatalf("unfilled %+v, want %s: %s", res.Unfilled, c.unfill, c.why)
			}
			u := res.Unfilled[0]
			if c.text != "" && u.Text != c.text {
				t.Errorf("text %q, want %q", u.Text, c.text)
			}
			var got []string
			for _, b := range u.Blocked {
				got = append(got, b.SpeakerID+":"+b.Key+":"+b.Text)
			}
			if !slices.Equal(got, c.blocked) {
				t.Errorf("blocked\n%q\nwant\n%q", got, c.blocked)
			}
		})
	}
}

// TestPropertiesLargerInstances: on instances too big for brute force, every hard
// rule holds, everything is explained, and the flow carries its own optimality
// certificate (no augmenting path, no negative cycle).
func TestPropertiesLargerInstances(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 60
	}
	r := rand.New(rand.NewPCG(7, 14))
	for i := range n {
		in := randomInstance(r, 30, 15)
		res := solve(t, in.p)
		if err := assign.Certify(in.p); err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		_ = res
	}
}

// TestDeterministic: equal inputs give equal proposals, in whatever order they come,
// ties included (the random instances are full of them).
func TestDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for i := range 300 {
		in := randomInstance(r, 12, 8)
		want := solve(t, in.p)
		again := solve(t, in.p)
		if !reflect.DeepEqual(want, again) {
			t.Fatalf("instance %d: two runs differ", i)
		}
		shuffled := in.p
		shuffled.Engagements = slices.Clone(in.p.Engagements)
		shuffled.Speakers = slices.Clone(in.p.Speakers)
		r.Shuffle(len(shuffled.Engagements), func(a, b int) {
			shuffled.Engagements[a], shuffled.Engagements[b] = shuffled.Engagements[b], shuffled.Engagements[a]
		})
		r.Shuffle(len(shuffled.Speakers), func(a, b int) {
			shuffled.Speakers[a], shuffled.Speakers[b] = shuffled.Speakers[b], shuffled.Speakers[a]
		})
		if got := solve(t, shuffled); !reflect.DeepEqual(want, got) {
			t.Fatalf("instance %d: input order changed the proposal:\n%v\n%v", i, pairsOf(want), pairsOf(got))
		}
	}
}

func TestEmpty(t *testing.T) {
	res := solve(t, assign.Problem{})
	if res.Pairs == nil || res.Unfilled == nil || res.Filled != 0 || res.Cost != 0 || res.Weights != assign.DefaultWeights() {
		t.Fatalf("empty problem: %+v", res)
	}
	res = solve(t, assign.Problem{Engagements: []assign.Engagement{{ID: "e"}}})
	if len(res.Unfilled) != 1 || res.Unfilled[0].Key != "assign.unfilled.no_speaker" || len(res.Unfilled[0].Blocked) != 0 {
		t.Fatalf("no speakers: %+v", res)
	}
}

func TestInvalid(t *testing.T) {
	neg := assign.DefaultWeights()
	neg.LoadStep = -1
	huge := assign.DefaultWeights()
	huge.OwnCommunity = 1 << 40
	cases := map[string]assign.Problem{
		"engagement without ID": {Engagements: []assign.Engagement{{}}},
		"repeated engagement":   {Engagements: []assign.Engagement{{ID: "e"}, {ID: "e"}}},
		"negative places":       {Engagements: []assign.Engagement{{ID: "e", Slots: -1}}},
		"speaker without ID":    {Speakers: []assign.Speaker{{}}},
		"repeated speaker":      {Speakers: []assign.Speaker{{ID: "s"}, {ID: "s"}}},
		"negative limit":        {Speakers: []assign.Speaker{{ID: "s", Limit: -1}}},
		"negative load":         {Speakers: []assign.Speaker{{ID: "s", Load: map[string]int{"w": -1}}}},
		"negative travel":       {Speakers: []assign.Speaker{{ID: "s", Travel: map[string]time.Duration{"e": -time.Minute}}}},
		"year of travel":        {Speakers: []assign.Speaker{{ID: "s", Travel: map[string]time.Duration{"e": 365 * 24 * time.Hour}}}},
		"negative weight":       {Weights: &neg},
		"huge weight":           {Weights: &huge},
	}
	for name, p := range cases {
		if _, err := assign.Solve(p); err == nil || !strings.HasPrefix(err.Error(), "assign: invalid problem") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// benchProblem is a tenant-sized batch: 200 engagements over eight weeks, 100
// speakers from ten communities, a fifth of pairs ruled out by the caller. Scarce
// makes speakers short: all in two weeks, limit 1 a week, more places, and more than
// half the pairs ruled out.
func benchProblem(scarce bool) assign.Problem {
	r := rand.New(rand.NewPCG(200, 100))
	var p assign.Problem
	langs := []string{"ar", "so", "en", "ps"}
	for i := range 200 {
		wk := r.IntN(8)
		if scarce {
			wk = r.IntN(2)
		}
		p.Engagements = append(p.Engagements, assign.Engagement{
			ID: fmt.Sprintf("e%03d", i), Community: fmt.Sprintf("c%d", r.IntN(10)), Language: pick(r, "", "ar", "so", "en"),
			Week: fmt.Sprintf("2026-W%02d", 10+wk), Overlap: fmt.Sprintf("d%d", r.IntN(7)), Remote: r.IntN(8) == 0,
			Slots: pick(r, 1, 1, 1, 2),
		})
		if scarce {
			p.Engagements[i].Slots = pick(r, 1, 2, 2, 3)
		}
	}
	denied := map[string]bool{}
	for i := range 100 {
		s := assign.Speaker{ID: fmt.Sprintf("s%03d", i), Community: fmt.Sprintf("c%d", r.IntN(10)), Limit: pick(r, 1, 2, 2, 3),
			Load: map[string]int{}, Travel: map[string]time.Duration{}}
		for _, l := range r.Perm(len(langs))[:1+r.IntN(3)] {
			s.Languages = append(s.Languages, langs[l])
		}
		s.Load[fmt.Sprintf("2026-W%02d", 10+r.IntN(8))] = r.IntN(2)
		if scarce {
			s.Limit = 1
		}
		for _, e := range p.Engagements {
			s.Travel[e.ID] = time.Duration(r.IntN(8*60)) * time.Minute
			denied[ruleKey(s.ID, e.ID)] = r.IntN(5) == 0 || scarce && r.IntN(2) == 0
		}
		p.Speakers = append(p.Speakers, s)
	}
	p.Allowed = func(s assign.Speaker, e assign.Engagement) (bool, string) {
		return !denied[ruleKey(s.ID, e.ID)], "consent"
	}
	return p
}

func BenchmarkSolve200x100(b *testing.B) {
	for _, scarce := range []bool{false, true} {
		b.Run(map[bool]string{false: "ample", true: "scarce"}[scarce], func(b *testing.B) {
			p := benchProblem(scarce)
			var res assign.Result
			for b.Loop() {
				var err error
				if res, err = assign.Solve(p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(res.Filled), "filled")
			b.ReportMetric(float64(res.Slots), "slots")
		})
	}
}

// TestBenchProblems checks the benchmark's proposals like any other.
func TestBenchProblems(t *testing.T) {
	for _, scarce := range []bool{false, true} {
		p := benchProblem(scarce)
		res := solve(t, p)
		if err := assign.Certify(p); err != nil {
			t.Fatal(err)
		}
		t.Logf("200×100 (scarce %v): %d of %d places filled, %d engagements short, cost %d", scarce, res.Filled, res.Slots, len(res.Unfilled), res.Cost)
	}
}
