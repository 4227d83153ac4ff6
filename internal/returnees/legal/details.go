package legal

import (
	"context"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/returnees/caseref"
)

// Details returns the whole legal part of the case with its sealed texts opened. The
// read is audited ("legal.read") in the same transaction, before anything is opened.
func (s *Service) Details(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case) (Details, error) {
	if err := mayRead(p, c); err != nil {
		return Details{}, err
	}
	var d Details
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := s.audit.Append(ctx, tx, entry(p, requestID, "legal.read", c.ID, "ok")); err != nil {
			return err
		}
		var err error
		d, err = s.load(ctx, tx, c, "", true)
		return err
	})
	if err != nil {
		return Details{}, err
	}
	return d, nil
}

// Agreement returns one agreement with its sealed texts opened; the read is audited.
func (s *Service) Agreement(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, agreementID string) (Agreement, error) {
	if err := mayRead(p, c); err != nil {
		return Agreement{}, err
	}
	var out []Agreement
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if out, err = s.loadAgreements(ctx, tx, c, agreementID, true); err != nil {
			return err
		}
		if len(out) == 0 {
			return errNoAgreement
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "legal.agreement.read", agreementID, "ok"))
		return err
	})
	if err != nil {
		return Agreement{}, err
	}
	return out[0], nil
}

// brief returns an agreement without opening its sealed texts, for answers to changes.
func (s *Service) brief(ctx context.Context, c caseref.Case, agreementID string) (Agreement, error) {
	out, err := s.loadAgreements(ctx, s.db.Reader(), c, agreementID, false)
	if err != nil {
		return Agreement{}, err
	}
	if len(out) == 0 {
		return Agreement{}, errNoAgreement
	}
	return out[0], nil
}

// load reads the legal part of case c; open says whether to open sealed texts.
func (s *Service) load(ctx context.Context, q store.Querier, c caseref.Case, agreementID string, open bool) (Details, error) {
	d := Details{History: []Screening{}, Referrals: []Referral{}}
	var err error
	if d.History, err = s.loadScreenings(ctx, q, c, open); err != nil {
		return d, err
	}
	if len(d.History) > 0 {
		d.Screening = &d.History[0]
	}
	if d.Referrals, err = s.loadReferrals(ctx, q, c, open); err != nil {
		return d, err
	}
	if d.Agreements, err = s.loadAgreements(ctx, q, c, agreementID, open); err != nil {
		return d, err
	}
	sum := &d.Summary
	if d.Screening != nil {
		sum.Screened, sum.Finding, sum.ScreenedAt = true, d.Screening.CapitalCrime, d.Screening.DecidedAt
	}
	sum.Referred = len(d.Referrals) > 0
	for i, a := range d.Agreements {
		if i == 0 || a.Status.Live() {
			sum.AgreementID, sum.Agreement, sum.Signatures = a.ID, a.Status, len(a.Signatures)
		}
		if a.Status.Live() {
			break
		}
	}
	sum.complete()
	return d, nil
}

// maxVersions bounds the screening history a page shows.
const maxVersions = 50

func (s *Service) loadScreenings(ctx context.Context, q store.Querier, c caseref.Case, open bool) ([]Screening, error) {
	rows, err := q.Query(ctx, `SELECT id, version, capital_crime, evidence_notes, decided_by, decided_at FROM legal_screenings
		WHERE tenant_id = ? AND returnee_id = ? ORDER BY version DESC LIMIT ?`, c.TenantID, c.ID, maxVersions)
	if err != nil {
		return nil, errs.Wrap(err, "legal: screenings")
	}
	out := []Screening{}
	var notes [][]byte
	for rows.Next() {
		var sc Screening
		var f string
		var n []byte
		var at int64
		if err := rows.Scan(&sc.ID, &sc.Version, &f, &n, &sc.DecidedBy, &at); err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "legal: scan screening")
		}
		sc.CapitalCrime, sc.DecidedAt, sc.Offences = Finding(f), store.FromMillis(at), []Offence{}
		out = append(out, sc)
		notes = append(notes, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "legal: screenings")
	}
	if !open {
		for i := range out {
			out[i].Sealed = true
		}
		return out, nil
	}
	byID := map[string]*Screening{}
	for i := range out {
		sc := &out[i]
		byID[sc.ID] = sc
		text, gone, err := s.open(ctx, q, c, "legal_screenings", "evidence_notes", sc.ID, notes[i])
		if err != nil {
			return nil, err
		}
		sc.EvidenceNotes, sc.Sealed = text, gone
	}
	type offenceRow struct {
		id, screening string
		desc          []byte
	}
	orows, err := q.Query(ctx, `SELECT id, screening_id, description FROM legal_offences WHERE tenant_id = ? AND returnee_id = ?
		ORDER BY screening_id, position`, c.TenantID, c.ID)
	if err != nil {
		return nil, errs.Wrap(err, "legal: offences")
	}
	var offs []offenceRow
	for orows.Next() {
		var o offenceRow
		if err := orows.Scan(&o.id, &o.screening, &o.desc); err != nil {
			orows.Close()
			return nil, errs.Wrap(err, "legal: scan offence")
		}
		offs = append(offs, o)
	}
	orows.Close()
	if err := orows.Err(); err != nil {
		return nil, errs.Wrap(err, "legal: offences")
	}
	for _, o := range offs {
		sc := byID[o.screening]
		if sc == nil {
			continue // beyond the versions shown
		}
		text, gone, err := s.open(ctx, q, c, "legal_offences", "description", o.id, o.desc)
		if err != nil {
			return nil, err
		}
		if gone {
			sc.Sealed = true
			continue
		}
		sc.Offences = append(sc.Offences, Offence{Description: text})
	}
	return out, nil
}

