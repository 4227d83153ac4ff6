package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

func newTestLog(t testing.TB, db *store.DB, every int64) (*Log, note.Verifier) {
	t.Helper()
	s, v := testKey(t, "inoculate-audit")
	l := New(db, s)
	l.every = every
	return l, v
}

func entry(i int) Entry {
	return Entry{
		Time:     time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(i) * 1500 * time.Microsecond),
		TenantID: []string{"", "tenant-a", "tenant-b"}[i%3],
		ActorID:  fmt.Sprintf("user-%d", i), Role: "caseworker",
		Action: []string{"returnee.create", "returnee.reveal", "auth.login"}[i%3],
		Object: fmt.Sprintf("obj-%04d", i), Result: "ok", RequestID: fmt.Sprintf("req-%d", i),
	}
}

func appendN(t testing.TB, l *Log, from, to int) {
	t.Helper()
	ctx := context.Background()
	if err := l.db.InTx(ctx, func(tx *store.Tx) error {
		for i := from; i < to; i++ {
			seq, err := l.Append(ctx, tx, entry(i))
			if err != nil {
				return err
			}
			if seq != int64(i) {
				return fmt.Errorf("append %d got seq %d", i, seq)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func mustExec(t testing.TB, db *store.DB, query string, args ...any) {
	t.Helper()
	if err := db.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(context.Background(), query, args...)
		return err
	}); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// dropTriggers lifts the append-only guard, as an attacker with database access could.
func dropTriggers(t testing.TB, db *store.DB) {
	t.Helper()
	if db.Dialect() == store.Postgres {
		mustExec(t, db, "DROP TRIGGER audit_entries_no_change ON audit_entries")
		return
	}
	mustExec(t, db, "DROP TRIGGER audit_entries_no_update")
	mustExec(t, db, "DROP TRIGGER audit_entries_no_delete")
}

type headRow struct {
	size       int64
	frontier   []byte
	checkpoint string
}

func readHead(t testing.TB, q store.Querier) headRow {
	t.Helper()
	var h headRow
	if err := q.QueryRow(context.Background(), "SELECT size, frontier, checkpoint FROM audit_head WHERE id = 1").Scan(&h.size, &h.frontier, &h.checkpoint); err != nil {
		t.Fatal(err)
	}
	return h
}

func setHead(ctx context.Context, q store.Querier, h headRow) error {
	_, err := q.Exec(ctx, "UPDATE audit_head SET size = ?, frontier = ?, checkpoint = ? WHERE id = 1", h.size, h.frontier, h.checkpoint)
	return err
}

func readLeaf(t testing.TB, q store.Querier, seq int64) []byte {
	t.Helper()
	var b []byte
	if err := q.QueryRow(context.Background(), "SELECT leaf FROM audit_entries WHERE seq = ?", seq).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

func mustVerify(t testing.TB, q store.Querier, v note.Verifier, earlier ...[]byte) Report {
	t.Helper()
	rep, err := Verify(context.Background(), q, v, earlier)
	if err != nil {
		t.Fatalf("valid log does not verify: %v\n%s", err, strings.Join(rep.Problems, "\n"))
	}
	return rep
}

// mustFail checks that Verify fails and that some problem contains each of want.
func mustFail(t testing.TB, q store.Querier, v note.Verifier, earlier [][]byte, want ...string) Report {
	t.Helper()
	rep, err := Verify(context.Background(), q, v, earlier)
	if err == nil || len(rep.Problems) == 0 {
		t.Fatalf("tampered log verifies: err=%v problems=%q", err, rep.Problems)
	}
	all := strings.Join(rep.Problems, "\n")
	t.Logf("problems found:\n%s", all)
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("no problem mentions %q:\n%s", w, all)
		}
	}
	return rep
}

func TestAppendAndVerify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, v := newTestLog(t, db, 10)

		// An empty log verifies, and its checkpoint is the empty tree's.
		rep := mustVerify(t, db.Reader(), v)
		if rep.Size != 0 || !bytes.Equal(rep.Root, EmptyRoot()) {
			t.Fatalf("empty log report %+v", rep)
		}
		cp, err := l.Latest(ctx, db.Reader())
		if err != nil {
			t.Fatal(err)
		}
		if c, err := ParseCheckpoint(cp, v); err != nil || c.Size != 0 {
			t.Fatalf("empty checkpoint %+v %v", c, err)
		}

		appendN(t, l, 0, 50)
		for i := 50; i < 57; i++ {
			if err := l.Record(ctx, entry(i)); err != nil {
				t.Fatal(err)
			}
		}
		// A zero time is set to now.
		if err := l.Record(ctx, Entry{ActorID: "system", Action: "auth.login", Result: "ok"}); err != nil {
			t.Fatal(err)
		}
		var leaves [][]byte
		for i := range int64(58) {
			leaves = append(leaves, LeafHash(readLeaf(t, db.Reader(), i)))
		}
		r, err := decodeLeaf(readLeaf(t, db.Reader(), 57))
		if err != nil || time.Since(r.Time) > time.Minute || r.Time.Location() != time.UTC {
			t.Fatalf("zero time not set to now: %v %v", r.Time, err)
		}

		rep = mustVerify(t, db.Reader(), v)
		if rep.Size != 58 || !bytes.Equal(rep.Root, RootOf(leaves)) {
			t.Fatalf("report %+v", rep)
		}
		if rep.CheckpointsChecked != 1+5 { // head + stored at 10..50
			t.Fatalf("checked %d checkpoints, want 6", rep.CheckpointsChecked)
		}
		latest, err := l.Latest(ctx, db.Reader())
		if err != nil {
			t.Fatal(err)
		}
		c, err := ParseCheckpoint(latest, v)
		if err != nil || c.Size != 58 || !bytes.Equal(c.Root, rep.Root) || c.Origin != l.Origin() {
			t.Fatalf("latest %+v %v", c, err)
		}

		// Export is idempotent per size, and the export verifies as an earlier checkpoint.
		exp1, err := l.SaveCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		exp2, err := l.SaveCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Reader().QueryRow(ctx, "SELECT COUNT(*) FROM audit_checkpoints WHERE size = 58").Scan(&n); err != nil || n != 1 {
			t.Fatalf("checkpoints at 58: %d %v", n, err)
		}
		if !bytes.Equal(exp1, exp2) || !bytes.Equal(exp1, latest) {
			t.Fatal("SaveCheckpoint is not stable")
		}
		appendN(t, l, 58, 63)
		rep = mustVerify(t, db.Reader(), v, exp1, cp)
		if rep.CheckpointsChecked != 1+7+2 { // head, stored at 10..60 and 58, two exported
			t.Fatalf("checked %d checkpoints, want 10", rep.CheckpointsChecked)
		}

		// Inclusion and consistency proofs from the stored leaves match the checkpoints.
		leaves = leaves[:0]
		for i := range int64(63) {
			leaves = append(leaves, LeafHash(readLeaf(t, db.Reader(), i)))
		}
		proof, err := InclusionProof(17, leaves)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyInclusion(17, 63, leaves[17], proof, rep.Root); err != nil {
			t.Fatal(err)
		}
		cproof, err := ConsistencyProof(58, leaves)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyConsistency(58, 63, c.Root, rep.Root, cproof); err != nil {
			t.Fatal(err)
		}

		// The wrong key fails cleanly.
		_, other := testKey(t, "inoculate-audit")
		mustFail(t, db.Reader(), other, nil, "the head checkpoint does not verify")
	})
}

func TestAppendRollsBackWithTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, v := newTestLog(t, db, 10)
		appendN(t, l, 0, 3)
		boom := errors.New("boom")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := l.Append(ctx, tx, entry(3)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		appendN(t, l, 3, 5) // seq 3 is reused: no gap
		mustVerify(t, db.Reader(), v)
		// Invalid entries are refused and leave the log unchanged.
		if err := l.Record(ctx, Entry{Object: "\xff"}); !errors.Is(err, ErrInvalidEntry) {
			t.Fatalf("invalid entry: %v", err)
		}
		if rep := mustVerify(t, db.Reader(), v); rep.Size != 5 {
			t.Fatalf("size %d", rep.Size)
		}
	})
}

func TestTamperLeafByte(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l, v := newTestLog(t, db, 10)
		appendN(t, l, 0, 57)
		dropTriggers(t, db)
		// A change that keeps the leaf a valid, canonical record: only the tree sees it.
		leaf := readLeaf(t, db.Reader(), 23)
		changed := bytes.Replace(leaf, []byte("obj-0023"), []byte("obj-0024"), 1)
		mustExec(t, db, "UPDATE audit_entries SET leaf = ? WHERE seq = 23", changed)
		rep := mustFail(t, db.Reader(), v, nil,
			"the stored checkpoint at size 30 does not match the stored entries: something in entries 20..29 (the first 20 still match",
			"3 later checkpoints do not match either, as they cover the same entries: the stored checkpoint at size 40, the stored checkpoint at size 50, the head checkpoint (size 57)")
		if strings.Contains(strings.Join(rep.Problems, "\n"), "the stored checkpoint at size 20 does not match") {
			t.Errorf("checkpoint before the change reported: %q", rep.Problems)
		}

		// A byte flip that breaks the record is named precisely too.
		changed = bytes.Clone(leaf)
		changed[2] ^= 0x20
		mustExec(t, db, "UPDATE audit_entries SET leaf = ? WHERE seq = 23", changed)
		mustFail(t, db.Reader(), v, nil, "entry 23: its leaf is not a valid audit record", "something in entries 20..29")

		// Changing the row's columns instead of the leaf.
		mustExec(t, db, "UPDATE audit_entries SET leaf = ? WHERE seq = 23", leaf)
		mustVerify(t, db.Reader(), v)
		mustExec(t, db, "UPDATE audit_entries SET tenant_id = 'tenant-x' WHERE seq = 23")
		mustFail(t, db.Reader(), v, nil, `entry 23: row tenant "tenant-x" differs`)
	})
}

