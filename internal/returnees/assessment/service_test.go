package assessment_test

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/platform/vault"
	"inoculate/internal/returnees"
	"inoculate/internal/returnees/assessment"
	"inoculate/internal/returnees/caseref"
)

// env is one store with two tenants: in A a user per role that matters here (two
// supervisors, so that one can review the other), in B a supervisor; the real
// returnees service opens cases; the clock is the test's.
type env struct {
	t    *testing.T
	db   *store.DB
	log  *audit.Log
	ret  *returnees.Service
	svc  *assessment.Service
	now  time.Time
	user map[string]*authz.Principal // "cw", "cw2", "sup", "sup2", "so", "lo", "cl", "co", "b-sup"
	c    caseref.Case                // a returnee of tenant A, in cw's caseload
}

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func setup(t *testing.T, db *store.DB) *env {
	t.Helper()
	ctx := context.Background()
	kf, err := vault.OpenKeyFile(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := kf.AuditSigner()
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(kf, kf)
	e := &env{t: t, db: db, log: audit.New(db, signer), now: start, user: map[string]*authz.Principal{}}
	e.ret = returnees.NewService(db, v, e.log)
	e.svc = assessment.NewService(db, v, e.log)
	e.svc.SetClock(func() time.Time { return e.now })
	e.ret.OnErase(e.svc.EraseSealed)
	users := []struct {
		tenant, key string
		role        authz.Role
	}{
		{"tenant-a", "cw", authz.CaseWorker}, {"tenant-a", "cw2", authz.CaseWorker}, {"tenant-a", "sup", authz.Supervisor},
		{"tenant-a", "sup2", authz.Supervisor}, {"tenant-a", "so", authz.SafetyOfficer}, {"tenant-a", "lo", authz.LegalOfficer},
		{"tenant-a", "cl", authz.CommunityLiaison}, {"tenant-a", "co", authz.CommsOfficer}, {"tenant-b", "b-sup", authz.Supervisor},
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for _, id := range []string{"tenant-a", "tenant-b"} {
			if _, err := tx.Exec(ctx, `INSERT INTO tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)`, id, id, id, 1); err != nil {
				return err
			}
		}
		for _, u := range users {
			if _, err := tx.Exec(ctx, `INSERT INTO users (id, tenant_id, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				"user-"+u.key, u.tenant, u.key, string(u.role), "x", 1); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"tenant-a", "tenant-b"} {
		if err := kf.EnsureTenant(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range users {
		e.user[u.key] = &authz.Principal{TenantID: u.tenant, UserID: "user-" + u.key, Role: u.role, Stage: authz.StageFull}
	}
	r, err := e.ret.Create(ctx, e.user["cw"], "", returnees.NewReturnee{Alias: "Olive", Identity: returnees.Identity{LegalName: "CANARY Name"}})
	if err != nil {
		t.Fatal(err)
	}
	e.c = e.open("cw", r.ID)
	return e
}

func (e *env) open(user, id string) caseref.Case {
	e.t.Helper()
	c, err := e.ret.Open(context.Background(), e.user[user], id)
	if err != nil {
		e.t.Fatalf("open case as %s: %v", user, err)
	}
	return c
}

// assess records an assessment of kind k by author with every item at v (threat:
// at level l) and returns it.
func (e *env) assess(author string, k assessment.Kind, v int, l assessment.Level) assessment.Assessment {
	e.t.Helper()
	a, err := e.svc.CreateAssessment(context.Background(), e.user[author], "req", e.c,
		assessment.NewAssessment{Kind: k, Scores: all(k, v), Level: l, Notes: "CANARY note about " + string(k)})
	if err != nil {
		e.t.Fatalf("assess %s as %s: %v", k, author, err)
	}
	return a
}

func (e *env) signOff(reviewer string, a assessment.Assessment) {
	e.t.Helper()
	if _, err := e.svc.ReviewAssessment(context.Background(), e.user[reviewer], "req", e.c, a.ID, assessment.Review{Decision: assessment.DecisionSignedOff}); err != nil {
		e.t.Fatalf("sign off %s as %s: %v", a.Kind, reviewer, err)
	}
}

func (e *env) cleared(at time.Time) assessment.Clearance {
	e.t.Helper()
	c, err := e.svc.Cleared(context.Background(), e.c.TenantID, e.c.ID, at)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func failing(c assessment.Clearance) []string {
	var out []string
	for _, r := range c.Failing() {
		out = append(out, r.Key)
	}
	return out
}

func TestAuthorCannotReviewOwn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		a := e.assess("sup", assessment.KindReadiness, 3, "")
		_, err := e.svc.ReviewAssessment(ctx, e.user["sup"], "", e.c, a.ID, assessment.Review{Decision: assessment.DecisionSignedOff})
		if !errs.Is(err, errs.Forbidden) {
			t.Fatalf("author signing off their own: %v, want forbidden", err)
		}
		// Roles that do not review are refused by the service too, not only by routes.
		for _, u := range []string{"cw2", "lo", "cl"} {
			if _, err := e.svc.ReviewAssessment(ctx, e.user[u], "", e.c, a.ID, assessment.Review{Decision: assessment.DecisionSignedOff}); !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s reviewed: %v", u, err)
			}
		}
		// The database holds the rule too, whatever the code above it does.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE assessments SET reviewer_id = author_id, decision = 'signed_off' WHERE id = ?`, a.ID)
			return err
		})
		if err == nil {
			t.Fatal("the database let the author review their own assessment")
		}
		// Returning needs a reason; another supervisor signs off; twice is a conflict.
		if _, err := e.svc.ReviewAssessment(ctx, e.user["sup2"], "", e.c, a.ID, assessment.Review{Decision: assessment.DecisionReturned, Note: "too"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("return without a reason: %v", err)
		}
		e.signOff("sup2", a)
		if _, err := e.svc.ReviewAssessment(ctx, e.user["so"], "", e.c, a.ID, assessment.Review{Decision: assessment.DecisionReturned, Note: "a second look please"}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("second review: %v, want conflict", err)
		}
		list, err := e.svc.Assessments(ctx, e.c.TenantID, e.c.ID)
		if err != nil || len(list) != 1 || list[0].ReviewerID != "user-sup2" || list[0].Decision != assessment.DecisionSignedOff {
			t.Fatalf("after review: %+v, %v", list, err)
		}
	})
}

