package survey_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"inoculate/internal/engagements/survey"
	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
)

// now is the tests' clock: 10:17 on the day of the forum, which starts at 18:00.
var now = time.Date(2026, 6, 15, 10, 17, 23, 0, time.UTC)

type env struct {
	db  *store.DB
	log *audit.Log
	svc *survey.Service
	p   map[string]map[authz.Role]*authz.Principal
	// Engagements by name: "forum" and "interview" in tenant a, "forum" in tenant b.
	eng map[string]map[string]string
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
	e := &env{db: db, log: audit.New(db, signer), p: map[string]map[authz.Role]*authz.Principal{},
		eng: map[string]map[string]string{}}
	e.svc = survey.NewService(db, e.log)
	e.svc.SetClock(func() time.Time { return now })
	for _, ten := range []string{"a", "b"} {
		tid := "tenant-" + ten
		e.p[ten] = map[authz.Role]*authz.Principal{}
		e.eng[ten] = map[string]string{}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)`, tid, tid, tid, 1); err != nil {
				return err
			}
			for _, r := range authz.Roles {
				uid := "user-" + ten + "-" + string(r)
				if _, err := tx.Exec(ctx, `INSERT INTO users (id, tenant_id, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
					uid, tid, string(r), string(r), "x", 1); err != nil {
					return err
				}
				e.p[ten][r] = &authz.Principal{TenantID: tid, UserID: uid, Role: r, Stage: authz.StageFull}
			}
			cid := "community-" + ten
			if _, err := tx.Exec(ctx, `INSERT INTO communities (id, tenant_id, name, kind, created_by, created_at, updated_by, updated_at)
				VALUES (?, ?, ?, 'place', 'x', 1, 'x', 1)`, cid, tid, "Tal Afar "+ten); err != nil {
				return err
			}
			for _, g := range []struct{ name, kind, lang string }{{"forum", "public_forum", "en"}, {"interview", "media_interview", "en"}, {"arabic", "mosque_talk", "ar"}} {
				id := "engagement-" + ten + "-" + g.name
				starts := time.Date(2026, 6, 15, 18, 0, 0, 0, time.UTC)
				if _, err := tx.Exec(ctx, `INSERT INTO engagements (id, tenant_id, kind, title, community_id, starts_at, ends_at, time_zone,
					language, audience, identity_level, status, created_by, created_at, updated_by, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, 'Asia/Baghdad', ?, 'own_community', 'alias', 'scheduled', 'x', 1, 'x', 1)`,
					id, tid, g.kind, "Youth forum "+ten+" "+g.name, cid, store.Millis(starts), store.Millis(starts.Add(2*time.Hour)), g.lang); err != nil {
					return err
				}
				e.eng[ten][g.name] = id
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// engagements implements survey.Engagements over the engagement tables, as the
// engagements capability does.
type engagements struct{ db *store.DB }

func (g engagements) Forum(ctx context.Context, tenantID, id string) (survey.Forum, error) {
	f := survey.Forum{ID: id}
	var starts int64
	err := g.db.Reader().QueryRow(ctx, "SELECT title, starts_at, time_zone, language, kind, status FROM engagements WHERE tenant_id = ? AND id = ?",
		tenantID, id).Scan(&f.Title, &starts, &f.TimeZone, &f.Language, &f.Kind, &f.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return f, errs.E(errs.NotFound, "no such engagement")
	}
	f.StartsAt = store.FromMillis(starts)
	return f, err
}

func (g engagements) HelpLine(ctx context.Context, tenantID string) (string, error) {
	var v string
	err := g.db.Reader().QueryRow(ctx, "SELECT value FROM engagement_settings WHERE tenant_id = ? AND key = 'help_line'", tenantID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

func (e *env) setHelpLine(t *testing.T, tenant, text string) {
	t.Helper()
	ctx := context.Background()
	err := e.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO engagement_settings (tenant_id, key, value, updated_by, updated_at) VALUES (?, 'help_line', ?, 'x', 1)`,
			"tenant-"+tenant, text)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) setStatus(t *testing.T, id, status string) {
	t.Helper()
	ctx := context.Background()
	if err := e.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "UPDATE engagements SET status = ? WHERE id = ?", status, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.Reader().QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) link(t *testing.T, ten, name string) survey.Link {
	t.Helper()
	l, err := e.svc.Link(context.Background(), "tenant-"+ten, e.eng[ten][name])
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func wantKind(t *testing.T, err error, k errs.Kind, what string) {
	t.Helper()
	if !errs.Is(err, k) {
		t.Fatalf("%s: got %v, want %s", what, err, k)
	}
}
