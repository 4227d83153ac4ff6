package im

import "fmt"

// HistMode says whether Select runs the HIST sentinel phase (Guo, Wang,
// Ooi, Wang, SIGMOD 2020). On graphs where a few nodes reach most of the
// graph (high influence), an RR set is huge: every root that some giant
// component reaches collects all of it. HIST first fixes a few seeds, the
// sentinels, and then draws RR sets that end as soon as they reach one:
// those sets are covered by the final seed set anyway, so only whether
// they were hit matters, not their members. What is left to store and
// cover are the small sets the sentinels miss.
type HistMode uint8

const (
	HistAuto HistMode = iota // decide from the mean size of pilot RR sets
	HistOn                   // always choose sentinels
	HistOff                  // plain OPIM-C
)

func (h HistMode) String() string {
	switch h {
	case HistOn:
		return "on"
	case HistOff:
		return "off"
	}
	return "auto"
}

// ParseHist maps "auto", "on" or "off" to a HistMode.
func ParseHist(s string) (HistMode, error) {
	switch s {
	case "auto":
		return HistAuto, nil
	case "on":
		return HistOn, nil
	case "off":
		return HistOff, nil
	}
	return HistAuto, fmt.Errorf("unknown hist mode %q (want auto, on or off)", s)
}

// The pilot: pilotSets RR sets, each cut at pilotLimit nodes, so that it
// costs at most a few hundred thousand node visits even when full sets
// would hold most of the graph.
var (
	pilotSets  = 128
	pilotLimit = 2048
	// histMinMean is the mean pilot set size from which sentinels pay:
	// below it RR sets are cheap and the sentinel seeds only constrain
	// greedy for nothing.
	histMinMean = 512.0
	// histTarget is the mean number of nodes a set may still cost once
	// stopped at the sentinels; more sentinels are added until the pilot
	// says it is reached (or adding more no longer helps).
	histTarget = 64.0
	// histSlack is how far below the best marginal coverage a sentinel
	// may be when it cuts the sets shorter.
	histSlack = 0.05
)

// chooseSentinels draws the pilot and, if its sets are large (or force),
// picks sentinels greedily on it until the pilot sets, each cut at the
// first sentinel it meets in BFS order, would cost at most histTarget
// nodes on average. Each step takes, among the nodes whose marginal
// coverage of the pilot is within histSlack of the best, the one that
// cuts the most nodes off the sets: in a giant component thousands of
// nodes tie on coverage, and a hub that every search meets early is as
// good a seed as any of them while making the sets far cheaper. Near-best
// steps keep the greedy character (an α-approximate greedy step still
// gives 1-e^-α). At most half of the k seeds become sentinels, so greedy
// keeps room to work on the rest. The second result is the pilot mean
// size.
//
// The choice is a heuristic and needs no guarantee of its own: Select's
// bounds hold for any sentinels drawn independently of R1 and R2, and it
// only stops once those bounds prove the ratio asked for.
func chooseSentinels(s *Sampler, k int, force bool) ([]uint32, float64) {
	n := s.g.N()
	pilot := newRRSets()
	// The pilot keeps every node, candidate or not: a sentinel's worth is
	// where it cuts the traversal, and that is in whole-set positions.
	keep := s.keep
	s.limit, s.keep = pilotLimit, nil
	s.Extend(pilot, streamPilot, pilotSets)
	s.limit, s.keep = 0, keep
	mean := float64(len(pilot.Nodes)) / float64(pilotSets)
	if !force && mean < histMinMean {
		return nil, mean
	}
	bmax := max(1, k/2)
	// cut[i] is what set i costs with the sentinels so far: the position
	// of the first sentinel in it plus one, or its size if none.
	cut := make([]int, pilot.Len())
	covered := make([]bool, pilot.Len())
	total := 0
	for i := range cut {
		cut[i] = len(pilot.Set(i))
		total += cut[i]
	}
	// cov and red are each node's marginal coverage and the nodes it would
	// cut off the sets, for the nodes in touched (seen marks them).
	cov := make([]int32, n)
	red := make([]int64, n)
	seen := make([]bool, n)
	var touched []uint32
	var sentinels []uint32
	for len(sentinels) < bmax {
		if len(sentinels) > 0 && float64(total) <= histTarget*float64(pilotSets) {
			break
		}
		for _, v := range touched {
			cov[v], red[v], seen[v] = 0, 0, false
		}
		touched = touched[:0]
		for i := 0; i < pilot.Len(); i++ {
			set := pilot.Set(i)
			for p, v := range set[:cut[i]] {
				if !seen[v] {
					seen[v] = true
					touched = append(touched, v)
				}
				if !covered[i] {
					cov[v]++
				}
				red[v] += int64(cut[i] - p - 1)
			}
		}
		// Only candidates may be sentinels: they are seeds.
		best := int32(0)
		for _, v := range touched {
			if keep == nil || inSet(keep, v) {
				best = max(best, cov[v])
			}
		}
		floor := int32(float64(best) * (1 - histSlack))
		pick, pickRed := -1, int64(0)
		for _, v := range touched {
			if keep != nil && !inSet(keep, v) {
				continue
			}
			if cov[v] >= floor && (pick < 0 || red[v] > pickRed || red[v] == pickRed && v < uint32(pick)) {
				pick, pickRed = int(v), red[v]
			}
		}
		if pick < 0 || (best == 0 && pickRed == 0) {
			break
		}
		u := uint32(pick)
		sentinels = append(sentinels, u)
		for i := 0; i < pilot.Len(); i++ {
			set := pilot.Set(i)
			for p, v := range set[:cut[i]] {
				if v == u {
					total -= cut[i] - p - 1
					cut[i] = p + 1
					covered[i] = true
					break
				}
			}
		}
	}
	return sentinels, mean
}