func TestThreatAssessmentsBelongToSafety(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		_, err := e.svc.CreateAssessment(ctx, e.user["cw"], "", e.c, assessment.NewAssessment{Kind: assessment.KindThreat,
			Scores: all(assessment.KindThreat, 0), Level: assessment.LevelLow})
		if !errs.Is(err, errs.Forbidden) {
			t.Fatalf("case worker wrote a threat assessment: %v", err)
		}
		for _, u := range []string{"lo", "cl", "co"} {
			if _, err := e.svc.CreateAssessment(ctx, e.user[u], "", e.c, assessment.NewAssessment{Kind: assessment.KindReadiness,
				Scores: all(assessment.KindReadiness, 2)}); !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s wrote an assessment: %v", u, err)
			}
		}
		// Direct threats are never low; the level is required.
		s := all(assessment.KindThreat, 0)
		s["threat.direct_threats"] = 1
		if _, err := e.svc.CreateAssessment(ctx, e.user["so"], "", e.c, assessment.NewAssessment{Kind: assessment.KindThreat, Scores: s, Level: assessment.LevelLow}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("direct threats at low: %v", err)
		}
		if _, err := e.svc.CreateAssessment(ctx, e.user["so"], "", e.c, assessment.NewAssessment{Kind: assessment.KindThreat, Scores: s}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("no level: %v", err)
		}
		a := e.assess("sup", assessment.KindThreat, 1, assessment.LevelHigh)
		if a.Score != 5 || a.Level != assessment.LevelHigh || a.ValidityDays != 30 {
			t.Fatalf("threat assessment %+v", a)
		}
	})
}

