package legal

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"slices"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/i18n"
	"inoculate/internal/platform/store"
	"inoculate/internal/returnees/caseref"
)

func (in AgreementInput) normalize() (AgreementInput, error) {
	var err error
	if in.Kind, err = ParseKind(string(in.Kind)); err != nil {
		return in, err
	}
	if in.Terms, err = cleanText("terms", "legal.field.terms", in.Terms, 1, maxTerms, true); err != nil {
		return in, err
	}
	if in.Obligations, err = normalizeObligations(in.Obligations); err != nil {
		return in, err
	}
	return in, nil
}

// CreateAgreement drafts an agreement. It is refused with ErrCapitalCrime when the
// current screening found a capital crime (the refused attempt is audited), and
// while another agreement of the person is in progress or in force.
func (s *Service) CreateAgreement(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, in AgreementInput) (Agreement, error) {
	if err := mayWrite(p, c); err != nil {
		return Agreement{}, err
	}
	in, err := in.normalize()
	if err != nil {
		return Agreement{}, err
	}
	id, err := newID()
	if err != nil {
		return Agreement{}, err
	}
	now := s.stamp()
	a := Agreement{ID: id, ReturneeID: c.ID, Kind: in.Kind, Status: StatusDraft, Terms: in.Terms, Obligations: in.Obligations,
		CreatedBy: p.UserID, CreatedAt: now, StatusAt: now, Signatures: []Signature{}, Documents: []Document{},
		History: []Event{{To: StatusDraft, By: p.UserID, At: now}}}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		f, err := currentFinding(ctx, tx, c.TenantID, c.ID)
		if err != nil {
			return err
		}
		if f == FindingYes {
			return ErrCapitalCrime
		}
		var live int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM legal_agreements WHERE tenant_id = ? AND returnee_id = ?
			AND status IN ('draft', 'under_review', 'signed', 'active')`, c.TenantID, c.ID).Scan(&live); err != nil {
			return errs.Wrap(err, "legal: live agreements")
		}
		if live > 0 {
			return errLive
		}
		terms, err := s.seal(ctx, tx, c, "legal_agreements", "terms", id, in.Terms)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO legal_agreements (id, tenant_id, returnee_id, kind, status, terms, review_round, created_by, created_at, status_at)
			VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`, id, c.TenantID, c.ID, string(in.Kind), string(StatusDraft), terms, p.UserID, store.Millis(now), store.Millis(now))
		if store.IsUniqueViolation(err) {
			return errLive // another officer drafted one at the same moment
		}
		if err != nil {
			return errs.Wrap(err, "legal: insert agreement")
		}
		if err := s.insertObligations(ctx, tx, c, id, a.Obligations); err != nil {
			return err
		}
		if err := s.insertEvent(ctx, tx, p, c, id, "", StatusDraft, ""); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "legal.agreement.create", id, "ok"))
		return err
	})
	if errors.Is(err, ErrCapitalCrime) {
		// Someone tried to draft an immunity agreement for a person found to have
		// committed a capital crime: the log keeps the refused attempt.
		if aerr := s.audit.Record(ctx, entry(p, requestID, "legal.agreement.create", c.ID, "refused")); aerr != nil {
			slog.Error("legal: audit refused agreement", "err", aerr, "request_id", requestID)
		}
	}
	if err != nil {
		return Agreement{}, err
	}
	for i := range a.Obligations {
		a.Obligations[i].Progress = s.progress(ctx, c.TenantID, c.ID, a.Obligations[i])
	}
	return a, nil
}