func (s *Service) loadReferrals(ctx context.Context, q store.Querier, c caseref.Case, open bool) ([]Referral, error) {
	rows, err := q.Query(ctx, `SELECT id, screening_id, referred_on, authority, note, created_by, created_at FROM legal_referrals
		WHERE tenant_id = ? AND returnee_id = ? ORDER BY created_at DESC, id DESC`, c.TenantID, c.ID)
	if err != nil {
		return nil, errs.Wrap(err, "legal: referrals")
	}
	out := []Referral{}
	var sealed [][2][]byte
	for rows.Next() {
		var r Referral
		var auth, note []byte
		var at int64
		if err := rows.Scan(&r.ID, &r.ScreeningID, &r.ReferredOn, &auth, &note, &r.CreatedBy, &at); err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "legal: scan referral")
		}
		r.CreatedAt = store.FromMillis(at)
		out = append(out, r)
		sealed = append(sealed, [2][]byte{auth, note})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "legal: referrals")
	}
	for i := range out {
		r := &out[i]
		if !open {
			r.Sealed = true
			continue
		}
		var gone1, gone2 bool
		if r.Authority, gone1, err = s.open(ctx, q, c, "legal_referrals", "authority", r.ID, sealed[i][0]); err != nil {
			return nil, err
		}
		if r.Note, gone2, err = s.open(ctx, q, c, "legal_referrals", "note", r.ID, sealed[i][1]); err != nil {
			return nil, err
		}
		r.Sealed = gone1 || gone2
	}
	return out, nil
}

// loadAgreements reads the case's agreements, newest first, or only agreementID.
func (s *Service) loadAgreements(ctx context.Context, q store.Querier, c caseref.Case, agreementID string, open bool) ([]Agreement, error) {
	query := `SELECT id, kind, status, terms, review_round, created_by, created_at, status_at FROM legal_agreements
		WHERE tenant_id = ? AND returnee_id = ?`
	args := []any{c.TenantID, c.ID}
	if agreementID != "" {
		query += ` AND id = ?`
		args = append(args, agreementID)
	}
	rows, err := q.Query(ctx, query+` ORDER BY created_at DESC, id DESC`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "legal: agreements")
	}
	out := []Agreement{}
	var terms [][]byte
	byID := map[string]int{}
	for rows.Next() {
		var a Agreement
		var kind, status string
		var t []byte
		var created, at int64
		if err := rows.Scan(&a.ID, &kind, &status, &t, &a.round, &a.CreatedBy, &created, &at); err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "legal: scan agreement")
		}
		a.ReturneeID, a.Kind, a.Status = c.ID, Kind(kind), Status(status)
		a.CreatedAt, a.StatusAt = store.FromMillis(created), store.FromMillis(at)
		a.Obligations, a.Signatures, a.Documents, a.History = []Obligation{}, []Signature{}, []Document{}, []Event{}
		byID[a.ID] = len(out)
		out = append(out, a)
		terms = append(terms, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "legal: agreements")
	}
	if len(out) == 0 {
		return out, nil
	}
	for i := range out {
		a := &out[i]
		if !open {
			a.Sealed = true
			continue
		}
		var gone bool
		if a.Terms, gone, err = s.open(ctx, q, c, "legal_agreements", "terms", a.ID, terms[i]); err != nil {
			return nil, err
		}
		a.Sealed = gone
	}
	if err := s.loadObligations(ctx, q, c, byID, out); err != nil {
		return nil, err
	}
	if err := s.loadEvents(ctx, q, c, byID, out, open); err != nil {
		return nil, err
	}
	if err := loadSignatures(ctx, q, c, byID, out); err != nil {
		return nil, err
	}
	if err := loadDocuments(ctx, q, c, byID, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) loadObligations(ctx context.Context, q store.Querier, c caseref.Case, byID map[string]int, out []Agreement) error {
	rows, err := q.Query(ctx, `SELECT id, agreement_id, kind, target, period_from, period_until FROM legal_obligations
		WHERE tenant_id = ? AND returnee_id = ? ORDER BY agreement_id, position`, c.TenantID, c.ID)
	if err != nil {
		return errs.Wrap(err, "legal: obligations")
	}
	type row struct {
		agreement string
		o         Obligation
	}
	var all []row
	for rows.Next() {
		var r row
		var kind string
		if err := rows.Scan(&r.o.ID, &r.agreement, &kind, &r.o.Count, &r.o.From, &r.o.Until); err != nil {
			rows.Close()
			return errs.Wrap(err, "legal: scan obligation")
		}
		r.o.Kind = ObligationKind(kind)
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return errs.Wrap(err, "legal: obligations")
	}
	// Counting may call other capabilities: done after the rows are closed.
	for _, r := range all {
		i, ok := byID[r.agreement]
		if !ok {
			continue
		}
		r.o.Progress = s.progress(ctx, c.TenantID, c.ID, r.o)
		out[i].Obligations = append(out[i].Obligations, r.o)
	}
	return nil
}