func TestValidation(t *testing.T) {
	db := storetest.SQLite(t)
	e := setup(t, db)
	ctx := context.Background()
	scores := all(assessment.KindRisk, 1)
	extra := all(assessment.KindRisk, 1)
	extra["made.up"] = 1
	short := all(assessment.KindRisk, 1)
	delete(short, "grievance.revenge")
	bad := []struct {
		name  string
		in    assessment.NewAssessment
		field string
	}{
		{"unknown kind", assessment.NewAssessment{Kind: "vibes", Scores: scores}, "kind"},
		{"future date", assessment.NewAssessment{Kind: assessment.KindRisk, Scores: scores, AssessedOn: "2026-03-03"}, "assessed_on"},
		{"not a date", assessment.NewAssessment{Kind: assessment.KindRisk, Scores: scores, AssessedOn: "2026-02-30"}, "assessed_on"},
		{"validity too long", assessment.NewAssessment{Kind: assessment.KindRisk, Scores: scores, ValidityDays: 181}, "validity_days"},
		{"validity too short", assessment.NewAssessment{Kind: assessment.KindRisk, Scores: scores, ValidityDays: 13}, "validity_days"},
		{"extra item", assessment.NewAssessment{Kind: assessment.KindRisk, Scores: extra}, "items"},
		{"missing item", assessment.NewAssessment{Kind: assessment.KindRisk, Scores: short}, "item.grievance.revenge"},
		{"bidi in notes", assessment.NewAssessment{Kind: assessment.KindRisk, Scores: scores, Notes: "a\u202eb"}, "notes"},
	}
	for _, c := range bad {
		_, err := e.svc.CreateAssessment(ctx, e.user["cw"], "", e.c, c.in)
		if itemField(err) != c.field {
			t.Errorf("%s: got %v, want an invalid %s", c.name, err, c.field)
		}
	}
	if list, _ := e.svc.Assessments(ctx, "tenant-a", e.c.ID); len(list) != 0 {
		t.Fatalf("invalid input wrote %d assessments", len(list))
	}
	a, err := e.svc.CreateAssessment(ctx, e.user["cw"], "", e.c, assessment.NewAssessment{Kind: assessment.KindRisk, Scores: scores, AssessedOn: "2026-01-15", ValidityDays: 45})
	if err != nil || a.ValidityDays != 45 || a.AssessedOn.Format(time.DateOnly) != "2026-01-15" || a.ExpiresOn().Format(time.DateOnly) != "2026-03-01" {
		t.Fatalf("backdated assessment: %+v, %v", a, err)
	}
}

func TestClearedToSpeak(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		if c := e.cleared(e.now); c.Cleared || len(c.Reasons) != 4 {
			t.Fatalf("cleared with nothing: %+v", c)
		}
		r := e.assess("cw", assessment.KindReadiness, 3, "")
		e.signOff("sup", e.assess("cw", assessment.KindRisk, 0, ""))
		e.signOff("sup", e.assess("so", assessment.KindThreat, 0, assessment.LevelLow))
		if got := failing(e.cleared(e.now)); !slices.Equal(got, []string{"assessment.check.readiness_pending"}) {
			t.Fatalf("readiness not signed off: failing %v", got)
		}
		e.now = e.now.Add(time.Hour)
		e.signOff("so", r)
		if c := e.cleared(e.now); !c.Cleared {
			t.Fatalf("not cleared with everything signed off: %v", failing(c))
		}
		// Computed, never stored: asking about the past gives the past answer.
		if e.cleared(start).Cleared {
			t.Fatal("cleared before the readiness sign-off")
		}
		// Validity: the threat assessment counts 30 days, the others 90.
		if !e.cleared(start.AddDate(0, 0, 29)).Cleared {
			t.Fatal("not cleared on day 29")
		}
		if got := failing(e.cleared(start.AddDate(0, 0, 30))); !slices.Equal(got, []string{"assessment.check.threat_expired", "assessment.check.plan_needed_unknown"}) {
			t.Fatalf("day 30: failing %v", got)
		}
		// A fresh threat assessment, signed off, clears again until the others expire.
		e.now = start.AddDate(0, 0, 31)
		e.signOff("sup", e.assess("so", assessment.KindThreat, 0, assessment.LevelModerate))
		if !e.cleared(e.now.Add(time.Hour)).Cleared {
			t.Fatal("not cleared after a new threat assessment")
		}
		if got := failing(e.cleared(start.AddDate(0, 0, 90))); !slices.Equal(got, []string{"assessment.check.readiness_expired", "assessment.check.risk_expired", "assessment.check.threat_expired", "assessment.check.plan_needed_unknown"}) {
			t.Fatalf("day 90: failing %v", got)
		}
	})
}

