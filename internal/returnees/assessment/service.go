// Package assessment is the part of a returnee's case that decides whether they may
// speak in public, and keeps them safe when they do: dated assessments of
// re-engagement risk, readiness to speak and retaliation threat, each written by one
// person and signed off by another; "cleared to speak", computed from them and
// explained check by check; the safety plan; and well-being check-ins with overdue
// alerts.
//
// It reads cases only through caseref.Cases and owns its tables: assessments,
// assessment_settings, safety_plans, wellbeing_checkins and wellbeing_dues. Free text
// is sealed with the returnee's data key, so erasing the person shreds it too.
package assessment

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
	"inoculate/internal/returnees/caseref"
)

// Service is the capability's API for its handlers and for other capabilities.
type Service struct {
	db    *store.DB
	vault *vault.Vault
	audit *audit.Log
	now   func() time.Time
	// UserName resolves a user id to a display name for pages (authors, reviewers);
	// nil shows the id.
	UserName func(tenantID, userID string) string
}

// NewService returns the service.
func NewService(db *store.DB, v *vault.Vault, a *audit.Log) *Service {
	return &Service{db: db, vault: v, audit: a, now: time.Now}
}

// SetClock replaces the clock, for tests and the demo.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func (s *Service) name(tenantID, userID string) string {
	if s.UserName == nil || userID == "" {
		return userID
	}
	return s.UserName(tenantID, userID)
}

func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", errs.Wrap(err, "assessment: new id")
	}
	return id.String(), nil
}

func entry(p *authz.Principal, requestID, action, object string) audit.Entry {
	return audit.Entry{TenantID: p.TenantID, ActorID: p.UserID, Role: string(p.Role), Action: action,
		Object: object, Result: "ok", RequestID: requestID}
}

var errErased = &errs.Error{Kind: errs.Conflict, MsgKey: "error.returnee_erased", Msg: "this returnee's identity was erased; the case takes no new records"}

// writable refuses changes to an erased case: its key is gone, nothing new could be
// sealed for it, and nobody should be assessed or planned for any more.
func writable(c caseref.Case) error {
	if c.Erased {
		return errErased
	}
	return nil
}

// seal seals text for a column of one of our rows, or returns nil for "".
func (s *Service) seal(ctx context.Context, tx *store.Tx, c caseref.Case, table, column, row, text string) ([]byte, error) {
	if text == "" {
		return nil, nil
	}
	ct, err := s.vault.Seal(ctx, tx, vault.FieldRef{TenantID: c.TenantID, Subject: c.ID, Table: table, Column: column, Row: row}, []byte(text))
	return ct, errs.Wrap(err, "assessment: seal "+table+"."+column)
}

// open opens a sealed value; an erased subject gives "" and erased = true, since
// shredded text is gone for good and the page says so instead of failing.
func (s *Service) open(ctx context.Context, q store.Querier, tenantID, returneeID, table, column, row string, ct []byte) (text string, erased bool, err error) {
	if len(ct) == 0 {
		return "", false, nil
	}
	pt, err := s.vault.Open(ctx, q, vault.FieldRef{TenantID: tenantID, Subject: returneeID, Table: table, Column: column, Row: row}, ct)
	if errors.Is(err, vault.ErrShredded) {
		return "", true, nil
	}
	if err != nil {
		return "", false, errs.Wrap(err, "assessment: open "+table+"."+column)
	}
	return string(pt), false, nil
}

// NewAssessment is the input of an assessment.
type NewAssessment struct {
	Kind         Kind
	AssessedOn   string // YYYY-MM-DD; "" for today
	ValidityDays int    // 0 for the kind's default
	Scores       Scores
	Level        Level // retaliation threat only: the assessor's judgement
	Notes        string
}

// normalize validates in and fills in the computed score and result.
func (in NewAssessment) normalize(now time.Time) (Assessment, error) {
	inst := InstrumentFor(in.Kind)
	a := Assessment{Kind: in.Kind, Instrument: inst.Version}
	var err error
	if a.AssessedOn, err = parseDate("assessed_on", "assessment.field.assessed_on", in.AssessedOn, now, true); err != nil {
		return a, err
	}
	a.ValidityDays = in.ValidityDays
	if a.ValidityDays == 0 {
		a.ValidityDays = inst.DefaultDays
	}
	if _, err := checkDays("validity_days", a.ValidityDays, inst.MinDays, inst.MaxDays); err != nil {
		return a, err
	}
	if err := checkScores(in.Kind, in.Scores); err != nil {
		return a, err
	}
	a.Scores = in.Scores
	switch in.Kind {
	case KindRisk:
		a.Score, a.Level = ScoreRisk(in.Scores)
	case KindReadiness:
		a.Score, a.Ready = ScoreReadiness(in.Scores)
	case KindThreat:
		a.Score = ScoreThreat(in.Scores)
		if in.Level.Rank() == 0 {
			return a, invalid("level", "assessment.error.threat_level", "choose a threat level: low, moderate, high or critical")
		}
		if in.Scores["threat.direct_threats"] == 1 && in.Level == LevelLow {
			// Direct threats received are never a low threat.
			return a, invalid("level", "assessment.error.threat_level_direct", "direct threats were received: the threat cannot be low")
		}
		a.Level = in.Level
	}
	a.Notes, err = cleanText("notes", "assessment.field.notes", in.Notes, false, maxNotes, true)
	return a, err
}

