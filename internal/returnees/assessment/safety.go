package assessment

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/returnees/caseref"
)

// Check-in schedule limits, in days.
const (
	DefaultCheckInEvery = 14 // without a safety plan, or when it says nothing
	MinCheckInEvery     = 1
	MaxCheckInEvery     = 90
	// EngagementCheckInDays is how soon after an engagement a check-in is due:
	// speaking in public about ISIS is a heavy load, and a threat often follows it.
	EngagementCheckInDays = 2
)

// Contact is an emergency contact of a safety plan (sealed as a whole).
type Contact struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// SafetyPlan is one version of a returnee's safety plan.
type SafetyPlan struct {
	ID               string    `json:"id"`
	ReturneeID       string    `json:"returnee_id"`
	Version          int       `json:"version"`
	Measures         string    `json:"measures"`
	Relocation       bool      `json:"relocation"`
	RelocationNotes  string    `json:"relocation_notes"`
	Contacts         []Contact `json:"emergency_contacts"`
	CheckInEveryDays int       `json:"checkin_every_days"`
	CreatedBy        string    `json:"created_by"`
	CreatedAt        time.Time `json:"created_at"`
	// Erased is set when the sealed parts were shredded with the person's key.
	Erased bool `json:"erased,omitempty"`
}

// NewSafetyPlan is the input of a safety plan save. BaseVersion is the version the
// editor started from (0 for the first plan): a save based on an older version is
// refused, so that two people editing at once never silently lose each other's work.
type NewSafetyPlan struct {
	BaseVersion      int
	Measures         string
	Relocation       bool
	RelocationNotes  string
	Contacts         []Contact
	CheckInEveryDays int // 0 for the default
}

func (in NewSafetyPlan) normalize() (NewSafetyPlan, error) {
	var err error
	if in.Measures, err = cleanText("measures", "assessment.field.measures", in.Measures, true, maxMeasures, true); err != nil {
		return in, err
	}
	if in.RelocationNotes, err = cleanText("relocation_notes", "assessment.field.relocation_notes", in.RelocationNotes, false, maxNotes, true); err != nil {
		return in, err
	}
	if in.CheckInEveryDays == 0 {
		in.CheckInEveryDays = DefaultCheckInEvery
	}
	if _, err := checkDays("checkin_every_days", in.CheckInEveryDays, MinCheckInEvery, MaxCheckInEvery); err != nil {
		return in, err
	}
	if len(in.Contacts) > maxContacts {
		return in, invalid("contacts", "assessment.error.too_many_contacts", "at most 5 emergency contacts", maxContacts)
	}
	var cs []Contact
	for _, c := range in.Contacts {
		c.Name = strings.TrimSpace(c.Name)
		c.Phone = strings.TrimSpace(c.Phone)
		if c.Name == "" && c.Phone == "" {
			continue
		}
		if c.Name, err = cleanText("contacts", "assessment.field.contact_name", c.Name, true, maxContactName, false); err != nil {
			return in, err
		}
		if c.Phone == "" {
			return in, invalid("contacts", "assessment.error.contact_phone", "each emergency contact needs a phone number")
		}
		if c.Phone, err = NormalizePhone(c.Phone); err != nil {
			return in, err
		}
		cs = append(cs, c)
	}
	in.Contacts = cs
	return in, nil
}

var errPlanChanged = &errs.Error{Kind: errs.Conflict, Field: "base_version", MsgKey: "assessment.error.plan_changed",
	Msg: "someone else saved the safety plan since you opened it: reload and apply your changes again"}

