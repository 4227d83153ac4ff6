package legal

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
	"inoculate/internal/returnees/caseref"
)

// Service is the legal capability's API for its handlers and for other capabilities
// (AgreementOfficers for consent, Status for the case overview).
type Service struct {
	db    *store.DB
	vault *vault.Vault
	audit *audit.Log
	count ObligationCounter
	now   func() time.Time
	names func(tenantID, userID string) string
}

// NewService returns the service. count may be nil: obligations then show no
// progress, with a note that they are counted once engagements are recorded.
func NewService(db *store.DB, v *vault.Vault, a *audit.Log, count ObligationCounter) *Service {
	return &Service{db: db, vault: v, audit: a, count: count, now: time.Now}
}

// SetObligationCounter plugs in the counter once the capability that keeps the
// records (engagements, testimonies) exists.
func (s *Service) SetObligationCounter(c ObligationCounter) { s.count = c }

// SetUserNames sets how pages show a user id (who signed, who decided); without it
// they show the id.
func (s *Service) SetUserNames(f func(tenantID, userID string) string) { s.names = f }

// UserName shows a user id for pages.
func (s *Service) UserName(tenantID, userID string) string {
	if userID == "" {
		return "—"
	}
	if s.names != nil {
		return s.names(tenantID, userID)
	}
	return userID
}

func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", errs.Wrap(err, "legal: new id")
	}
	return id.String(), nil
}

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

func (s *Service) today() string { return s.now().UTC().Format(time.DateOnly) }

func entry(p *authz.Principal, requestID, action, object, result string) audit.Entry {
	return audit.Entry{TenantID: p.TenantID, ActorID: p.UserID, Role: string(p.Role), Action: action,
		Object: object, Result: result, RequestID: requestID}
}

func fieldRef(c caseref.Case, table, column, row string) vault.FieldRef {
	return vault.FieldRef{TenantID: c.TenantID, Subject: c.ID, Table: table, Column: column, Row: row}
}

// seal seals text for a column; "" gives nil (a NULL column) for optional texts.
func (s *Service) seal(ctx context.Context, tx *store.Tx, c caseref.Case, table, column, row, text string) ([]byte, error) {
	return s.sealBytes(ctx, tx, c, table, column, row, []byte(text))
}

func (s *Service) sealBytes(ctx context.Context, tx *store.Tx, c caseref.Case, table, column, row string, b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, nil
	}
	ct, err := s.vault.Seal(ctx, tx, fieldRef(c, table, column, row), b)
	if err != nil {
		return nil, errs.Wrap(err, "legal: seal "+table+"."+column)
	}
	return ct, nil
}

// open opens a sealed column. A NULL column is "". An erased person's texts are gone
// for good: that is no failure, the caller shows them as erased (gone is true).
func (s *Service) open(ctx context.Context, q store.Querier, c caseref.Case, table, column, row string, ct []byte) (text string, gone bool, err error) {
	b, gone, err := s.openBytes(ctx, q, c, table, column, row, ct)
	return string(b), gone, err
}

func (s *Service) openBytes(ctx context.Context, q store.Querier, c caseref.Case, table, column, row string, ct []byte) ([]byte, bool, error) {
	if ct == nil {
		return nil, false, nil
	}
	pt, err := s.vault.Open(ctx, q, fieldRef(c, table, column, row), ct)
	if errors.Is(err, vault.ErrShredded) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, errs.Wrap(err, "legal: open "+table+"."+column)
	}
	return pt, false, nil
}