func (s *Service) insertObligations(ctx context.Context, tx *store.Tx, c caseref.Case, agreementID string, obs []Obligation) error {
	for i := range obs {
		oid, err := newID()
		if err != nil {
			return err
		}
		obs[i].ID = oid
		o := obs[i]
		if _, err := tx.Exec(ctx, `INSERT INTO legal_obligations (id, tenant_id, returnee_id, agreement_id, kind, target, period_from, period_until, position)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, oid, c.TenantID, c.ID, agreementID, string(o.Kind), o.Count, o.From, o.Until, i); err != nil {
			return errs.Wrap(err, "legal: insert obligation")
		}
	}
	return nil
}

func (s *Service) insertEvent(ctx context.Context, tx *store.Tx, p *authz.Principal, c caseref.Case, agreementID string, from, to Status, reason string) error {
	id, err := newID()
	if err != nil {
		return err
	}
	sealed, err := s.seal(ctx, tx, c, "legal_agreement_events", "reason", id, reason)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO legal_agreement_events (id, tenant_id, returnee_id, agreement_id, from_status, to_status, reason, user_id, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, c.TenantID, c.ID, agreementID, string(from), string(to), sealed, p.UserID, store.Millis(s.stamp())); err != nil {
		return errs.Wrap(err, "legal: insert agreement event")
	}
	return nil
}

// lockAgreement reads the agreement's status and review round, locking the row for
// the rest of the transaction (two officers signing at once see one another).
func lockAgreement(ctx context.Context, tx *store.Tx, c caseref.Case, id string) (Status, int, error) {
	var status string
	var round int
	err := tx.QueryRow(ctx, `SELECT status, review_round FROM legal_agreements WHERE tenant_id = ? AND returnee_id = ? AND id = ?`+tx.ForUpdate(),
		c.TenantID, c.ID, id).Scan(&status, &round)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, errNoAgreement
	}
	if err != nil {
		return "", 0, errs.Wrap(err, "legal: lock agreement")
	}
	return Status(status), round, nil
}

// UpdateDraft replaces a draft's kind, terms and obligations. Only drafts change:
// what was reviewed or signed stays as it was.
func (s *Service) UpdateDraft(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, agreementID string, in AgreementInput) (Agreement, error) {
	if err := mayWrite(p, c); err != nil {
		return Agreement{}, err
	}
	in, err := in.normalize()
	if err != nil {
		return Agreement{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		status, _, err := lockAgreement(ctx, tx, c, agreementID)
		if err != nil {
			return err
		}
		if status != StatusDraft {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "legal.error.not_draft", Msg: "only a draft can be edited; send the agreement back to draft first"}
		}
		terms, err := s.seal(ctx, tx, c, "legal_agreements", "terms", agreementID, in.Terms)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE legal_agreements SET kind = ?, terms = ? WHERE tenant_id = ? AND id = ?`,
			string(in.Kind), terms, c.TenantID, agreementID); err != nil {
			return errs.Wrap(err, "legal: update draft")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM legal_obligations WHERE tenant_id = ? AND agreement_id = ?`, c.TenantID, agreementID); err != nil {
			return errs.Wrap(err, "legal: replace obligations")
		}
		if err := s.insertObligations(ctx, tx, c, agreementID, in.Obligations); err != nil {
			return err
		}
		// An edit is kept in the history (draft → draft) so who shaped the draft is known.
		if err := s.insertEvent(ctx, tx, p, c, agreementID, StatusDraft, StatusDraft, ""); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "legal.agreement.edit", agreementID, "ok"))
		return err
	})
	if err != nil {
		return Agreement{}, err
	}
	return s.brief(ctx, c, agreementID)
}

// Transition moves an agreement to status to, with a reason (sealed), if the status
// machine allows it. "signed" is reached only through Sign. Revoking and recording a
// breach need a fresh sign-in; a breach is only ever a legal officer's act with a
// reason — nothing here records one on its own (withdrawing consent never does).
func (s *Service) Transition(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, agreementID string, to Status, reason string) (Agreement, error) {
	if err := mayWrite(p, c); err != nil {
		return Agreement{}, err
	}
	if !slices.Contains(Statuses, to) {
		return Agreement{}, &errs.Error{Kind: errs.Invalid, Field: "to", MsgKey: "legal.error.status", Msg: "unknown status"}
	}
	if to == StatusSigned {
		return Agreement{}, &errs.Error{Kind: errs.Conflict, MsgKey: "legal.error.sign_via_signing",
			Msg: "an agreement becomes signed only through the signatures of two different legal officers"}
	}
	if (to == StatusRevoked || to == StatusBreached) && !p.FreshAuth(s.now()) {
		return Agreement{}, errStepUp
	}
	reason, err := cleanText("reason", "field.reason", reason, minReason, maxReason, true)
	if err != nil {
		return Agreement{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		from, round, err := lockAgreement(ctx, tx, c, agreementID)
		if err != nil {
			return err
		}
		if !slices.Contains(from.Next(), to) {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "legal.error.transition",
				Args: []any{i18n.Key("legal.status." + string(from)), i18n.Key("legal.status." + string(to))},
				Msg:  "an agreement cannot go from " + string(from) + " to " + string(to)}
		}
		switch to {
		case StatusUnderReview:
			f, err := currentFinding(ctx, tx, c.TenantID, c.ID)
			if err != nil {
				return err
			}
			if f == FindingYes {
				return ErrCapitalCrime
			}
			var obs int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM legal_obligations WHERE tenant_id = ? AND agreement_id = ?`, c.TenantID, agreementID).Scan(&obs); err != nil {
				return errs.Wrap(err, "legal: count obligations")
			}
			if obs == 0 {
				return &errs.Error{Kind: errs.Conflict, MsgKey: "legal.error.no_obligations", Msg: "an agreement goes to review with at least one obligation"}
			}
			round++ // a new review: signatures of an earlier round no longer count
		case StatusActive:
			f, err := currentFinding(ctx, tx, c.TenantID, c.ID)
			if err != nil {
				return err
			}
			if err := findingAllowsSigning(f); err != nil {
				return err
			}
			var docs int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM legal_documents WHERE tenant_id = ? AND agreement_id = ?`, c.TenantID, agreementID).Scan(&docs); err != nil {
				return errs.Wrap(err, "legal: count documents")
			}
			if docs == 0 {
				return &errs.Error{Kind: errs.Conflict, MsgKey: "legal.error.activate_needs_document", Msg: "upload the signed document before putting the agreement in force"}
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE legal_agreements SET status = ?, review_round = ?, status_at = ? WHERE tenant_id = ? AND id = ?`,
			string(to), round, store.Millis(s.stamp()), c.TenantID, agreementID); err != nil {
			return errs.Wrap(err, "legal: update status")
		}
		if err := s.insertEvent(ctx, tx, p, c, agreementID, from, to, reason); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "legal.agreement."+string(to), agreementID, "ok"))
		return err
	})
	if err != nil {
		return Agreement{}, err
	}
	return s.brief(ctx, c, agreementID)
}