// SaveSafetyPlan saves a new version of the returnee's safety plan.
func (s *Service) SaveSafetyPlan(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, in NewSafetyPlan) (SafetyPlan, error) {
	if err := require(p, PermSafetyWrite); err != nil {
		return SafetyPlan{}, err
	}
	if err := writable(c); err != nil {
		return SafetyPlan{}, err
	}
	in, err := in.normalize()
	if err != nil {
		return SafetyPlan{}, err
	}
	id, err := newID()
	if err != nil {
		return SafetyPlan{}, err
	}
	sp := SafetyPlan{ID: id, ReturneeID: c.ID, Measures: in.Measures, Relocation: in.Relocation, RelocationNotes: in.RelocationNotes,
		Contacts: in.Contacts, CheckInEveryDays: in.CheckInEveryDays, CreatedBy: p.UserID, CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	if sp.Contacts == nil {
		sp.Contacts = []Contact{}
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var current sql.NullInt64
		if err := tx.QueryRow(ctx, `SELECT MAX(version) FROM safety_plans WHERE tenant_id = ? AND returnee_id = ?`, c.TenantID, c.ID).Scan(&current); err != nil {
			return errs.Wrap(err, "assessment: current plan version")
		}
		if int(current.Int64) != in.BaseVersion {
			return errPlanChanged
		}
		sp.Version = in.BaseVersion + 1
		measures, err := s.seal(ctx, tx, c, "safety_plans", "measures", sp.ID, sp.Measures)
		if err != nil {
			return err
		}
		relocation, err := s.seal(ctx, tx, c, "safety_plans", "relocation_notes", sp.ID, sp.RelocationNotes)
		if err != nil {
			return err
		}
		var contacts []byte
		if len(sp.Contacts) > 0 {
			js, err := json.Marshal(sp.Contacts)
			if err != nil {
				return errs.Wrap(err, "assessment: encode contacts")
			}
			if contacts, err = s.seal(ctx, tx, c, "safety_plans", "contacts", sp.ID, string(js)); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO safety_plans (id, tenant_id, returnee_id, version, measures, relocation, relocation_notes,
			contacts, checkin_every_days, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sp.ID, c.TenantID, c.ID, sp.Version, measures, sp.Relocation, relocation, contacts, sp.CheckInEveryDays, sp.CreatedBy, store.Millis(sp.CreatedAt))
		if store.IsUniqueViolation(err) {
			// Another save of the same version committed first (PostgreSQL).
			return errPlanChanged
		}
		if err != nil {
			return errs.Wrap(err, "assessment: insert safety plan")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "safety_plan.save", sp.ID))
		return err
	})
	if err != nil {
		return SafetyPlan{}, err
	}
	return sp, nil
}

// OpenSafetyPlan returns the current version of the returnee's safety plan with its
// sealed parts opened, auditing the read first; ok is false when there is none.
func (s *Service) OpenSafetyPlan(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case) (sp SafetyPlan, ok bool, err error) {
	if err := require(p, PermSafetyRead); err != nil {
		return sp, false, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var measures, relocation, contacts []byte
		var created int64
		err := tx.QueryRow(ctx, `SELECT id, returnee_id, version, measures, relocation, relocation_notes, contacts, checkin_every_days, created_by, created_at
			FROM safety_plans WHERE tenant_id = ? AND returnee_id = ? ORDER BY version DESC LIMIT 1`, c.TenantID, c.ID).Scan(
			&sp.ID, &sp.ReturneeID, &sp.Version, &measures, &sp.Relocation, &relocation, &contacts, &sp.CheckInEveryDays, &sp.CreatedBy, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return errs.Wrap(err, "assessment: safety plan")
		}
		ok = true
		sp.CreatedAt = store.FromMillis(created)
		if _, err := s.audit.Append(ctx, tx, entry(p, requestID, "safety_plan.read", sp.ID)); err != nil {
			return err
		}
		var e1, e2, e3 bool
		if sp.Measures, e1, err = s.open(ctx, tx, c.TenantID, c.ID, "safety_plans", "measures", sp.ID, measures); err != nil {
			return err
		}
		if sp.RelocationNotes, e2, err = s.open(ctx, tx, c.TenantID, c.ID, "safety_plans", "relocation_notes", sp.ID, relocation); err != nil {
			return err
		}
		js, e3, err := s.open(ctx, tx, c.TenantID, c.ID, "safety_plans", "contacts", sp.ID, contacts)
		if err != nil {
			return err
		}
		sp.Contacts = []Contact{}
		if js != "" {
			if err := json.Unmarshal([]byte(js), &sp.Contacts); err != nil {
				return errs.Wrap(err, "assessment: decode contacts")
			}
		}
		sp.Erased = e1 || e2 || e3
		return nil
	})
	return sp, ok, err
}

