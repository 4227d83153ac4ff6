package returnees_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/backup"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/platform/vault"
	"inoculate/internal/returnees"
)

// addUser inserts a user of tenant with role and returns a signed-in principal.
func addUser(t *testing.T, db *store.DB, tenant, id string, role authz.Role) *authz.Principal {
	t.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, tenant_id, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`, id, tenant, id, string(role), "x", 1)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return &authz.Principal{TenantID: tenant, UserID: id, Role: role, Stage: authz.StageFull}
}

func TestCaseloadVisibilityAndPipeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		sup := addUser(t, db, "tenant-a", "sup", authz.Supervisor)
		cw2 := addUser(t, db, "tenant-a", "cw2", authz.CaseWorker)
		cw3 := addUser(t, db, "tenant-a", "cw3", authz.CaseWorker)
		team, err := e.svc.CreateTeam(ctx, sup, "", "North")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.SetMember(ctx, sup, "", team.ID, cw2.UserID, true); err != nil {
			t.Fatal(err)
		}
		in := person
		in.TeamID, in.CaseWorkerID, in.HomeCommunity, in.Languages = team.ID, sup.UserID, "Harbour Town", []string{"AR, ar-eg", "ckb"}
		r, err := e.svc.Create(ctx, sup, "", in)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(r.Languages, "|") != "ar|ar-eg|ckb" {
			t.Errorf("languages %v", r.Languages)
		}
		// cw2 is in the team; cw3 is not; e.a is another case worker, not in it either.
		for _, c := range []struct {
			p    *authz.Principal
			sees bool
		}{{sup, true}, {cw2, true}, {cw3, false}, {e.a, false}} {
			_, err := e.svc.Open(ctx, c.p, r.ID)
			list, lerr := e.svc.ListFor(ctx, c.p)
			if lerr != nil {
				t.Fatal(lerr)
			}
			inList := false
			for _, x := range list {
				inList = inList || x.ID == r.ID
			}
			if (err == nil) != c.sees || inList != c.sees {
				t.Errorf("%s: open err %v, in list %v; want visible=%v", c.p.UserID, err, inList, c.sees)
			}
			if err != nil && !errs.Is(err, errs.NotFound) {
				t.Errorf("%s: hidden case gives %v, want not found", c.p.UserID, err)
			}
			if _, err := e.svc.Reveal(ctx, c.p, "", r.ID, "a reason long enough"); (err == nil) != c.sees {
				t.Errorf("%s: reveal err %v, want allowed=%v", c.p.UserID, err, c.sees)
			}
		}
		// Another tenant's team or user cannot be assigned.
		if err := e.svc.Assign(ctx, sup, "", r.ID, "user-tenant-b", ""); !errs.Is(err, errs.Invalid) {
			t.Errorf("assigning another tenant's user: %v", err)
		}
		// Pipeline: allowed moves only, each with its reason kept sealed.
		if err := e.svc.MoveStage(ctx, cw2, "", r.ID, returnees.StageEnrolled, "", "jumping ahead"); !errs.Is(err, errs.Conflict) {
			t.Errorf("identified → enrolled: %v", err)
		}
		for _, to := range []returnees.Stage{returnees.StageApproached, returnees.StageInConversation, returnees.StageEnrolled} {
			if err := e.svc.MoveStage(ctx, cw2, "", r.ID, to, "2026-01-02", "CANARY met at the family's house"); err != nil {
				t.Fatalf("move to %s: %v", to, err)
			}
		}
		if err := e.svc.MoveStage(ctx, cw2, "", r.ID, returnees.StageApproached, "", "back"); !errs.Is(err, errs.Conflict) {
			t.Errorf("enrolled → approached: %v", err)
		}
		moves, err := e.svc.Moves(ctx, cw2, r.ID)
		if err != nil || len(moves) != 3 || moves[0].To != returnees.StageEnrolled || !strings.Contains(moves[0].Reason, "family") {
			t.Fatalf("moves %+v, %v", moves, err)
		}
		var raw []byte
		if err := db.Reader().QueryRow(ctx, `SELECT reason FROM pipeline_moves WHERE returnee_id = ? LIMIT 1`, r.ID).Scan(&raw); err != nil || bytes.Contains(raw, []byte("family")) {
			t.Errorf("move reason stored in clear (%v)", err)
		}
		got, _ := e.svc.Get(ctx, "tenant-a", r.ID)
		if got.Stage != returnees.StageEnrolled || got.StageOn != "2026-01-02" {
			t.Errorf("stage %s on %s", got.Stage, got.StageOn)
		}
	})
}

func TestIdentityAccessNeedsACustodianAndExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		sup := addUser(t, db, "tenant-a", "sup", authz.Supervisor)
		admin := addUser(t, db, "tenant-a", "admin", authz.Admin)
		liaison := addUser(t, db, "tenant-a", "liaison", authz.CommunityLiaison)
		r, _ := e.svc.Create(ctx, e.a, "", person)

		if _, err := e.svc.Reveal(ctx, liaison, "", r.ID, "a reason long enough"); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("liaison without a grant: %v", err)
		}
		ar, err := e.svc.RequestAccess(ctx, admin, "", r.ID, "verifying identity for the prosecutor's office")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DecideAccess(ctx, admin, "", ar.ID, true, 0); !errs.Is(err, errs.Conflict) {
			t.Fatalf("admin approving own request: %v", err)
		}
		if err := e.svc.DecideAccess(ctx, liaison, "", ar.ID, true, 0); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("non-custodian deciding: %v", err)
		}
		if err := e.svc.DecideAccess(ctx, sup, "", ar.ID, true, 0); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DecideAccess(ctx, sup, "", ar.ID, false, 0); !errs.Is(err, errs.Conflict) {
			t.Fatalf("deciding twice: %v", err)
		}
		if idn, err := e.svc.Reveal(ctx, admin, "", r.ID, "a reason long enough"); err != nil || idn.LegalName != person.LegalName {
			t.Fatalf("admin with a grant: %v", err)
		}
		if _, err := e.svc.Reveal(ctx, liaison, "", r.ID, "a reason long enough"); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("a grant of one user served another: %v", err)
		}
		// An hour later the grant is over.
		e.svc.SetClock(func() time.Time { return time.Now().Add(61 * time.Minute) })
		if _, err := e.svc.Reveal(ctx, admin, "", r.ID, "a reason long enough"); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("expired grant still works: %v", err)
		}
		want := []string{"returnee.reveal", "returnee.reveal", "returnee.reveal", "identity_access.approve", "identity_access.request", "returnee.reveal", "returnee.create"}
		got := auditActions(t, e, "tenant-a")
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("audit actions\n got %v\nwant %v", got, want)
		}
		recs, _ := e.log.List(ctx, db.Reader(), "tenant-a", auditFilter())
		if recs[0].Result != "denied" || recs[1].Result != "denied" || recs[2].Result != "ok" {
			t.Errorf("reveal results %s %s %s, want denied denied ok", recs[0].Result, recs[1].Result, recs[2].Result)
		}
	})
}

// TestErasureReallyErases is the proof the issue asks for: two-person approval, then
// a canary legal name is absent from the SQLite file and WAL, from the PostgreSQL
// tables, from a backup made after; and a backup made before, restored, stays erased.
func TestErasureReallyErases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		sup := addUser(t, db, "tenant-a", "sup", authz.Supervisor)
		sup2 := addUser(t, db, "tenant-a", "sup2", authz.Supervisor)
		canary := "CANARY-" + strings.Repeat("Q", 12)
		in := person
		in.LegalName = canary
		r, err := e.svc.Create(ctx, e.a, "", in)
		if err != nil {
			t.Fatal(err)
		}
		keep, _ := e.svc.Create(ctx, e.a, "", returnees.NewReturnee{Alias: "Keep", Identity: returnees.Identity{LegalName: "Someone Else"}})
		before := filepath.Join(t.TempDir(), "before.inoc")
		if _, err := backup.WriteFile(ctx, db, before); err != nil {
			t.Fatal(err)
		}

		if err := e.svc.RequestErasure(ctx, sup, "", r.ID, "wrong alias"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("erasure with a mistyped alias: %v", err)
		}
		if err := e.svc.RequestErasure(ctx, sup, "", r.ID, r.Alias); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ApproveErasure(ctx, sup, "", r.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("requester approving own erasure: %v", err)
		}
		if idn, err := e.svc.Reveal(ctx, e.a, "", r.ID, "still readable before approval"); err != nil || idn.LegalName != canary {
			t.Fatalf("before the second approval the identity must stay: %v", err)
		}
		if err := e.svc.ApproveErasure(ctx, sup2, "", r.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Reveal(ctx, e.a, "", r.ID, "after erasure now"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("reveal after erasure: %v", err)
		}

		// Not in the store's own files or tables.
		if db.Dialect() == store.SQLite {
			for _, f := range []string{db.Where(), db.Where() + "-wal"} {
				b, err := os.ReadFile(f)
				if err != nil && !errors.Is(err, os.ErrNotExist) {
					t.Fatal(err)
				}
				if bytes.Contains(b, []byte(canary)) {
					t.Errorf("canary found in %s", f)
				}
			}
		} else {
			var hits int
			err := db.Reader().QueryRow(ctx, `SELECT COUNT(*) FROM (
				SELECT t::text AS x FROM returnees t UNION ALL SELECT t::text FROM identity_reveals t UNION ALL
				SELECT t::text FROM data_keys t UNION ALL SELECT t::text FROM audit_entries t UNION ALL SELECT t::text FROM pipeline_moves t) q
				WHERE position(? in x) > 0 OR position(? in x) > 0`, canary, hexOf(canary)).Scan(&hits)
			if err != nil || hits != 0 {
				t.Errorf("canary in PostgreSQL rows: %d (%v)", hits, err)
			}
		}
		// Not in a backup made after.
		after := filepath.Join(t.TempDir(), "after.inoc")
		if _, err := backup.WriteFile(ctx, db, after); err != nil {
			t.Fatal(err)
		}
		if containsInBackup(t, after, canary) {
			t.Error("canary in a backup made after the erasure")
		}
		// A backup made before, restored into a fresh database: the tombstone erases again.
		fresh := storetest.SQLite(t)
		if _, err := backup.RestoreFile(ctx, fresh, before); err != nil {
			t.Fatal(err)
		}
		n, err := e.vault.ApplyTombstones(ctx, fresh)
		if err != nil || n != 1 {
			t.Fatalf("tombstones applied: %d, %v", n, err)
		}
		restored := returnees.NewService(fresh, e.vault, e.log)
		if _, err := restored.Reveal(ctx, e.a, "", r.ID, "after restoring an old backup"); err == nil {
			t.Fatal("the erased person came back with an old backup")
		}
		var sealed []byte
		if err := fresh.Reader().QueryRow(ctx, `SELECT legal_name FROM returnees WHERE id = ?`, r.ID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		ref := vault.FieldRef{TenantID: "tenant-a", Subject: r.ID, Table: "returnees", Column: "legal_name", Row: r.ID}
		if _, err := e.vault.Open(ctx, fresh.Reader(), ref, sealed); !errors.Is(err, vault.ErrShredded) {
			t.Fatalf("old ciphertext after restore: %v, want ErrShredded", err)
		}
		if _, err := restored.Reveal(ctx, e.a, "", keep.ID, "the others are unaffected"); err != nil {
			t.Fatalf("another person after restore: %v", err)
		}
	})
}

func hexOf(s string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(digits[s[i]>>4])
		b.WriteByte(digits[s[i]&15])
	}
	return b.String()
}

// containsInBackup reads a backup's rows (decompressed) and searches for s, in clear
// or base64 of any alignment (byte columns are base64 in the backup).
func containsInBackup(t *testing.T, path, s string) bool {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := gunzip(t, raw)
	if bytes.Contains(text, []byte(s)) {
		return true
	}
	for _, variant := range base64Variants(s) {
		if bytes.Contains(text, []byte(variant)) {
			return true
		}
	}
	return false
}
