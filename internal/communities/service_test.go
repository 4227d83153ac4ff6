package communities_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"inoculate/internal/communities"
	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/platform/vault"
)

var now = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

type env struct {
	db  *store.DB
	log *audit.Log
	svc *communities.Service
	p   map[string]map[authz.Role]*authz.Principal
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
	e := &env{db: db, log: audit.New(db, signer), p: map[string]map[authz.Role]*authz.Principal{}}
	e.svc = communities.NewService(db, vault.New(kf, kf), e.log)
	e.svc.SetClock(func() time.Time { return now })
	for _, ten := range []string{"a", "b"} {
		id := "tenant-" + ten
		e.p[ten] = map[authz.Role]*authz.Principal{}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)`, id, id, id, 1); err != nil {
				return err
			}
			for _, r := range authz.Roles {
				uid := "user-" + ten + "-" + string(r)
				if _, err := tx.Exec(ctx, `INSERT INTO users (id, tenant_id, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
					uid, id, string(r), string(r), "x", 1); err != nil {
					return err
				}
				e.p[ten][r] = &authz.Principal{TenantID: id, UserID: uid, Role: r, Stage: authz.StageFull}
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
	return e
}

func (e *env) community(t *testing.T, ten, name string) communities.Community {
	t.Helper()
	c, err := e.svc.Create(context.Background(), e.p[ten][authz.CommunityLiaison], "req", communities.NewCommunity{
		Name: name, Kind: communities.KindPlace, Region: "Nineveh", Languages: []string{"AR, ckb"}, Brief: "# Dos\n- greet elders first"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func kindOf(t *testing.T, err error, want errs.Kind) {
	t.Helper()
	if err == nil || errs.KindOf(err) != want {
		t.Fatalf("err = %v, want kind %v", err, want)
	}
}

func TestCommunities(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.community(t, "a", "Tal Afar")
		if c.Kind != communities.KindPlace || !slices.Equal(c.Languages, []string{"ar", "ckb"}) || c.Region != "Nineveh" {
			t.Fatalf("created %+v", c)
		}
		got, err := e.svc.Get(ctx, "tenant-a", c.ID)
		if err != nil || got.Name != "Tal Afar" {
			t.Fatalf("get %+v %v", got, err)
		}
		// Another tenant sees nothing.
		_, err = e.svc.Get(ctx, "tenant-b", c.ID)
		kindOf(t, err, errs.NotFound)
		_, err = e.svc.Chain(ctx, "tenant-b", c.ID)
		kindOf(t, err, errs.NotFound)
		_, err = e.svc.Update(ctx, e.p["b"][authz.Supervisor], "req", c.ID, communities.NewCommunity{Name: "x", Kind: "place"})
		kindOf(t, err, errs.NotFound)
		_, err = e.svc.AddAuthority(ctx, e.p["b"][authz.Supervisor], "req", c.ID, communities.NewAuthority{Kind: "elder", DisplayName: "x"})
		kindOf(t, err, errs.NotFound)
		if l, _ := e.svc.List(ctx, "tenant-b"); len(l) != 0 {
			t.Fatalf("tenant b lists %v", l)
		}
		if l, _ := e.svc.List(ctx, "tenant-a"); len(l) != 1 {
			t.Fatalf("tenant a lists %v", l)
		}
		up, err := e.svc.Update(ctx, e.p["a"][authz.Supervisor], "req", c.ID, communities.NewCommunity{Name: "Tal Afar diaspora", Kind: "diaspora", Languages: []string{"tr"}})
		if err != nil || up.Kind != communities.KindDiaspora || up.UpdatedBy != "user-a-supervisor" {
			t.Fatalf("update %+v %v", up, err)
		}
		for _, tc := range []struct {
			name string
			role authz.Role
			in   communities.NewCommunity
			kind errs.Kind
		}{
			{"comms may not write", authz.CommsOfficer, communities.NewCommunity{Name: "x", Kind: "place"}, errs.Forbidden},
			{"case worker may not write", authz.CaseWorker, communities.NewCommunity{Name: "x", Kind: "place"}, errs.Forbidden},
			{"legal officer may not write", authz.LegalOfficer, communities.NewCommunity{Name: "x", Kind: "place"}, errs.Forbidden},
			{"name required", authz.CommunityLiaison, communities.NewCommunity{Name: " ", Kind: "place"}, errs.Invalid},
			{"bad kind", authz.CommunityLiaison, communities.NewCommunity{Name: "x", Kind: "city"}, errs.Invalid},
			{"bad language", authz.CommunityLiaison, communities.NewCommunity{Name: "x", Kind: "place", Languages: []string{"<script>"}}, errs.Invalid},
			{"control char", authz.CommunityLiaison, communities.NewCommunity{Name: "x\x00", Kind: "place"}, errs.Invalid},
			{"brief too long", authz.CommunityLiaison, communities.NewCommunity{Name: "x", Kind: "place", Brief: strings.Repeat("a", communities.MaxBrief+1)}, errs.Invalid},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.svc.Create(ctx, e.p["a"][tc.role], "req", tc.in)
				kindOf(t, err, tc.kind)
			})
		}
	})
}

