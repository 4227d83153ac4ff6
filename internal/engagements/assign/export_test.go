package assign

import (
	"errors"
	"fmt"
)

// Certify solves p and checks the flow's optimality certificate directly on the
// residual network, independently of how it was found: no augmenting path from
// source to sink (the flow is maximum) and no cycle of negative cost (no cheaper flow
// of the same value exists). Bellman–Ford makes it too slow for the solver itself,
// but fine for tests on instances too big for brute force.
func Certify(p Problem) error {
	w := DefaultWeights()
	if p.Weights != nil {
		w = *p.Weights
	}
	if err := validate(p, w); err != nil {
		return err
	}
	r, pr := solve(p, w)
	g := &pr.net
	// Flow conservation and capacities hold by construction of the residual form;
	// check the value matches the result.
	var out int32
	for _, ai := range g.adj[source] {
		if ai%2 == 0 {
			out += g.flow(ai)
		}
	}
	if int(out) != r.Filled {
		return fmt.Errorf("flow %d, result fills %d", out, r.Filled)
	}
	// Maximum: the sink is unreachable in the residual network.
	seen := make([]bool, len(g.adj))
	stack := []int32{source}
	seen[source] = true
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, ai := range g.adj[u] {
			if a := g.arcs[ai]; a.cap > 0 && !seen[a.to] {
				seen[a.to] = true
				stack = append(stack, a.to)
			}
		}
	}
	if seen[sink] {
		return errors.New("an augmenting path remains: the flow is not maximum")
	}
	// Least cost: Bellman–Ford (queue-based) from a virtual node joined to all, so
	// every distance starts at 0; a node relaxed n times lies on a negative cycle.
	n := len(g.adj)
	dist := make([]int64, n)
	times := make([]int, n)
	queued := make([]bool, n)
	queue := make([]int32, 0, n)
	for v := range n {
		queue, queued[v] = append(queue, int32(v)), true
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		queued[u] = false
		for _, ai := range g.adj[u] {
			a := g.arcs[ai]
			if a.cap == 0 || dist[u]+a.cost >= dist[a.to] {
				continue
			}
			dist[a.to] = dist[u] + a.cost
			if times[a.to]++; times[a.to] >= n {
				return errors.New("a negative cycle remains: a cheaper flow of the same value exists")
			}
			if !queued[a.to] {
				queue, queued[a.to] = append(queue, a.to), true
			}
		}
	}
	return nil
}
