package consent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/events"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/platform/vault"
	"inoculate/internal/returnees"
	"inoculate/internal/returnees/consent"
)

// env is one store with two tenants, A and B, each with a user per role that matters
// here, a returnee created by A's case worker, and the consent service over the real
// returnees service (tenancy and caseload) and a real event bus.
type env struct {
	t       *testing.T
	db      *store.DB
	vault   *vault.Vault
	log     *audit.Log
	cases   *returnees.Service
	bus     *events.Bus
	svc     *consent.Service
	clock   *clock
	p       map[string]*authz.Principal // "A/case_worker" …, "A/other_case_worker"
	person  string                      // a returnee of tenant A, created by A's case worker
	officer []string                    // what AgreementOfficers answers
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

var start = time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)

var roles = []authz.Role{authz.CaseWorker, authz.Supervisor, authz.LegalOfficer, authz.CommsOfficer, authz.SafetyOfficer,
	authz.CommunityLiaison, authz.Evaluator, authz.Auditor, authz.Admin}

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
	e := &env{t: t, db: db, vault: vault.New(kf, kf), log: audit.New(db, signer), clock: &clock{t: start}, p: map[string]*authz.Principal{}}
	e.cases = returnees.NewService(db, e.vault, e.log)
	e.bus = events.NewBus(db)
	e.svc = consent.NewService(db, e.vault, e.log, e.bus, e.cases)
	e.svc.SetClock(e.clock.now)
	e.svc.AgreementOfficers = func(ctx context.Context, tenantID, returneeID string) ([]string, error) {
		return e.officer, nil
	}
	for _, tn := range []string{"A", "B"} {
		id := "tenant-" + strings.ToLower(tn)
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)`, id, id, id, 1); err != nil {
				return err
			}
			for _, r := range append(roles, "other_case_worker") {
				role := r
				if r == "other_case_worker" {
					role = authz.CaseWorker
				}
				uid := fmt.Sprintf("user-%s-%s", strings.ToLower(tn), r)
				if _, err := tx.Exec(ctx, `INSERT INTO users (id, tenant_id, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
					uid, id, string(r), string(role), "x", 1); err != nil {
					return err
				}
				e.p[tn+"/"+string(r)] = &authz.Principal{TenantID: id, UserID: uid, Role: role, Stage: authz.StageFull}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := kf.EnsureTenant(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	r, err := e.cases.Create(ctx, e.p["A/case_worker"], "req-create", returnees.NewReturnee{Alias: "Olive",
		Identity: returnees.Identity{LegalName: "CANARY Legal Name 5c1e"}})
	if err != nil {
		t.Fatal(err)
	}
	e.person = r.ID
	return e
}

// wide is a consent to everything but the full identity, for a year.
func wide() consent.NewConsent {
	return consent.NewConsent{Uses: consent.Uses, IdentityLevel: consent.LevelFirstName,
		Audiences: []consent.Audience{consent.AudienceWorldwide}, Languages: []string{"ar", "en"},
		Expires: "2027-03-09", InCustody: false, AdvisorPresent: true, StatementAcknowledged: true}
}

var interview = consent.Query{Use: consent.UseMediaInterview, IdentityLevel: consent.LevelAliasProtected,
	Audience: consent.AudienceNational, Language: "ar"}

func (e *env) give(who string, in consent.NewConsent) consent.Version {
	e.t.Helper()
	v, err := e.svc.Give(context.Background(), e.p[who], "req-give", e.person, in)
	if err != nil {
		e.t.Fatalf("give as %s: %v", who, err)
	}
	return v
}

func (e *env) allows(q consent.Query) consent.Decision {
	e.t.Helper()
	d, err := e.svc.Allows(context.Background(), "tenant-a", e.person, q)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func (e *env) actions(tenant string) []string {
	e.t.Helper()
	recs, err := e.log.List(context.Background(), e.db.Reader(), tenant, audit.Filter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Action)
	}
	return out
}

