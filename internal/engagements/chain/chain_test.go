package chain_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"inoculate/internal/engagements/chain"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

// three is the three-step chain of the browser scenario, listed out of
// order on purpose: Order, not slice position, decides.
var three = []chain.Authority{{ID: "imam", Order: 2}, {ID: "elder", Order: 1}, {ID: "family", Order: 3}}

func ap(id string, d chain.Decision, rev, min int) chain.Approval {
	return chain.Approval{AuthorityID: id, Decision: d, Revision: rev, At: at(min), Reason: string(d) + " by " + id}
}

func statuses(st chain.State) string {
	var b []string
	for _, s := range st.Steps {
		b = append(b, s.AuthorityID+"="+string(s.Status))
	}
	return strings.Join(b, " ")
}

func TestEvaluateTable(t *testing.T) {
	A, C, V := chain.Approve, chain.Changes, chain.Veto
	tests := []struct {
		name      string
		approvals []chain.Approval
		rev       int
		complete  bool
		vetoBy    string
		changesBy string
		next      string
		approved  []string
		steps     string
	}{
		{name: "nothing yet", rev: 1, next: "elder",
			steps: "elder=waiting imam=not_yet family=not_yet"},
		{name: "first approved", rev: 1, approvals: []chain.Approval{ap("elder", A, 1, 0)},
			next: "imam", approved: []string{"elder"},
			steps: "elder=approved imam=waiting family=not_yet"},
		{name: "all in order", rev: 1, complete: true,
			approvals: []chain.Approval{ap("family", A, 1, 3), ap("elder", A, 1, 1), ap("imam", A, 1, 2)},
			approved:  []string{"elder", "imam", "family"},
			steps:     "elder=approved imam=approved family=approved"},
		{name: "same instant counts in chain order", rev: 1, complete: true,
			approvals: []chain.Approval{ap("elder", A, 1, 5), ap("imam", A, 1, 5), ap("family", A, 1, 5)},
			approved:  []string{"elder", "imam", "family"},
			steps:     "elder=approved imam=approved family=approved"},
		{name: "out of turn approval does not count", rev: 1,
			approvals: []chain.Approval{ap("imam", A, 1, 1), ap("elder", A, 1, 2), ap("family", A, 1, 3)},
			next:      "imam", approved: []string{"elder"},
			steps: "elder=approved imam=waiting family=not_yet"},
		{name: "out of turn approval given again in turn", rev: 1, complete: true,
			approvals: []chain.Approval{ap("imam", A, 1, 1), ap("elder", A, 1, 2), ap("imam", A, 1, 3), ap("family", A, 1, 4)},
			approved:  []string{"elder", "imam", "family"},
			steps:     "elder=approved imam=approved family=approved"},
		{name: "old revision approvals never count", rev: 2,
			approvals: []chain.Approval{ap("elder", A, 1, 1), ap("imam", A, 1, 2), ap("family", A, 1, 3)},
			next:      "elder",
			steps:     "elder=waiting imam=not_yet family=not_yet"},
		{name: "material change asks again from the start", rev: 2,
			approvals: []chain.Approval{ap("elder", A, 1, 1), ap("imam", A, 1, 2), ap("family", A, 1, 3), ap("elder", A, 2, 4)},
			next:      "imam", approved: []string{"elder"},
			steps: "elder=approved imam=waiting family=not_yet"},
		{name: "veto blocks whatever else", rev: 1, vetoBy: "family",
			approvals: []chain.Approval{ap("elder", A, 1, 1), ap("imam", A, 1, 2), ap("family", V, 1, 3)},
			approved:  []string{"elder", "imam"},
			steps:     "elder=approved imam=approved family=veto"},
		{name: "veto out of turn blocks", rev: 1, vetoBy: "family",
			approvals: []chain.Approval{ap("family", V, 1, 0), ap("elder", A, 1, 1), ap("imam", A, 1, 2), ap("family", A, 1, 3)},
			approved:  []string{"elder", "imam"},
			steps:     "elder=approved imam=approved family=veto"},
		{name: "veto is final for the revision", rev: 1, vetoBy: "elder",
			approvals: []chain.Approval{ap("elder", V, 1, 0), ap("elder", A, 1, 1), ap("imam", A, 1, 2), ap("family", A, 1, 3)},
			steps:     "elder=veto imam=not_yet family=not_yet"},
		{name: "veto of an old revision no longer blocks", rev: 2, complete: true,
			approvals: []chain.Approval{ap("imam", V, 1, 0), ap("elder", A, 2, 1), ap("imam", A, 2, 2), ap("family", A, 2, 3)},
			approved:  []string{"elder", "imam", "family"},
			steps:     "elder=approved imam=approved family=approved"},
		{name: "first veto by time names the vetoer", rev: 1, vetoBy: "family",
			approvals: []chain.Approval{ap("imam", V, 1, 5), ap("family", V, 1, 4)},
			steps:     "elder=not_yet imam=veto family=veto"},
		{name: "changes blocks", rev: 1, changesBy: "imam",
			approvals: []chain.Approval{ap("elder", A, 1, 1), ap("imam", C, 1, 2)},
			next:      "imam", approved: []string{"elder"},
			steps: "elder=approved imam=changes family=not_yet"},
		{name: "latest decision wins: approve after changes", rev: 1, complete: true,
			approvals: []chain.Approval{ap("elder", A, 1, 1), ap("imam", C, 1, 2), ap("imam", A, 1, 3), ap("family", A, 1, 4)},
			approved:  []string{"elder", "imam", "family"},
			steps:     "elder=approved imam=approved family=approved"},
		{name: "latest decision wins: changes withdraws approval", rev: 1, changesBy: "elder",
			approvals: []chain.Approval{ap("elder", A, 1, 1), ap("imam", A, 1, 2), ap("family", A, 1, 3), ap("elder", C, 1, 4)},
			next:      "elder",
			steps:     "elder=changes imam=not_yet family=not_yet"},
		{name: "re-approval after later steps puts them out of order", rev: 1,
			approvals: []chain.Approval{ap("elder", A, 1, 1), ap("imam", A, 1, 2), ap("family", A, 1, 3), ap("elder", A, 1, 4)},
			next:      "imam", approved: []string{"elder"},
			steps: "elder=approved imam=waiting family=not_yet"},
		{name: "same instant approve and changes: changes wins", rev: 1, changesBy: "elder",
			approvals: []chain.Approval{ap("elder", A, 1, 1), ap("elder", C, 1, 1)},
			next:      "elder",
			steps:     "elder=changes imam=not_yet family=not_yet"},
		{name: "strangers and unknown decisions are ignored", rev: 1,
			approvals: []chain.Approval{ap("mayor", V, 1, 0), {AuthorityID: "elder", Decision: "maybe", Revision: 1, At: at(1)}},
			next:      "elder",
			steps:     "elder=waiting imam=not_yet family=not_yet"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := chain.Evaluate(three, tc.approvals, tc.rev)
			if st.Complete != tc.complete || st.Vetoed != (tc.vetoBy != "") || st.VetoBy != tc.vetoBy ||
				st.ChangesRequestedBy != tc.changesBy || st.Next != tc.next || !slices.Equal(st.Approved, tc.approved) {
				t.Errorf("got complete=%v vetoed=%v vetoBy=%q changesBy=%q next=%q approved=%v\nwant complete=%v vetoBy=%q changesBy=%q next=%q approved=%v",
					st.Complete, st.Vetoed, st.VetoBy, st.ChangesRequestedBy, st.Next, st.Approved,
					tc.complete, tc.vetoBy, tc.changesBy, tc.next, tc.approved)
			}
			if got := statuses(st); got != tc.steps {
				t.Errorf("steps: got %s\nwant %s", got, tc.steps)
			}
		})
	}
}