func TestRiskThreshold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.signOff("sup", e.assess("cw", assessment.KindReadiness, 3, ""))
		e.signOff("sup", e.assess("so", assessment.KindThreat, 0, assessment.LevelLow))
		// Moderate risk: 8 on the net score.
		s := all(assessment.KindRisk, 0)
		s["ideology.group_identity"], s["grievance.injustice"], s["circumstances.isolation"] = 3, 3, 2
		a, err := e.svc.CreateAssessment(ctx, e.user["cw"], "", e.c, assessment.NewAssessment{Kind: assessment.KindRisk, Scores: s})
		if err != nil || a.Level != assessment.LevelModerate || a.Score != 8 {
			t.Fatalf("risk %+v, %v", a, err)
		}
		e.signOff("so", a)
		at := e.now.Add(time.Hour)
		if l, _ := e.svc.RiskThreshold(ctx, "tenant-a"); l != assessment.LevelHigh || !e.cleared(at).Cleared {
			t.Fatalf("default threshold %s: moderate risk should pass", l)
		}
		// Only supervisors set it, only to a known threshold; nothing looser than "below high".
		for _, u := range []string{"cw", "so", "lo"} {
			if err := e.svc.SetRiskThreshold(ctx, e.user[u], "", assessment.LevelModerate); !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s set the threshold: %v", u, err)
			}
		}
		for _, l := range []assessment.Level{assessment.LevelCritical, assessment.LevelLow, "", "nope"} {
			if err := e.svc.SetRiskThreshold(ctx, e.user["sup"], "", l); !errs.Is(err, errs.Invalid) {
				t.Errorf("threshold %q accepted: %v", l, err)
			}
		}
		if err := e.svc.SetRiskThreshold(ctx, e.user["sup"], "", assessment.LevelModerate); err != nil {
			t.Fatal(err)
		}
		if got := failing(e.cleared(at)); !slices.Equal(got, []string{"assessment.check.risk_too_high"}) {
			t.Fatalf("strict threshold: failing %v", got)
		}
		// Setting it again updates it; another tenant is untouched.
		if err := e.svc.SetRiskThreshold(ctx, e.user["sup"], "", assessment.LevelHigh); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.SetRiskThreshold(ctx, e.user["b-sup"], "", assessment.LevelModerate); err != nil {
			t.Fatal(err)
		}
		if !e.cleared(at).Cleared {
			t.Fatal("threshold back to high: still not cleared")
		}
		if l, _ := e.svc.RiskThreshold(ctx, "tenant-b"); l != assessment.LevelModerate {
			t.Fatalf("tenant B threshold %s", l)
		}
	})
}

