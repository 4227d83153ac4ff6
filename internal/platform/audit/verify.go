package audit

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"inoculate/internal/platform/store"
)

// Report is the outcome of Verify.
type Report struct {
	Size               int64    // entries read
	Root               []byte   // Merkle root recomputed from them
	CheckpointsChecked int      // signed checkpoints whose root was compared with the entries
	Problems           []string // one line each, written for the operator; empty when the log verifies
}

// Caps on repeated messages: a single early change makes every later checkpoint
// mismatch, and one gap can shift every later row; the first few lines say it all.
const (
	maxEntryProblems      = 20
	maxCheckpointProblems = 10
)

// target is a signed checkpoint to compare with the recomputed tree.
type target struct {
	kind    targetKind
	n       int // exported checkpoint number, from 1
	size    int64
	root    []byte
	checked bool
	match   bool
}

type targetKind int

const (
	headCheckpoint targetKind = iota
	storedCheckpoint
	exportedCheckpoint
)

// String names the checkpoint for the operator.
func (t *target) String() string {
	switch t.kind {
	case headCheckpoint:
		return fmt.Sprintf("the head checkpoint (size %d)", t.size)
	case storedCheckpoint:
		return fmt.Sprintf("the stored checkpoint at size %d", t.size)
	}
	return fmt.Sprintf("exported checkpoint #%d (size %d)", t.n, t.size)
}

type verifier struct {
	rep              Report
	entryProblems    int
	entryProblemsCut int
}

func (vr *verifier) problem(format string, args ...any) {
	vr.rep.Problems = append(vr.rep.Problems, fmt.Sprintf(format, args...))
}

func (vr *verifier) entryProblem(format string, args ...any) {
	vr.entryProblems++
	if vr.entryProblems > maxEntryProblems {
		vr.entryProblemsCut++
		return
	}
	vr.problem(format, args...)
}

// Verify checks the whole log offline: it reads the entries in seq order (holding only
// the frontier in memory), checks that seqs run from 0 without gaps and that each row
// agrees with its leaf, recomputes the Merkle tree, and compares it with the signed
// head checkpoint, every stored checkpoint and every earlier exported checkpoint
// (verified with v). The error is non-nil exactly when the report lists problems.
func Verify(ctx context.Context, q store.Querier, v note.Verifier, earlier [][]byte) (Report, error) {
	var vr verifier
	if err := vr.run(ctx, q, v, earlier); err != nil {
		// The log could not be read to the end: that, too, is a failed verification.
		vr.problem("%v", err)
		return vr.rep, fmt.Errorf("audit: verification stopped: %w", err)
	}
	if n := len(vr.rep.Problems); n > 0 {
		return vr.rep, fmt.Errorf("audit: the log failed verification with %d problem(s); first: %s", n, vr.rep.Problems[0])
	}
	return vr.rep, nil
}