// Errors shared by the service.
var (
	errNotLegalOfficer = &errs.Error{Kind: errs.Forbidden, MsgKey: "legal.error.not_legal_officer", Msg: "only legal officers can do this"}
	errNotReader       = &errs.Error{Kind: errs.Forbidden, MsgKey: "error.forbidden", Msg: "your role does not allow this"}
	errStepUp          = &errs.Error{Kind: errs.Forbidden, MsgKey: "error.step_up", Msg: "this action needs a fresh sign-in"}
	errErased          = &errs.Error{Kind: errs.Conflict, MsgKey: "error.returnee_erased", Msg: "this person's record was erased"}
	errNoCase          = &errs.Error{Kind: errs.NotFound, MsgKey: "error.returnee_not_found", Msg: "no such returnee"}
	errNoAgreement     = &errs.Error{Kind: errs.NotFound, MsgKey: "legal.error.agreement_not_found", Msg: "no such agreement"}
	errNoDocument      = &errs.Error{Kind: errs.NotFound, MsgKey: "legal.error.document_not_found", Msg: "no such document"}

	// ErrCapitalCrime refuses an immunity agreement: the reason shown to the user.
	ErrCapitalCrime = &errs.Error{Kind: errs.Conflict, MsgKey: "legal.error.capital_crime",
		Msg: "the legal screening found a capital crime: this person is not eligible for an immunity or leniency agreement, and a referral to prosecution is recorded instead"}
	errNoScreening = &errs.Error{Kind: errs.Conflict, MsgKey: "legal.error.no_screening",
		Msg: "there is no legal screening yet: the agreement cannot be signed or put in force"}
	errUndetermined = &errs.Error{Kind: errs.Conflict, MsgKey: "legal.error.undetermined",
		Msg: "the capital-crime finding is undetermined: signing is blocked until it is resolved"}
	errCapitalCrimeSign = &errs.Error{Kind: errs.Conflict, MsgKey: "legal.error.capital_crime_sign",
		Msg: "the legal screening found a capital crime: the agreement cannot be signed or put in force"}
	errLive = &errs.Error{Kind: errs.Conflict, MsgKey: "legal.error.agreement_live",
		Msg: "this person already has an agreement in progress or in force; revoke it before drafting another"}
)

// mayWrite checks that p, a legal officer of the case's tenant, may change the case.
func mayWrite(p *authz.Principal, c caseref.Case) error {
	if p == nil || c.ID == "" || p.TenantID != c.TenantID {
		return errNoCase
	}
	if p.Role != authz.LegalOfficer {
		return errNotLegalOfficer
	}
	if c.Erased {
		return errErased
	}
	return nil
}

// mayRead checks that p may read the legal part of the case: legal officers and
// supervisors only (communications officers must never see agreements).
func mayRead(p *authz.Principal, c caseref.Case) error {
	if p == nil || c.ID == "" || p.TenantID != c.TenantID {
		return errNoCase
	}
	if p.Role != authz.LegalOfficer && p.Role != authz.Supervisor {
		return errNotReader
	}
	return nil
}

// currentFinding returns the latest screening's finding, "" when there is none.
func currentFinding(ctx context.Context, q store.Querier, tenantID, returneeID string) (Finding, error) {
	var f string
	err := q.QueryRow(ctx, `SELECT capital_crime FROM legal_screenings WHERE tenant_id = ? AND returnee_id = ?
		ORDER BY version DESC LIMIT 1`, tenantID, returneeID).Scan(&f)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return Finding(f), errs.Wrap(err, "legal: current finding")
}

// findingAllowsSigning returns the reason a finding blocks signing or putting in
// force, or nil for "no capital crime".
func findingAllowsSigning(f Finding) error {
	switch f {
	case FindingNo:
		return nil
	case FindingUndetermined:
		return errUndetermined
	case FindingYes:
		return errCapitalCrimeSign
	default:
		return errNoScreening
	}
}

// Status is the legal standing of a case for the overview: the finding, the
// agreement's status and what blocks, as catalogue keys. It opens nothing sealed.
func (s *Service) Status(ctx context.Context, tenantID, returneeID string) (Summary, error) {
	q := s.db.Reader()
	var sum Summary
	var f string
	var at int64
	err := q.QueryRow(ctx, `SELECT capital_crime, decided_at FROM legal_screenings WHERE tenant_id = ? AND returnee_id = ?
		ORDER BY version DESC LIMIT 1`, tenantID, returneeID).Scan(&f, &at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return sum, errs.Wrap(err, "legal: status screening")
	default:
		sum.Screened, sum.Finding, sum.ScreenedAt = true, Finding(f), store.FromMillis(at)
	}
	var n int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM legal_referrals WHERE tenant_id = ? AND returnee_id = ?`, tenantID, returneeID).Scan(&n); err != nil {
		return sum, errs.Wrap(err, "legal: status referrals")
	}
	sum.Referred = n > 0
	// The live agreement if any, else the latest one.
	var id, status string
	var round int
	err = q.QueryRow(ctx, `SELECT id, status, review_round FROM legal_agreements WHERE tenant_id = ? AND returnee_id = ?
		ORDER BY CASE WHEN status IN ('draft', 'under_review', 'signed', 'active') THEN 0 ELSE 1 END, created_at DESC, id DESC LIMIT 1`,
		tenantID, returneeID).Scan(&id, &status, &round)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return sum, errs.Wrap(err, "legal: status agreement")
	default:
		sum.AgreementID, sum.Agreement = id, Status(status)
		if sum.Agreement == StatusUnderReview {
			if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM legal_signatures WHERE tenant_id = ? AND agreement_id = ? AND review_round = ?`,
				tenantID, id, round).Scan(&sum.Signatures); err != nil {
				return sum, errs.Wrap(err, "legal: status signatures")
			}
		}
	}
	sum.complete()
	return sum, nil
}