func TestHighThreatNeedsSafetyPlan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.signOff("sup", e.assess("cw", assessment.KindReadiness, 3, ""))
		e.signOff("sup", e.assess("cw", assessment.KindRisk, 0, ""))
		e.signOff("sup", e.assess("so", assessment.KindThreat, 1, assessment.LevelCritical))
		e.now = e.now.Add(time.Hour)
		if got := failing(e.cleared(e.now)); !slices.Equal(got, []string{"assessment.check.plan_needed"}) {
			t.Fatalf("critical threat without a plan: failing %v", got)
		}
		// Only safety officers and supervisors write the plan.
		plan := assessment.NewSafetyPlan{Measures: "CANARY measures: avoid the market road", Relocation: true, RelocationNotes: "CANARY town",
			Contacts: []assessment.Contact{{Name: "CANARY Contact", Phone: "+44 20 7946 0001"}, {}}, CheckInEveryDays: 7}
		if _, err := e.svc.SaveSafetyPlan(ctx, e.user["cw"], "", e.c, plan); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("case worker saved a plan: %v", err)
		}
		sp, err := e.svc.SaveSafetyPlan(ctx, e.user["so"], "", e.c, plan)
		if err != nil || sp.Version != 1 || len(sp.Contacts) != 1 || sp.Contacts[0].Phone != "+442079460001" {
			t.Fatalf("save plan: %+v, %v", sp, err)
		}
		e.now = e.now.Add(time.Hour)
		c := e.cleared(e.now)
		if !c.Cleared {
			t.Fatalf("critical threat with a plan: failing %v", failing(c))
		}
		if c.Reasons[3].Key != "assessment.check.plan_ok" || !c.Reasons[3].OK {
			t.Fatalf("plan reason %+v", c.Reasons[3])
		}
	})
}

func TestSafetyPlanVersionsAndSealing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		plan := assessment.NewSafetyPlan{Measures: "CANARY measures", Contacts: []assessment.Contact{{Name: "CANARY Contact", Phone: "٠١٢٣٤٥"}}}
		sp, err := e.svc.SaveSafetyPlan(ctx, e.user["so"], "", e.c, plan)
		if err != nil || sp.CheckInEveryDays != assessment.DefaultCheckInEvery {
			t.Fatalf("save: %+v, %v", sp, err)
		}
		// A save based on an old version is refused: nothing is silently overwritten.
		if _, err := e.svc.SaveSafetyPlan(ctx, e.user["sup"], "", e.c, plan); !errs.Is(err, errs.Conflict) {
			t.Fatalf("stale save: %v, want conflict", err)
		}
		plan.BaseVersion, plan.Measures = 1, "CANARY measures, second version"
		if sp, err = e.svc.SaveSafetyPlan(ctx, e.user["sup"], "", e.c, plan); err != nil || sp.Version != 2 {
			t.Fatalf("second version: %+v, %v", sp, err)
		}
		got, ok, err := e.svc.OpenSafetyPlan(ctx, e.user["cw"], "req-read", e.c)
		if err != nil || !ok || got.Version != 2 || got.Measures != plan.Measures || got.Contacts[0].Phone != "012345" || got.CreatedBy != "user-sup" {
			t.Fatalf("open plan: %+v %v %v", got, ok, err)
		}
		if vs, _ := e.svc.SafetyPlanVersions(ctx, "tenant-a", e.c.ID); len(vs) != 2 || vs[0].Version != 2 {
			t.Fatalf("versions %+v", vs)
		}
		// Roles outside the case team's safety work cannot open it.
		if _, _, err := e.svc.OpenSafetyPlan(ctx, e.user["lo"], "", e.c); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("legal officer opened the safety plan: %v", err)
		}
		bad := []struct {
			name  string
			in    assessment.NewSafetyPlan
			field string
		}{
			{"no measures", assessment.NewSafetyPlan{BaseVersion: 2}, "measures"},
			{"contact without phone", assessment.NewSafetyPlan{BaseVersion: 2, Measures: "m", Contacts: []assessment.Contact{{Name: "x"}}}, "contacts"},
			{"bad phone", assessment.NewSafetyPlan{BaseVersion: 2, Measures: "m", Contacts: []assessment.Contact{{Name: "x", Phone: "call"}}}, "contacts"},
			{"interval", assessment.NewSafetyPlan{BaseVersion: 2, Measures: "m", CheckInEveryDays: 91}, "checkin_every_days"},
			{"six contacts", assessment.NewSafetyPlan{BaseVersion: 2, Measures: "m", Contacts: make([]assessment.Contact, 6)}, "contacts"},
		}
		for _, c := range bad {
			if _, err := e.svc.SaveSafetyPlan(ctx, e.user["so"], "", e.c, c.in); itemField(err) != c.field {
				t.Errorf("%s: %v, want an invalid %s", c.name, err, c.field)
			}
		}
		// Every sealed column holds ciphertext, never the text.
		e.assess("cw", assessment.KindReadiness, 2, "")
		if _, err := e.svc.RecordCheckIn(ctx, e.user["cw"], "", e.c, assessment.NewCheckIn{Wellbeing: 2, Concerns: "CANARY concern"}); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`SELECT notes FROM assessments`, `SELECT measures FROM safety_plans`, `SELECT contacts FROM safety_plans`,
			`SELECT relocation_notes FROM safety_plans`, `SELECT concerns FROM wellbeing_checkins`,
		} {
			rows, err := db.Reader().Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var b []byte
				if err := rows.Scan(&b); err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(b, []byte("CANARY")) || bytes.Contains(b, []byte("012345")) {
					t.Errorf("%s holds clear text", q)
				}
			}
			rows.Close()
		}
		// Reads of sealed text are audited, by opaque ids.
		recs, err := e.log.List(ctx, db.Reader(), "tenant-a", audit.Filter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var read bool
		for _, r := range recs {
			read = read || (r.Action == "safety_plan.read" && r.RequestID == "req-read" && r.ActorID == "user-cw" && r.Object == sp.ID)
		}
		if !read {
			t.Fatal("no audit record of the safety plan read")
		}
	})
}