func TestStepDetails(t *testing.T) {
	st := chain.Evaluate(three, []chain.Approval{ap("family", chain.Approve, 1, 1), ap("elder", chain.Veto, 1, 2)}, 1)
	fam := st.Steps[2]
	if !fam.OutOfTurn || fam.Decision != chain.Approve || !fam.At.Equal(at(1)) || fam.Status != chain.StatusNotYet {
		t.Errorf("family step = %+v", fam)
	}
	el := st.Steps[0]
	if el.Reason != "veto by elder" || el.Status != chain.StatusVeto || el.Order != 1 {
		t.Errorf("elder step = %+v", el)
	}
	if st.Next != "" {
		t.Errorf("a vetoed chain has nobody due, got %q", st.Next)
	}
}

func TestEmptyChainAndDuplicates(t *testing.T) {
	if st := chain.Evaluate(nil, nil, 1); !st.Complete || st.Next != "" {
		t.Errorf("empty chain: %+v", st)
	}
	dup := []chain.Authority{{ID: "elder", Order: 1}, {ID: "elder", Order: 5}, {ID: "imam", Order: 2}}
	st := chain.Evaluate(dup, []chain.Approval{ap("elder", chain.Approve, 1, 1)}, 1)
	if len(st.Steps) != 2 || st.Next != "imam" {
		t.Errorf("duplicate authority should appear once: %s next=%q", statuses(st), st.Next)
	}
}