// CreateAssessment records a new assessment by p, awaiting sign-off by someone else.
func (s *Service) CreateAssessment(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, in NewAssessment) (Assessment, error) {
	if _, ok := ParseKind(string(in.Kind)); !ok {
		return Assessment{}, invalid("kind", "assessment.error.kind", "unknown assessment kind")
	}
	if err := require(p, PermCreate(in.Kind)); err != nil {
		return Assessment{}, err
	}
	if err := writable(c); err != nil {
		return Assessment{}, err
	}
	a, err := in.normalize(s.now())
	if err != nil {
		return Assessment{}, err
	}
	if a.ID, err = newID(); err != nil {
		return Assessment{}, err
	}
	a.TenantID, a.ReturneeID, a.AuthorID = c.TenantID, c.ID, p.UserID
	a.CreatedAt = s.now().UTC().Truncate(time.Millisecond)
	a.HasNotes = a.Notes != ""
	scores, err := json.Marshal(a.Scores)
	if err != nil {
		return Assessment{}, errs.Wrap(err, "assessment: encode scores")
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		notes, err := s.seal(ctx, tx, c, "assessments", "notes", a.ID, a.Notes)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO assessments (id, tenant_id, returnee_id, kind, instrument, assessed_on, validity_days,
			scores, score, level, ready, notes, author_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.TenantID, a.ReturneeID, string(a.Kind), a.Instrument, date(a.AssessedOn), a.ValidityDays,
			string(scores), a.Score, string(a.Level), a.Ready, notes, a.AuthorID, store.Millis(a.CreatedAt)); err != nil {
			return errs.Wrap(err, "assessment: insert")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "assessment.create", a.ID))
		return err
	})
	if err != nil {
		return Assessment{}, err
	}
	return a, nil
}

const selectAssessment = `SELECT id, tenant_id, returnee_id, kind, instrument, assessed_on, validity_days, scores, score,
	level, ready, notes, author_id, created_at, decision, reviewer_id, reviewed_at, review_note FROM assessments`

// scanAssessment reads a row; the sealed columns come back for opening.
func scanAssessment(row interface{ Scan(...any) error }) (a Assessment, notes, reviewNote []byte, err error) {
	var kind, on, scores, level, decision string
	var created int64
	var reviewer sql.NullString
	var reviewed sql.NullInt64
	if err = row.Scan(&a.ID, &a.TenantID, &a.ReturneeID, &kind, &a.Instrument, &on, &a.ValidityDays, &scores, &a.Score,
		&level, &a.Ready, &notes, &a.AuthorID, &created, &decision, &reviewer, &reviewed, &reviewNote); err != nil {
		return a, nil, nil, err
	}
	a.Kind, a.Level, a.Decision = Kind(kind), Level(level), Decision(decision)
	if a.AssessedOn, err = time.Parse(time.DateOnly, on); err != nil {
		return a, nil, nil, err
	}
	if err = json.Unmarshal([]byte(scores), &a.Scores); err != nil {
		return a, nil, nil, err
	}
	a.CreatedAt = store.FromMillis(created)
	a.ReviewerID = reviewer.String
	if reviewed.Valid {
		a.ReviewedAt = store.FromMillis(reviewed.Int64)
	}
	a.HasNotes = len(notes) > 0
	return a, notes, reviewNote, nil
}

// Assessments lists a returnee's assessments, newest first, without their notes.
func (s *Service) Assessments(ctx context.Context, tenantID, returneeID string) ([]Assessment, error) {
	return s.assessments(ctx, s.db.Reader(), tenantID, returneeID)
}

