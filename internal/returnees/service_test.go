package returnees_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/platform/vault"
	"inoculate/internal/returnees"
)

type env struct {
	db    *store.DB
	svc   *returnees.Service
	vault *vault.Vault
	log   *audit.Log
	a, b  *authz.Principal // case workers of tenants A and B
}

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
	e := &env{db: db, vault: vault.New(kf, kf), log: audit.New(db, signer)}
	e.svc = returnees.NewService(db, e.vault, e.log)
	for i, id := range []string{"tenant-a", "tenant-b"} {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)`, id, id, id, 1); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO users (id, tenant_id, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				"user-"+id, id, "cw", "case_worker", "x", 1)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := kf.EnsureTenant(ctx, id); err != nil {
			t.Fatal(err)
		}
		p := &authz.Principal{TenantID: id, UserID: "user-" + id, Role: authz.CaseWorker, Stage: authz.StageFull}
		if i == 0 {
			e.a = p
		} else {
			e.b = p
		}
	}
	return e
}

var person = returnees.NewReturnee{Alias: "Olive", Identity: returnees.Identity{
	LegalName: "CANARY Legal Name 7f3a", BirthDate: "1991-02-03", Phone: "+33 1 23 45 67 89", Address: "CANARY street 7f3a"}}

func auditActions(t *testing.T, e *env, tenant string) []string {
	t.Helper()
	recs, err := e.log.List(context.Background(), e.db.Reader(), tenant, audit.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Action)
	}
	return out
}

func TestCreateSealsIdentityAndRevealIsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		r, err := e.svc.Create(ctx, e.a, "req-1", person)
		if err != nil {
			t.Fatal(err)
		}
		// The stored columns hold ciphertext, never the identity.
		var name, phone []byte
		var alias string
		if err := db.Reader().QueryRow(ctx, `SELECT alias, legal_name, phone FROM returnees WHERE id = ?`, r.ID).Scan(&alias, &name, &phone); err != nil {
			t.Fatal(err)
		}
		if alias != "Olive" || bytes.Contains(name, []byte("CANARY")) || bytes.Contains(phone, []byte("45")) || len(name) == 0 {
			t.Fatalf("stored row: alias %q, legal_name %q", alias, name)
		}
		// A reason is required; a refused reveal leaves no trace and shows nothing.
		if _, err := e.svc.Reveal(ctx, e.a, "req-2", r.ID, "short"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("reveal with a short reason: %v", err)
		}
		idn, err := e.svc.Reveal(ctx, e.a, "req-3", r.ID, "Preparing the first forum's safety plan")
		if err != nil {
			t.Fatal(err)
		}
		if idn.LegalName != person.LegalName || idn.Phone != "+33123456789" || idn.BirthDate != "1991-02-03" {
			t.Fatalf("revealed %+v", idn)
		}
		if got := auditActions(t, e, "tenant-a"); len(got) != 2 || got[0] != "returnee.reveal" || got[1] != "returnee.create" {
			t.Fatalf("audit actions %v, want [returnee.reveal returnee.create]", got)
		}
		var reason []byte
		if err := db.Reader().QueryRow(ctx, `SELECT reason FROM identity_reveals WHERE returnee_id = ?`, r.ID).Scan(&reason); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(reason, []byte("safety plan")) {
			t.Fatal("the reveal reason is stored in clear")
		}
		revs, err := e.svc.Reveals(ctx, "tenant-a", r.ID)
		if err != nil || len(revs) != 1 || revs[0].UserID != e.a.UserID {
			t.Fatalf("reveals %v, %v", revs, err)
		}
	})
}

func TestTenantsDoNotSeeEachOther(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		r, err := e.svc.Create(ctx, e.a, "", person)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Create(ctx, e.b, "", person); err != nil {
			t.Fatalf("the same alias in another tenant: %v", err)
		}
		if _, err := e.svc.Create(ctx, e.a, "", person); !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate alias in one tenant: %v", err)
		}
		if _, err := e.svc.Get(ctx, "tenant-b", r.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("tenant B got A's returnee: %v", err)
		}
		if _, err := e.svc.Reveal(ctx, e.b, "", r.ID, "a reason long enough"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("tenant B revealed A's returnee: %v", err)
		}
		if err := e.svc.Erase(ctx, e.b, "", r.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("tenant B erased A's returnee: %v", err)
		}
		list, err := e.svc.List(ctx, "tenant-b")
		if err != nil || len(list) != 1 || list[0].TenantID != "tenant-b" {
			t.Fatalf("tenant B's list: %+v, %v", list, err)
		}
		if n, _ := e.svc.Count(ctx, "tenant-a"); n != 1 {
			t.Fatalf("tenant A count %d", n)
		}
	})
}

func TestMovedCiphertextFailsToOpen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		x, _ := e.svc.Create(ctx, e.a, "", person)
		other := person
		other.Alias = "Birch"
		y, _ := e.svc.Create(ctx, e.a, "", other)
		// An insider with database access copies X's sealed name into Y's row.
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE returnees SET legal_name = (SELECT legal_name FROM returnees WHERE id = ?) WHERE id = ?`, x.ID, y.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Reveal(ctx, e.a, "", y.ID, "a reason long enough"); err == nil {
			t.Fatal("a ciphertext moved to another row opened")
		}
	})
}