func TestOpenAssessmentIsAuditedAndTenantBound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		a := e.assess("cw", assessment.KindRisk, 1, "")
		got, erased, err := e.svc.OpenAssessment(ctx, e.user["lo"], "req-open", e.c, a.ID)
		if err != nil || erased || got.Notes != "CANARY note about reengagement_risk" || got.Scores["ideology.group_identity"] != 1 {
			t.Fatalf("open: %+v %v %v", got, erased, err)
		}
		for _, u := range []string{"cl", "co"} {
			if _, _, err := e.svc.OpenAssessment(ctx, e.user[u], "", e.c, a.ID); !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s opened an assessment: %v", u, err)
			}
		}
		// Tenant B's supervisor cannot open A's case at all; and with a forged Case
		// value naming B, A's assessment is simply not there.
		if _, err := e.ret.Open(ctx, e.user["b-sup"], e.c.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("tenant B opened A's case: %v", err)
		}
		forged := e.c
		forged.TenantID = "tenant-b"
		if _, _, err := e.svc.OpenAssessment(ctx, e.user["b-sup"], "", forged, a.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("tenant B read A's assessment: %v", err)
		}
		if c, _ := e.svc.Cleared(ctx, "tenant-b", e.c.ID, e.now); c.Cleared || c.Reasons[0].Key != "assessment.check.readiness_missing" {
			t.Fatalf("tenant B sees A's assessments through Cleared: %+v", c)
		}
		recs, _ := e.log.List(ctx, db.Reader(), "tenant-a", audit.Filter{Limit: 100})
		var actions []string
		for _, r := range recs {
			actions = append(actions, r.Action)
		}
		if !slices.Contains(actions, "assessment.read") || !slices.Contains(actions, "assessment.create") {
			t.Fatalf("audit actions %v", actions)
		}
	})
}