func (e *env) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.db.Reader().QueryRow(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// tables lists the schema's tables with their row counts.
func (e *env) tables() map[string]int {
	e.t.Helper()
	ctx := context.Background()
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if e.db.Dialect() == store.Postgres {
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := e.db.Reader().Query(ctx, query)
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			e.t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	out := map[string]int{}
	for _, n := range names {
		out[n] = e.count(n)
	}
	return out
}

func kindOf(t *testing.T, err error, k errs.Kind, key string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != k || (key != "" && e.MsgKey != key) {
		t.Fatalf("got %v (%#v), want kind %v key %q", err, e, k, key)
	}
}

func TestVersionsAreNewRowsNumberedPerReturnee(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		if d := e.allows(interview); d.Allowed || d.Reason != consent.ReasonNoConsent || d.Version != 0 {
			t.Fatalf("before any consent: %+v", d)
		}
		v1 := e.give("A/case_worker", wide())
		if v1.Version != 1 || v1.Status != consent.StatusActive || v1.TakenBy != e.p["A/case_worker"].UserID ||
			v1.StatementKey != consent.StatementKey || !v1.StatementAcknowledged || v1.FreeConsentConcern {
			t.Fatalf("v1 %+v", v1)
		}
		if d := e.allows(interview); !d.Allowed || d.Version != 1 || d.Reason != consent.ReasonAllowed {
			t.Fatalf("v1 answers %+v", d)
		}
		// A change is a new version: here the person narrows it to Arabic, text only.
		e.clock.set(start.Add(time.Hour))
		narrow := wide()
		narrow.IdentityLevel, narrow.Languages = consent.LevelTextOnly, []string{"ar"}
		v2 := e.give("A/supervisor", narrow)
		if v2.Version != 2 || !v2.CreatedAt.Equal(start.Add(time.Hour)) {
			t.Fatalf("v2 %+v", v2)
		}
		if d := e.allows(interview); d.Allowed || d.Reason != consent.ReasonIdentityLevel || d.Version != 2 {
			t.Fatalf("v2 answers %+v", d)
		}
		// Asked about a time v1 was in force, v1 answers.
		past := interview
		past.At = start.Add(30 * time.Minute)
		if d := e.allows(past); !d.Allowed || d.Version != 1 {
			t.Fatalf("at a time of v1: %+v", d)
		}
		past.At = start.Add(-time.Minute)
		if d := e.allows(past); d.Allowed || d.Reason != consent.ReasonNoConsent {
			t.Fatalf("before v1: %+v", d)
		}
		// Both versions are kept, as they were.
		hist, err := e.svc.History(ctx, "tenant-a", e.person)
		if err != nil || len(hist) != 2 || hist[0].Version != 2 || hist[1].Version != 1 || hist[1].IdentityLevel != consent.LevelFirstName ||
			!slices.Equal(hist[1].Languages, []string{"ar", "en"}) {
			t.Fatalf("history %+v, %v", hist, err)
		}
		cur, ok, err := e.svc.Current(ctx, "tenant-a", e.person)
		if err != nil || !ok || cur.Version != 2 {
			t.Fatalf("current %+v %v %v", cur, ok, err)
		}
		// The database itself refuses to change or delete a version.
		for _, q := range []string{`UPDATE consent_versions SET identity_level = 'full'`, `DELETE FROM consent_versions`} {
			if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, q); return err }); err == nil {
				t.Fatalf("%s was allowed", q)
			}
		}
		// Numbers are per returnee.
		other, err := e.cases.Create(ctx, e.p["A/case_worker"], "", returnees.NewReturnee{Alias: "Birch", Identity: returnees.Identity{LegalName: "X"}})
		if err != nil {
			t.Fatal(err)
		}
		if v, err := e.svc.Give(ctx, e.p["A/case_worker"], "", other.ID, wide()); err != nil || v.Version != 1 {
			t.Fatalf("other returnee's first version: %+v, %v", v, err)
		}
		// Each version has its audit record and its consent.changed event.
		if got := e.actions("tenant-a"); slices.Index(got, "consent.give") < 0 || countOf(got, "consent.give") != 3 {
			t.Fatalf("audit %v", got)
		}
		evs, err := events.List(ctx, db.Reader(), "tenant-a", 0, 100)
		if err != nil || len(evs) != 3 || evs[0].Kind != consent.EventChanged || evs[0].Subject != e.person {
			t.Fatalf("events %+v, %v", evs, err)
		}
	})
}

