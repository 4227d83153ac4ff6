package engagements

import (
	"context"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// SaveSecurityPlan writes (or replaces) the engagement's security plan, sealed: who
// protects whom, the way in and out, what happens if something goes wrong.
func (s *Service) SaveSecurityPlan(ctx context.Context, p *authz.Principal, requestID, id, plan string) error {
	if err := check(PermSecurity, p); err != nil {
		return err
	}
	plan, err := cleanLong("security_plan", plan, true, maxText)
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
		sealed, err := s.vault.Seal(ctx, tx, field(p.TenantID, id, "engagements", "security_plan", id), []byte(plan))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE engagements SET security_plan = ?, security_plan_by = ?, security_plan_at = ? WHERE tenant_id = ? AND id = ?`,
			sealed, p.UserID, store.Millis(s.now()), p.TenantID, id); err != nil {
			return errs.Wrap(err, "engagements: save security plan")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "engagement.security_plan", id))
		return err
	})
}

// SecurityPlan opens the security plan ("" if none): roles cleared for venues only,
// audited.
func (s *Service) SecurityPlan(ctx context.Context, p *authz.Principal, requestID, id string) (string, error) {
	if err := check(PermVenue, p); err != nil {
		return "", err
	}
	var out string
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		b, err := sealedColumn(ctx, tx, p.TenantID, id, "security_plan")
		if err != nil || b == nil {
			return err
		}
		pt, err := s.vault.Open(ctx, tx, field(p.TenantID, id, "engagements", "security_plan", id), b)
		if err != nil {
			return err
		}
		out = string(pt)
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "engagement.security_plan_read", id))
		return err
	})
	return out, err
}

// RecordSafetyReview records that a safety officer reviewed this revision of the
// engagement (required when a speaker has a hostile relative in its community). A
// material change asks for a new review.
func (s *Service) RecordSafetyReview(ctx context.Context, p *authz.Principal, requestID, id, note string) error {
	if err := check(PermSecurity, p); err != nil {
		return err
	}
	note, err := cleanLong("note", note, true, maxText)
	if err != nil {
		return err
	}
	if len([]rune(note)) < minReason {
		return invalid("note", "engagements.error.review_note", "say what was reviewed and decided, in a few words", minReason)
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
		sealed, err := s.vault.Seal(ctx, tx, field(p.TenantID, id, "engagements", "safety_review", id), []byte(note))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE engagements SET safety_review_rev = ?, safety_review_by = ?, safety_review_at = ?, safety_review = ?
			WHERE tenant_id = ? AND id = ?`, e.Revision, p.UserID, store.Millis(s.now()), sealed, p.TenantID, id); err != nil {
			return errs.Wrap(err, "engagements: safety review")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "engagement.safety_review", id))
		return err
	})
}