func TestCheckInsAndOverdue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		other, err := e.ret.Create(ctx, e.user["cw2"], "", returnees.NewReturnee{Alias: "Birch", Identity: returnees.Identity{LegalName: "x"}})
		if err != nil {
			t.Fatal(err)
		}
		due := func(at time.Time) assessment.Due {
			t.Helper()
			d, err := e.svc.CheckInDue(ctx, "tenant-a", e.c.ID, at)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		if d := due(e.now); !d.DueOn.IsZero() {
			t.Fatalf("due with nothing scheduled: %+v", d)
		}
		// A safety plan starts the schedule: every 7 days from the day it was made.
		if _, err := e.svc.SaveSafetyPlan(ctx, e.user["so"], "", e.c, assessment.NewSafetyPlan{Measures: "m", CheckInEveryDays: 7}); err != nil {
			t.Fatal(err)
		}
		if d := due(e.now); d.DueOn.Format(time.DateOnly) != "2026-03-09" || d.Overdue || d.Source != "schedule" {
			t.Fatalf("after the plan: %+v", d)
		}
		if d := due(time.Date(2026, 3, 9, 23, 0, 0, 0, time.UTC)); d.Overdue {
			t.Fatal("overdue on the due day")
		}
		if d := due(time.Date(2026, 3, 12, 1, 0, 0, 0, time.UTC)); !d.Overdue || d.DaysOverdue != 3 {
			t.Fatalf("three days later: %+v", d)
		}
		list, err := e.svc.Overdue(ctx, "tenant-a", time.Date(2026, 3, 12, 1, 0, 0, 0, time.UTC))
		if err != nil || len(list) != 1 || list[0].ReturneeID != e.c.ID {
			t.Fatalf("tenant overdue list: %+v, %v", list, err)
		}
		// A check-in meets it; the next is due after the plan's interval.
		e.now = time.Date(2026, 3, 11, 15, 0, 0, 0, time.UTC)
		ci, err := e.svc.RecordCheckIn(ctx, e.user["cw"], "", e.c, assessment.NewCheckIn{Wellbeing: 4})
		if err != nil || ci.NextDue.Format(time.DateOnly) != "2026-03-18" || ci.HeldBy != "user-cw" {
			t.Fatalf("check-in %+v, %v", ci, err)
		}
		if list, _ := e.svc.Overdue(ctx, "tenant-a", e.now); len(list) != 0 {
			t.Fatalf("still overdue after a check-in: %+v", list)
		}
		// After an engagement a check-in is due within two days, sooner than the schedule.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if err := e.svc.CheckInDueAfterEngagement(ctx, tx, "tenant-a", e.c.ID, time.Date(2026, 3, 13, 19, 0, 0, 0, time.UTC)); err != nil {
				return err
			}
			// The same day again adds nothing; another returnee's engagement is theirs.
			if err := e.svc.CheckInDueAfterEngagement(ctx, tx, "tenant-a", e.c.ID, time.Date(2026, 3, 13, 21, 0, 0, 0, time.UTC)); err != nil {
				return err
			}
			return e.svc.CheckInDueAfterEngagement(ctx, tx, "tenant-a", other.ID, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		})
		if err != nil {
			t.Fatal(err)
		}
		if d := due(time.Date(2026, 3, 16, 8, 0, 0, 0, time.UTC)); d.Source != "engagement" || d.DueOn.Format(time.DateOnly) != "2026-03-15" || !d.Overdue || d.DaysOverdue != 1 {
			t.Fatalf("after an engagement: %+v", d)
		}
		list, err = e.svc.Overdue(ctx, "tenant-a", time.Date(2026, 3, 16, 8, 0, 0, 0, time.UTC))
		if err != nil || len(list) != 2 || list[0].ReturneeID != other.ID || list[0].DaysOverdue != 13 {
			t.Fatalf("tenant overdue list: %+v, %v", list, err)
		}
		if list, _ := e.svc.Overdue(ctx, "tenant-b", time.Date(2026, 3, 16, 8, 0, 0, 0, time.UTC)); len(list) != 0 {
			t.Fatalf("tenant B sees A's overdue check-ins: %+v", list)
		}
		// A check-in on the engagement day or later meets the engagement's due.
		e.now = time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)
		if _, err := e.svc.RecordCheckIn(ctx, e.user["so"], "", e.c, assessment.NewCheckIn{HeldOn: "2026-03-14", Wellbeing: 2, Concerns: "tired", NextDue: "2026-03-20"}); err != nil {
			t.Fatal(err)
		}
		if d := due(e.now); d.Source != "schedule" || d.DueOn.Format(time.DateOnly) != "2026-03-20" || d.Overdue {
			t.Fatalf("after the engagement check-in: %+v", d)
		}
		// The summary carries the next check-in and the latest assessment of each kind.
		e.assess("cw", assessment.KindReadiness, 3, "")
		sum, err := e.svc.Summary(ctx, "tenant-a", e.c.ID, e.now)
		if err != nil || sum.Readiness == nil || sum.Readiness.Status != assessment.StatusPending || sum.Risk != nil ||
			!sum.HasSafetyPlan || sum.NextCheckIn.DueOn.Format(time.DateOnly) != "2026-03-20" || sum.Clearance.Cleared {
			t.Fatalf("summary %+v, %v", sum, err)
		}
		cis, err := e.svc.OpenCheckIns(ctx, e.user["sup"], "", e.c)
		if err != nil || len(cis) != 2 || cis[0].Concerns != "tired" || cis[0].HeldBy != "user-so" {
			t.Fatalf("check-ins %+v, %v", cis, err)
		}
		bad := []struct {
			name  string
			in    assessment.NewCheckIn
			field string
		}{
			{"no rating", assessment.NewCheckIn{}, "wellbeing"},
			{"rating 6", assessment.NewCheckIn{Wellbeing: 6}, "wellbeing"},
			{"future", assessment.NewCheckIn{Wellbeing: 3, HeldOn: "2026-03-17"}, "held_on"},
			{"next due before", assessment.NewCheckIn{Wellbeing: 3, HeldOn: "2026-03-16", NextDue: "2026-03-16"}, "next_due"},
			{"next due too far", assessment.NewCheckIn{Wellbeing: 3, NextDue: "2027-04-01"}, "next_due"},
		}
		for _, c := range bad {
			if _, err := e.svc.RecordCheckIn(ctx, e.user["cw"], "", e.c, c.in); itemField(err) != c.field {
				t.Errorf("%s: %v, want an invalid %s", c.name, err, c.field)
			}
		}
		for _, u := range []string{"lo", "cl", "co"} {
			if _, err := e.svc.RecordCheckIn(ctx, e.user[u], "", e.c, assessment.NewCheckIn{Wellbeing: 3}); !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s recorded a check-in: %v", u, err)
			}
		}
	})
}

