package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Record is a stored entry with its position (leaf index) in the log.
type Record struct {
	Seq int64
	Entry
}

// leafJSON is the canonical form hashed into the tree. The field order is fixed by the
// struct, and encoding/json escapes every control character, so a newline or a bidi
// override in a field can never forge or hide another record (P28).
type leafJSON struct {
	Seq       int64  `json:"seq"`
	Time      string `json:"time"`
	TenantID  string `json:"tenant"`
	ActorID   string `json:"actor"`
	Role      string `json:"role"`
	Action    string `json:"action"`
	Object    string `json:"object"`
	Result    string `json:"result"`
	RequestID string `json:"request_id"`
}

// ErrInvalidEntry reports an entry that cannot be recorded exactly.
var ErrInvalidEntry = errors.New("audit: invalid entry")

// encodeLeaf returns the canonical leaf of e at seq. e.Time must be set.
func encodeLeaf(seq int64, e Entry) ([]byte, error) {
	for _, f := range []struct{ name, v string }{
		{"tenant", e.TenantID}, {"actor", e.ActorID}, {"role", e.Role}, {"action", e.Action},
		{"object", e.Object}, {"result", e.Result}, {"request_id", e.RequestID},
	} {
		// encoding/json would silently replace invalid bytes with U+FFFD: refuse instead,
		// so that what is stored is always exactly what was recorded.
		if !utf8.ValidString(f.v) {
			return nil, fmt.Errorf("%w: field %s is not valid UTF-8", ErrInvalidEntry, f.name)
		}
	}
	ts := e.Time.UTC().Format(time.RFC3339Nano)
	if back, err := time.Parse(time.RFC3339Nano, ts); err != nil || !back.Equal(e.Time) {
		return nil, fmt.Errorf("%w: time %v cannot be written as RFC 3339", ErrInvalidEntry, e.Time)
	}
	b, err := json.Marshal(leafJSON{
		Seq: seq, Time: ts, TenantID: e.TenantID, ActorID: e.ActorID, Role: e.Role,
		Action: e.Action, Object: e.Object, Result: e.Result, RequestID: e.RequestID,
	})
	if err != nil {
		return nil, fmt.Errorf("audit: encode leaf %d: %w", seq, err)
	}
	return b, nil
}

// decodeLeaf parses a stored leaf. It accepts only the canonical form encodeLeaf
// produces: JSON's leniency (case-insensitive or duplicate keys, invalid UTF-8) would
// otherwise let two different byte strings read as the same record.
func decodeLeaf(b []byte) (Record, error) {
	var l leafJSON
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&l); err != nil {
		return Record{}, fmt.Errorf("not an audit record: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, l.Time)
	if err != nil {
		return Record{}, fmt.Errorf("bad time: %w", err)
	}
	r := Record{Seq: l.Seq, Entry: Entry{
		Time: t.UTC(), TenantID: l.TenantID, ActorID: l.ActorID, Role: l.Role,
		Action: l.Action, Object: l.Object, Result: l.Result, RequestID: l.RequestID,
	}}
	again, err := encodeLeaf(r.Seq, r.Entry)
	if err != nil || !bytes.Equal(again, b) {
		return Record{}, errors.New("not in canonical form")
	}
	return r, nil
}