func TestTamperDeleteAndTruncate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, v := newTestLog(t, db, 10)
		appendN(t, l, 0, 45)
		at45 := readHead(t, db.Reader())
		appendN(t, l, 45, 56)
		at56 := readHead(t, db.Reader())
		appendN(t, l, 56, 57)
		exported, err := l.SaveCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		dropTriggers(t, db)

		// Delete the last entry: the head still says 57.
		mustExec(t, db, "DELETE FROM audit_entries WHERE seq = 56")
		mustFail(t, db.Reader(), v, nil, "the log head was signed at 57 entries but only 56 are stored: they were deleted (entry 56 missing)")

		// ...and rewrite the head to its older state: only the exported checkpoint (or a
		// stored one) can tell. It also names the row deleted.
		mustExec(t, db, "UPDATE audit_head SET size = ?, frontier = ?, checkpoint = ? WHERE id = 1", at56.size, at56.frontier, at56.checkpoint)
		mustExec(t, db, "DELETE FROM audit_checkpoints WHERE size > 56")
		mustVerify(t, db.Reader(), v) // self-consistent: why checkpoints must be exported
		mustFail(t, db.Reader(), v, [][]byte{exported},
			"the log has 56 entries but exported checkpoint #1 has 57: it was truncated or restored from an older copy")

		// Truncating past a stored checkpoint is caught without any export.
		mustExec(t, db, "DELETE FROM audit_entries WHERE seq >= 45")
		mustExec(t, db, "UPDATE audit_head SET size = ?, frontier = ?, checkpoint = ? WHERE id = 1", at45.size, at45.frontier, at45.checkpoint)
		mustFail(t, db.Reader(), v, nil, "the log has 45 entries but the stored checkpoint at size 50 shows it had at least 50: they were deleted (entries 45..49 missing)")

		// A gap in the middle.
		mustExec(t, db, "DELETE FROM audit_checkpoints WHERE size > 45")
		mustVerify(t, db.Reader(), v)
		mustExec(t, db, "DELETE FROM audit_entries WHERE seq IN (12, 13)")
		mustFail(t, db.Reader(), v, nil, "entries 12..13 missing: seqs must run without gaps", "something in entries 10..19")
	})
}

