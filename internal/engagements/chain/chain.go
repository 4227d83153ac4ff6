// Package chain evaluates where an engagement stands in its community's chain of
// command: the ordered authorities (elder, imam, clan or family head, partner
// lead…) whose approvals the engagement needs, in that order, before it can be
// scheduled. It is pure — no store, no clock — so the caller loads the
// authorities and the recorded decisions and asks Evaluate or CanRecord.
//
// # Rules
//
//   - Only decisions on the engagement's current revision count. A material change
//     (date, speaker, format, identity level) increments the revision, so every
//     earlier approval, request for changes and veto stops counting: the chain asks
//     for approval again.
//   - Authorities decide in order. An approval by the k-th authority counts only if
//     authorities 1..k-1 all approved the same revision before it (by time; at equal
//     times the authority earlier in the chain is taken to have decided first). An
//     approval given out of turn does not count; the authority is asked again when
//     its turn comes.
//   - A veto of the current revision by any authority, at any time, blocks the
//     engagement whatever else was decided, and is final for that revision.
//   - Otherwise an authority's latest decision on the revision wins: "changes"
//     blocks completion until either a newer revision or that authority approves
//     after all; a later "changes" withdraws an earlier approval.
//   - The chain is Complete when every authority's approval counts and nothing is
//     vetoed. An empty chain is trivially complete: whether a community must have
//     one is the caller's rule, not this package's.
//
// Evaluate is deterministic and does not depend on the order of the approvals
// slice: decisions are put in a canonical order (time, chain order, decision,
// reason) before anything else happens.
package chain

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Decision is what an authority decided on one revision of an engagement.
type Decision string

// The decisions an authority can record; the API accepts exactly these strings.
const (
	Approve Decision = "approve"
	Changes Decision = "changes"
	Veto    Decision = "veto"
)

// Valid reports whether d is one of the three decisions.
func (d Decision) Valid() bool {
	return d == Approve || d == Changes || d == Veto
}

// rank orders decisions recorded by one authority at the same instant, so that
// the stricter one is taken as the latest: safety over convenience.
func (d Decision) rank() int {
	switch d {
	case Approve:
		return 0
	case Changes:
		return 1
	default:
		return 2
	}
}

// Authority is one step of a community's chain of command. Lower Order is
// consulted first; equal orders are broken by ID so the chain is still a total order.
type Authority struct {
	ID    string
	Order int
}

// Approval is one recorded decision by an authority on one revision of an
// engagement. The name follows the API ("approvals"), though the decision may be
// a request for changes or a veto.
type Approval struct {
	AuthorityID string
	Decision    Decision
	Reason      string
	Revision    int
	At          time.Time
}

// Status is where one authority stands for the current revision.
type Status string

// Step statuses.
const (
	// StatusWaiting: this authority's decision is due now.
	StatusWaiting Status = "waiting"
	// StatusApproved: approved the current revision, in order.
	StatusApproved Status = "approved"
	// StatusChanges: asked for changes to the current revision.
	StatusChanges Status = "changes"
	// StatusVeto: vetoed the current revision.
	StatusVeto Status = "veto"
	// StatusNotYet: an earlier authority has not approved yet (or the chain is
	// blocked), so this one is not asked yet. An approval given out of turn shows
	// here too: it does not count.
	StatusNotYet Status = "not_yet"
)

// Step is one authority's place in the chain, in chain order.
type Step struct {
	AuthorityID string
	Order       int
	Status      Status
	// Decision, Reason and At describe the authority's effective decision on the
	// current revision (its veto, else its latest decision); empty when it has
	// decided nothing on this revision.
	Decision Decision
	Reason   string
	At       time.Time
	// OutOfTurn is set when the effective decision is an approval that does not
	// count because an earlier authority had not approved before it.
	OutOfTurn bool
}

// State is where an engagement stands in its chain for one revision.
type State struct {
	Revision int
	// Complete: every authority approved this revision, in order, and nobody vetoed it.
	Complete bool
	// Vetoed: some authority vetoed this revision; VetoBy is the first to do so.
	Vetoed bool
	VetoBy string
	// ChangesRequestedBy is the first authority in chain order whose latest
	// decision on this revision is "changes"; empty if none.
	ChangesRequestedBy string
	// Next is the authority whose decision is due next; empty when the chain is
	// complete or vetoed.
	Next string
	// Approved lists the authorities whose approvals count, in chain order.
	Approved []string
	Steps    []Step
}

// ordered returns the authorities in chain order, dropping later duplicates of
// an ID (a chain lists each authority once; a repeat would let one person count twice).
func ordered(authorities []Authority) []Authority {
	out := slices.Clone(authorities)
	slices.SortStableFunc(out, func(a, b Authority) int {
		return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.ID, b.ID))
	})
	seen := make(map[string]bool, len(out))
	return slices.DeleteFunc(out, func(a Authority) bool {
		if seen[a.ID] {
			return true
		}
		seen[a.ID] = true
		return false
	})
}

