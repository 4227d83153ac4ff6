package family_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/auth"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/platform/vault"
	"inoculate/internal/returnees"
	"inoculate/internal/returnees/caseref"
	"inoculate/internal/returnees/family"
)

// now is the fixed clock of the tests: dates and overdue flags do not depend on the
// day the tests run.
var now = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

type env struct {
	db        *store.DB
	vault     *vault.Vault
	log       *audit.Log
	auth      *auth.Service
	returnees *returnees.Service
	svc       *family.Service
	// principals by tenant ("a", "b") and role
	p map[string]map[authz.Role]*authz.Principal
}

var testRoles = authz.Roles

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
	e := &env{db: db, vault: vault.New(kf, kf), p: map[string]map[authz.Role]*authz.Principal{}}
	e.log = audit.New(db, signer)
	e.auth = auth.New(db, e.vault, e.log, kf.Secret("login-throttle"), auth.Config{})
	e.returnees = returnees.NewService(db, e.vault, e.log)
	e.svc = family.NewService(db, e.vault, e.log, e.auth)
	e.svc.SetClock(func() time.Time { return now })
	for _, ten := range []string{"a", "b"} {
		id := "tenant-" + ten
		e.p[ten] = map[authz.Role]*authz.Principal{}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)`, id, id, id, 1); err != nil {
				return err
			}
			for _, r := range testRoles {
				uid := "user-" + ten + "-" + string(r)
				if _, err := tx.Exec(ctx, `INSERT INTO users (id, tenant_id, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
					uid, id, strings.ReplaceAll(string(r), "_", "-"), string(r), "x", 1); err != nil {
					return err
				}
				e.p[ten][r] = &authz.Principal{TenantID: id, UserID: uid, Role: r, Stage: authz.StageFull}
			}
			_, err := tx.Exec(ctx, `INSERT INTO users (id, tenant_id, name, role, password_hash, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				"user-"+ten+"-disabled", id, "gone", "case_worker", "x", true, 1)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := kf.EnsureTenant(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// newCase creates a returnee in tenant ten and opens its case as that tenant's case worker.
func (e *env) newCase(t *testing.T, ten, alias string) caseref.Case {
	t.Helper()
	ctx := context.Background()
	cw := e.p[ten][authz.CaseWorker]
	r, err := e.returnees.Create(ctx, cw, "", returnees.NewReturnee{Alias: alias, Identity: returnees.Identity{LegalName: "Legal " + alias}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.returnees.Open(ctx, cw, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) actions(t *testing.T, tenant string) []string {
	t.Helper()
	recs, err := e.log.List(context.Background(), e.db.Reader(), tenant, audit.Filter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Action)
	}
	slices.Reverse(out) // oldest first
	return out
}

// familyActions keeps the family part's audit actions.
func familyActions(all []string) []string {
	var out []string
	for _, a := range all {
		if strings.HasPrefix(a, "family.") {
			out = append(out, a)
		}
	}
	return out
}

func ptr(s string) *string { return &s }

const (
	canaryName    = "CANARY-RELATIVE-NAME-51"
	canaryContact = "CANARY-CONTACT +44 7700 900123"
	canaryNotes   = "CANARY-NOTES met at the souk"
	canaryRole    = "CANARY-ROLE imam"
)

var uncle = family.RelativeInput{Relation: "uncle_aunt", Stance: "hostile", Community: "  Al  Qaryah ", RecordedOn: "2026-05-01",
	Details: family.Details{Name: canaryName, CommunityRole: canaryRole, Contact: canaryContact, Notes: canaryNotes}}

func TestRelativeLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.newCase(t, "a", "Olive")
		cw, sup := e.p["a"][authz.CaseWorker], e.p["a"][authz.Supervisor]

		rel, err := e.svc.AddRelative(ctx, cw, "req-1", c, uncle)
		if err != nil {
			t.Fatal(err)
		}
		if rel.Relation != family.RelUncleAunt || rel.Stance != family.Hostile || rel.Community != "Al  Qaryah" || rel.RecordedOn != "2026-05-01" || rel.Version != 1 {
			t.Fatalf("added %+v", rel)
		}
		if !slices.Equal(rel.Sealed, []string{"name", "community_role", "contact", "notes"}) {
			t.Fatalf("sealed fields %v", rel.Sealed)
		}

		// No sealed field is in clear anywhere in the stored rows.
		assertNoCanary(t, db)

		// Edit: a new version; blank sealed fields (nil) keep their values.
		rel, err = e.svc.UpdateRelative(ctx, sup, "req-2", c, rel.ID, family.RelativeChange{Version: 1, Stance: ptr("neutral"), Contact: ptr("")})
		if err != nil {
			t.Fatal(err)
		}
		if rel.Version != 2 || rel.Stance != family.Neutral || rel.UpdatedBy != sup.UserID || rel.CreatedBy != cw.UserID {
			t.Fatalf("after edit %+v", rel)
		}
		if slices.Contains(rel.Sealed, "contact") || !slices.Contains(rel.Sealed, "name") {
			t.Fatalf("after clearing the contact, sealed fields %v", rel.Sealed)
		}
		// A stale version is refused; a no-op change writes nothing.
		if _, err := e.svc.UpdateRelative(ctx, cw, "", c, rel.ID, family.RelativeChange{Version: 1, Stance: ptr("hostile")}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("stale edit: %v", err)
		}
		if r2, err := e.svc.UpdateRelative(ctx, cw, "", c, rel.ID, family.RelativeChange{Stance: ptr("neutral"), Name: ptr(canaryName)}); err != nil || r2.Version != 2 {
			t.Fatalf("no-op edit: version %d, %v", r2.Version, err)
		}
		hist, err := e.svc.History(ctx, cw, c, rel.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 || hist[0].Version != 2 || hist[1].Stance != family.Hostile || !slices.Equal(hist[0].Changed, []string{"stance", "contact"}) {
			t.Fatalf("history %+v", hist)
		}

		// Reveal: a reason is required, and the reveal is audited and recorded.
		if _, err := e.svc.RevealRelative(ctx, cw, "", c, rel.ID, "short"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("reveal with a short reason: %v", err)
		}
		d, err := e.svc.RevealRelative(ctx, cw, "req-3", c, rel.ID, "planning the forum in Al Qaryah")
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != canaryName || d.Contact != "" || d.Notes != canaryNotes || d.CommunityRole != canaryRole {
			t.Fatalf("revealed %+v", d)
		}
		revs, err := e.svc.Reveals(ctx, cw, c)
		if err != nil || len(revs) != 1 || revs[0].ObjectID != rel.ID || revs[0].Kind != "relative" || revs[0].UserID != cw.UserID {
			t.Fatalf("reveals %+v, %v", revs, err)
		}

		// Remove: a reason is required; the relative leaves lists, counts and HostileIn.
		if err := e.svc.RemoveRelative(ctx, cw, "", c, rel.ID, "dup"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("remove without a real reason: %v", err)
		}
		if err := e.svc.RemoveRelative(ctx, cw, "req-4", c, rel.ID, "recorded twice by mistake"); err != nil {
			t.Fatal(err)
		}
		if list, _ := e.svc.Relatives(ctx, cw, c); len(list) != 0 {
			t.Fatalf("removed relative still listed: %+v", list)
		}
		if _, err := e.svc.Relative(ctx, cw, c, rel.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("removed relative: %v", err)
		}
		if err := e.svc.RemoveRelative(ctx, cw, "", c, rel.ID, "recorded twice by mistake"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("second removal: %v", err)
		}
		var versions int
		if err := db.Reader().QueryRow(ctx, `SELECT COUNT(*) FROM relative_versions WHERE relative_id = ?`, rel.ID).Scan(&versions); err != nil || versions != 2 {
			t.Fatalf("versions kept after removal: %d, %v", versions, err)
		}
		assertNoCanary(t, db)
		if stale := "recorded twice"; rowsContain(t, db, "relatives", stale) {
			t.Fatal("the removal reason is stored in clear")
		}

		want := []string{"family.relative.create", "family.relative.update", "family.relative.reveal", "family.relative.remove"}
		if got := familyActions(e.actions(t, "tenant-a")); !slices.Equal(got, want) {
			t.Fatalf("audit actions %v, want %v", got, want)
		}
		// Audit records hold opaque ids only.
		if rowsContain(t, db, "audit_entries", "CANARY") || rowsContain(t, db, "audit_entries", "Qaryah") {
			t.Fatal("an audit record holds content")
		}
	})
}

// assertNoCanary scans every family table for the sealed canaries in clear.
func assertNoCanary(t *testing.T, db *store.DB) {
	t.Helper()
	for _, table := range []string{"relatives", "relative_versions", "family_reveals", "mentor_assignments", "milestones"} {
		for _, c := range []string{canaryName, canaryContact, canaryNotes, canaryRole, "CANARY"} {
			if rowsContain(t, db, table, c) {
				t.Fatalf("table %s holds %q in clear", table, c)
			}
		}
	}
}

// rowsContain reports whether any column of any row of table holds s (as text or bytes).
func rowsContain(t *testing.T, db *store.DB, table, s string) bool {
	t.Helper()
	rows, err := db.Reader().Query(context.Background(), "SELECT * FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			switch x := v.(type) {
			case []byte:
				if bytes.Contains(x, []byte(s)) {
					return true
				}
			case string:
				if strings.Contains(x, s) {
					return true
				}
			}
		}
	}
	return false
}

func TestHostileInAndStances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.newCase(t, "a", "Olive")
		other := e.newCase(t, "a", "Birch")
		cw := e.p["a"][authz.CaseWorker]
		add := func(c caseref.Case, stance, community string) family.Relative {
			t.Helper()
			r, err := e.svc.AddRelative(ctx, cw, "", c, family.RelativeInput{Relation: "cousin", Stance: stance, Community: community, Details: family.Details{Name: "n"}})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		hostile := add(c, "hostile", "Al Qaryah")
		add(c, "supportive", "Raqqa")
		add(c, "supportive", "")
		add(c, "unknown", "Raqqa")
		add(other, "hostile", "Raqqa") // another returnee's relative

		cases := []struct {
			community string
			want      bool
		}{
			{"Al Qaryah", true}, {"al  qaryah ", true}, {"AL QARYAH", true}, {"Raqqa", false}, {"Qaryah", false}, {"", true},
		}
		for _, tc := range cases {
			got, err := e.svc.HostileIn(ctx, "tenant-a", c.ID, tc.community)
			if err != nil || got != tc.want {
				t.Errorf("HostileIn(%q) = %v, %v; want %v", tc.community, got, err, tc.want)
			}
		}
		// Another tenant asking about the same returnee id learns nothing.
		if got, err := e.svc.HostileIn(ctx, "tenant-b", c.ID, "Al Qaryah"); err != nil || got {
			t.Fatalf("HostileIn across tenants = %v, %v", got, err)
		}
		st, err := e.svc.Stances(ctx, "tenant-a", c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{"supportive": 2, "neutral": 0, "hostile": 1, "unknown": 1}; !mapsEqual(st, want) {
			t.Fatalf("Stances = %v, want %v", st, want)
		}
		if st, _ := e.svc.Stances(ctx, "tenant-b", c.ID); st["hostile"] != 0 || len(st) != 4 {
			t.Fatalf("Stances across tenants = %v", st)
		}

		// A hostile relative becoming supportive, or removed, no longer counts.
		if _, err := e.svc.UpdateRelative(ctx, cw, "", c, hostile.ID, family.RelativeChange{Stance: ptr("supportive")}); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.svc.HostileIn(ctx, "tenant-a", c.ID, "Al Qaryah"); got {
			t.Fatal("a relative who became supportive still counts as hostile")
		}
		// A hostile relative whose community is unknown may be anywhere.
		nowhere := add(c, "hostile", "")
		if got, _ := e.svc.HostileIn(ctx, "tenant-a", c.ID, "Somewhere Else"); !got {
			t.Fatal("a hostile relative of unknown community did not count")
		}
		if err := e.svc.RemoveRelative(ctx, cw, "", c, nowhere.ID, "was not a relative after all"); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.svc.HostileIn(ctx, "tenant-a", c.ID, ""); got {
			t.Fatal("a removed hostile relative still counts")
		}
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestTenantIsolationThroughCases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		ca := e.newCase(t, "a", "Olive")
		cb := e.newCase(t, "b", "Olive")
		ca2 := e.newCase(t, "a", "Birch")
		cwA, cwB := e.p["a"][authz.CaseWorker], e.p["b"][authz.CaseWorker]
		relA, err := e.svc.AddRelative(ctx, cwA, "", ca, uncle)
		if err != nil {
			t.Fatal(err)
		}
		msA, err := e.svc.AddMilestone(ctx, cwA, "", ca, family.MilestoneInput{Kind: "housing", TargetOn: "2026-09-01", Note: "CANARY flat"})
		if err != nil {
			t.Fatal(err)
		}
		mA, err := e.svc.AssignMentor(ctx, cwA, "", ca, family.MentorInput{ExternalName: "CANARY mentor", Reason: "knows the family"})
		if err != nil {
			t.Fatal(err)
		}

		// Tenant B cannot open tenant A's case: the handlers stop there.
		if _, err := e.returnees.Open(ctx, cwB, ca.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("tenant B opened A's case: %v", err)
		}
		// Even handed A's case value, B's principal is refused as not found.
		if _, err := e.svc.Relatives(ctx, cwB, ca); !errs.Is(err, errs.NotFound) {
			t.Fatalf("B listed A's relatives: %v", err)
		}
		if _, err := e.svc.AddRelative(ctx, cwB, "", ca, uncle); !errs.Is(err, errs.NotFound) {
			t.Fatalf("B added to A's case: %v", err)
		}
		if _, err := e.svc.RevealRelative(ctx, cwB, "", ca, relA.ID, "a reason long enough"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("B revealed A's relative: %v", err)
		}
		// A's record ids under B's own case are not found.
		if _, err := e.svc.Relative(ctx, cwB, cb, relA.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("A's relative under B's case: %v", err)
		}
		if _, err := e.svc.UpdateRelative(ctx, cwB, "", cb, relA.ID, family.RelativeChange{Stance: ptr("neutral")}); !errs.Is(err, errs.NotFound) {
			t.Fatalf("B edited A's relative: %v", err)
		}
		if err := e.svc.RemoveRelative(ctx, cwB, "", cb, relA.ID, "a reason long enough"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("B removed A's relative: %v", err)
		}
		if _, err := e.svc.RevealRelative(ctx, cwB, "", cb, relA.ID, "a reason long enough"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("B revealed A's relative through its own case: %v", err)
		}
		if _, err := e.svc.UpdateMilestone(ctx, cwB, "", cb, msA.ID, family.MilestoneChange{Status: ptr("missed")}); !errs.Is(err, errs.NotFound) {
			t.Fatalf("B edited A's milestone: %v", err)
		}
		if err := e.svc.EndMentor(ctx, cwB, "", cb, mA.ID, family.EndInput{}); !errs.Is(err, errs.NotFound) {
			t.Fatalf("B ended A's mentor: %v", err)
		}
		if _, err := e.svc.RevealMentor(ctx, cwB, "", cb, mA.ID, "a reason long enough"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("B revealed A's mentor: %v", err)
		}
		// Another returnee's case of the same tenant does not reach them either.
		if _, err := e.svc.Relative(ctx, cwA, ca2, relA.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("A's relative under another case: %v", err)
		}
		if _, err := e.svc.Milestone(ctx, cwA, ca2, msA.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("A's milestone under another case: %v", err)
		}
		if n, err := e.svc.Notes(ctx, cwB, "", cb); err != nil || len(n.Milestone)+len(n.MentorReason) != 0 {
			t.Fatalf("B's notes: %+v, %v", n, err)
		}
		if got := familyActions(e.actions(t, "tenant-b")); len(got) != 0 {
			t.Fatalf("refused attempts wrote audit records in B: %v", got)
		}
	})
}

// TestCaseloadThroughCases: a case worker outside the case's team cannot open it,
// so the handlers (which open the case first) never reach the family records.
func TestCaseloadThroughCases(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	e := setup(t, db)
	c := e.newCase(t, "a", "Olive")
	err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, tenant_id, name, role, password_hash, created_at) VALUES ('outsider', 'tenant-a', 'outsider', 'case_worker', 'x', 1)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	outsider := &authz.Principal{TenantID: "tenant-a", UserID: "outsider", Role: authz.CaseWorker, Stage: authz.StageFull}
	if _, err := e.returnees.Open(ctx, outsider, c.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("a case worker outside the caseload opened the case: %v", err)
	}
}

func TestMentors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.newCase(t, "a", "Olive")
		cw := e.p["a"][authz.CaseWorker]

		cands, err := e.svc.Candidates(ctx, "tenant-a")
		if err != nil {
			t.Fatal(err)
		}
		var roles []authz.Role
		for _, u := range cands {
			roles = append(roles, u.Role)
		}
		slices.Sort(roles)
		if want := []authz.Role{authz.CaseWorker, authz.CommsOfficer, authz.CommunityLiaison, authz.LegalOfficer, authz.SafetyOfficer, authz.Supervisor}; !slices.Equal(roles, want) {
			t.Fatalf("candidate roles %v, want %v", roles, want)
		}

		bad := []struct {
			name  string
			in    family.MentorInput
			field string
		}{
			{"nobody", family.MentorInput{Reason: "r"}, "mentor_user_id"},
			{"both", family.MentorInput{UserID: "user-a-supervisor", ExternalName: "x", Reason: "r"}, "mentor_user_id"},
			{"auditor", family.MentorInput{UserID: "user-a-auditor", Reason: "r"}, "mentor_user_id"},
			{"admin", family.MentorInput{UserID: "user-a-admin", Reason: "r"}, "mentor_user_id"},
			{"evaluator", family.MentorInput{UserID: "user-a-evaluator", Reason: "r"}, "mentor_user_id"},
			{"disabled", family.MentorInput{UserID: "user-a-disabled", Reason: "r"}, "mentor_user_id"},
			{"other tenant's user", family.MentorInput{UserID: "user-b-supervisor", Reason: "r"}, "mentor_user_id"},
			{"no reason", family.MentorInput{UserID: "user-a-supervisor"}, "reason"},
			{"bad from", family.MentorInput{UserID: "user-a-supervisor", From: "2026-13-01", Reason: "r"}, "from"},
			{"until before from", family.MentorInput{UserID: "user-a-supervisor", From: "2026-06-01", Until: "2026-05-01", Reason: "r"}, "until"},
		}
		for _, b := range bad {
			_, err := e.svc.AssignMentor(ctx, cw, "", c, b.in)
			var ee *errs.Error
			if !errors.As(err, &ee) || ee.Kind != errs.Invalid || ee.Field != b.field {
				t.Errorf("%s: %v, want invalid %s", b.name, err, b.field)
			}
		}

		first, err := e.svc.AssignMentor(ctx, cw, "", c, family.MentorInput{UserID: "user-a-supervisor", From: "2026-01-10", Reason: "CANARY first reason"})
		if err != nil {
			t.Fatal(err)
		}
		if !first.Current || first.UserID != "user-a-supervisor" || first.External {
			t.Fatalf("first %+v", first)
		}
		// A new assignment cannot start before the open one; when it starts after, it
		// ends the open one on its first day.
		if _, err := e.svc.AssignMentor(ctx, cw, "", c, family.MentorInput{ExternalName: "x", From: "2026-01-01", Reason: "r"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("overlapping assignment: %v", err)
		}
		second, err := e.svc.AssignMentor(ctx, cw, "req-m", c, family.MentorInput{ExternalName: "CANARY Imam Name", Organisation: "Mosque Association", From: "2026-06-01", Until: "2026-12-31", Reason: "CANARY second reason"})
		if err != nil {
			t.Fatal(err)
		}
		ms, err := e.svc.Mentors(ctx, cw, c)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 2 || ms[0].ID != second.ID || !ms[0].Current || !ms[0].External || ms[0].Organisation != "Mosque Association" ||
			ms[1].Current || !ms[1].Ended || ms[1].Until != "2026-06-01" || ms[1].ReplacedBy != second.ID {
			t.Fatalf("mentors %+v", ms)
		}
		if rowsContain(t, db, "mentor_assignments", "CANARY") {
			t.Fatal("a mentor's name or reason is stored in clear")
		}
		// The external name is revealed with a reason; a staff mentor has none to reveal.
		name, err := e.svc.RevealMentor(ctx, cw, "", c, second.ID, "arranging the first meeting")
		if err != nil || name != "CANARY Imam Name" {
			t.Fatalf("revealed %q, %v", name, err)
		}
		if _, err := e.svc.RevealMentor(ctx, cw, "", c, first.ID, "arranging the first meeting"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("revealing a staff mentor's name: %v", err)
		}
		notes, err := e.svc.Notes(ctx, cw, "", c)
		if err != nil || notes.MentorReason[second.ID] != "CANARY second reason" || notes.MentorReason[first.ID] != "CANARY first reason" {
			t.Fatalf("notes %+v, %v", notes, err)
		}

		// End: not before the start, not in the future; once only.
		if err := e.svc.EndMentor(ctx, cw, "", c, second.ID, family.EndInput{On: "2026-05-01"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("end before start: %v", err)
		}
		if err := e.svc.EndMentor(ctx, cw, "", c, second.ID, family.EndInput{On: "2026-07-01"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("end in the future: %v", err)
		}
		if err := e.svc.EndMentor(ctx, cw, "", c, second.ID, family.EndInput{Reason: "CANARY moved away"}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.EndMentor(ctx, cw, "", c, second.ID, family.EndInput{}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("second end: %v", err)
		}
		ms, _ = e.svc.Mentors(ctx, cw, c)
		for _, m := range ms {
			if m.Current {
				t.Fatalf("an ended assignment is current: %+v", m)
			}
		}
		if ms[0].Until != "2026-06-15" {
			t.Fatalf("ended on %q, want today", ms[0].Until)
		}
		want := []string{"family.mentor.assign", "family.mentor.end", "family.mentor.assign", "family.mentor.reveal", "family.notes.read", "family.mentor.end"}
		if got := familyActions(e.actions(t, "tenant-a")); !slices.Equal(got, want) {
			t.Fatalf("audit %v, want %v", got, want)
		}
	})
}

func TestMilestones(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.newCase(t, "a", "Olive")
		cw := e.p["a"][authz.CaseWorker]

		bad := []struct {
			name  string
			in    family.MilestoneInput
			field string
		}{
			{"no kind", family.MilestoneInput{TargetOn: "2026-07-01"}, "kind"},
			{"bad kind", family.MilestoneInput{Kind: "wealth", TargetOn: "2026-07-01"}, "kind"},
			{"no target", family.MilestoneInput{Kind: "work"}, "target_on"},
			{"bad target", family.MilestoneInput{Kind: "work", TargetOn: "2026-02-30"}, "target_on"},
			{"bad status", family.MilestoneInput{Kind: "work", TargetOn: "2026-07-01", Status: "done"}, "status"},
			{"achieved date without achieved", family.MilestoneInput{Kind: "work", TargetOn: "2026-07-01", Status: "planned", AchievedOn: "2026-06-01"}, "achieved_on"},
			{"achieved in the future", family.MilestoneInput{Kind: "work", TargetOn: "2026-07-01", Status: "achieved", AchievedOn: "2026-07-01"}, "achieved_on"},
			{"bidi note", family.MilestoneInput{Kind: "work", TargetOn: "2026-07-01", Note: "a\u202Eb"}, "note"},
		}
		for _, b := range bad {
			_, err := e.svc.AddMilestone(ctx, cw, "", c, b.in)
			var ee *errs.Error
			if !errors.As(err, &ee) || ee.Kind != errs.Invalid || ee.Field != b.field {
				t.Errorf("%s: %v, want invalid %s", b.name, err, b.field)
			}
		}

		housing, err := e.svc.AddMilestone(ctx, cw, "", c, family.MilestoneInput{Kind: "housing", TargetOn: "2026-06-01", Note: "CANARY flat on Rue X"})
		if err != nil {
			t.Fatal(err)
		}
		if housing.Status != family.StatusPlanned || !housing.Overdue || !housing.HasNote {
			t.Fatalf("housing %+v", housing)
		}
		work, err := e.svc.AddMilestone(ctx, cw, "", c, family.MilestoneInput{Kind: "work", TargetOn: "2026-09-01", Status: "in_progress"})
		if err != nil || work.Overdue {
			t.Fatalf("work %+v, %v", work, err)
		}
		// Achieving without a date records today; it is no longer overdue.
		housing, err = e.svc.UpdateMilestone(ctx, cw, "", c, housing.ID, family.MilestoneChange{Version: 1, Status: ptr("achieved")})
		if err != nil {
			t.Fatal(err)
		}
		if housing.AchievedOn != "2026-06-15" || housing.Overdue || housing.Version != 2 || !housing.HasNote {
			t.Fatalf("achieved %+v", housing)
		}
		// Back to in progress forgets the achieved date; missed and past target is overdue.
		housing, err = e.svc.UpdateMilestone(ctx, cw, "", c, housing.ID, family.MilestoneChange{Status: ptr("missed")})
		if err != nil || housing.AchievedOn != "" || !housing.Overdue {
			t.Fatalf("missed %+v, %v", housing, err)
		}
		if _, err := e.svc.UpdateMilestone(ctx, cw, "", c, housing.ID, family.MilestoneChange{Version: 1, Status: ptr("planned")}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("stale milestone edit: %v", err)
		}
		if m, err := e.svc.UpdateMilestone(ctx, cw, "", c, housing.ID, family.MilestoneChange{Status: ptr("missed")}); err != nil || m.Version != 3 {
			t.Fatalf("no-op edit: %+v, %v", m, err)
		}
		list, err := e.svc.Milestones(ctx, cw, c)
		if err != nil || len(list) != 2 || list[0].ID != housing.ID || list[1].ID != work.ID {
			t.Fatalf("milestones %+v, %v", list, err)
		}
		if rowsContain(t, db, "milestones", "CANARY") {
			t.Fatal("a milestone note is stored in clear")
		}
		notes, err := e.svc.Notes(ctx, cw, "", c)
		if err != nil || notes.Milestone[housing.ID] != "CANARY flat on Rue X" || len(notes.Milestone) != 1 {
			t.Fatalf("notes %+v, %v", notes, err)
		}
		// Clearing the note.
		if m, err := e.svc.UpdateMilestone(ctx, cw, "", c, housing.ID, family.MilestoneChange{Note: ptr("")}); err != nil || m.HasNote {
			t.Fatalf("cleared note: %+v, %v", m, err)
		}
		want := []string{"family.milestone.create", "family.milestone.create", "family.milestone.update", "family.milestone.update", "family.notes.read", "family.milestone.update"}
		if got := familyActions(e.actions(t, "tenant-a")); !slices.Equal(got, want) {
			t.Fatalf("audit %v, want %v", got, want)
		}
	})
}

func TestRelativeValidation(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	e := setup(t, db)
	c := e.newCase(t, "a", "Olive")
	cw := e.p["a"][authz.CaseWorker]
	ok := family.RelativeInput{Relation: "parent", Stance: "supportive", Details: family.Details{Name: "x"}}
	with := func(f func(*family.RelativeInput)) family.RelativeInput { in := ok; f(&in); return in }
	bad := []struct {
		name  string
		in    family.RelativeInput
		field string
	}{
		{"no relation", with(func(in *family.RelativeInput) { in.Relation = "" }), "relation"},
		{"bad relation", with(func(in *family.RelativeInput) { in.Relation = "neighbour" }), "relation"},
		{"capitalised stance", with(func(in *family.RelativeInput) { in.Stance = "Hostile" }), "stance"},
		{"no name", with(func(in *family.RelativeInput) { in.Name = "  " }), "name"},
		{"newline in name", with(func(in *family.RelativeInput) { in.Name = "a\nb" }), "name"},
		{"bidi in community", with(func(in *family.RelativeInput) { in.Community = "x\u2066y" }), "community"},
		{"future recorded_on", with(func(in *family.RelativeInput) { in.RecordedOn = "2026-06-16" }), "recorded_on"},
		{"bad recorded_on", with(func(in *family.RelativeInput) { in.RecordedOn = "15/06/2026" }), "recorded_on"},
		{"long contact", with(func(in *family.RelativeInput) { in.Contact = strings.Repeat("9", 501) }), "contact"},
	}
	for _, b := range bad {
		_, err := e.svc.AddRelative(ctx, cw, "", c, b.in)
		var ee *errs.Error
		if !errors.As(err, &ee) || ee.Kind != errs.Invalid || ee.Field != b.field {
			t.Errorf("%s: %v, want invalid %s", b.name, err, b.field)
		}
	}
	if list, _ := e.svc.Relatives(ctx, cw, c); len(list) != 0 {
		t.Fatalf("invalid input wrote %d relatives", len(list))
	}
	// Arabic-Indic digits in a date are read; an empty date is today.
	r, err := e.svc.AddRelative(ctx, cw, "", c, with(func(in *family.RelativeInput) { in.RecordedOn = "٢٠٢٦-٠٣-٢١"; in.Name = "سعاد" }))
	if err != nil || r.RecordedOn != "2026-03-21" {
		t.Fatalf("Arabic-Indic date: %+v, %v", r, err)
	}
	r, err = e.svc.AddRelative(ctx, cw, "", c, ok)
	if err != nil || r.RecordedOn != "2026-06-15" || !slices.Equal(r.Sealed, []string{"name"}) {
		t.Fatalf("default date: %+v, %v", r, err)
	}
}

func TestErasedCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.newCase(t, "a", "Olive")
		cw, sup := e.p["a"][authz.CaseWorker], e.p["a"][authz.Supervisor]
		rel, err := e.svc.AddRelative(ctx, cw, "", c, uncle)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddMilestone(ctx, cw, "", c, family.MilestoneInput{Kind: "work", TargetOn: "2026-09-01", Note: "n"}); err != nil {
			t.Fatal(err)
		}
		var sealed []byte
		if err := db.Reader().QueryRow(ctx, `SELECT name FROM relative_versions WHERE relative_id = ?`, rel.ID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		e.returnees.OnErase(e.svc.EraseCase)
		if err := e.returnees.Erase(ctx, sup, "", c.ID); err != nil {
			t.Fatal(err)
		}
		c, err = e.returnees.Open(ctx, cw, c.ID)
		if err != nil || !c.Erased {
			t.Fatalf("erased case: %+v, %v", c, err)
		}
		// The sealed fields were sealed with the returnee's key: shredded with it.
		ref := vault.FieldRef{TenantID: "tenant-a", Subject: c.ID, Table: "relative_versions", Column: "name", Row: "any"}
		if _, err := e.vault.Open(ctx, db.Reader(), ref, sealed); !errors.Is(err, vault.ErrShredded) {
			t.Fatalf("open after erasure: %v, want ErrShredded", err)
		}
		if _, err := e.svc.RevealRelative(ctx, cw, "", c, rel.ID, "a reason long enough"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("reveal after erasure: %v", err)
		}
		if _, err := e.svc.AddRelative(ctx, cw, "", c, uncle); !errs.Is(err, errs.Conflict) {
			t.Fatalf("add after erasure: %v", err)
		}
		// The page still works: notes are simply gone.
		if n, err := e.svc.Notes(ctx, cw, "", c); err != nil || len(n.Milestone) != 0 {
			t.Fatalf("notes after erasure: %+v, %v", n, err)
		}
		// The erasure hook emptied the sealed columns and the communities; relations,
		// stances and milestones stay, so the program's records still add up.
		if rowsContain(t, db, "relative_versions", "Qaryah") {
			t.Fatal("erasure left the relative's community")
		}
		var name []byte
		if err := db.Reader().QueryRow(ctx, `SELECT name FROM relative_versions WHERE relative_id = ?`, rel.ID).Scan(&name); err != nil || len(name) != 0 {
			t.Fatalf("sealed name after erasure: %d bytes, %v", len(name), err)
		}
		if st, _ := e.svc.Stances(ctx, "tenant-a", c.ID); st["hostile"] != 1 {
			t.Fatalf("stances after erasure %v", st)
		}
		if ms, err := e.svc.Milestones(ctx, cw, c); err != nil || len(ms) != 1 || ms[0].HasNote {
			t.Fatalf("milestones after erasure %+v, %v", ms, err)
		}
	})
}