func countOf(xs []string, x string) int {
	n := 0
	for _, y := range xs {
		if y == x {
			n++
		}
	}
	return n
}

// agreementish matches the names of anything belonging to the legal capability.
var agreementish = regexp.MustCompile(`agreement|legal|breach|obligation|screening|referral`)

func TestWithdrawalIsImmediateAndNeverABreach(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		var got []events.Event
		var committed []int
		e.bus.Subscribe(consent.EventWithdrawn, func(ctx context.Context, ev events.Event) error {
			// Delivered after the commit: another connection already sees the version.
			var n int
			if err := db.Reader().QueryRow(ctx, `SELECT COUNT(*) FROM consent_versions WHERE tenant_id = ? AND returnee_id = ? AND status = 'withdrawn'`,
				ev.TenantID, ev.Subject).Scan(&n); err != nil {
				return err
			}
			committed = append(committed, n)
			got = append(got, ev)
			return nil
		})
		if _, err := e.svc.Withdraw(ctx, e.p["A/case_worker"], "", e.person, ""); !errs.Is(err, errs.Conflict) {
			t.Fatalf("withdrawing nothing: %v", err)
		}
		e.give("A/case_worker", wide())
		if d := e.allows(interview); !d.Allowed {
			t.Fatalf("before withdrawal: %+v", d)
		}
		before := e.tables()
		actionsBefore := len(e.actions("tenant-a"))

		// No clock tick: the withdrawal counts from the very instant it is recorded.
		const reason = "CANARY reason: his brother was threatened"
		w, err := e.svc.Withdraw(ctx, e.p["A/case_worker"], "req-withdraw", e.person, reason)
		if err != nil {
			t.Fatal(err)
		}
		if w.Version != 2 || w.Status != consent.StatusWithdrawn || len(w.Uses) != 0 || w.TakenBy != e.p["A/case_worker"].UserID {
			t.Fatalf("withdrawal %+v", w)
		}
		if d := e.allows(interview); d.Allowed || d.Reason != consent.ReasonWithdrawn || d.Version != 2 {
			t.Fatalf("right after withdrawal: %+v", d)
		}
		at := interview
		at.At = e.clock.now()
		if d := e.allows(at); d.Allowed {
			t.Fatalf("at the instant of withdrawal: %+v", d)
		}

		// It wrote a consent version, its audit record and its event: nothing else,
		// and nothing of the legal capability.
		after := e.tables()
		var changed []string
		for name, n := range after {
			if n != before[name] {
				changed = append(changed, name)
			}
		}
		slices.Sort(changed)
		allowed := []string{"audit_checkpoints", "audit_entries", "audit_head", "consent_versions", "data_keys", "events"}
		for _, name := range changed {
			if !slices.Contains(allowed, name) || agreementish.MatchString(name) {
				t.Errorf("withdrawal wrote to table %s", name)
			}
		}
		if !slices.Contains(changed, "consent_versions") || !slices.Contains(changed, "events") {
			t.Fatalf("changed tables %v", changed)
		}
		acts := e.actions("tenant-a")
		newActs := acts[:len(acts)-actionsBefore]
		if !slices.Equal(newActs, []string{"consent.withdraw"}) {
			t.Fatalf("audit actions of the withdrawal: %v", newActs)
		}
		for _, a := range acts {
			if strings.HasPrefix(a, "agreement.") || agreementish.MatchString(a) {
				t.Fatalf("audit action %s", a)
			}
		}

		// The event: in the outbox, delivered once after commit, ids only.
		if len(got) != 1 || committed[0] != 1 || got[0].Kind != consent.EventWithdrawn || got[0].TenantID != "tenant-a" || got[0].Subject != e.person {
			t.Fatalf("delivered %+v (committed %v)", got, committed)
		}
		var payload map[string]any
		if err := json.Unmarshal(got[0].Payload, &payload); err != nil {
			t.Fatal(err)
		}
		if want := map[string]any{"tenant": "tenant-a", "returnee": e.person, "version": float64(2)}; !maps.Equal(payload, want) {
			t.Fatalf("payload %v", payload)
		}
		var raw string
		if err := db.Reader().QueryRow(ctx, `SELECT payload FROM events WHERE kind = ?`, consent.EventWithdrawn).Scan(&raw); err != nil || strings.Contains(raw, "CANARY") {
			t.Fatalf("outbox payload %q, %v", raw, err)
		}
		// The reason is sealed.
		var sealed []byte
		if err := db.Reader().QueryRow(ctx, `SELECT reason FROM consent_versions WHERE returnee_id = ? AND version = 2`, e.person).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if len(sealed) == 0 || bytes.Contains(sealed, []byte("CANARY")) || bytes.Contains(sealed, []byte("brother")) {
			t.Fatalf("reason stored as %q", sealed)
		}
		// Withdrawing twice is refused, and writes nothing.
		if _, err := e.svc.Withdraw(ctx, e.p["A/supervisor"], "", e.person, ""); err == nil {
			t.Fatal("withdrew twice")
		} else {
			kindOf(t, err, errs.Conflict, "consent.error.already_withdrawn")
		}
		// The person may consent again later: a new version.
		e.clock.set(start.Add(24 * time.Hour))
		if v := e.give("A/case_worker", wide()); v.Version != 3 {
			t.Fatalf("consent after withdrawal: %+v", v)
		}
		if d := e.allows(interview); !d.Allowed || d.Version != 3 {
			t.Fatalf("after the new consent: %+v", d)
		}
	})
}