// Evaluate returns the state of the chain for the given revision.
// Decisions on other revisions and by authorities not in the chain are ignored.
func Evaluate(authorities []Authority, approvals []Approval, revision int) State {
	chain := ordered(authorities)
	pos := make(map[string]int, len(chain))
	for i, a := range chain {
		pos[a.ID] = i
	}

	// The canonical order makes the result independent of the slice order.
	var cur []Approval
	for _, ap := range approvals {
		if _, ok := pos[ap.AuthorityID]; ok && ap.Revision == revision && ap.Decision.Valid() {
			cur = append(cur, ap)
		}
	}
	slices.SortFunc(cur, func(a, b Approval) int {
		return cmp.Or(a.At.Compare(b.At),
			cmp.Compare(pos[a.AuthorityID], pos[b.AuthorityID]),
			cmp.Compare(a.Decision.rank(), b.Decision.rank()),
			cmp.Compare(a.Reason, b.Reason))
	})

	// Effective decision per authority: its first veto, else its latest decision.
	eff := make([]*Approval, len(chain))
	for i := range cur {
		ap := &cur[i]
		k := pos[ap.AuthorityID]
		if eff[k] != nil && eff[k].Decision == Veto {
			continue // a veto is final for the revision
		}
		eff[k] = ap
	}

	st := State{Revision: revision, Steps: make([]Step, len(chain))}
	var vetoAt *Approval
	for k, a := range chain {
		s := Step{AuthorityID: a.ID, Order: a.Order, Status: StatusNotYet}
		if e := eff[k]; e != nil {
			s.Decision, s.Reason, s.At = e.Decision, e.Reason, e.At
			switch e.Decision {
			case Veto:
				s.Status = StatusVeto
				if vetoAt == nil || e.At.Before(vetoAt.At) {
					vetoAt = e // chain order already breaks ties: first wins
				}
			case Changes:
				s.Status = StatusChanges
				if st.ChangesRequestedBy == "" {
					st.ChangesRequestedBy = a.ID
				}
			}
		}
		st.Steps[k] = s
	}
	if vetoAt != nil {
		st.Vetoed, st.VetoBy = true, vetoAt.AuthorityID
	}

	// Walk the chain: each approval counts only if it is not earlier than the
	// counted approval of the authority before it.
	var prev time.Time
	inTurn := true
	for k := range chain {
		s := &st.Steps[k]
		e := eff[k]
		if inTurn && e != nil && e.Decision == Approve && (k == 0 || !e.At.Before(prev)) {
			s.Status = StatusApproved
			st.Approved = append(st.Approved, s.AuthorityID)
			prev = e.At
			continue
		}
		if e != nil && e.Decision == Approve {
			s.OutOfTurn = true
		}
		if inTurn {
			inTurn = false
			if !st.Vetoed {
				st.Next = s.AuthorityID
				if s.Status == StatusNotYet {
					s.Status = StatusWaiting
				}
			}
		}
	}
	st.Complete = inTurn && !st.Vetoed
	return st
}

// ErrOutOfTurn is wrapped by CanRecord's refusals of a decision made before the
// authority's turn.
var ErrOutOfTurn = errors.New("chain: decision out of turn")

// CanRecord reports whether authorityID may record decision on the given revision
// now. A veto may be recorded at any time by any authority of the chain; an
// approval or a request for changes only by the authority whose decision is due,
// and never once the revision is vetoed or the chain complete. The error says
// in plain words whose decision is due.
func CanRecord(authorities []Authority, approvals []Approval, revision int, authorityID string, decision Decision) error {
	if !decision.Valid() {
		return fmt.Errorf("chain: unknown decision %q: must be approve, changes or veto", decision)
	}
	if !slices.ContainsFunc(authorities, func(a Authority) bool { return a.ID == authorityID }) {
		return fmt.Errorf("chain: %q is not an authority in this community's chain of command", authorityID)
	}
	if decision == Veto {
		return nil
	}
	st := Evaluate(authorities, approvals, revision)
	switch {
	case st.Vetoed:
		return fmt.Errorf("chain: revision %d was vetoed by %q; a new revision is needed before further decisions", revision, st.VetoBy)
	case st.Complete:
		return fmt.Errorf("chain: every authority has already approved revision %d; only a veto can still be recorded", revision)
	case st.Next != authorityID:
		return fmt.Errorf("%w: the decision due is %q's, not %q's", ErrOutOfTurn, st.Next, authorityID)
	}
	return nil
}