// complete fills Blocking and CanCreateAgreement from the finding and agreement.
func (sum *Summary) complete() {
	sum.Blocking = []string{}
	switch {
	case !sum.Screened:
		sum.Blocking = append(sum.Blocking, BlockNoScreening)
	case sum.Finding == FindingUndetermined:
		sum.Blocking = append(sum.Blocking, BlockUndetermined)
	case sum.Finding == FindingYes:
		sum.Blocking = append(sum.Blocking, BlockCapitalCrime)
	}
	switch sum.Agreement {
	case "":
		if sum.Finding != FindingYes {
			sum.Blocking = append(sum.Blocking, BlockNoAgreement)
		}
	case StatusDraft:
		sum.Blocking = append(sum.Blocking, BlockAgreementDraft)
	case StatusUnderReview:
		sum.Blocking = append(sum.Blocking, BlockAgreementReview)
	case StatusSigned:
		sum.Blocking = append(sum.Blocking, BlockAgreementSigned)
	case StatusActive:
		if sum.Finding != FindingNo {
			// A later screening put the finding in question: the officers must decide.
			sum.Blocking = append(sum.Blocking, BlockFindingAfterSigned)
		}
	case StatusBreached, StatusRevoked:
		sum.Blocking = append(sum.Blocking, BlockAgreementEnded)
	}
	sum.CanCreateAgreement = sum.Finding != FindingYes && !sum.Agreement.Live()
}

// AgreementOfficers returns the ids of the legal officers on the person's agreements:
// who drafted, edited, signed or moved any of them. Consent must not be taken by
// them (free consent, separate from the agreement).
func (s *Service) AgreementOfficers(ctx context.Context, tenantID, returneeID string) ([]string, error) {
	rows, err := s.db.Reader().Query(ctx, `
		SELECT created_by FROM legal_agreements WHERE tenant_id = ? AND returnee_id = ?
		UNION
		SELECT e.user_id FROM legal_agreement_events e WHERE e.tenant_id = ? AND e.returnee_id = ?
		UNION
		SELECT g.user_id FROM legal_signatures g JOIN legal_agreements a ON a.id = g.agreement_id AND a.tenant_id = g.tenant_id
			WHERE g.tenant_id = ? AND a.returnee_id = ?`,
		tenantID, returneeID, tenantID, returneeID, tenantID, returneeID)
	if err != nil {
		return nil, errs.Wrap(err, "legal: agreement officers")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "legal: agreement officers")
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "legal: agreement officers")
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// progress counts an obligation from the program's records. Without a counter, or
// when it fails, the count is unknown and says why: never a guess.
func (s *Service) progress(ctx context.Context, tenantID, returneeID string, o Obligation) *Progress {
	p := &Progress{}
	from, err1 := time.Parse(time.DateOnly, o.From)
	until, err2 := time.Parse(time.DateOnly, o.Until)
	if s.count == nil || err1 != nil || err2 != nil {
		p.NoteKey, p.Note = "legal.obligation.not_counted", "not counted by the program's records yet"
		return p
	}
	end := until.AddDate(0, 0, 1) // the until day is included
	n, err := s.count(ctx, tenantID, returneeID, string(o.Kind), from, end)
	if errors.Is(err, ErrNotCounted) {
		p.NoteKey, p.Note = "legal.obligation.not_counted", "not counted by the program's records yet"
		return p
	}
	if err != nil {
		slog.Error("legal: count obligation", "err", err, "kind", o.Kind)
		p.NoteKey, p.Note = "legal.obligation.count_failed", "could not be counted just now"
		return p
	}
	p.Counted, p.Known = n, true
	p.Met = n >= o.Count
	p.Overdue = !p.Met && !s.now().Before(end)
	return p
}