func TestWithdrawalStandsWhenASubscriberFailsAndIsRedelivered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.bus.Subscribe(consent.EventWithdrawn, func(context.Context, events.Event) error { return errors.New("takedown service down") })
		e.give("A/case_worker", wide())
		if _, err := e.svc.Withdraw(ctx, e.p["A/supervisor"], "", e.person, ""); err != nil {
			t.Fatalf("a failing subscriber made the withdrawal fail: %v", err)
		}
		if d := e.allows(interview); d.Allowed {
			t.Fatalf("after withdrawal: %+v", d)
		}
		// After a restart, a fresh bus redelivers what is in the outbox.
		bus := events.NewBus(db)
		var redelivered []string
		bus.Subscribe(consent.EventWithdrawn, func(_ context.Context, ev events.Event) error {
			redelivered = append(redelivered, ev.Subject)
			return nil
		})
		last, err := bus.Redeliver(ctx, 0)
		if err != nil || last != 2 || !slices.Equal(redelivered, []string{e.person}) {
			t.Fatalf("redeliver: last %d, %v, %v", last, redelivered, err)
		}
	})
}

func TestExpiryDenies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		in := wide()
		in.Expires = "2026-03-10" // today: it holds to the end of the day, UTC
		e.give("A/case_worker", in)
		e.clock.set(time.Date(2026, 3, 10, 23, 59, 59, 0, time.UTC))
		if d := e.allows(interview); !d.Allowed {
			t.Fatalf("on its last day: %+v", d)
		}
		e.clock.set(time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC))
		if d := e.allows(interview); d.Allowed || d.Reason != consent.ReasonExpired {
			t.Fatalf("the day after: %+v", d)
		}
		// An end date in the past is refused outright.
		in.Expires = "2026-03-10"
		if _, err := e.svc.Give(context.Background(), e.p["A/case_worker"], "", e.person, in); err == nil {
			t.Fatal("an expired consent was accepted")
		} else {
			kindOf(t, err, errs.Invalid, "consent.error.expires_past")
		}
	})
}

