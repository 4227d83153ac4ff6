package engagements

import (
	"context"
	"errors"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// NotReadyError is the refusal to schedule an engagement that fails the readiness
// check: it carries every failing reason.
type NotReadyError struct{ Readiness Readiness }

func (e *NotReadyError) Error() string { return "the engagement is not ready to be scheduled" }

// Unwrap makes it a Conflict for the web kit.
func (e *NotReadyError) Unwrap() error {
	return &errs.Error{Kind: errs.Conflict, MsgKey: "engagements.error.not_ready", Msg: e.Error()}
}

// AsNotReady returns the readiness carried by err, if it is a refusal to schedule.
func AsNotReady(err error) (Readiness, bool) {
	var nr *NotReadyError
	if errors.As(err, &nr) {
		return nr.Readiness, true
	}
	return Readiness{}, false
}

// lockScheduling serialises scheduling within a tenant: the double-booking and load
// checks read other engagements, so two schedulings must not pass them side by side.
func lockScheduling(ctx context.Context, tx *store.Tx, tenantID, userID string, at int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO engagement_settings (tenant_id, key, value, updated_by, updated_at) VALUES (?, 'scheduling', '', ?, ?)
		ON CONFLICT (tenant_id, key) DO UPDATE SET updated_at = excluded.updated_at, updated_by = excluded.updated_by`, tenantID, userID, at)
	return errs.Wrap(err, "engagements: lock scheduling")
}

// Schedule moves an approved engagement to scheduled, only when the readiness check
// passes at that moment; otherwise it refuses with every failing reason.
func (s *Service) Schedule(ctx context.Context, p *authz.Principal, requestID, id string) (Engagement, error) {
	if err := check(PermSchedule, p); err != nil {
		return Engagement{}, err
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		at := store.Millis(s.now())
		if err := lockScheduling(ctx, tx, p.TenantID, p.UserID, at); err != nil {
			return err
		}
		if err := lock(ctx, tx, p.TenantID, id); err != nil {
			return err
		}
		e, err := load(ctx, tx, p.TenantID, id)
		if err != nil {
			return err
		}
		if e.Status == StatusScheduled {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "engagements.error.already_scheduled", Msg: "already scheduled"}
		}
		f, err := s.facts(ctx, e)
		if err != nil {
			return err
		}
		r := evaluate(f)
		if e.Status != StatusApproved && r.Ready {
			// The chain may be complete while the status still says proposed (say, an
			// authority was removed from the chain): approval is a step of its own.
			r.Ready = false
			r.Reasons = append(r.Reasons, reason(CodeNotApproved, "engagements.ready.not_approved", "It has not been approved yet.", ""))
		}
		if !r.Ready {
			return &NotReadyError{Readiness: r}
		}
		if _, err := tx.Exec(ctx, `UPDATE engagements SET status = ?, updated_by = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
			string(StatusScheduled), p.UserID, at, p.TenantID, id); err != nil {
			return errs.Wrap(err, "engagements: schedule")
		}
		if err := event(ctx, tx, p.TenantID, id, e.Status, StatusScheduled, e.Revision, "readiness check passed", p.UserID, at); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "engagement.schedule", id))
		return err
	})
	if err != nil {
		return Engagement{}, err
	}
	return s.Get(ctx, p.TenantID, id)
}

// CheckInDue is the duty of care an engagement creates: the assessment capability
// records that each speaker's well-being check-in falls due, inside the same
// transaction as the engagement being marked held.
type CheckInDue func(ctx context.Context, tx *store.Tx, tenantID, returneeID string, engagementDate time.Time) error

// MarkHeld records that a scheduled engagement took place. Each speaker's well-being
// check-in falls due (within 48 hours) in the same transaction.
func (s *Service) MarkHeld(ctx context.Context, p *authz.Principal, requestID, id string, due CheckInDue) error {
	if err := check(PermDebrief, p); err != nil {
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
		if e.Status != StatusScheduled {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "engagements.error.not_scheduled", Msg: "only a scheduled engagement can be marked held"}
		}
		now := s.now()
		if now.Before(e.StartsAt) {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "engagements.error.not_started", Msg: "it has not started yet"}
		}
		for _, rid := range e.SpeakerIDs {
			if err := due(ctx, tx, p.TenantID, rid, e.StartsAt); err != nil {
				return err
			}
		}
		at := store.Millis(now)
		if _, err := tx.Exec(ctx, `UPDATE engagements SET status = ?, updated_by = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
			string(StatusHeld), p.UserID, at, p.TenantID, id); err != nil {
			return errs.Wrap(err, "engagements: mark held")
		}
		if err := event(ctx, tx, p.TenantID, id, e.Status, StatusHeld, e.Revision, "", p.UserID, at); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "engagement.held", id))
		return err
	})
}

// Cancel cancels an engagement that has not been held, with a reason.
func (s *Service) Cancel(ctx context.Context, p *authz.Principal, requestID, id, why string) error {
	if err := check(PermWrite, p); err != nil {
		return err
	}
	why, err := cleanLong("reason", why, true, maxReason)
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
		if !e.Status.open() {
			return errClosed
		}
		at := store.Millis(s.now())
		if _, err := tx.Exec(ctx, `UPDATE engagements SET status = ?, cancel_reason = ?, updated_by = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
			string(StatusCancelled), why, p.UserID, at, p.TenantID, id); err != nil {
			return errs.Wrap(err, "engagements: cancel")
		}
		if err := event(ctx, tx, p.TenantID, id, e.Status, StatusCancelled, e.Revision, why, p.UserID, at); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "engagement.cancel", id))
		return err
	})
}

// History returns the engagement's status changes, oldest first.
func (s *Service) History(ctx context.Context, tenantID, id string) ([]Event, error) {
	return events(ctx, s.db.Reader(), tenantID, id)
}

// CountHeld counts the held (or debriefed) engagements a returnee spoke at whose
// kind counts towards obligation kind, starting in [from, until): the legal
// capability's obligation counter.
func (s *Service) CountHeld(ctx context.Context, tenantID, returneeID, obligation string, from, until time.Time) (int, error) {
	var kinds []any
	for _, k := range Kinds {
		if k.obligation() == obligation {
			kinds = append(kinds, string(k))
		}
	}
	if len(kinds) == 0 {
		return 0, ErrNotCounted
	}
	args := append([]any{tenantID, returneeID, string(StatusHeld), string(StatusDebriefed), store.Millis(from), store.Millis(until)}, kinds...)
	var n int
	err := s.db.Reader().QueryRow(ctx, `SELECT COUNT(*) FROM engagements e JOIN engagement_speakers sp ON sp.engagement_id = e.id AND sp.tenant_id = e.tenant_id
		WHERE e.tenant_id = ? AND sp.returnee_id = ? AND e.status IN (?, ?) AND e.starts_at >= ? AND e.starts_at < ?
		AND e.kind IN (`+placeholders(len(kinds))+`)`, args...).Scan(&n)
	return n, errs.Wrap(err, "engagements: count held")
}

// ErrNotCounted is CountHeld's answer for an obligation engagements do not hold
// (recorded testimonies).
var ErrNotCounted = errors.New("engagements: not an engagement obligation")