func (s *Service) loadEvents(ctx context.Context, q store.Querier, c caseref.Case, byID map[string]int, out []Agreement, open bool) error {
	rows, err := q.Query(ctx, `SELECT id, agreement_id, from_status, to_status, reason, user_id, at FROM legal_agreement_events
		WHERE tenant_id = ? AND returnee_id = ? ORDER BY at, id`, c.TenantID, c.ID)
	if err != nil {
		return errs.Wrap(err, "legal: agreement events")
	}
	type row struct {
		id, agreement string
		reason        []byte
		e             Event
	}
	var all []row
	for rows.Next() {
		var r row
		var from, to string
		var at int64
		if err := rows.Scan(&r.id, &r.agreement, &from, &to, &r.reason, &r.e.By, &at); err != nil {
			rows.Close()
			return errs.Wrap(err, "legal: scan agreement event")
		}
		r.e.From, r.e.To, r.e.At = Status(from), Status(to), store.FromMillis(at)
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return errs.Wrap(err, "legal: agreement events")
	}
	for _, r := range all {
		i, ok := byID[r.agreement]
		if !ok {
			continue
		}
		if open {
			text, gone, err := s.open(ctx, q, c, "legal_agreement_events", "reason", r.id, r.reason)
			if err != nil {
				return err
			}
			r.e.Reason = text
			if gone {
				out[i].Sealed = true
			}
		}
		out[i].History = append(out[i].History, r.e)
	}
	return nil
}

func loadSignatures(ctx context.Context, q store.Querier, c caseref.Case, byID map[string]int, out []Agreement) error {
	rows, err := q.Query(ctx, `SELECT g.agreement_id, g.review_round, g.user_id, g.at FROM legal_signatures g
		JOIN legal_agreements a ON a.id = g.agreement_id AND a.tenant_id = g.tenant_id
		WHERE g.tenant_id = ? AND a.returnee_id = ? ORDER BY g.at, g.user_id`, c.TenantID, c.ID)
	if err != nil {
		return errs.Wrap(err, "legal: signatures")
	}
	defer rows.Close()
	for rows.Next() {
		var agreement string
		var round int
		var g Signature
		var at int64
		if err := rows.Scan(&agreement, &round, &g.UserID, &at); err != nil {
			return errs.Wrap(err, "legal: scan signature")
		}
		g.At = store.FromMillis(at)
		// Only the current round counts: sending back to draft voids the signatures.
		if i, ok := byID[agreement]; ok && out[i].round == round && out[i].Status != StatusDraft {
			out[i].Signatures = append(out[i].Signatures, g)
		}
	}
	return errs.Wrap(rows.Err(), "legal: signatures")
}

func loadDocuments(ctx context.Context, q store.Querier, c caseref.Case, byID map[string]int, out []Agreement) error {
	rows, err := q.Query(ctx, `SELECT id, agreement_id, content_type, size, uploaded_by, uploaded_at FROM legal_documents
		WHERE tenant_id = ? AND returnee_id = ? ORDER BY uploaded_at DESC, id DESC`, c.TenantID, c.ID)
	if err != nil {
		return errs.Wrap(err, "legal: documents")
	}
	defer rows.Close()
	for rows.Next() {
		var agreement string
		var d Document
		var at int64
		if err := rows.Scan(&d.ID, &agreement, &d.ContentType, &d.Size, &d.UploadedBy, &at); err != nil {
			return errs.Wrap(err, "legal: scan document")
		}
		d.UploadedAt = store.FromMillis(at)
		if i, ok := byID[agreement]; ok {
			out[i].Documents = append(out[i].Documents, d)
		}
	}
	return errs.Wrap(rows.Err(), "legal: documents")
}
