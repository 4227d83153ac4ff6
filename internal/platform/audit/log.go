// Package audit is the append-only audit log (SECURITY.md P25–P28).
//
// Every entry is a leaf of an RFC 6962 Merkle tree: the leaf at index seq is the
// canonical JSON of the entry, stored in audit_entries. After each append the log signs
// a C2SP checkpoint ("origin, size, root") with the deployment's note key and keeps it
// in audit_head; every CheckpointEvery entries the checkpoint is also kept in
// audit_checkpoints, and SaveCheckpoint produces one for export to witnesses.
//
// Verify recomputes the tree from the stored leaves and compares it with every signed
// checkpoint it is given, so changing, deleting, reordering or truncating entries, or
// restoring an older copy of the database, is detected as long as one checkpoint
// signed before the change is still held somewhere (the head, the stored
// checkpoints, or an exported copy held by a witness).
package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"inoculate/internal/platform/store"
)

// CheckpointEvery is how many entries separate the checkpoints kept in
// audit_checkpoints. They let Verify narrow a mismatch down to a range of entries.
const CheckpointEvery = 1000

// List limits.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

// Log appends to and reads the audit log in one database.
type Log struct {
	db     *store.DB
	signer note.Signer
	every  int64            // CheckpointEvery; smaller in tests
	now    func() time.Time // time.Now; fixed in tests
}

// New returns the log of db, signing checkpoints with signer. The checkpoints' origin
// line is signer.Name().
func New(db *store.DB, signer note.Signer) *Log {
	return &Log{db: db, signer: signer, every: CheckpointEvery, now: time.Now}
}

// Origin is the origin line of this log's checkpoints.
func (l *Log) Origin() string { return l.signer.Name() }

// Filter selects entries for List.
type Filter struct {
	Before int64  // only entries with seq < Before; 0 = from the newest
	Limit  int    // at most this many; 0 = DefaultListLimit, capped at MaxListLimit
	Action string // only actions starting with this prefix, "" = all
}

// head is the row of audit_head: the tree's size, frontier and signed checkpoint.
type head struct {
	frontier   *Frontier
	checkpoint string
}

// lockHead reads audit_head inside tx, locking the row on PostgreSQL so concurrent
// appends take turns and seqs stay gap-free (SQLite write transactions are already
// exclusive). It creates the head of the empty tree on first use.
func (l *Log) lockHead(ctx context.Context, tx *store.Tx) (head, error) {
	for attempt := 0; ; attempt++ {
		var size int64
		var fr []byte
		var cp string
		err := tx.QueryRow(ctx, "SELECT size, frontier, checkpoint FROM audit_head WHERE id = 1"+tx.ForUpdate()).Scan(&size, &fr, &cp)
		if errors.Is(err, sql.ErrNoRows) && attempt == 0 {
			empty, err := signCheckpoint(l.signer, 0, EmptyRoot())
			if err != nil {
				return head{}, err
			}
			// DO NOTHING: a concurrent first append may have created it; it is then
			// re-read (and locked) above.
			if _, err := tx.Exec(ctx, "INSERT INTO audit_head (id, size, frontier, checkpoint) VALUES (1, 0, ?, ?) ON CONFLICT (id) DO NOTHING",
				[]byte{}, string(empty)); err != nil {
				return head{}, fmt.Errorf("audit: create log head: %w", err)
			}
			continue
		}
		if err != nil {
			return head{}, fmt.Errorf("audit: read log head: %w", err)
		}
		f, err := NewFrontier(size, fr)
		if err != nil {
			return head{}, fmt.Errorf("audit: log head is corrupt (run the audit verifier): %w", err)
		}
		return head{frontier: f, checkpoint: cp}, nil
	}
}

// Append records e as the next entry, inside the caller's transaction, so the audit
// record commits or rolls back with the change it records. A zero e.Time is set to
// now. It returns the entry's seq (leaf index). Fields must be valid UTF-8.
func (l *Log) Append(ctx context.Context, tx *store.Tx, e Entry) (seq int64, err error) {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.Time = e.Time.UTC()
	h, err := l.lockHead(ctx, tx)
	if err != nil {
		return 0, err
	}
	seq = h.frontier.Size()
	leaf, err := encodeLeaf(seq, e)
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO audit_entries (seq, tenant_id, at, leaf) VALUES (?, ?, ?, ?)",
		seq, e.TenantID, store.Millis(e.Time), leaf); err != nil {
		if store.IsUniqueViolation(err) {
			return 0, fmt.Errorf("audit: entry %d already exists but the log head says the log has %d entries: the head was reset or lost (run the audit verifier): %w", seq, seq, err)
		}
		return 0, fmt.Errorf("audit: insert entry %d: %w", seq, err)
	}
	h.frontier.Append(LeafHash(leaf))
	size := h.frontier.Size()
	cp, err := signCheckpoint(l.signer, size, h.frontier.Root())
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, "UPDATE audit_head SET size = ?, frontier = ?, checkpoint = ? WHERE id = 1",
		size, h.frontier.Bytes(), string(cp)); err != nil {
		return 0, fmt.Errorf("audit: update log head to size %d: %w", size, err)
	}
	if size%l.every == 0 {
		if err := insertCheckpoint(ctx, tx, size, cp, l.now()); err != nil {
			return 0, err
		}
	}
	return seq, nil
}