// TestRestoredOlderCopy simulates a database restored from a backup taken at 20
// entries, after 30 had been recorded and a checkpoint exported to a witness.
func TestRestoredOlderCopy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, v := newTestLog(t, db, 1000)
		appendN(t, l, 0, 20)
		backup := readHead(t, db.Reader())
		appendN(t, l, 20, 30)
		exported, err := l.SaveCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		dropTriggers(t, db)
		mustExec(t, db, "DELETE FROM audit_entries WHERE seq >= 20")
		mustExec(t, db, "DELETE FROM audit_checkpoints")
		mustExec(t, db, "UPDATE audit_head SET size = ?, frontier = ?, checkpoint = ? WHERE id = 1", backup.size, backup.frontier, backup.checkpoint)
		mustVerify(t, db.Reader(), v)
		mustFail(t, db.Reader(), v, [][]byte{exported}, "the log has 20 entries but exported checkpoint #1 has 30")

		// After the restore the application appends again: the log grows past the
		// exported size, but its first 30 entries are not the ones the witness saw.
		for i := 100; i < 115; i++ {
			if err := l.Record(ctx, entry(i)); err != nil {
				t.Fatal(err)
			}
		}
		mustFail(t, db.Reader(), v, [][]byte{exported},
			"exported checkpoint #1 (size 30) does not match the stored entries: something in entries before seq 30 was changed")
	})
}

func TestTamperReorder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l, v := newTestLog(t, db, 10)
		appendN(t, l, 0, 30)
		dropTriggers(t, db)
		a, b := readLeaf(t, db.Reader(), 5), readLeaf(t, db.Reader(), 6)
		mustExec(t, db, "UPDATE audit_entries SET leaf = ? WHERE seq = 5", b)
		mustExec(t, db, "UPDATE audit_entries SET leaf = ? WHERE seq = 6", a)
		mustFail(t, db.Reader(), v, nil, "entry 5 holds the leaf of entry 6: entries were reordered",
			"the stored checkpoint at size 10 does not match the stored entries: something in entries before seq 10")
	})
}

func TestConcurrentAppends(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, v := newTestLog(t, db, 50)
		const workers, each = 8, 50
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					errs <- db.InTx(ctx, func(tx *store.Tx) error {
						_, err := l.Append(ctx, tx, entry(w*each+i))
						return err
					})
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		rep := mustVerify(t, db.Reader(), v) // checks seqs 0..399 without gaps
		if rep.Size != workers*each {
			t.Fatalf("size %d", rep.Size)
		}
		seen := map[string]bool{}
		for i := range int64(workers * each) {
			r, err := decodeLeaf(readLeaf(t, db.Reader(), i))
			if err != nil {
				t.Fatal(err)
			}
			seen[r.Object] = true
		}
		if len(seen) != workers*each {
			t.Fatalf("%d distinct entries, want %d", len(seen), workers*each)
		}
	})
}

func TestListAndCount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, _ := newTestLog(t, db, 1000)
		appendN(t, l, 0, 60) // tenants "", a, b in turn
		q := db.Reader()

		got, err := l.List(ctx, q, "tenant-a", Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 20 {
			t.Fatalf("%d records for tenant-a, want 20", len(got))
		}
		for i, r := range got {
			if r.TenantID != "tenant-a" || r.Entry != entry(int(r.Seq)) {
				t.Fatalf("record %d: %+v", i, r)
			}
			if i > 0 && r.Seq >= got[i-1].Seq {
				t.Fatal("not newest first")
			}
		}
		if n, err := l.Count(ctx, q, "tenant-a"); err != nil || n != 20 {
			t.Fatalf("count %d %v", n, err)
		}
		if n, err := l.Count(ctx, q, "nobody"); err != nil || n != 0 {
			t.Fatalf("count %d %v", n, err)
		}

		// Paging with Before and Limit.
		page, err := l.List(ctx, q, "tenant-b", Filter{Limit: 3})
		if err != nil || len(page) != 3 || page[0].Seq != 59 {
			t.Fatalf("page %+v %v", page, err)
		}
		next, err := l.List(ctx, q, "tenant-b", Filter{Limit: 3, Before: page[2].Seq})
		if err != nil || len(next) != 3 || next[0].Seq != page[2].Seq-3 {
			t.Fatalf("next page %+v %v", next, err)
		}

		// Action prefix: tenant-a's entries are all "returnee.reveal" (i%3 == 1).
		if r, err := l.List(ctx, q, "tenant-a", Filter{Action: "returnee."}); err != nil || len(r) != 20 {
			t.Fatalf("prefix returnee.: %d %v", len(r), err)
		}
		if r, err := l.List(ctx, q, "tenant-a", Filter{Action: "auth."}); err != nil || len(r) != 0 {
			t.Fatalf("prefix auth.: %d %v", len(r), err)
		}
		if r, err := l.List(ctx, q, "", Filter{Action: "returnee.create", Limit: 5}); err != nil || len(r) != 5 || r[0].Seq != 57 {
			t.Fatalf("deployment-wide: %+v %v", r, err)
		}
		if r, err := l.List(ctx, q, "nobody", Filter{}); err != nil || len(r) != 0 {
			t.Fatalf("unknown tenant: %+v %v", r, err)
		}

		// A leaf moved under another tenant's row is refused, not shown.
		dropTriggers(t, db)
		mustExec(t, db, "UPDATE audit_entries SET tenant_id = 'tenant-a' WHERE seq = 2")
		if _, err := l.List(ctx, q, "tenant-a", Filter{}); err == nil {
			t.Fatal("another tenant's leaf listed")
		}
	})
}

