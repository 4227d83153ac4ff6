package assign

import "math"

// network is a flow network in residual form: arc i and arc i^1 are an arc and its
// reverse, and cap is the residual capacity. Arc and node order are part of the
// tie-breaking, so the network is always built in the same order.
type network struct {
	arcs []arc
	adj  [][]int32 // arc indices leaving each node, in insertion order
}

type arc struct {
	to   int32
	cap  int32
	cost int64
}

func (g *network) addNode() int32 {
	g.adj = append(g.adj, nil)
	return int32(len(g.adj) - 1)
}

// addArc adds u→v with capacity c and cost, and its reverse; it returns the arc's
// index.
func (g *network) addArc(u, v int32, c int32, cost int64) int32 {
	i := int32(len(g.arcs))
	g.arcs = append(g.arcs, arc{to: v, cap: c, cost: cost}, arc{to: u, cap: 0, cost: -cost})
	g.adj[u] = append(g.adj[u], i)
	g.adj[v] = append(g.adj[v], i+1)
	return i
}

// flow is the flow on arc i: its reverse's residual capacity.
func (g *network) flow(i int32) int32 { return g.arcs[i^1].cap }

const inf = math.MaxInt64

// minCostMaxFlow sends as much flow as possible from s to t at least cost, by
// successive shortest paths. Every arc cost must be non-negative at the start, so
// zero potentials are feasible; after each Dijkstra the potentials become the
// distances, which keeps every residual arc's reduced cost non-negative (the
// invariant that makes Dijkstra correct with the negative reverse arcs). Each path
// found is a cheapest augmenting path, so the flow is of least cost for its value at
// every step, and the last one is a maximum flow of least cost.
func (g *network) minCostMaxFlow(s, t int32) (flow int, cost int64) {
	n := len(g.adj)
	pot := make([]int64, n)
	dist := make([]int64, n)
	prev := make([]int32, n) // arc entering each node on the shortest path
	var h minHeap
	for {
		for i := range dist {
			dist[i], prev[i] = inf, -1
		}
		dist[s] = 0
		h = append(h[:0], item{0, s})
		for len(h) > 0 {
			it := h.pop()
			u := it.node
			if it.dist > dist[u] {
				continue
			}
			if u == t {
				break
			}
			for _, ai := range g.adj[u] {
				a := &g.arcs[ai]
				if a.cap == 0 {
					continue
				}
				nd := it.dist + a.cost + pot[u] - pot[a.to]
				if nd < dist[a.to] {
					dist[a.to], prev[a.to] = nd, ai
					h.push(item{nd, a.to})
				}
			}
		}
		if dist[t] == inf {
			return flow, cost
		}
		// Dijkstra stopped at the sink; nodes not settled by then get the sink's
		// distance, a lower bound of theirs. That keeps every reduced cost
		// non-negative: an arc from a settled node u gives dist[v] ≤ dist[u] + its
		// reduced cost, and from an unsettled one min(dist[v], dist[t]) ≤ dist[t].
		// Arcs on the path get reduced cost 0, so their reverses do too.
		for v := range pot {
			pot[v] += min(dist[v], dist[t])
		}
		push := int32(math.MaxInt32)
		for v := t; v != s; v = g.arcs[prev[v]^1].to {
			push = min(push, g.arcs[prev[v]].cap)
		}
		for v := t; v != s; v = g.arcs[prev[v]^1].to {
			g.arcs[prev[v]].cap -= push
			g.arcs[prev[v]^1].cap += push
		}
		flow += int(push)
		cost += int64(push) * (pot[t] - pot[s])
	}
}

// item is a heap entry; equal distances pop in node order, so the shortest-path tree,
// and with it the tie-breaking, depends on nothing but the network.
type item struct {
	dist int64
	node int32
}

func (a item) less(b item) bool { return a.dist < b.dist || a.dist == b.dist && a.node < b.node }

type minHeap []item

func (h *minHeap) push(x item) {
	*h = append(*h, x)
	q := *h
	i := len(q) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q[i].less(q[p]) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *minHeap) pop() item {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(q) && q[l].less(q[m]) {
			m = l
		}
		if r < len(q) && q[r].less(q[m]) {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}
