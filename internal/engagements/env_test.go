package engagements_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"inoculate/internal/communities"
	"inoculate/internal/demo"
	"inoculate/internal/engagements"
	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/auth"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/events"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
	"inoculate/internal/returnees"
	"inoculate/internal/returnees/assessment"
	"inoculate/internal/returnees/consent"
	"inoculate/internal/returnees/family"
	"inoculate/internal/returnees/legal"
)

// env is the demo tenant built by the real services (demo.Load): Cedar cleared to
// speak with consent for forums and interviews (national, alias-protected, ar/en), a
// hostile uncle in Hill Village; Lantern not cleared; Harbour Town with a chain of
// three authorities.
type env struct {
	db        *store.DB
	svc       *engagements.Service
	auth      *auth.Service
	ret       *returnees.Service
	assess    *assessment.Service
	consent   *consent.Service
	comm      *communities.Service
	fam       *family.Service
	p         map[string]*authz.Principal // by demo user key: "community_liaison", "supervisor"…
	cedar     returnees.Returnee
	lantern   returnees.Returnee
	harbour   returnees.Returnee
	town      communities.Community
	chain     []communities.Authority
	start     time.Time // a start three days ahead, on the hour
	tenantID  string
	otherTen  *authz.Principal // a liaison of another tenant
	auditLog  *audit.Log
	dueCalled int
}

func newEnv(t *testing.T, db *store.DB) *env {
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
	log := audit.New(db, signer)
	a := auth.New(db, v, log, []byte("test-secret-0123456789abcdef0123"), auth.Config{EnsureTenantKey: kf.EnsureTenant})
	e := &env{db: db, auth: a, auditLog: log, p: map[string]*authz.Principal{}}
	e.ret = returnees.NewService(db, v, log)
	lg := legal.NewService(db, v, log, nil)
	e.consent = consent.NewService(db, v, log, events.NewBus(db), e.ret)
	e.assess = assessment.NewService(db, v, log)
	fam := family.NewService(db, v, log, a)
	e.fam = fam
	e.comm = communities.NewService(db, v, log)
	e.svc = engagements.NewService(db, v, log, engagements.Deps{Communities: e.comm, Returnees: e.ret, Assess: e.assess, Consent: e.consent, Family: fam})
	if _, err := demo.Load(ctx, a, e.ret, demo.Parts{Legal: lg, Consent: e.consent, Assess: e.assess, Family: fam, Communities: e.comm}); err != nil {
		t.Fatal(err)
	}
	ten, err := a.TenantBySlug(ctx, demo.TenantSlug)
	if err != nil {
		t.Fatal(err)
	}
	e.tenantID = ten.ID
	for _, key := range []string{"community_liaison", "supervisor", "safety_officer", "case_worker", "comms_officer", "evaluator", "legal_officer", "auditor", "admin"} {
		name := "demo-" + replace(key)
		u, err := a.UserByName(ctx, ten.ID, name)
		if err != nil {
			t.Fatal(err)
		}
		e.p[key] = &authz.Principal{TenantID: ten.ID, UserID: u.ID, UserName: u.Name, Role: u.Role, Stage: authz.StageFull, AuthAt: time.Now()}
	}
	list, err := e.ret.List(ctx, ten.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list {
		switch r.Alias {
		case "Cedar":
			e.cedar = r
		case "Lantern":
			e.lantern = r
		case "Harbour":
			e.harbour = r
		}
	}
	cs, err := e.comm.List(ctx, ten.ID)
	if err != nil || len(cs) == 0 {
		t.Fatalf("demo community: %v", err)
	}
	e.town = cs[0]
	if e.chain, err = e.comm.Chain(ctx, ten.ID, e.town.ID); err != nil || len(e.chain) != 3 {
		t.Fatalf("demo chain: %v %d", err, len(e.chain))
	}
	e.start = time.Now().UTC().Add(72 * time.Hour).Truncate(time.Hour)

	other, err := a.CreateTenant(ctx, auth.Actor{UserID: "system"}, "other", "Other programme", false)
	if err != nil {
		t.Fatal(err)
	}
	ou, err := a.CreateUser(ctx, auth.Actor{UserID: "system"}, other.ID, "other-liaison", authz.CommunityLiaison, "correct horse battery staple 1", false)
	if err != nil {
		t.Fatal(err)
	}
	e.otherTen = &authz.Principal{TenantID: other.ID, UserID: ou.ID, Role: authz.CommunityLiaison, Stage: authz.StageFull, AuthAt: time.Now()}
	return e
}

func replace(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '_' {
			b[i] = '-'
		}
	}
	return string(b)
}

// forum proposes a public forum in Harbour Town at e.start + offset.
func (e *env) forum(t *testing.T, title string, offset time.Duration) engagements.Engagement {
	t.Helper()
	en, err := e.svc.Create(context.Background(), e.p["community_liaison"], "req", engagements.Input{
		Kind: engagements.KindPublicForum, Title: title, CommunityID: e.town.ID, Venue: "Community hall (fictional)",
		VenueDetails: "12 Harbour Road, back entrance (fictional)", Start: e.start.Add(offset).Format("2006-01-02T15:04"), Minutes: 90,
		TimeZone: "UTC", Language: "ar", Audience: engagements.AudienceCommunity, IdentityLevel: consent.LevelAliasProtected,
		ExpectedAudience: 80, Slots: 1})
	if err != nil {
		t.Fatal(err)
	}
	return en
}

// approveAll records the three authorities' approvals in order.
func (e *env) approveAll(t *testing.T, id string) {
	t.Helper()
	for _, a := range e.chain {
		if _, _, err := e.svc.RecordDecision(context.Background(), e.p["community_liaison"], "req", id,
			engagements.DecisionInput{AuthorityID: a.ID, Decision: "approve"}); err != nil {
			t.Fatalf("approve %s: %v", a.DisplayName, err)
		}
	}
}

// due is the duty-of-care hook of MarkHeld, the real assessment one.
func (e *env) due() engagements.CheckInDue {
	return func(ctx context.Context, tx *store.Tx, tenantID, returneeID string, day time.Time) error {
		e.dueCalled++
		return e.assess.CheckInDueAfterEngagement(ctx, tx, tenantID, returneeID, day)
	}
}