// Sign adds p's signature to an agreement under review. Two different legal officers
// must sign (the author of the draft may be one of them): the first signature is
// recorded, the second completes "signed". Signing is refused without a screening,
// and while the finding is undetermined or a capital crime.
func (s *Service) Sign(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, agreementID string) (Agreement, error) {
	if err := mayWrite(p, c); err != nil {
		return Agreement{}, err
	}
	if !p.FreshAuth(s.now()) {
		return Agreement{}, errStepUp
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		status, round, err := lockAgreement(ctx, tx, c, agreementID)
		if err != nil {
			return err
		}
		if status != StatusUnderReview {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "legal.error.sign_status", Args: []any{i18n.Key("legal.status." + string(status))},
				Msg: "only an agreement under review can be signed; this one is " + string(status)}
		}
		f, err := currentFinding(ctx, tx, c.TenantID, c.ID)
		if err != nil {
			return err
		}
		if err := findingAllowsSigning(f); err != nil {
			return err
		}
		signers, err := signatures(ctx, tx, c.TenantID, agreementID, round)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(signers, func(g Signature) bool { return g.UserID == p.UserID }) {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "legal.error.sign_twice",
				Msg: "you have already signed this agreement: a second, different legal officer must sign (two-person rule)"}
		}
		now := s.stamp()
		if _, err := tx.Exec(ctx, `INSERT INTO legal_signatures (tenant_id, agreement_id, review_round, user_id, at) VALUES (?, ?, ?, ?, ?)`,
			c.TenantID, agreementID, round, p.UserID, store.Millis(now)); err != nil {
			return errs.Wrap(err, "legal: insert signature")
		}
		if len(signers)+1 < 2 {
			_, err = s.audit.Append(ctx, tx, entry(p, requestID, "legal.agreement.sign", agreementID, "ok"))
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE legal_agreements SET status = ?, status_at = ? WHERE tenant_id = ? AND id = ?`,
			string(StatusSigned), store.Millis(now), c.TenantID, agreementID); err != nil {
			return errs.Wrap(err, "legal: update status")
		}
		if err := s.insertEvent(ctx, tx, p, c, agreementID, StatusUnderReview, StatusSigned, ""); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "legal.agreement.signed", agreementID, "ok"))
		return err
	})
	if err != nil {
		return Agreement{}, err
	}
	return s.brief(ctx, c, agreementID)
}

func signatures(ctx context.Context, q store.Querier, tenantID, agreementID string, round int) ([]Signature, error) {
	rows, err := q.Query(ctx, `SELECT user_id, at FROM legal_signatures WHERE tenant_id = ? AND agreement_id = ? AND review_round = ? ORDER BY at, user_id`,
		tenantID, agreementID, round)
	if err != nil {
		return nil, errs.Wrap(err, "legal: signatures")
	}
	defer rows.Close()
	out := []Signature{}
	for rows.Next() {
		var g Signature
		var at int64
		if err := rows.Scan(&g.UserID, &at); err != nil {
			return nil, errs.Wrap(err, "legal: scan signature")
		}
		g.At = store.FromMillis(at)
		out = append(out, g)
	}
	return out, errs.Wrap(rows.Err(), "legal: signatures")
}

// UploadDocument stores the signed document, sealed whole, for a signed or active
// agreement. Its type is decided by its first bytes (PDF, PNG or JPEG), never by what
// the client says. An upload adds a document; none is ever replaced.
func (s *Service) UploadDocument(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, agreementID string, content []byte) (Document, error) {
	if err := mayWrite(p, c); err != nil {
		return Document{}, err
	}
	if len(content) == 0 {
		return Document{}, &errs.Error{Kind: errs.Invalid, Field: "document", MsgKey: "legal.error.document_missing", Msg: "choose the file of the signed document"}
	}
	if len(content) > MaxDocumentSize {
		return Document{}, errDocumentTooLarge
	}
	ctype, _, ok := SniffDocument(content)
	if !ok {
		return Document{}, &errs.Error{Kind: errs.Invalid, Field: "document", MsgKey: "legal.error.document_type", Msg: "upload a PDF, PNG or JPEG file"}
	}
	id, err := newID()
	if err != nil {
		return Document{}, err
	}
	d := Document{ID: id, ContentType: ctype, Size: int64(len(content)), UploadedBy: p.UserID, UploadedAt: s.stamp()}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		status, _, err := lockAgreement(ctx, tx, c, agreementID)
		if err != nil {
			return err
		}
		if status != StatusSigned && status != StatusActive {
			return &errs.Error{Kind: errs.Conflict, Field: "document", MsgKey: "legal.error.document_status",
				Msg: "the signed document can be uploaded once the agreement is signed"}
		}
		sealed, err := s.sealBytes(ctx, tx, c, "legal_documents", "content", id, content)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO legal_documents (id, tenant_id, returnee_id, agreement_id, content_type, size, content, uploaded_by, uploaded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, c.TenantID, c.ID, agreementID, ctype, d.Size, sealed, p.UserID, store.Millis(d.UploadedAt)); err != nil {
			return errs.Wrap(err, "legal: insert document")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "legal.document.upload", agreementID, "ok"))
		return err
	})
	if err != nil {
		return Document{}, err
	}
	return d, nil
}

var errDocumentTooLarge = &errs.Error{Kind: errs.Invalid, Field: "document", MsgKey: "legal.error.document_too_large", Args: []any{MaxDocumentSize >> 20},
	Msg: "the file is too large (at most 10 MiB)"}

// Download opens a signed document for a legal officer or supervisor. The audit
// record commits before the content is opened: no read the log does not hold.
func (s *Service) Download(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, agreementID, documentID string) (Document, []byte, error) {
	if err := mayRead(p, c); err != nil {
		return Document{}, nil, err
	}
	var d Document
	var content []byte
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var sealed []byte
		var at int64
		err := tx.QueryRow(ctx, `SELECT id, content_type, size, content, uploaded_by, uploaded_at FROM legal_documents
			WHERE tenant_id = ? AND returnee_id = ? AND agreement_id = ? AND id = ?`, c.TenantID, c.ID, agreementID, documentID).
			Scan(&d.ID, &d.ContentType, &d.Size, &sealed, &d.UploadedBy, &at)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoDocument
		}
		if err != nil {
			return errs.Wrap(err, "legal: read document")
		}
		d.UploadedAt = store.FromMillis(at)
		if _, err := s.audit.Append(ctx, tx, entry(p, requestID, "legal.document.download", documentID, "ok")); err != nil {
			return err
		}
		var gone bool
		content, gone, err = s.openBytes(ctx, tx, c, "legal_documents", "content", documentID, sealed)
		if err != nil {
			return err
		}
		if gone {
			return errErased
		}
		return nil
	})
	if err != nil {
		return Document{}, nil, err
	}
	return d, content, nil
}