func (s *Service) assessments(ctx context.Context, q store.Querier, tenantID, returneeID string) ([]Assessment, error) {
	rows, err := q.Query(ctx, selectAssessment+` WHERE tenant_id = ? AND returnee_id = ? ORDER BY assessed_on DESC, created_at DESC, id DESC`,
		tenantID, returneeID)
	if err != nil {
		return nil, errs.Wrap(err, "assessment: list")
	}
	defer rows.Close()
	var out []Assessment
	for rows.Next() {
		a, _, _, err := scanAssessment(rows)
		if err != nil {
			return nil, errs.Wrap(err, "assessment: scan")
		}
		out = append(out, a)
	}
	return out, errs.Wrap(rows.Err(), "assessment: list")
}

var errAssessmentNotFound = &errs.Error{Kind: errs.NotFound, MsgKey: "assessment.error.not_found", Msg: "no such assessment"}

// OpenAssessment returns one assessment of the case with its notes opened. The read
// is audited in the same transaction, before the notes leave the service.
func (s *Service) OpenAssessment(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, id string) (a Assessment, erased bool, err error) {
	if err := require(p, PermRead); err != nil {
		return a, false, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var notes, reviewNote []byte
		var err error
		a, notes, reviewNote, err = scanAssessment(tx.QueryRow(ctx, selectAssessment+` WHERE tenant_id = ? AND returnee_id = ? AND id = ?`, c.TenantID, c.ID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return errAssessmentNotFound
		}
		if err != nil {
			return errs.Wrap(err, "assessment: get")
		}
		if _, err := s.audit.Append(ctx, tx, entry(p, requestID, "assessment.read", a.ID)); err != nil {
			return err
		}
		var e1, e2 bool
		if a.Notes, e1, err = s.open(ctx, tx, c.TenantID, c.ID, "assessments", "notes", a.ID, notes); err != nil {
			return err
		}
		if a.ReviewNote, e2, err = s.open(ctx, tx, c.TenantID, c.ID, "assessments", "review_note", a.ID, reviewNote); err != nil {
			return err
		}
		erased = e1 || e2
		return nil
	})
	return a, erased, err
}

// Review is a reviewer's answer.
type Review struct {
	Decision Decision
	Note     string // why; required when returning
}