func TestEraseShredsForever(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		r, _ := e.svc.Create(ctx, e.a, "", person)
		keep, _ := e.svc.Create(ctx, e.a, "", returnees.NewReturnee{Alias: "Keep", Identity: returnees.Identity{LegalName: "Someone Else"}})
		if _, err := e.svc.Reveal(ctx, e.a, "", r.ID, "a reason long enough"); err != nil {
			t.Fatal(err)
		}
		// Keep a copy of the sealed name and of the data key, as an old backup would.
		var sealed, wrapped []byte
		var ver int
		if err := db.Reader().QueryRow(ctx, `SELECT legal_name FROM returnees WHERE id = ?`, r.ID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if err := db.Reader().QueryRow(ctx, `SELECT kek_version, wrapped FROM data_keys WHERE subject_id = ?`, r.ID).Scan(&ver, &wrapped); err != nil {
			t.Fatal(err)
		}
		sup := &authz.Principal{TenantID: "tenant-a", UserID: e.a.UserID, Role: authz.Supervisor, Stage: authz.StageFull}
		if err := e.svc.Erase(ctx, sup, "", r.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Erase(ctx, sup, "", r.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("second erase: %v", err)
		}
		if _, err := e.svc.Reveal(ctx, e.a, "", r.ID, "a reason long enough"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("reveal after erase: %v", err)
		}
		// Restore the old key row, as restoring an old backup would: still unreadable.
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO data_keys (subject_id, tenant_id, kek_version, wrapped, created_at) VALUES (?, ?, ?, ?, ?)`, r.ID, "tenant-a", ver, wrapped, 1)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		ref := vault.FieldRef{TenantID: "tenant-a", Subject: r.ID, Table: "returnees", Column: "legal_name", Row: r.ID}
		if _, err := e.vault.Open(ctx, db.Reader(), ref, sealed); !errors.Is(err, vault.ErrShredded) {
			t.Fatalf("open after erase and key restore: %v, want ErrShredded", err)
		}
		if _, err := e.svc.Reveal(ctx, e.a, "", keep.ID, "a reason long enough"); err != nil {
			t.Fatalf("another returnee became unreadable: %v", err)
		}
		got, _ := e.svc.Get(ctx, "tenant-a", r.ID)
		if !got.Erased || got.Alias != "Olive" {
			t.Fatalf("after erase: %+v", got)
		}
	})
}

func TestValidation(t *testing.T) {
	db := storetest.SQLite(t)
	e := setup(t, db)
	ctx := context.Background()
	bad := []struct {
		name  string
		in    returnees.NewReturnee
		field string
	}{
		{"no alias", returnees.NewReturnee{Identity: returnees.Identity{LegalName: "x"}}, "alias"},
		{"no name", returnees.NewReturnee{Alias: "a"}, "legal_name"},
		{"bad date", returnees.NewReturnee{Alias: "a", Identity: returnees.Identity{LegalName: "x", BirthDate: "1990-02-30"}}, "birth_date"},
		{"future date", returnees.NewReturnee{Alias: "a", Identity: returnees.Identity{LegalName: "x", BirthDate: time.Now().AddDate(1, 0, 0).Format(time.DateOnly)}}, "birth_date"},
		{"phone letters", returnees.NewReturnee{Alias: "a", Identity: returnees.Identity{LegalName: "x", Phone: "call me"}}, "phone"},
		{"bidi override", returnees.NewReturnee{Alias: "a\u202Eb", Identity: returnees.Identity{LegalName: "x"}}, "alias"},
		{"newline in alias", returnees.NewReturnee{Alias: "a\nb", Identity: returnees.Identity{LegalName: "x"}}, "alias"},
		{"long alias", returnees.NewReturnee{Alias: string(bytes.Repeat([]byte("a"), 81)), Identity: returnees.Identity{LegalName: "x"}}, "alias"},
	}
	for _, c := range bad {
		_, err := e.svc.Create(ctx, e.a, "", c.in)
		var ee *errs.Error
		if !errors.As(err, &ee) || ee.Kind != errs.Invalid || ee.Field != c.field {
			t.Errorf("%s: got %v, want an invalid %s", c.name, err, c.field)
		}
	}
	if n, _ := e.svc.Count(ctx, "tenant-a"); n != 0 {
		t.Fatalf("invalid input wrote %d rows", n)
	}
	// Arabic-Indic digits are accepted and stored as ASCII.
	r, err := e.svc.Create(ctx, e.a, "", returnees.NewReturnee{Alias: "سنديان", Identity: returnees.Identity{LegalName: "اسم", Phone: "+٩٦٦ ٥٠ ١٢٣ ٤٥٦٧"}})
	if err != nil {
		t.Fatal(err)
	}
	idn, err := e.svc.Reveal(ctx, e.a, "", r.ID, "a reason long enough")
	if err != nil || idn.Phone != "+966501234567" {
		t.Fatalf("phone %q, %v", idn.Phone, err)
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+44 20 7946 0000", "٠١٢٣", "(0)1-2.3", "+", "++1", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := returnees.NormalizePhone(s)
		if err != nil {
			return
		}
		for i, r := range out {
			if !(r >= '0' && r <= '9') && !(r == '+' && i == 0) {
				t.Fatalf("NormalizePhone(%q) = %q holds %q", s, out, r)
			}
		}
		if again, err := returnees.NormalizePhone(out); err != nil || again != out {
			t.Fatalf("not idempotent: %q → %q → %q (%v)", s, out, again, err)
		}
	})
}

func FuzzParseBirthDate(f *testing.F) {
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	for _, s := range []string{"1994-03-21", "1994-02-30", "2999-01-01", "94-3-21", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := returnees.ParseBirthDate(s, now)
		if err != nil {
			return
		}
		d, perr := time.Parse(time.DateOnly, out)
		if perr != nil || d.After(now) || d.Year() < 1900 || out != s {
			t.Fatalf("ParseBirthDate(%q) = %q accepted a bad date", s, out)
		}
	})
}