func TestErasureShredsSealedText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		a := e.assess("cw", assessment.KindRisk, 1, "")
		e.signOff("sup", a)
		if _, err := e.svc.SaveSafetyPlan(ctx, e.user["so"], "", e.c, assessment.NewSafetyPlan{Measures: "CANARY", Contacts: []assessment.Contact{{Name: "CANARY", Phone: "1234"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.RecordCheckIn(ctx, e.user["cw"], "", e.c, assessment.NewCheckIn{Wellbeing: 3, Concerns: "CANARY"}); err != nil {
			t.Fatal(err)
		}
		if err := e.ret.Erase(ctx, e.user["sup"], "", e.c.ID); err != nil {
			t.Fatal(err)
		}
		c := e.open("sup", e.c.ID)
		if !c.Erased {
			t.Fatal("case not marked erased")
		}
		var n int
		if err := db.Reader().QueryRow(ctx, `SELECT
			(SELECT COUNT(*) FROM assessments WHERE notes IS NOT NULL) +
			(SELECT COUNT(*) FROM safety_plans WHERE measures IS NOT NULL OR contacts IS NOT NULL) +
			(SELECT COUNT(*) FROM wellbeing_checkins WHERE concerns IS NOT NULL)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("%d sealed values left after erasure", n)
		}
		got, _, err := e.svc.OpenAssessment(ctx, e.user["sup"], "", c, a.ID)
		if err != nil || got.Notes != "" || got.Level != a.Level {
			t.Fatalf("after erasure: %+v, %v", got, err)
		}
		// An erased case takes no new records.
		if _, err := e.svc.CreateAssessment(ctx, e.user["cw"], "", c, assessment.NewAssessment{Kind: assessment.KindRisk, Scores: all(assessment.KindRisk, 0)}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("assessed an erased case: %v", err)
		}
		if _, err := e.svc.RecordCheckIn(ctx, e.user["cw"], "", c, assessment.NewCheckIn{Wellbeing: 3}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("checked in an erased case: %v", err)
		}
	})
}