// ReviewAssessment records p's sign-off (or return) of an assessment someone else
// wrote: nobody reviews their own, and an assessment is reviewed once.
func (s *Service) ReviewAssessment(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, id string, rv Review) (Assessment, error) {
	if err := require(p, PermReview); err != nil {
		return Assessment{}, err
	}
	if err := writable(c); err != nil {
		return Assessment{}, err
	}
	if rv.Decision != DecisionSignedOff && rv.Decision != DecisionReturned {
		return Assessment{}, invalid("decision", "assessment.error.decision", "decision must be signed_off or returned")
	}
	note, err := cleanText("note", "assessment.field.review_note", rv.Note, rv.Decision == DecisionReturned, maxNotes, true)
	if err != nil {
		return Assessment{}, err
	}
	if rv.Decision == DecisionReturned && len([]rune(note)) < minReturnNote {
		return Assessment{}, invalid("note", "assessment.error.return_note", "say why the assessment goes back (at least 10 characters)")
	}
	var a Assessment
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		a, _, _, err = scanAssessment(tx.QueryRow(ctx, selectAssessment+` WHERE tenant_id = ? AND returnee_id = ? AND id = ?`+tx.ForUpdate(), c.TenantID, c.ID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return errAssessmentNotFound
		}
		if err != nil {
			return errs.Wrap(err, "assessment: get for review")
		}
		if a.AuthorID == p.UserID {
			return &errs.Error{Kind: errs.Forbidden, MsgKey: "assessment.error.own_review", Msg: "an assessment needs a second person: you cannot review your own"}
		}
		if a.Decision != DecisionNone {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "assessment.error.already_reviewed", Msg: "this assessment has already been reviewed"}
		}
		now := s.now().UTC().Truncate(time.Millisecond)
		sealed, err := s.seal(ctx, tx, c, "assessments", "review_note", a.ID, note)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE assessments SET decision = ?, reviewer_id = ?, reviewed_at = ?, review_note = ?
			WHERE tenant_id = ? AND id = ? AND decision = '' AND author_id <> ?`,
			string(rv.Decision), p.UserID, store.Millis(now), sealed, c.TenantID, a.ID, p.UserID)
		if err != nil {
			return errs.Wrap(err, "assessment: review")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "assessment.error.already_reviewed", Msg: "this assessment has already been reviewed"}
		}
		a.Decision, a.ReviewerID, a.ReviewedAt = rv.Decision, p.UserID, now
		action := "assessment.sign_off"
		if rv.Decision == DecisionReturned {
			action = "assessment.return"
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, action, a.ID))
		return err
	})
	if err != nil {
		return Assessment{}, err
	}
	return a, nil
}

// Setting keys of assessment_settings.
const settingRiskThreshold = "risk_threshold"

// RiskThreshold returns the level a re-engagement risk must stay below in the
// tenant: its setting, or DefaultRiskThreshold.
func (s *Service) RiskThreshold(ctx context.Context, tenantID string) (Level, error) {
	return s.riskThreshold(ctx, s.db.Reader(), tenantID)
}

func (s *Service) riskThreshold(ctx context.Context, q store.Querier, tenantID string) (Level, error) {
	var v string
	err := q.QueryRow(ctx, `SELECT value FROM assessment_settings WHERE tenant_id = ? AND key = ?`, tenantID, settingRiskThreshold).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultRiskThreshold, nil
	}
	if err != nil {
		return "", errs.Wrap(err, "assessment: risk threshold")
	}
	for _, l := range RiskThresholds {
		if string(l) == v {
			return l, nil
		}
	}
	// A value we do not know (edited by hand?) falls back to the strictest.
	return RiskThresholds[0], nil
}

// SetRiskThreshold sets the tenant's risk threshold; supervisors only.
func (s *Service) SetRiskThreshold(ctx context.Context, p *authz.Principal, requestID string, l Level) error {
	if err := require(p, PermThreshold); err != nil {
		return err
	}
	ok := false
	for _, t := range RiskThresholds {
		ok = ok || t == l
	}
	if !ok {
		return invalid("threshold", "assessment.error.threshold", "the threshold must be moderate or high")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO assessment_settings (tenant_id, key, value, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			p.TenantID, settingRiskThreshold, string(l), p.UserID, store.Millis(s.now())); err != nil {
			return errs.Wrap(err, "assessment: set risk threshold")
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "assessment.risk_threshold_set", settingRiskThreshold))
		return err
	})
}

// inputs loads what Evaluate needs, in one consistent read.
func (s *Service) inputs(ctx context.Context, q store.Querier, tenantID, returneeID string) (Inputs, error) {
	var in Inputs
	var err error
	if in.Assessments, err = s.assessments(ctx, q, tenantID, returneeID); err != nil {
		return in, err
	}
	if in.RiskThreshold, err = s.riskThreshold(ctx, q, tenantID); err != nil {
		return in, err
	}
	var since sql.NullInt64
	if err := q.QueryRow(ctx, `SELECT MIN(created_at) FROM safety_plans WHERE tenant_id = ? AND returnee_id = ?`, tenantID, returneeID).Scan(&since); err != nil {
		return in, errs.Wrap(err, "assessment: safety plan")
	}
	if since.Valid {
		in.SafetyPlanSince = store.FromMillis(since.Int64)
	}
	return in, nil
}

// Cleared computes whether the returnee is cleared to speak at at, with every
// reason, passing and failing. It is never stored: every caller asks afresh.
func (s *Service) Cleared(ctx context.Context, tenantID, returneeID string, at time.Time) (Clearance, error) {
	var c Clearance
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		in, err := s.inputs(ctx, q, tenantID, returneeID)
		if err != nil {
			return err
		}
		c = Evaluate(in, at)
		return nil
	})
	return c, err
}

// Latest is the governing assessment of a kind with its status.
type Latest struct {
	Assessment
	Status Status
}

// Summary is what the case overview shows of this part of the case.
type Summary struct {
	Readiness, Risk, Threat *Latest // nil when none
	Clearance               Clearance
	HasSafetyPlan           bool
	NextCheckIn             Due
}

// Summary returns the latest assessment of each kind with its status, the
// clearance, and the next check-in with whether it is overdue.
func (s *Service) Summary(ctx context.Context, tenantID, returneeID string, at time.Time) (Summary, error) {
	var sum Summary
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		in, err := s.inputs(ctx, q, tenantID, returneeID)
		if err != nil {
			return err
		}
		sum.Clearance = Evaluate(in, at)
		for _, k := range Kinds {
			a, ok := Governing(in.Assessments, k, at)
			if !ok {
				continue
			}
			l := &Latest{Assessment: a, Status: a.StatusAt(at)}
			switch k {
			case KindReadiness:
				sum.Readiness = l
			case KindRisk:
				sum.Risk = l
			case KindThreat:
				sum.Threat = l
			}
		}
		sum.HasSafetyPlan = !in.SafetyPlanSince.IsZero()
		dues, err := s.dues(ctx, q, tenantID, returneeID, at)
		if err != nil {
			return err
		}
		if len(dues) > 0 {
			sum.NextCheckIn = dues[0]
		}
		return nil
	})
	return sum, err
}