func insertCheckpoint(ctx context.Context, tx *store.Tx, size int64, cp []byte, at time.Time) error {
	if _, err := tx.Exec(ctx, "INSERT INTO audit_checkpoints (size, checkpoint, created_at) VALUES (?, ?, ?) ON CONFLICT (size) DO NOTHING",
		size, string(cp), store.Millis(at)); err != nil {
		return fmt.Errorf("audit: store checkpoint at size %d: %w", size, err)
	}
	return nil
}

// Record appends e in its own transaction, for events that change nothing else
// (logins, denials, reads).
func (l *Log) Record(ctx context.Context, e Entry) error {
	return l.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := l.Append(ctx, tx, e)
		return err
	})
}

// List returns tenantID's entries, newest first, as stored in the tree.
func (l *Log) List(ctx context.Context, q store.Querier, tenantID string, f Filter) ([]Record, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	before := f.Before
	if before <= 0 {
		before = 1 << 62
	}
	// The action lives only inside the leaf, so the filter runs here, in pages.
	page := limit
	if f.Action != "" {
		page = max(limit, 200)
	}
	out := make([]Record, 0, min(limit, 64))
	for len(out) < limit {
		n, err := l.listPage(ctx, q, tenantID, f.Action, before, page, limit, &out)
		if err != nil {
			return nil, err
		}
		if n.rows < page {
			break
		}
		before = n.lastSeq
	}
	return out, nil
}

type pageEnd struct {
	rows    int
	lastSeq int64
}

func (l *Log) listPage(ctx context.Context, q store.Querier, tenantID, action string, before int64, page, limit int, out *[]Record) (pageEnd, error) {
	rows, err := q.Query(ctx, "SELECT seq, leaf FROM audit_entries WHERE tenant_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
		tenantID, before, page)
	if err != nil {
		return pageEnd{}, fmt.Errorf("audit: list entries of tenant %q: %w", tenantID, err)
	}
	defer rows.Close()
	var end pageEnd
	for rows.Next() {
		var seq int64
		var leaf []byte
		if err := rows.Scan(&seq, &leaf); err != nil {
			return pageEnd{}, fmt.Errorf("audit: list entries: %w", err)
		}
		end.rows++
		end.lastSeq = seq
		r, err := decodeLeaf(leaf)
		if err != nil {
			return pageEnd{}, fmt.Errorf("audit: entry %d: %v (run the audit verifier)", seq, err)
		}
		// The row's tenant column selected it, but the leaf is what the tree vouches
		// for: never show a tenant a record whose leaf names another tenant.
		if r.Seq != seq || r.TenantID != tenantID {
			return pageEnd{}, fmt.Errorf("audit: entry %d does not match its leaf (seq %d, tenant %q): the log was tampered with (run the audit verifier)", seq, r.Seq, r.TenantID)
		}
		if len(*out) < limit && strings.HasPrefix(r.Action, action) {
			*out = append(*out, r)
		}
	}
	if err := rows.Err(); err != nil {
		return pageEnd{}, fmt.Errorf("audit: list entries: %w", err)
	}
	return end, nil
}

// Count returns the number of tenantID's entries.
func (l *Log) Count(ctx context.Context, q store.Querier, tenantID string) (int64, error) {
	var n int64
	if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM audit_entries WHERE tenant_id = ?", tenantID).Scan(&n); err != nil {
		return 0, fmt.Errorf("audit: count entries of tenant %q: %w", tenantID, err)
	}
	return n, nil
}

// Latest returns the latest signed checkpoint (note text); for a log without entries,
// the checkpoint of the empty tree.
func (l *Log) Latest(ctx context.Context, q store.Querier) ([]byte, error) {
	var cp string
	err := q.QueryRow(ctx, "SELECT checkpoint FROM audit_head WHERE id = 1").Scan(&cp)
	if errors.Is(err, sql.ErrNoRows) {
		return signCheckpoint(l.signer, 0, EmptyRoot())
	}
	if err != nil {
		return nil, fmt.Errorf("audit: read latest checkpoint: %w", err)
	}
	return []byte(cp), nil
}

// SaveCheckpoint keeps the current head checkpoint in audit_checkpoints (once per
// size) and returns it, for export to witnesses: Verify later compares the log with
// every exported checkpoint, which is what detects a restored older database.
func (l *Log) SaveCheckpoint(ctx context.Context) ([]byte, error) {
	var cp []byte
	err := l.db.InTx(ctx, func(tx *store.Tx) error {
		h, err := l.lockHead(ctx, tx)
		if err != nil {
			return err
		}
		cp = []byte(h.checkpoint)
		return insertCheckpoint(ctx, tx, h.frontier.Size(), cp, l.now())
	})
	if err != nil {
		return nil, err
	}
	return cp, nil
}