func TestCanRecord(t *testing.T) {
	A, C, V := chain.Approve, chain.Changes, chain.Veto
	tests := []struct {
		name      string
		approvals []chain.Approval
		who       string
		d         chain.Decision
		want      string // substring of the error; "" for allowed
		outOfTurn bool
	}{
		{name: "first in turn", who: "elder", d: A},
		{name: "changes in turn", who: "elder", d: C},
		{name: "second before first", who: "imam", d: A, want: `the decision due is "elder"'s, not "imam"'s`, outOfTurn: true},
		{name: "changes out of turn", who: "family", d: C, want: `"elder"'s`, outOfTurn: true},
		{name: "veto any time", who: "family", d: V},
		{name: "second after first", approvals: []chain.Approval{ap("elder", A, 1, 1)}, who: "imam", d: A},
		{name: "first again after approving", approvals: []chain.Approval{ap("elder", A, 1, 1)}, who: "elder", d: A, want: `"imam"'s`, outOfTurn: true},
		{name: "old revision approval does not advance", approvals: []chain.Approval{ap("elder", A, 0, 1)}, who: "imam", d: A, want: `"elder"'s`, outOfTurn: true},
		{name: "after changes the same authority is due", approvals: []chain.Approval{ap("elder", C, 1, 1)}, who: "elder", d: A},
		{name: "vetoed", approvals: []chain.Approval{ap("imam", V, 1, 1)}, who: "elder", d: A, want: `vetoed by "imam"`},
		{name: "veto after veto", approvals: []chain.Approval{ap("imam", V, 1, 1)}, who: "elder", d: V},
		{name: "complete", approvals: []chain.Approval{ap("elder", A, 1, 1), ap("imam", A, 1, 2), ap("family", A, 1, 3)}, who: "family", d: A, want: "already approved"},
		{name: "veto after complete", approvals: []chain.Approval{ap("elder", A, 1, 1), ap("imam", A, 1, 2), ap("family", A, 1, 3)}, who: "elder", d: V},
		{name: "stranger", who: "mayor", d: V, want: "not an authority"},
		{name: "bad decision", who: "elder", d: "abstain", want: "unknown decision"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := chain.CanRecord(three, tc.approvals, 1, tc.who, tc.d)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if errors.Is(err, chain.ErrOutOfTurn) != tc.outOfTurn {
				t.Errorf("errors.Is(ErrOutOfTurn) = %v, want %v", !tc.outOfTurn, tc.outOfTurn)
			}
		})
	}
}

func TestEvaluateDeterministic(t *testing.T) {
	// The same input twice gives equal states (no hidden map order).
	as := []chain.Approval{ap("elder", chain.Approve, 1, 1), ap("imam", chain.Changes, 1, 2)}
	if a, b := chain.Evaluate(three, as, 1), chain.Evaluate(three, as, 1); !reflect.DeepEqual(a, b) {
		t.Fatal("Evaluate not deterministic")
	}
}
