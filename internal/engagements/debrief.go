package engagements

import (
	"context"
	"strconv"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// Debrief is what was learnt from a held engagement. Incidents are sealed: they may
// name people or threats.
type Debrief struct {
	Attendance int       `json:"attendance"`
	Incidents  string    `json:"incidents,omitempty"`
	WhatWorked string    `json:"what_worked"`
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
}

// DebriefInput is the debrief form.
type DebriefInput struct {
	Attendance int    `json:"attendance"`
	Incidents  string `json:"incidents"`
	WhatWorked string `json:"what_worked"`
}

// ParseAttendance reads a head count typed by a person ("120", " 45 ").
func ParseAttendance(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > maxAudience {
		return 0, invalid("attendance", "engagements.error.attendance", "give the number of people who came (0 or more)")
	}
	return n, nil
}

// RecordDebrief records the debrief of a held engagement, which becomes debriefed.
func (s *Service) RecordDebrief(ctx context.Context, p *authz.Principal, requestID, id string, in DebriefInput) error {
	if err := check(PermDebrief, p); err != nil {
		return err
	}
	if in.Attendance < 0 || in.Attendance > maxAudience {
		return invalid("attendance", "engagements.error.attendance", "give the number of people who came (0 or more)")
	}
	incidents, err := cleanLong("incidents", in.Incidents, false, maxText)
	if err != nil {
		return err
	}
	worked, err := cleanLong("what_worked", in.WhatWorked, true, maxText)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lock(ctx, tx, p.TenantID, id); err != nil {
			return err
		}
		e, err := load(ctx, tx, p.TenantID, id)
		if err != nil {
			return err
		}
		if e.Status != StatusHeld {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "engagements.error.not_held", Msg: "only a held engagement can be debriefed"}
		}
		var sealed any
		if incidents != "" {
			b, err := s.vault.Seal(ctx, tx, field(p.TenantID, id, "engagement_debriefs", "incidents", id), []byte(incidents))
			if err != nil {
				return err
			}
			sealed = b
		}
		at := store.Millis(s.now())
		if _, err := tx.Exec(ctx, `INSERT INTO engagement_debriefs (engagement_id, tenant_id, attendance, incidents, what_worked, recorded_by, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, p.TenantID, in.Attendance, sealed, worked, p.UserID, at); err != nil {
			return errs.Wrap(err, "engagements: record debrief")
		}
		if _, err := tx.Exec(ctx, `UPDATE engagements SET status = ?, updated_by = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
			string(StatusDebriefed), p.UserID, at, p.TenantID, id); err != nil {
			return errs.Wrap(err, "engagements: debriefed")
		}
		if err := event(ctx, tx, p.TenantID, id, e.Status, StatusDebriefed, e.Revision, "", p.UserID, at); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "engagement.debrief", id))
		return err
	})
}

// Debrief returns the engagement's debrief, opening the incidents for roles cleared
// for venues (an audited read); ok is false when there is none yet.
func (s *Service) Debrief(ctx context.Context, p *authz.Principal, requestID, id string) (d Debrief, ok bool, err error) {
	if err := check(PermRead, p); err != nil {
		return d, false, err
	}
	var sealed []byte
	var at int64
	err = s.db.Reader().QueryRow(ctx, `SELECT attendance, incidents, what_worked, recorded_by, recorded_at FROM engagement_debriefs
		WHERE tenant_id = ? AND engagement_id = ?`, p.TenantID, id).Scan(&d.Attendance, &sealed, &d.WhatWorked, &d.RecordedBy, &at)
	if isNoRows(err) {
		return d, false, nil
	}
	if err != nil {
		return d, false, errs.Wrap(err, "engagements: debrief")
	}
	d.RecordedAt = store.FromMillis(at)
	if sealed == nil || check(PermVenue, p) != nil {
		return d, true, nil
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		pt, err := s.vault.Open(ctx, tx, field(p.TenantID, id, "engagement_debriefs", "incidents", id), sealed)
		if err != nil {
			return err
		}
		d.Incidents = string(pt)
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "engagement.incidents_read", id))
		return err
	})
	return d, true, err
}