func positions(t *testing.T, chain []communities.Authority) []string {
	t.Helper()
	var names []string
	for i, a := range chain {
		if a.Position != i+1 {
			t.Fatalf("position %d at index %d: %+v", a.Position, i, chain)
		}
		names = append(names, a.DisplayName)
	}
	return names
}

func TestChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.community(t, "a", "Sinjar")
		li := e.p["a"][authz.CommunityLiaison]
		add := func(name string, pos int) communities.Authority {
			a, err := e.svc.AddAuthority(ctx, li, "req", c.ID, communities.NewAuthority{Kind: "elder", DisplayName: name, Position: pos})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		a1, a2, a3 := add("Elder council", 0), add("Imam of the central mosque", 0), add("Clan head", 0)
		a0 := add("Family head", 1)
		chain, _ := e.svc.Chain(ctx, "tenant-a", c.ID)
		if got := positions(t, chain); !slices.Equal(got, []string{"Family head", "Elder council", "Imam of the central mosque", "Clan head"}) {
			t.Fatalf("chain %v", got)
		}
		chain, err := e.svc.Move(ctx, li, "req", c.ID, a3.ID, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got := positions(t, chain); !slices.Equal(got, []string{"Family head", "Clan head", "Elder council", "Imam of the central mosque"}) {
			t.Fatalf("after move %v", got)
		}
		chain, err = e.svc.Reorder(ctx, e.p["a"][authz.Supervisor], "req", c.ID, []string{a2.ID, a1.ID, a0.ID, a3.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got := positions(t, chain); !slices.Equal(got, []string{"Imam of the central mosque", "Elder council", "Family head", "Clan head"}) {
			t.Fatalf("after reorder %v", got)
		}
		// A stale or malformed order is refused and changes nothing.
		for _, bad := range [][]string{{a2.ID, a1.ID, a0.ID}, {a2.ID, a1.ID, a0.ID, a0.ID}, {a2.ID, a1.ID, a0.ID, "other"}} {
			_, err = e.svc.Reorder(ctx, li, "req", c.ID, bad)
			kindOf(t, err, errs.Conflict)
		}
		if err := e.svc.RemoveAuthority(ctx, li, "req", c.ID, a1.ID); err != nil {
			t.Fatal(err)
		}
		kindOf(t, e.svc.RemoveAuthority(ctx, li, "req", c.ID, a1.ID), errs.NotFound)
		chain, _ = e.svc.Chain(ctx, "tenant-a", c.ID)
		if got := positions(t, chain); !slices.Equal(got, []string{"Imam of the central mosque", "Family head", "Clan head"}) {
			t.Fatalf("after remove %v", got)
		}
		// Roles and input.
		_, err = e.svc.AddAuthority(ctx, e.p["a"][authz.CaseWorker], "req", c.ID, communities.NewAuthority{Kind: "elder", DisplayName: "x"})
		kindOf(t, err, errs.Forbidden)
		_, err = e.svc.AddAuthority(ctx, li, "req", c.ID, communities.NewAuthority{Kind: "king", DisplayName: "x"})
		kindOf(t, err, errs.Invalid)
		_, err = e.svc.AddAuthority(ctx, li, "req", c.ID, communities.NewAuthority{Kind: "imam", DisplayName: ""})
		kindOf(t, err, errs.Invalid)
		// Every change was audited, by opaque ids.
		recs, err := e.log.List(ctx, db.Reader(), "tenant-a", audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, r := range recs {
			count[r.Action]++
			if strings.Contains(r.Object, "Imam") {
				t.Fatalf("audit holds content: %+v", r)
			}
		}
		if count["community.authority_add"] != 4 || count["community.authority_move"] != 1 || count["community.chain_reorder"] != 1 || count["community.authority_remove"] != 1 {
			t.Fatalf("audit %v", count)
		}
	})
}

// TestChainProperty runs random sequences of chain changes against a model: the chain
// always holds positions 1..n, unique, in the model's order.
func TestChainProperty(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.community(t, "a", "Hawija")
		li := e.p["a"][authz.CommunityLiaison]
		rng := rand.New(rand.NewPCG(1, 2))
		var model []string // ids in order
		for step := 0; step < 60; step++ {
			switch op := rng.IntN(4); {
			case op == 0 || len(model) < 2:
				pos := rng.IntN(len(model) + 3)
				a, err := e.svc.AddAuthority(ctx, li, "req", c.ID, communities.NewAuthority{Kind: "other", DisplayName: "step", Position: pos})
				if err != nil {
					t.Fatal(err)
				}
				if pos < 1 || pos > len(model) {
					model = append(model, a.ID)
				} else {
					model = slices.Insert(model, pos-1, a.ID)
				}
			case op == 1:
				i, pos := rng.IntN(len(model)), 1+rng.IntN(len(model)+1)
				id := model[i]
				if _, err := e.svc.Move(ctx, li, "req", c.ID, id, pos); err != nil {
					t.Fatal(err)
				}
				model = slices.Delete(model, i, i+1)
				if pos > len(model) {
					model = append(model, id)
				} else {
					model = slices.Insert(model, pos-1, id)
				}
			case op == 2:
				rng.Shuffle(len(model), func(i, j int) { model[i], model[j] = model[j], model[i] })
				if _, err := e.svc.Reorder(ctx, li, "req", c.ID, model); err != nil {
					t.Fatal(err)
				}
			default:
				i := rng.IntN(len(model))
				if err := e.svc.RemoveAuthority(ctx, li, "req", c.ID, model[i]); err != nil {
					t.Fatal(err)
				}
				model = slices.Delete(model, i, i+1)
			}
			chain, err := e.svc.Chain(ctx, "tenant-a", c.ID)
			if err != nil {
				t.Fatal(err)
			}
			positions(t, chain)
			var got []string
			for _, a := range chain {
				got = append(got, a.ID)
			}
			if !slices.Equal(got, model) {
				t.Fatalf("step %d: chain %v, model %v", step, got, model)
			}
		}
	})
}