func TestWhoMayTakeConsent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		// The supervisor is a legal officer on this person's agreement (say, a
		// countersigner): they may not take the consent.
		e.officer = []string{e.p["A/supervisor"].UserID, e.p["A/legal_officer"].UserID}
		before := e.count("consent_versions")
		_, err := e.svc.Give(ctx, e.p["A/supervisor"], "", e.person, wide())
		kindOf(t, err, errs.Forbidden, "consent.error.officer_on_agreement")
		// The legal officer role never takes consent, on the agreement or not.
		_, err = e.svc.Give(ctx, e.p["A/legal_officer"], "", e.person, wide())
		kindOf(t, err, errs.Forbidden, "consent.error.role")
		_, err = e.svc.Withdraw(ctx, e.p["A/legal_officer"], "", e.person, "")
		kindOf(t, err, errs.Forbidden, "consent.error.role")
		for _, r := range []string{"comms_officer", "safety_officer", "community_liaison", "evaluator", "auditor", "admin"} {
			if _, err := e.svc.Give(ctx, e.p["A/"+r], "", e.person, wide()); !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s gave consent: %v", r, err)
			}
		}
		if n := e.count("consent_versions"); n != before || len(e.actions("tenant-a")) != 1 {
			t.Fatalf("refusals wrote %d versions, audit %v", n-before, e.actions("tenant-a"))
		}
		// The case worker, not on the agreement, may.
		if v := e.give("A/case_worker", wide()); v.Version != 1 {
			t.Fatalf("%+v", v)
		}
		// A failing lookup refuses rather than guessing.
		e.svc.AgreementOfficers = func(context.Context, string, string) ([]string, error) { return nil, errors.New("legal service down") }
		if _, err := e.svc.Give(ctx, e.p["A/case_worker"], "", e.person, wide()); err == nil {
			t.Fatal("gave consent without knowing the agreement's officers")
		}
		// Without the legal capability wired, there is nothing to check.
		e.svc.AgreementOfficers = nil
		if v := e.give("A/supervisor", wide()); v.Version != 2 {
			t.Fatalf("%+v", v)
		}
	})
}

func TestSafeguardsAndStatement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		in := wide()
		in.StatementAcknowledged = false
		_, err := e.svc.Give(ctx, e.p["A/case_worker"], "", e.person, in)
		kindOf(t, err, errs.Invalid, "consent.error.statement_required")
		// In custody without an advisor: recorded, and flagged everywhere.
		in = wide()
		in.InCustody, in.AdvisorPresent = true, false
		v := e.give("A/case_worker", in)
		if !v.FreeConsentConcern || !v.InCustody || v.AdvisorPresent {
			t.Fatalf("%+v", v)
		}
		if d := e.allows(interview); !d.Allowed || !d.FreeConsentConcern {
			t.Fatalf("%+v", d)
		}
		cur, _, err := e.svc.Current(ctx, "tenant-a", e.person)
		if err != nil || !cur.FreeConsentConcern || cur.StatementKey != consent.StatementKey || !cur.StatementAcknowledged {
			t.Fatalf("stored %+v, %v", cur, err)
		}
		// With an advisor present, no concern.
		in.AdvisorPresent = true
		if v := e.give("A/case_worker", in); v.FreeConsentConcern {
			t.Fatalf("%+v", v)
		}
	})
}