// TestHostileFieldsStored checks P28 end to end: what is read back from either store
// equals what was recorded, byte for byte.
func TestHostileFieldsStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, v := newTestLog(t, db, 1000)
		var want []Entry
		for i, s := range hostile {
			e := Entry{Time: time.Unix(1700000000, int64(i)*1234567).UTC(), TenantID: "t", ActorID: s, Role: s,
				Action: "x." + s, Object: s, Result: s, RequestID: s}
			if err := l.Record(ctx, e); err != nil {
				t.Fatal(err)
			}
			want = append(want, e)
		}
		got, err := l.List(ctx, db.Reader(), "t", Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d records", len(got))
		}
		for _, r := range got {
			e := want[r.Seq]
			if !r.Time.Equal(e.Time) {
				t.Fatalf("time %v != %v", r.Time, e.Time)
			}
			r.Time = e.Time
			if r.Entry != e {
				t.Fatalf("got %+q\nwant %+q", r.Entry, e)
			}
		}
		mustVerify(t, db.Reader(), v)
	})
}

var errRollback = errors.New("rollback")

// TestMutationsDetected is the P27 property on SQLite: random tampering of every kind
// is detected, and the untouched log keeps verifying. Each mutation is applied in a
// transaction, verified inside it, and rolled back.
func TestMutationsDetected(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	l, v := newTestLog(t, db, 16)
	r := rand.New(rand.NewPCG(27, 6962))

	// Valid logs always verify: grow in random steps, exporting now and then.
	var heads []headRow // heads[i] = head after i+1 entries
	var exported [][]byte
	for n := 0; n < 150; {
		step := 1 + r.IntN(12)
		for range step {
			appendN(t, l, n, n+1)
			heads = append(heads, readHead(t, db.Reader()))
			n++
		}
		if r.IntN(3) == 0 {
			cp, err := l.SaveCheckpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			exported = append(exported, cp)
		}
		mustVerify(t, db.Reader(), v, exported...)
	}
	final, err := l.SaveCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	exported = append(exported, final)
	n := int64(len(heads))
	dropTriggers(t, db)

	kinds := map[string]int{}
	for i := range 300 {
		var kind string
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			kind, err = mutate(ctx, tx, r, n, heads)
			if err != nil {
				return err
			}
			rep, verr := Verify(ctx, tx, v, exported)
			if verr == nil || len(rep.Problems) == 0 {
				return fmt.Errorf("mutation %d (%s) not detected", i, kind)
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatal(err)
		}
		kinds[kind]++
		if i%50 == 0 {
			mustVerify(t, db.Reader(), v, exported...)
		}
	}
	mustVerify(t, db.Reader(), v, exported...)
	t.Logf("mutations by kind: %v", kinds)
}