func TestPartnersSealed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.community(t, "a", "Mosul")
		li := e.p["a"][authz.CommunityLiaison]
		pa, err := e.svc.AddPartner(ctx, li, "req", c.ID, communities.NewPartner{Kind: "mosque", Name: "Central mosque"})
		if err != nil {
			t.Fatal(err)
		}
		secret := communities.ContactDetails{Name: "Abu Karim Zzyzx", Phone: "+964 770 123 4567", Email: "karim.zzyzx@example.org"}
		ct, err := e.svc.AddContact(ctx, li, "req", c.ID, pa.ID, secret)
		if err != nil {
			t.Fatal(err)
		}
		if !ct.HasPhone || !ct.HasEmail {
			t.Fatalf("contact %+v", ct)
		}
		// Nothing readable in the raw rows.
		rows, err := db.Reader().Query(ctx, `SELECT name, phone, email FROM community_partner_contacts`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n, p, m []byte
			if err := rows.Scan(&n, &p, &m); err != nil {
				t.Fatal(err)
			}
			for _, b := range [][]byte{n, p, m} {
				for _, s := range []string{"Zzyzx", "770 123", "example.org"} {
					if bytes.Contains(b, []byte(s)) {
						t.Fatalf("plaintext %q in raw row", s)
					}
				}
			}
		}
		rows.Close()
		// Who sees contacts.
		for _, tc := range []struct {
			role     authz.Role
			contacts bool
			err      errs.Kind
		}{
			{authz.CommunityLiaison, true, -1}, {authz.Supervisor, true, -1}, {authz.CaseWorker, true, -1},
			{authz.SafetyOfficer, true, -1}, {authz.CommsOfficer, false, -1}, {authz.LegalOfficer, false, errs.Forbidden},
			{authz.Evaluator, false, errs.Forbidden},
		} {
			ps, err := e.svc.Partners(ctx, e.p["a"][tc.role], c.ID)
			if tc.err >= 0 {
				kindOf(t, err, tc.err)
				continue
			}
			if err != nil || len(ps) != 1 || (len(ps[0].Contacts) == 1) != tc.contacts {
				t.Fatalf("%s: %+v %v", tc.role, ps, err)
			}
		}
		_, err = e.svc.Partners(ctx, e.p["b"][authz.Supervisor], c.ID)
		kindOf(t, err, errs.NotFound)
		// Reveal: role, reason, tenant.
		_, err = e.svc.RevealContact(ctx, e.p["a"][authz.CaseWorker], "req", c.ID, ct.ID, "to call about the forum")
		kindOf(t, err, errs.Forbidden)
		_, err = e.svc.RevealContact(ctx, li, "req", c.ID, ct.ID, "short")
		kindOf(t, err, errs.Invalid)
		_, err = e.svc.RevealContact(ctx, e.p["b"][authz.Supervisor], "req", c.ID, ct.ID, "to call about the forum")
		kindOf(t, err, errs.NotFound)
		got, err := e.svc.RevealContact(ctx, li, "req", c.ID, ct.ID, "to call about the forum")
		if err != nil || got != secret {
			t.Fatalf("reveal %+v %v", got, err)
		}
		var n int
		if err := db.Reader().QueryRow(ctx, `SELECT COUNT(*) FROM community_reveals WHERE tenant_id = ? AND contact_id = ?`, "tenant-a", ct.ID).Scan(&n); err != nil || n != 1 {
			t.Fatalf("reveals %d %v", n, err)
		}
		// Input checks.
		_, err = e.svc.AddContact(ctx, li, "req", c.ID, pa.ID, communities.ContactDetails{Name: "x", Phone: "call me"})
		kindOf(t, err, errs.Invalid)
		_, err = e.svc.AddContact(ctx, li, "req", c.ID, pa.ID, communities.ContactDetails{Name: "x", Email: "Bob <b@x.org>"})
		kindOf(t, err, errs.Invalid)
		_, err = e.svc.AddPartner(ctx, li, "req", c.ID, communities.NewPartner{Kind: "bank", Name: "x"})
		kindOf(t, err, errs.Invalid)
		// Removing the partner removes its contacts from view and from reveal.
		if err := e.svc.RemovePartner(ctx, li, "req", c.ID, pa.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.RevealContact(ctx, li, "req", c.ID, ct.ID, "to call about the forum")
		kindOf(t, err, errs.NotFound)
		if ps, _ := e.svc.Partners(ctx, li, c.ID); len(ps) != 0 {
			t.Fatalf("partners after remove %v", ps)
		}
	})
}

func TestFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.community(t, "a", "Fallujah")
		li := e.p["a"][authz.CommunityLiaison]
		for _, tc := range []struct {
			name string
			in   communities.NewFigure
			ok   bool
		}{
			{"population", communities.NewFigure{Kind: "population", Value: 250000, Source: "Census", Year: 2024}, true},
			{"share", communities.NewFigure{Kind: "youth_share", Value: 41.5, Source: "UNFPA", Year: 2025}, true},
			{"newer population", communities.NewFigure{Kind: "population", Value: 260000, Source: "Estimate", Year: 2026}, true},
			{"fractional population", communities.NewFigure{Kind: "population", Value: 1.5, Source: "x", Year: 2024}, false},
			{"share over 100", communities.NewFigure{Kind: "youth_share", Value: 101, Source: "x", Year: 2024}, false},
			{"no source", communities.NewFigure{Kind: "population", Value: 1, Year: 2024}, false},
			{"future year", communities.NewFigure{Kind: "population", Value: 1, Source: "x", Year: 2030}, false},
			{"list of people", communities.NewFigure{Kind: "names", Value: 1, Source: "x", Year: 2024}, false},
		} {
			_, err := e.svc.AddFigure(ctx, li, "req", c.ID, tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
		figs, err := e.svc.Figures(ctx, "tenant-a", c.ID)
		if err != nil || len(figs) != 3 {
			t.Fatalf("figures %v %v", figs, err)
		}
		cur := communities.Current(figs)
		if len(cur) != 2 || cur[0].Kind != "population" || cur[1].Kind != "youth_share" {
			t.Fatalf("current %+v", cur)
		}
		_, err = e.svc.Figures(ctx, "tenant-b", c.ID)
		kindOf(t, err, errs.NotFound)
		_, err = e.svc.AddFigure(ctx, e.p["a"][authz.CommsOfficer], "req", c.ID, communities.NewFigure{Kind: "population", Value: 1, Source: "x", Year: 2024})
		kindOf(t, err, errs.Forbidden)
	})
}