func TestTenancyCaseloadAndNamedCommunities(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		// Another tenant, and a case worker outside the caseload, see no such case.
		for _, who := range []string{"B/case_worker", "B/supervisor", "A/other_case_worker"} {
			if _, err := e.svc.Give(ctx, e.p[who], "", e.person, wide()); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s gave consent: %v", who, err)
			}
			if _, err := e.svc.Withdraw(ctx, e.p[who], "", e.person, ""); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s withdrew: %v", who, err)
			}
		}
		in := wide()
		in.Audiences = []consent.Audience{consent.AudienceOwnCommunity, consent.AudienceNamedCommunities}
		in.Communities = []string{"CANARY Village 9d2", "Tower Hamlets"}
		e.give("A/case_worker", in)
		// Another tenant asking about this returnee id finds nothing.
		if d, err := e.svc.Allows(ctx, "tenant-b", e.person, interview); err != nil || d.Allowed || d.Reason != consent.ReasonNoConsent {
			t.Fatalf("tenant B: %+v, %v", d, err)
		}
		// The named communities are places: sealed.
		var sealed []byte
		var languages string
		if err := db.Reader().QueryRow(ctx, `SELECT communities, languages FROM consent_versions WHERE returnee_id = ?`, e.person).Scan(&sealed, &languages); err != nil {
			t.Fatal(err)
		}
		if len(sealed) == 0 || bytes.Contains(sealed, []byte("CANARY")) || languages != "ar,en" {
			t.Fatalf("stored communities %q, languages %q", sealed, languages)
		}
		q := consent.Query{Use: consent.UsePublicForum, IdentityLevel: consent.LevelFull, Audience: consent.AudienceNamedCommunities,
			Community: "canary village  9D2", Language: "ar-iq"}
		if d := e.allows(q); d.Allowed || d.Reason != consent.ReasonIdentityLevel {
			t.Fatalf("full identity: %+v", d)
		}
		q.IdentityLevel = consent.LevelFirstName
		if d := e.allows(q); !d.Allowed {
			t.Fatalf("named community: %+v", d)
		}
		q.Community = "Molenbeek"
		if d := e.allows(q); d.Allowed || d.Reason != consent.ReasonCommunity {
			t.Fatalf("unlisted community: %+v", d)
		}
		q.Audience, q.Community = consent.AudienceNational, ""
		if d := e.allows(q); d.Allowed || d.Reason != consent.ReasonAudience {
			t.Fatalf("national: %+v", d)
		}
		// An unknown value is an error, not a "no".
		q.Use = "billboard"
		if _, err := e.svc.Allows(ctx, "tenant-a", e.person, q); !errs.Is(err, errs.Invalid) {
			t.Fatalf("unknown use: %v", err)
		}
		// After erasure nothing may be published, and the communities are unreadable.
		if err := e.cases.Erase(ctx, e.p["A/supervisor"], "", e.person); err != nil {
			t.Fatal(err)
		}
		if d := e.allows(interview); d.Allowed || d.Reason != consent.ReasonErased {
			t.Fatalf("after erasure: %+v", d)
		}
		hist, err := e.svc.History(ctx, "tenant-a", e.person)
		if err != nil || len(hist) != 1 || len(hist[0].Communities) != 0 {
			t.Fatalf("history after erasure: %+v, %v", hist, err)
		}
		_, err = e.svc.Give(ctx, e.p["A/case_worker"], "", e.person, wide())
		kindOf(t, err, errs.Conflict, "error.returnee_erased")
		// Withdrawal still works (it must never be hard), without sealing anything.
		if w, err := e.svc.Withdraw(ctx, e.p["A/case_worker"], "", e.person, "a reason that cannot be sealed any more"); err != nil || w.Version != 2 {
			t.Fatalf("withdrawal after erasure: %+v, %v", w, err)
		}
	})
}

func TestConcurrentVersionsGetDistinctNumbers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		const n = 6
		var wg sync.WaitGroup
		errc := make(chan error, n)
		nums := make(chan int, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := e.svc.Give(context.Background(), e.p["A/case_worker"], "", e.person, wide())
				errc <- err
				nums <- v.Version
			}()
		}
		wg.Wait()
		close(errc)
		close(nums)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		var got []int
		for v := range nums {
			got = append(got, v)
		}
		slices.Sort(got)
		if !slices.Equal(got, []int{1, 2, 3, 4, 5, 6}) {
			t.Fatalf("versions %v", got)
		}
	})
}