// mutate applies one random tampering to a log of n entries whose successive heads
// are given.
func mutate(ctx context.Context, tx *store.Tx, r *rand.Rand, n int64, heads []headRow) (string, error) {
	exec := func(q string, args ...any) error {
		_, err := tx.Exec(ctx, q, args...)
		return err
	}
	leaf := func(seq int64) ([]byte, error) {
		var b []byte
		err := tx.QueryRow(ctx, "SELECT leaf FROM audit_entries WHERE seq = ?", seq).Scan(&b)
		return b, err
	}
	switch k := r.IntN(9); k {
	case 0, 1, 2: // flip any byte of any leaf
		seq := r.Int64N(n)
		b, err := leaf(seq)
		if err != nil {
			return "", err
		}
		b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
		return "flip leaf byte", exec("UPDATE audit_entries SET leaf = ? WHERE seq = ?", b, seq)
	case 3: // truncate a suffix, rolling the head (and stored checkpoints) back with it
		k := r.Int64N(n)
		if err := exec("DELETE FROM audit_entries WHERE seq >= ?", k); err != nil {
			return "", err
		}
		if r.IntN(2) == 0 {
			return "truncate", nil
		}
		if err := exec("DELETE FROM audit_checkpoints WHERE size > ?", k); err != nil {
			return "", err
		}
		if k == 0 {
			return "truncate and reset head", exec("DELETE FROM audit_head")
		}
		return "truncate and roll head back", setHead(ctx, tx, heads[k-1])
	case 4: // swap two leaves
		i := r.Int64N(n)
		j := (i + 1 + r.Int64N(n-1)) % n
		a, err := leaf(i)
		if err != nil {
			return "", err
		}
		b, err := leaf(j)
		if err != nil {
			return "", err
		}
		if err := exec("UPDATE audit_entries SET leaf = ? WHERE seq = ?", b, i); err != nil {
			return "", err
		}
		return "swap leaves", exec("UPDATE audit_entries SET leaf = ? WHERE seq = ?", a, j)
	case 5: // delete one entry in the middle
		return "delete entry", exec("DELETE FROM audit_entries WHERE seq = ?", r.Int64N(n))
	case 6: // change a row's columns
		seq := r.Int64N(n)
		if r.IntN(2) == 0 {
			return "change at", exec("UPDATE audit_entries SET at = at + ? WHERE seq = ?", 1+r.IntN(1000), seq)
		}
		return "change tenant", exec("UPDATE audit_entries SET tenant_id = tenant_id || 'x' WHERE seq = ?", seq)
	case 7: // tamper with the head: frontier byte, or an older or forged checkpoint
		h := heads[n-1]
		switch r.IntN(3) {
		case 0:
			fr := bytes.Clone(h.frontier)
			fr[r.IntN(len(fr))] ^= byte(1 + r.IntN(255))
			return "flip frontier", exec("UPDATE audit_head SET frontier = ? WHERE id = 1", fr)
		case 1:
			return "old head checkpoint", exec("UPDATE audit_head SET checkpoint = ? WHERE id = 1", heads[r.Int64N(n-1)].checkpoint)
		default:
			cp := []byte(h.checkpoint)
			cp[r.IntN(bytes.Index(cp, []byte("\n\n"))+1)] ^= byte(1 + r.IntN(255)) // within the signed text
			return "flip head checkpoint body", exec("UPDATE audit_head SET checkpoint = ? WHERE id = 1", string(cp))
		}
	default: // insert an entry outside the log, or append past the head
		b, err := leaf(r.Int64N(n))
		if err != nil {
			return "", err
		}
		return "insert entry", exec("INSERT INTO audit_entries (seq, tenant_id, at, leaf) VALUES (?, '', 0, ?)", n+r.Int64N(3), b)
	}
}

func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	db := storetest.SQLite(b)
	l, _ := newTestLog(b, db, CheckpointEvery)
	i := 0
	for b.Loop() {
		if err := l.Record(ctx, entry(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkAppendInBatch(b *testing.B) {
	ctx := context.Background()
	db := storetest.SQLite(b)
	l, _ := newTestLog(b, db, CheckpointEvery)
	i := 0
	for b.Loop() {
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			for range 100 {
				if _, err := l.Append(ctx, tx, entry(i)); err != nil {
					return err
				}
				i++
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/entry")
}

func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	db := storetest.SQLite(b)
	l, v := newTestLog(b, db, CheckpointEvery)
	for k := 0; k < 10000; k += 1000 {
		appendN(b, l, k, k+1000)
	}
	exp, err := l.SaveCheckpoint(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rep, err := Verify(ctx, db.Reader(), v, [][]byte{exp})
		if err != nil || rep.Size != 10000 {
			b.Fatal(err, rep.Size)
		}
	}
}