// PlanVersion is one saved version of a safety plan, as the history shows it: who
// and when, never the content.
type PlanVersion struct {
	Version   int       `json:"version"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// SafetyPlanVersions lists the versions of the returnee's safety plan, newest first.
func (s *Service) SafetyPlanVersions(ctx context.Context, tenantID, returneeID string) ([]PlanVersion, error) {
	rows, err := s.db.Reader().Query(ctx, `SELECT version, created_by, created_at FROM safety_plans WHERE tenant_id = ? AND returnee_id = ? ORDER BY version DESC`, tenantID, returneeID)
	if err != nil {
		return nil, errs.Wrap(err, "assessment: plan versions")
	}
	defer rows.Close()
	var out []PlanVersion
	for rows.Next() {
		var v PlanVersion
		var at int64
		if err := rows.Scan(&v.Version, &v.CreatedBy, &at); err != nil {
			return nil, errs.Wrap(err, "assessment: scan plan version")
		}
		v.CreatedAt = store.FromMillis(at)
		out = append(out, v)
	}
	return out, errs.Wrap(rows.Err(), "assessment: plan versions")
}

// CheckIn is one well-being check-in.
type CheckIn struct {
	ID         string    `json:"id"`
	ReturneeID string    `json:"returnee_id"`
	HeldOn     time.Time `json:"-"`
	HeldBy     string    `json:"held_by"`
	Wellbeing  int       `json:"wellbeing"`
	Concerns   string    `json:"concerns"`
	NextDue    time.Time `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	Erased     bool      `json:"erased,omitempty"`
}

// Well-being is rated 1 (very poor) to 5 (very good).
const (
	MinWellbeing = 1
	MaxWellbeing = 5
)

// NewCheckIn is the input of a check-in.
type NewCheckIn struct {
	HeldOn    string // YYYY-MM-DD; "" for today
	Wellbeing int
	Concerns  string
	NextDue   string // YYYY-MM-DD; "" for the plan's schedule
}

// RecordCheckIn records a check-in held by p. The next one falls due on the date
// given, or after the safety plan's interval (DefaultCheckInEvery without a plan).
func (s *Service) RecordCheckIn(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, in NewCheckIn) (CheckIn, error) {
	if err := require(p, PermCheckIn); err != nil {
		return CheckIn{}, err
	}
	if err := writable(c); err != nil {
		return CheckIn{}, err
	}
	now := s.now()
	ci := CheckIn{ReturneeID: c.ID, HeldBy: p.UserID, Wellbeing: in.Wellbeing, CreatedAt: now.UTC().Truncate(time.Millisecond)}
	var err error
	if ci.HeldOn, err = parseDate("held_on", "assessment.field.held_on", in.HeldOn, now, true); err != nil {
		return CheckIn{}, err
	}
	if in.Wellbeing < MinWellbeing || in.Wellbeing > MaxWellbeing {
		return CheckIn{}, invalid("wellbeing", "assessment.error.wellbeing", "rate well-being from 1 (very poor) to 5 (very good)")
	}
	if ci.Concerns, err = cleanText("concerns", "assessment.field.concerns", in.Concerns, false, maxNotes, true); err != nil {
		return CheckIn{}, err
	}
	if strings.TrimSpace(in.NextDue) != "" {
		if ci.NextDue, err = parseFutureDate("next_due", "assessment.field.next_due", in.NextDue, ci.HeldOn.AddDate(0, 0, 1)); err != nil {
			return CheckIn{}, err
		}
	}
	if ci.ID, err = newID(); err != nil {
		return CheckIn{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if ci.NextDue.IsZero() {
			every, err := planEvery(ctx, tx, c.TenantID, c.ID)
			if err != nil {
				return err
			}
			ci.NextDue = ci.HeldOn.AddDate(0, 0, every)
		}
		concerns, err := s.seal(ctx, tx, c, "wellbeing_checkins", "concerns", ci.ID, ci.Concerns)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO wellbeing_checkins (id, tenant_id, returnee_id, held_on, held_by, wellbeing, concerns, next_due, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, ci.ID, c.TenantID, c.ID, date(ci.HeldOn), ci.HeldBy, ci.Wellbeing, concerns, date(ci.NextDue),
			store.Millis(ci.CreatedAt)); err != nil {
			return errs.Wrap(err, "assessment: insert check-in")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "checkin.create", ci.ID))
		return err
	})
	if err != nil {
		return CheckIn{}, err
	}
	return ci, nil
}