func (vr *verifier) run(ctx context.Context, q store.Querier, v note.Verifier, earlier [][]byte) error {
	var targets []*target

	// The head: the checkpoint signed at the last append, and the frontier the next
	// append will extend.
	var headSize int64
	var headFrontier []byte
	var headCP string
	hasHead := true
	err := q.QueryRow(ctx, "SELECT size, frontier, checkpoint FROM audit_head WHERE id = 1").Scan(&headSize, &headFrontier, &headCP)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		hasHead = false
	case err != nil:
		return fmt.Errorf("cannot read the log head: %w", err)
	default:
		c, err := ParseCheckpoint([]byte(headCP), v)
		switch {
		case err != nil:
			vr.problem("the head checkpoint does not verify (forged, corrupted or signed with another key): %v", err)
		case c.Size != headSize:
			vr.problem("the head checkpoint is for %d entries but the head row says %d: the head was tampered with", c.Size, headSize)
		default:
			targets = append(targets, &target{kind: headCheckpoint, size: c.Size, root: c.Root})
			// The frontier is what the next append extends: it must be the tree the
			// head checkpoint vouches for, or the next checkpoint would sign a wrong tree.
			if f, err := NewFrontier(headSize, headFrontier); err != nil || !equalHash(f.Root(), c.Root) {
				vr.problem("the frontier in the log head does not match its checkpoint: the head was tampered with, and the next append would sign a wrong tree")
			}
		}
	}

	// Checkpoints kept every CheckpointEvery entries and at each export.
	if err := func() error {
		rows, err := q.Query(ctx, "SELECT size, checkpoint FROM audit_checkpoints ORDER BY size")
		if err != nil {
			return fmt.Errorf("cannot read the stored checkpoints: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var size int64
			var text string
			if err := rows.Scan(&size, &text); err != nil {
				return fmt.Errorf("cannot read the stored checkpoints: %w", err)
			}
			c, err := ParseCheckpoint([]byte(text), v)
			switch {
			case err != nil:
				vr.problem("the stored checkpoint at size %d does not verify (forged, corrupted or signed with another key): %v", size, err)
			case c.Size != size:
				vr.problem("the stored checkpoint filed under size %d is for size %d: the checkpoints table was tampered with", size, c.Size)
			default:
				targets = append(targets, &target{kind: storedCheckpoint, size: size, root: c.Root})
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("cannot read the stored checkpoints: %w", err)
		}
		return nil
	}(); err != nil {
		return err
	}

	// Checkpoints exported earlier: the only defence against a restored older copy of
	// the whole database, whose own head and checkpoints are self-consistent.
	for i, text := range earlier {
		c, err := ParseCheckpoint(text, v)
		if err != nil {
			vr.problem("exported checkpoint #%d does not verify: %v", i+1, err)
			continue
		}
		targets = append(targets, &target{kind: exportedCheckpoint, n: i + 1, size: c.Size, root: c.Root})
	}
	slices.SortStableFunc(targets, func(a, b *target) int { return cmp.Compare(a.size, b.size) })

	f, next, err := vr.stream(ctx, q, targets)
	if err != nil {
		return err
	}
	n := f.Size()
	vr.rep.Size, vr.rep.Root = n, f.Root()
	if vr.entryProblemsCut > 0 {
		vr.problem("… and %d more entry problems not shown", vr.entryProblemsCut)
	}

	// Checkpoints beyond the end: entries they covered are gone.
	for _, t := range targets {
		if t.size <= n {
			continue
		}
		// Which entries: the tail after the last stored seq, plus any gaps reported above.
		missing := span(n, t.size-1) + " missing"
		if next != n {
			missing = fmt.Sprintf("%d entries missing, see the gaps above", t.size-n)
			if next < t.size {
				missing += fmt.Sprintf(", including %s at the end", span(next, t.size-1))
			}
		}
		switch t.kind {
		case exportedCheckpoint:
			vr.problem("the log has %d entries but exported checkpoint #%d has %d: it was truncated or restored from an older copy (%s)", n, t.n, t.size, missing)
		case headCheckpoint:
			vr.problem("the log head was signed at %d entries but only %d are stored: they were deleted (%s)", t.size, n, missing)
		default:
			vr.problem("the log has %d entries but the stored checkpoint at size %d shows it had at least %d: they were deleted (%s)", n, t.size, t.size, missing)
		}
	}

	switch {
	case !hasHead && n > 0:
		vr.problem("the log has %d entries but no head row: the head was deleted", n)
	case hasHead && headSize < n:
		vr.problem("the log has %d entries but the head covers only %d: %d entries were added outside the log and are not covered by any signed checkpoint", n, headSize, n-headSize)
	}

	vr.narrow(targets)
	return nil
}

// stream reads the entries in seq order, checks each row, and compares the root with
// every target as the tree reaches its size. It returns the tree of the rows read and
// the seq after the last one.
func (vr *verifier) stream(ctx context.Context, q store.Querier, targets []*target) (*Frontier, int64, error) {
	f := &Frontier{}
	next := 0
	check := func() {
		for ; next < len(targets) && targets[next].size <= f.Size(); next++ {
			t := targets[next]
			if t.size == f.Size() {
				t.checked, t.match = true, equalHash(f.Root(), t.root)
				vr.rep.CheckpointsChecked++
			}
		}
	}
	check() // checkpoints of the empty tree

	rows, err := q.Query(ctx, "SELECT seq, tenant_id, at, leaf FROM audit_entries ORDER BY seq")
	if err != nil {
		return nil, 0, fmt.Errorf("cannot read the entries: %w", err)
	}
	defer rows.Close()
	var want int64
	for rows.Next() {
		var seq, at int64
		var tenant string
		var leaf []byte
		if err := rows.Scan(&seq, &tenant, &at, &leaf); err != nil {
			return nil, 0, fmt.Errorf("cannot read entry after seq %d: %w", want-1, err)
		}
		if seq != want {
			vr.entryProblem("%s missing: seqs must run without gaps (entries were deleted)", span(want, seq-1))
		}
		want = seq + 1
		r, err := decodeLeaf(leaf)
		switch {
		case err != nil:
			vr.entryProblem("entry %d: its leaf is not a valid audit record (%v): it was changed", seq, err)
		case r.Seq != seq:
			vr.entryProblem("entry %d holds the leaf of entry %d: entries were reordered or copied", seq, r.Seq)
		case r.TenantID != tenant:
			vr.entryProblem("entry %d: row tenant %q differs from the leaf's %q: the row was changed", seq, tenant, r.TenantID)
		case store.Millis(r.Time) != at:
			vr.entryProblem("entry %d: row time %d differs from the leaf's %d: the row was changed", seq, at, store.Millis(r.Time))
		}
		f.Append(LeafHash(leaf))
		check()
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("cannot read the entries after seq %d: %w", want-1, err)
	}
	return f, want, nil
}

// narrow reports the checkpoints whose root does not match. The first of each run
// names the smallest range of seqs the change is confined to: after the largest
// checkpoint below it that still matches. Later ones in the same run follow from the
// same change and are listed on one line.
func (vr *verifier) narrow(targets []*target) {
	var lastGood int64
	var first *target
	var later []string
	flush := func() {
		if len(later) == 0 {
			return
		}
		list := strings.Join(later[:min(len(later), maxCheckpointProblems)], ", ")
		if len(later) > maxCheckpointProblems {
			list += fmt.Sprintf(" and %d more", len(later)-maxCheckpointProblems)
		}
		vr.problem("%d later checkpoints do not match either, as they cover the same entries: %s", len(later), list)
		later = nil
	}
	for i := 0; i < len(targets); {
		// Checkpoints of equal size are judged together: good only if all match.
		j, good := i, true
		for ; j < len(targets) && targets[j].size == targets[i].size; j++ {
			if targets[j].checked && !targets[j].match {
				good = false
			}
		}
		if good {
			if targets[i].checked {
				flush()
				first, lastGood = nil, targets[i].size
			}
			i = j
			continue
		}
		for _, t := range targets[i:j] {
			switch {
			case !t.checked || t.match:
			case first != nil:
				later = append(later, t.String())
			default:
				first = t
				where := fmt.Sprintf("entries before seq %d", t.size) // no earlier checkpoint matches
				if lastGood > 0 {
					where = fmt.Sprintf("%s (the first %d still match a signed checkpoint)", span(lastGood, t.size-1), lastGood)
				}
				vr.problem("%s does not match the stored entries: something in %s was changed, deleted, inserted or reordered since it was signed", t, where)
			}
		}
		i = j
	}
	flush()
}

// span names the seqs from a to b for messages.
func span(a, b int64) string {
	if a == b {
		return fmt.Sprintf("entry %d", a)
	}
	return fmt.Sprintf("entries %d..%d", a, b)
}
