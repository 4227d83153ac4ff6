package chain_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"inoculate/internal/engagements/chain"
)

const iterations = 5000

// randomChain makes 0..5 authorities with shuffled slice positions and
// possibly equal Orders (ties are broken by ID).
func randomChain(r *rand.Rand) []chain.Authority {
	n := r.IntN(6)
	as := make([]chain.Authority, n)
	for i := range as {
		as[i] = chain.Authority{ID: fmt.Sprintf("a%d", i), Order: r.IntN(4)}
	}
	r.Shuffle(n, func(i, j int) { as[i], as[j] = as[j], as[i] })
	return as
}

// inChainOrder is the test's own statement of the chain order.
func inChainOrder(as []chain.Authority) []string {
	c := slices.Clone(as)
	slices.SortFunc(c, func(a, b chain.Authority) int {
		if a.Order != b.Order {
			return a.Order - b.Order
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	ids := make([]string, len(c))
	for i, a := range c {
		ids[i] = a.ID
	}
	return ids
}

// randomApprovals mixes decisions on revisions 1..3 by chain members and a
// stranger, on a coarse clock so that equal times are common.
func randomApprovals(r *rand.Rand, as []chain.Authority, vetoRate float64) []chain.Approval {
	n := r.IntN(12)
	out := make([]chain.Approval, 0, n)
	for range n {
		id := "stranger"
		if len(as) > 0 && r.IntN(10) > 0 {
			id = as[r.IntN(len(as))].ID
		}
		d := chain.Approve
		switch x := r.Float64(); {
		case x < vetoRate:
			d = chain.Veto
		case x < vetoRate+0.15:
			d = chain.Changes
		}
		out = append(out, chain.Approval{AuthorityID: id, Decision: d, Revision: 1 + r.IntN(3), At: at(r.IntN(8)), Reason: fmt.Sprint(r.IntN(3))})
	}
	return out
}

// inOrderApprovals approves revision rev by every authority, in chain order,
// at non-decreasing times: the one way to complete a chain.
func inOrderApprovals(r *rand.Rand, as []chain.Authority, rev int) []chain.Approval {
	var out []chain.Approval
	m := 0
	for _, id := range inChainOrder(as) {
		m += r.IntN(2)
		out = append(out, chain.Approval{AuthorityID: id, Decision: chain.Approve, Revision: rev, At: at(m)})
	}
	return out
}

// oracleComplete is an independent statement of "Complete": no veto of the
// revision; each authority's last approval of it is not overtaken by a later
// request for changes (at equal times changes wins); and those approvals are at
// non-decreasing times along the chain.
func oracleComplete(as []chain.Authority, approvals []chain.Approval, rev int) bool {
	var prev time.Time
	for i, id := range inChainOrder(as) {
		var lastA, lastC time.Time
		hasA, hasC := false, false
		for _, a := range approvals {
			if a.AuthorityID != id || a.Revision != rev {
				continue
			}
			switch a.Decision {
			case chain.Veto:
				return false
			case chain.Approve:
				if !hasA || a.At.After(lastA) {
					lastA, hasA = a.At, true
				}
			case chain.Changes:
				if !hasC || a.At.After(lastC) {
					lastC, hasC = a.At, true
				}
			}
		}
		if !hasA || (hasC && !lastC.Before(lastA)) || (i > 0 && lastA.Before(prev)) {
			return false
		}
		prev = lastA
	}
	return true
}

func hasVeto(approvals []chain.Approval, as []chain.Authority, rev int) bool {
	for _, a := range approvals {
		if a.Decision == chain.Veto && a.Revision == rev && slices.ContainsFunc(as, func(x chain.Authority) bool { return x.ID == a.AuthorityID }) {
			return true
		}
	}
	return false
}

// checkInvariants holds for every state Evaluate returns.
func checkInvariants(t *testing.T, as []chain.Authority, approvals []chain.Approval, rev int, st chain.State) {
	t.Helper()
	order := inChainOrder(as)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("chain %v rev %d approvals %+v\nstate %+v\n"+format, append([]any{as, rev, approvals, st}, args...)...)
	}

	// Complete iff every authority approved the current revision, in order.
	if want := oracleComplete(as, approvals, rev); st.Complete != want {
		fail("Complete = %v, oracle says %v", st.Complete, want)
	}
	// A veto always blocks.
	if v := hasVeto(approvals, as, rev); st.Vetoed != v || (v && st.Complete) {
		fail("veto present=%v but Vetoed=%v Complete=%v", v, st.Vetoed, st.Complete)
	}
	// No Complete with a missing or out-of-order approval: check directly.
	if st.Complete {
		for i, id := range order {
			s := st.Steps[i]
			recorded := slices.ContainsFunc(approvals, func(a chain.Approval) bool {
				return a.AuthorityID == id && a.Revision == rev && a.Decision == chain.Approve && a.At.Equal(s.At)
			})
			if !recorded || s.Decision != chain.Approve {
				fail("complete but %s has no approval of revision %d", id, rev)
			}
			if i > 0 && s.At.Before(st.Steps[i-1].At) {
				fail("complete but %s approved before %s", id, order[i-1])
			}
		}
	}
	// Approved is a prefix of the chain; Steps follow the chain; Next is the first
	// step not approved, unless vetoed or complete.
	if len(st.Steps) != len(order) || !slices.Equal(st.Approved, order[:len(st.Approved)]) {
		fail("Approved %v is not a prefix of %v", st.Approved, order)
	}
	for i, s := range st.Steps {
		if s.AuthorityID != order[i] {
			fail("step %d is %s, want %s", i, s.AuthorityID, order[i])
		}
		if (s.Status == chain.StatusApproved) != (i < len(st.Approved)) {
			fail("step %d status %s with %d approved", i, s.Status, len(st.Approved))
		}
		if s.Status == chain.StatusApproved && s.Decision != chain.Approve {
			fail("approved step without an approval")
		}
	}
	wantNext := ""
	if !st.Vetoed && !st.Complete {
		wantNext = order[len(st.Approved)]
	}
	if st.Next != wantNext {
		fail("Next = %q, want %q", st.Next, wantNext)
	}
	if st.Complete != (len(st.Approved) == len(order) && !st.Vetoed) {
		fail("Complete inconsistent with Approved")
	}
}

func TestPropertyRandomSequences(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range iterations {
		as := randomChain(r)
		var approvals []chain.Approval
		switch r.IntN(3) {
		case 0:
			approvals = randomApprovals(r, as, 0.1)
		case 1: // a valid chain disturbed by random noise
			approvals = append(inOrderApprovals(r, as, 2), randomApprovals(r, as, 0.05)...)
		default: // a valid chain only
			approvals = inOrderApprovals(r, as, 2)
		}
		rev := 1 + r.IntN(3)
		st := chain.Evaluate(as, approvals, rev)
		checkInvariants(t, as, approvals, rev, st)

		// Independent of the order of the approvals slice (and of the chain slice).
		sh := slices.Clone(approvals)
		r.Shuffle(len(sh), func(i, j int) { sh[i], sh[j] = sh[j], sh[i] })
		ash := slices.Clone(as)
		r.Shuffle(len(ash), func(i, j int) { ash[i], ash[j] = ash[j], ash[i] })
		if st2 := chain.Evaluate(ash, sh, rev); !reflect.DeepEqual(st, st2) {
			t.Fatalf("order dependence:\n%+v\n%+v", st, st2)
		}
		// Deterministic.
		if st3 := chain.Evaluate(as, approvals, rev); !reflect.DeepEqual(st, st3) {
			t.Fatalf("not deterministic")
		}
		// Decisions on other revisions never count: dropping them changes nothing,
		// and a next revision starts from scratch.
		cur := slices.DeleteFunc(slices.Clone(approvals), func(a chain.Approval) bool { return a.Revision != rev })
		if st4 := chain.Evaluate(as, cur, rev); !reflect.DeepEqual(st, st4) {
			t.Fatalf("other revisions changed the state:\n%+v\n%+v", st, st4)
		}
		if st5 := chain.Evaluate(as, approvals, 4); len(st5.Approved) != 0 || st5.Vetoed || (st5.Complete != (len(as) == 0)) {
			t.Fatalf("revision 4 has no decisions yet, got %+v", st5)
		}
	}
}

func TestPropertyValidChainCompletesAndVetoBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range iterations {
		as := randomChain(r)
		if len(as) == 0 {
			continue
		}
		good := inOrderApprovals(r, as, 1)
		if st := chain.Evaluate(as, good, 1); !st.Complete {
			t.Fatalf("in-order approvals not complete: %+v", st)
		}
		// Drop any one approval: never complete.
		k := r.IntN(len(good))
		missing := slices.Delete(slices.Clone(good), k, k+1)
		if st := chain.Evaluate(as, missing, 1); st.Complete {
			t.Fatalf("complete with %s's approval missing", good[k].AuthorityID)
		}
		// Move one approval strictly before its predecessor's: never complete.
		if len(good) > 1 {
			k := 1 + r.IntN(len(good)-1)
			bad := slices.Clone(good)
			bad[k].At = bad[k-1].At.Add(-time.Second)
			if st := chain.Evaluate(as, bad, 1); st.Complete || !st.Steps[k].OutOfTurn {
				t.Fatalf("complete with %s out of order: %+v", bad[k].AuthorityID, st)
			}
		}
		// Approvals of an old revision never count.
		if st := chain.Evaluate(as, good, 2); st.Complete || len(st.Approved) != 0 {
			t.Fatalf("old revision counted: %+v", st)
		}
		// A veto by anyone, at any time, blocks.
		v := chain.Approval{AuthorityID: as[r.IntN(len(as))].ID, Decision: chain.Veto, Revision: 1, At: at(r.IntN(20) - 5)}
		st := chain.Evaluate(as, append(slices.Clone(good), v), 1)
		if st.Complete || !st.Vetoed || st.VetoBy != v.AuthorityID || st.Next != "" {
			t.Fatalf("veto did not block: %+v", st)
		}
	}
}

// TestPropertyCanRecord drives random chains through CanRecord: whatever the
// actors try, a recorded approval always counts at once, a refused one names
// whose decision is due, and the chain completes exactly when the last
// authority's in-turn approval is recorded.
func TestPropertyCanRecord(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range iterations {
		as := randomChain(r)
		if len(as) == 0 {
			continue
		}
		rev := 1
		var log []chain.Approval
		for step := range 30 {
			who := as[r.IntN(len(as))].ID
			d := []chain.Decision{chain.Approve, chain.Approve, chain.Approve, chain.Changes, chain.Veto}[r.IntN(5)]
			if r.IntN(40) == 0 {
				d = chain.Veto
			}
			before := chain.Evaluate(as, log, rev)
			err := chain.CanRecord(as, log, rev, who, d)
			if d == chain.Veto && err != nil {
				t.Fatalf("veto refused: %v", err)
			}
			if d != chain.Veto && (err == nil) != (!before.Vetoed && !before.Complete && before.Next == who) {
				t.Fatalf("CanRecord(%s, %s) = %v with state %+v", who, d, err, before)
			}
			if err != nil {
				continue
			}
			log = append(log, chain.Approval{AuthorityID: who, Decision: d, Revision: rev, At: at(step)})
			after := chain.Evaluate(as, log, rev)
			checkInvariants(t, as, log, rev, after)
			if d == chain.Approve && !slices.Contains(after.Approved, who) {
				t.Fatalf("recorded in-turn approval by %s did not count: %+v", who, after)
			}
			if d == chain.Veto || after.Vetoed {
				// A material change starts a new revision.
				rev++
			}
		}
	}
}
