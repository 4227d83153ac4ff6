package legal

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/returnees/caseref"
)

func (in ScreeningInput) normalize() (ScreeningInput, error) {
	var err error
	if !in.CapitalCrime.valid() {
		if in.CapitalCrime, err = ParseFinding(string(in.CapitalCrime)); err != nil {
			return in, err
		}
	}
	if in.Offences, err = normalizeOffences(in.Offences); err != nil {
		return in, err
	}
	if in.EvidenceNotes, err = cleanText("evidence_notes", "legal.field.evidence_notes", in.EvidenceNotes, 0, maxEvidence, true); err != nil {
		return in, err
	}
	if in.CapitalCrime != FindingYes {
		// Referral fields mean nothing without a capital crime: never keep them.
		in.ReferralAuthority, in.ReferralOn, in.ReferralNote = "", "", ""
		return in, nil
	}
	r, err := ReferralInput{Authority: in.ReferralAuthority, ReferredOn: in.ReferralOn, Note: in.ReferralNote}.normalize(false)
	if err != nil {
		return in, err
	}
	in.ReferralAuthority, in.ReferralOn, in.ReferralNote = r.Authority, r.ReferredOn, r.Note
	return in, nil
}

func (in ReferralInput) normalize(authorityRequired bool) (ReferralInput, error) {
	min := 0
	if authorityRequired {
		min = 1
	}
	var err error
	if in.Authority, err = cleanText("authority", "legal.field.authority", in.Authority, min, maxAuthority, false); err != nil {
		return in, err
	}
	if in.Note, err = cleanText("note", "legal.field.referral_note", in.Note, 0, maxNote, true); err != nil {
		return in, err
	}
	if in.ReferredOn != "" {
		d, err := parseDay("referred_on", "legal.field.referred_on", in.ReferredOn)
		if err != nil {
			return in, err
		}
		in.ReferredOn = d.Format(time.DateOnly)
	}
	return in, nil
}

// RecordScreening records a new version of the screening: the finding, the alleged
// offences and the evidence notes (both sealed). A finding of "yes" records a
// referral to prosecution in the same transaction, unless one is already on record
// and no referral details were given.
func (s *Service) RecordScreening(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, in ScreeningInput) (Screening, *Referral, error) {
	if err := mayWrite(p, c); err != nil {
		return Screening{}, nil, err
	}
	in, err := in.normalize()
	if err != nil {
		return Screening{}, nil, err
	}
	id, err := newID()
	if err != nil {
		return Screening{}, nil, err
	}
	sc := Screening{ID: id, CapitalCrime: in.CapitalCrime, Offences: in.Offences, EvidenceNotes: in.EvidenceNotes,
		DecidedBy: p.UserID, DecidedAt: s.stamp()}
	if sc.Offences == nil {
		sc.Offences = []Offence{}
	}
	var ref *Referral
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM legal_screenings WHERE tenant_id = ? AND returnee_id = ?`,
			c.TenantID, c.ID).Scan(&sc.Version); err != nil {
			return errs.Wrap(err, "legal: next screening version")
		}
		notes, err := s.seal(ctx, tx, c, "legal_screenings", "evidence_notes", id, in.EvidenceNotes)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO legal_screenings (id, tenant_id, returnee_id, version, capital_crime, evidence_notes, decided_by, decided_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, c.TenantID, c.ID, sc.Version, string(sc.CapitalCrime), notes, p.UserID, store.Millis(sc.DecidedAt))
		if store.IsUniqueViolation(err) {
			return errChanged
		}
		if err != nil {
			return errs.Wrap(err, "legal: insert screening")
		}
		for i, o := range in.Offences {
			oid, err := newID()
			if err != nil {
				return err
			}
			desc, err := s.seal(ctx, tx, c, "legal_offences", "description", oid, o.Description)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO legal_offences (id, tenant_id, returnee_id, screening_id, position, description) VALUES (?, ?, ?, ?, ?, ?)`,
				oid, c.TenantID, c.ID, id, i, desc); err != nil {
				return errs.Wrap(err, "legal: insert offence")
			}
		}
		if _, err := s.audit.Append(ctx, tx, entry(p, requestID, "legal.screening.record", c.ID, "ok")); err != nil {
			return err
		}
		if sc.CapitalCrime != FindingYes {
			return nil
		}
		given := in.ReferralAuthority != "" || in.ReferralOn != "" || in.ReferralNote != ""
		if !given {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM legal_referrals WHERE tenant_id = ? AND returnee_id = ?`, c.TenantID, c.ID).Scan(&n); err != nil {
				return errs.Wrap(err, "legal: count referrals")
			}
			if n > 0 {
				return nil
			}
		}
		r, err := s.insertReferral(ctx, tx, p, requestID, c, id, ReferralInput{Authority: in.ReferralAuthority, ReferredOn: in.ReferralOn, Note: in.ReferralNote})
		ref = &r
		return err
	})
	if err != nil {
		return Screening{}, nil, err
	}
	return sc, ref, nil
}

var errChanged = &errs.Error{Kind: errs.Conflict, MsgKey: "legal.error.changed", Msg: "someone else changed this at the same moment; reload and try again"}

// RecordReferral records a referral to prosecution, naming the authority. It is
// only for a person whose current finding is a capital crime.
func (s *Service) RecordReferral(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, in ReferralInput) (Referral, error) {
	if err := mayWrite(p, c); err != nil {
		return Referral{}, err
	}
	in, err := in.normalize(true)
	if err != nil {
		return Referral{}, err
	}
	var r Referral
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var screeningID, finding string
		err := tx.QueryRow(ctx, `SELECT id, capital_crime FROM legal_screenings WHERE tenant_id = ? AND returnee_id = ? ORDER BY version DESC LIMIT 1`,
			c.TenantID, c.ID).Scan(&screeningID, &finding)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return errs.Wrap(err, "legal: current screening")
		}
		if Finding(finding) != FindingYes {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "legal.error.referral_finding", Msg: "a referral to prosecution is recorded when the screening found a capital crime"}
		}
		r, err = s.insertReferral(ctx, tx, p, requestID, c, screeningID, in)
		return err
	})
	return r, err
}

func (s *Service) insertReferral(ctx context.Context, tx *store.Tx, p *authz.Principal, requestID string, c caseref.Case, screeningID string, in ReferralInput) (Referral, error) {
	id, err := newID()
	if err != nil {
		return Referral{}, err
	}
	r := Referral{ID: id, ScreeningID: screeningID, ReferredOn: in.ReferredOn, Authority: in.Authority, Note: in.Note,
		CreatedBy: p.UserID, CreatedAt: s.stamp()}
	if r.ReferredOn == "" {
		r.ReferredOn = s.today()
	}
	authority, err := s.seal(ctx, tx, c, "legal_referrals", "authority", id, in.Authority)
	if err != nil {
		return r, err
	}
	note, err := s.seal(ctx, tx, c, "legal_referrals", "note", id, in.Note)
	if err != nil {
		return r, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO legal_referrals (id, tenant_id, returnee_id, screening_id, referred_on, authority, note, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, c.TenantID, c.ID, screeningID, r.ReferredOn, authority, note, p.UserID, store.Millis(r.CreatedAt)); err != nil {
		return r, errs.Wrap(err, "legal: insert referral")
	}
	_, err = s.audit.Append(ctx, tx, entry(p, requestID, "legal.referral.record", c.ID, "ok"))
	return r, err
}