// planEvery is the current safety plan's check-in interval, or the default.
func planEvery(ctx context.Context, q store.Querier, tenantID, returneeID string) (int, error) {
	var every int
	err := q.QueryRow(ctx, `SELECT checkin_every_days FROM safety_plans WHERE tenant_id = ? AND returnee_id = ? ORDER BY version DESC LIMIT 1`,
		tenantID, returneeID).Scan(&every)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultCheckInEvery, nil
	}
	return every, errs.Wrap(err, "assessment: plan interval")
}

// maxCheckInsShown bounds the check-ins a page opens at once.
const maxCheckInsShown = 50

// OpenCheckIns returns the returnee's latest check-ins, newest first, with their
// concerns opened; the read is audited first.
func (s *Service) OpenCheckIns(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case) ([]CheckIn, error) {
	if err := require(p, PermCheckIn); err != nil {
		return nil, err
	}
	var out []CheckIn
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, returnee_id, held_on, held_by, wellbeing, concerns, next_due, created_at FROM wellbeing_checkins
			WHERE tenant_id = ? AND returnee_id = ? ORDER BY held_on DESC, created_at DESC LIMIT ?`, c.TenantID, c.ID, maxCheckInsShown)
		if err != nil {
			return errs.Wrap(err, "assessment: check-ins")
		}
		var sealed [][]byte
		for rows.Next() {
			var ci CheckIn
			var held, next string
			var created int64
			var concerns []byte
			if err := rows.Scan(&ci.ID, &ci.ReturneeID, &held, &ci.HeldBy, &ci.Wellbeing, &concerns, &next, &created); err != nil {
				rows.Close()
				return errs.Wrap(err, "assessment: scan check-in")
			}
			ci.HeldOn, _ = time.Parse(time.DateOnly, held)
			ci.NextDue, _ = time.Parse(time.DateOnly, next)
			ci.CreatedAt = store.FromMillis(created)
			out = append(out, ci)
			sealed = append(sealed, concerns)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return errs.Wrap(err, "assessment: check-ins")
		}
		if len(out) == 0 {
			return nil
		}
		if _, err := s.audit.Append(ctx, tx, entry(p, requestID, "checkin.read", c.ID)); err != nil {
			return err
		}
		for i := range out {
			if out[i].Concerns, out[i].Erased, err = s.open(ctx, tx, c.TenantID, c.ID, "wellbeing_checkins", "concerns", out[i].ID, sealed[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// CheckInDueAfterEngagement records that a check-in is due after the returnee took
// part in an engagement on engagementDate: it falls due EngagementCheckInDays later
// and is met by any check-in held on or after that date. Capabilities that run
// engagements call it inside their own transaction, so the engagement and the duty
// of care commit together. A second engagement on the same day adds nothing.
func (s *Service) CheckInDueAfterEngagement(ctx context.Context, tx *store.Tx, tenantID, returneeID string, engagementDate time.Time) error {
	if tenantID == "" || returneeID == "" {
		return errors.New("assessment: check-in due: empty tenant or returnee")
	}
	after := Day(engagementDate)
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM wellbeing_dues WHERE tenant_id = ? AND returnee_id = ? AND source = 'engagement' AND after_on = ?`,
		tenantID, returneeID, date(after)).Scan(&n); err != nil {
		return errs.Wrap(err, "assessment: check-in due")
	}
	if n > 0 {
		return nil
	}
	id, err := newID()
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO wellbeing_dues (id, tenant_id, returnee_id, source, after_on, due_on, created_at) VALUES (?, ?, ?, 'engagement', ?, ?, ?)`,
		id, tenantID, returneeID, date(after), date(after.AddDate(0, 0, EngagementCheckInDays)), store.Millis(s.now())); err != nil {
		return errs.Wrap(err, "assessment: insert check-in due")
	}
	_, err = s.audit.Append(ctx, tx, audit.Entry{TenantID: tenantID, ActorID: "system", Action: "checkin.due", Object: id, Result: "ok"})
	return err
}

// Due is when a returnee's next check-in falls due.
type Due struct {
	ReturneeID string    `json:"returnee_id"`
	DueOn      time.Time `json:"-"` // zero: nothing scheduled (no plan, no check-in, no engagement)
	// Source says why: "schedule" (the last check-in or the plan's interval) or
	// "engagement" (a check-in owed after an engagement).
	Source      string `json:"source"`
	Overdue     bool   `json:"overdue"`
	DaysOverdue int    `json:"days_overdue"`
}

// OverdueCheckIn is a check-in whose due date has passed.
type OverdueCheckIn = Due

// dueFacts is what the due date of one returnee is computed from.
type dueFacts struct {
	lastHeld, lastNext time.Time // latest check-in; zero if none
	planSince          time.Time // first safety plan; zero if none
	planEvery          int       // current plan's interval; 0 if no plan
	engagement         time.Time // earliest engagement due not yet met; zero if none
}

// nextDue computes the next due check-in from the facts: the schedule (the last
// check-in's next date, brought forward if the plan now asks for more frequent
// check-ins; or the plan's interval from its start) and any engagement still owed,
// whichever is earlier. On the due day it is due, the day after overdue.
func nextDue(f dueFacts, at time.Time) Due {
	var d Due
	var sched time.Time
	switch {
	case !f.lastHeld.IsZero():
		sched = f.lastNext
		if f.planEvery > 0 {
			if byPlan := f.lastHeld.AddDate(0, 0, f.planEvery); byPlan.Before(sched) {
				sched = byPlan
			}
		}
	case !f.planSince.IsZero() && f.planEvery > 0:
		sched = Day(f.planSince).AddDate(0, 0, f.planEvery)
	}
	if !sched.IsZero() {
		d.DueOn, d.Source = sched, "schedule"
	}
	if !f.engagement.IsZero() && (d.DueOn.IsZero() || f.engagement.Before(d.DueOn)) {
		d.DueOn, d.Source = f.engagement, "engagement"
	}
	if !d.DueOn.IsZero() && Day(at).After(d.DueOn) {
		d.Overdue = true
		d.DaysOverdue = int(Day(at).Sub(d.DueOn).Hours() / 24)
	}
	return d
}

// dues computes the next due check-in of every returnee of the tenant that has one
// (or of one returnee when returneeID is set), earliest first.
func (s *Service) dues(ctx context.Context, q store.Querier, tenantID, returneeID string, at time.Time) ([]Due, error) {
	one, args := "", []any{tenantID}
	if returneeID != "" {
		one, args = " AND x.returnee_id = ?", []any{tenantID, returneeID}
	}
	facts := map[string]*dueFacts{}
	get := func(id string) *dueFacts {
		if f, ok := facts[id]; ok {
			return f
		}
		f := &dueFacts{}
		facts[id] = f
		return f
	}
	scan := func(query string, fn func(rows *sql.Rows) error) error {
		rows, err := q.Query(ctx, query, args...)
		if err != nil {
			return errs.Wrap(err, "assessment: dues")
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows); err != nil {
				return errs.Wrap(err, "assessment: scan dues")
			}
		}
		return errs.Wrap(rows.Err(), "assessment: dues")
	}
	// The latest check-in of each returnee.
	err := scan(`SELECT x.returnee_id, x.held_on, x.next_due FROM wellbeing_checkins x WHERE x.tenant_id = ?`+one+`
		AND NOT EXISTS (SELECT 1 FROM wellbeing_checkins y WHERE y.tenant_id = x.tenant_id AND y.returnee_id = x.returnee_id
			AND (y.held_on > x.held_on OR (y.held_on = x.held_on AND (y.created_at > x.created_at OR (y.created_at = x.created_at AND y.id > x.id)))))`,
		func(rows *sql.Rows) error {
			var id, held, next string
			if err := rows.Scan(&id, &held, &next); err != nil {
				return err
			}
			f := get(id)
			var err error
			if f.lastHeld, err = time.Parse(time.DateOnly, held); err != nil {
				return err
			}
			f.lastNext, err = time.Parse(time.DateOnly, next)
			return err
		})
	if err != nil {
		return nil, err
	}
	// The current safety plan's interval, and when the first plan was made.
	err = scan(`SELECT x.returnee_id, x.checkin_every_days,
			(SELECT MIN(y.created_at) FROM safety_plans y WHERE y.tenant_id = x.tenant_id AND y.returnee_id = x.returnee_id)
		FROM safety_plans x WHERE x.tenant_id = ?`+one+`
		AND x.version = (SELECT MAX(y.version) FROM safety_plans y WHERE y.tenant_id = x.tenant_id AND y.returnee_id = x.returnee_id)`,
		func(rows *sql.Rows) error {
			var id string
			var every int
			var since int64
			if err := rows.Scan(&id, &every, &since); err != nil {
				return err
			}
			f := get(id)
			f.planEvery, f.planSince = every, store.FromMillis(since)
			return nil
		})
	if err != nil {
		return nil, err
	}
	// Engagement dues not met by a check-in held on or after the engagement.
	err = scan(`SELECT x.returnee_id, MIN(x.due_on) FROM wellbeing_dues x WHERE x.tenant_id = ?`+one+`
		AND NOT EXISTS (SELECT 1 FROM wellbeing_checkins c WHERE c.tenant_id = x.tenant_id AND c.returnee_id = x.returnee_id AND c.held_on >= x.after_on)
		GROUP BY x.returnee_id`,
		func(rows *sql.Rows) error {
			var id, due string
			if err := rows.Scan(&id, &due); err != nil {
				return err
			}
			t, err := time.Parse(time.DateOnly, due)
			get(id).engagement = t
			return err
		})
	if err != nil {
		return nil, err
	}
	var out []Due
	for id, f := range facts {
		d := nextDue(*f, at)
		if d.DueOn.IsZero() {
			continue
		}
		d.ReturneeID = id
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Due) int {
		if c := a.DueOn.Compare(b.DueOn); c != 0 {
			return c
		}
		return strings.Compare(a.ReturneeID, b.ReturneeID)
	})
	return out, nil
}

// CheckInDue returns when the returnee's next check-in falls due at at, and whether
// it is overdue; DueOn is zero when nothing is scheduled.
func (s *Service) CheckInDue(ctx context.Context, tenantID, returneeID string, at time.Time) (Due, error) {
	ds, err := s.dues(ctx, s.db.Reader(), tenantID, returneeID, at)
	if err != nil || len(ds) == 0 {
		return Due{ReturneeID: returneeID}, err
	}
	return ds[0], nil
}

// Overdue lists the tenant's overdue check-ins at at, the longest overdue first, for
// dashboards. It knows returnees by id only: callers show each through
// caseref.Cases.Open, which also keeps other caseloads out of a case worker's view.
func (s *Service) Overdue(ctx context.Context, tenantID string, at time.Time) ([]OverdueCheckIn, error) {
	ds, err := s.dues(ctx, s.db.Reader(), tenantID, "", at)
	if err != nil {
		return nil, err
	}
	var out []OverdueCheckIn
	for _, d := range ds {
		if d.Overdue {
			out = append(out, d)
		}
	}
	return out, nil
}

// EraseSealed clears every sealed column of the returnee in this capability's tables,
// inside the erasure's transaction and before the data key is destroyed: the
// ciphertexts are unreadable after the shred anyway, but empty columns leave nothing
// for anyone who later finds a copy of that key. Register it with the returnees
// service's OnErase. Scores, levels and dates stay: the program's records still add up.
func (s *Service) EraseSealed(ctx context.Context, tx *store.Tx, tenantID, returneeID string) error {
	for _, q := range []string{
		`UPDATE assessments SET notes = NULL, review_note = NULL WHERE tenant_id = ? AND returnee_id = ?`,
		`UPDATE safety_plans SET measures = NULL, relocation_notes = NULL, contacts = NULL WHERE tenant_id = ? AND returnee_id = ?`,
		`UPDATE wellbeing_checkins SET concerns = NULL WHERE tenant_id = ? AND returnee_id = ?`,
	} {
		if _, err := tx.Exec(ctx, q, tenantID, returneeID); err != nil {
			return errs.Wrap(err, "assessment: erase sealed text")
		}
	}
	return nil
}
