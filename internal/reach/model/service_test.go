package model_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/platform/vault"
	"inoculate/internal/reach/model"
)

var now = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

// env is two tenants, a and b, each with a user of every role, two communities,
// three channels, a returnee, an erased returnee and an engagement, made with plain
// SQL: the other capabilities' services are not under test here.
type env struct {
	db  *store.DB
	svc *model.Service
	p   map[string]map[authz.Role]*authz.Principal
}

func setup(t testing.TB, db *store.DB) *env {
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
	e := &env{db: db, svc: model.NewService(db, audit.New(db, signer)), p: map[string]map[authz.Role]*authz.Principal{}}
	e.svc.SetClock(func() time.Time { return now })
	for _, ten := range []string{"a", "b"} {
		id := "tenant-" + ten
		e.p[ten] = map[authz.Role]*authz.Principal{}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			exec := func(q string, args ...any) {
				if err == nil {
					_, err = tx.Exec(ctx, q, args...)
				}
			}
			exec(`INSERT INTO tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)`, id, id, id, 1)
			for _, r := range authz.Roles {
				uid := "user-" + ten + "-" + string(r)
				exec(`INSERT INTO users (id, tenant_id, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`, uid, id, string(r), string(r), "x", 1)
				e.p[ten][r] = &authz.Principal{TenantID: id, UserID: uid, Role: r, Stage: authz.StageFull}
			}
			for _, c := range []struct{ id, name string }{{"com-" + ten + "-1", "Tal Afar"}, {"com-" + ten + "-2", "Sinjar"}} {
				exec(`INSERT INTO communities (id, tenant_id, name, kind, region, languages, brief, chain_version, created_by, created_at, updated_by, updated_at)
					VALUES (?, ?, ?, 'place', '', 'ar', '', 0, 'u', 1, 'u', 1)`, c.id, id, c.name)
			}
			for _, c := range []struct{ id, kind, name string }{
				{"ch-" + ten + "-radio", "media_outlet", "Radio Nineveh"},
				{"ch-" + ten + "-page", "online_page", "Youth page"},
				{"ch-" + ten + "-hall", "venue", "Community hall"},
			} {
				exec(`INSERT INTO channels (id, tenant_id, kind, name, community_id, languages, notes, created_by, created_at, updated_by, updated_at)
					VALUES (?, ?, ?, ?, NULL, 'ar', '', 'u', 1, 'u', 1)`, c.id, id, c.kind, c.name)
			}
			exec(`INSERT INTO returnees (id, tenant_id, alias, created_by, created_at) VALUES (?, ?, 'Abu Omar', 'u', 1)`, "ret-"+ten, id)
			exec(`INSERT INTO returnees (id, tenant_id, alias, created_by, created_at, erased_at) VALUES (?, ?, 'Gone', 'u', 1, 2)`, "erased-"+ten, id)
			exec(`INSERT INTO engagements (id, tenant_id, kind, title, starts_at, ends_at, time_zone, language, audience, identity_level, status,
				created_by, created_at, updated_by, updated_at) VALUES (?, ?, 'public_forum', 'Forum', 1, 2, 'UTC', 'ar', 'own_community', 'alias_protected', 'proposed', 'u', 1, 'u', 1)`,
				"eng-"+ten, id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func kindOf(t *testing.T, err error, want errs.Kind) *errs.Error {
	t.Helper()
	if err == nil || errs.KindOf(err) != want {
		t.Fatalf("err = %v, want kind %v", err, want)
	}
	var e *errs.Error
	if !errors.As(err, &e) || !strings.HasPrefix(e.MsgKey, "reach.error.") {
		t.Fatalf("err %v has no reach.error.* key", err)
	}
	return e
}

func auditCount(t *testing.T, db *store.DB, tenant string) int {
	t.Helper()
	var n int
	if err := db.Reader().QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_entries WHERE tenant_id = ?`, tenant).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var goodCell = model.CellInput{CommunityID: "com-a-1", Language: " AR ", AgeBand: "18-24", Size: 12000, Source: "Census 2024, district office", Year: 2024}

func TestCells(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		liaison, comms := e.p["a"][authz.CommunityLiaison], e.p["a"][authz.CommsOfficer]
		before := auditCount(t, db, "tenant-a")
		c, err := e.svc.CreateCell(ctx, comms, "req", goodCell)
		if err != nil {
			t.Fatal(err)
		}
		if c.Language != "ar" || c.AgeBand != model.Age18to24 || c.Size != 12000 || c.CommunityID != "com-a-1" || c.CreatedBy != comms.UserID || !c.CreatedAt.Equal(now) {
			t.Fatalf("created %+v", c)
		}
		if got := auditCount(t, db, "tenant-a"); got != before+1 {
			t.Fatalf("audit entries %d, want %d", got, before+1)
		}
		// A cell without a community (a national online audience).
		national, err := e.svc.CreateCell(ctx, liaison, "req", model.CellInput{Language: "ar", AgeBand: "13-17", Size: 0, Source: "survey", Year: 2025})
		if err != nil || national.CommunityID != "" {
			t.Fatalf("national %+v %v", national, err)
		}
		// The natural key is unique, with and without a community.
		_, err = e.svc.CreateCell(ctx, liaison, "req", goodCell)
		kindOf(t, err, errs.Conflict)
		_, err = e.svc.CreateCell(ctx, liaison, "req", model.CellInput{Language: "ar", AgeBand: "13-17", Size: 5, Source: "x", Year: 2025})
		kindOf(t, err, errs.Conflict)

		up := goodCell
		up.Size, up.Source = 15000, "Census 2025"
		got, err := e.svc.UpdateCell(ctx, liaison, "req", c.ID, up)
		if err != nil || got.Size != 15000 || got.Source != "Census 2025" || got.UpdatedBy != liaison.UserID {
			t.Fatalf("update %+v %v", got, err)
		}
		if l, err := e.svc.Cells(ctx, "tenant-a"); err != nil || len(l) != 2 {
			t.Fatalf("cells %v %v", l, err)
		}

		// Tenant b sees and touches nothing of a's, nor refers to a's community.
		_, err = e.svc.Cell(ctx, "tenant-b", c.ID)
		kindOf(t, err, errs.NotFound)
		_, err = e.svc.UpdateCell(ctx, e.p["b"][authz.Supervisor], "req", c.ID, goodCell)
		kindOf(t, err, errs.NotFound) // a's community, then a's cell: both unseen
		bIn := goodCell
		bIn.CommunityID = "com-b-1"
		_, err = e.svc.UpdateCell(ctx, e.p["b"][authz.Supervisor], "req", c.ID, bIn)
		kindOf(t, err, errs.NotFound)
		err = e.svc.DeleteCell(ctx, e.p["b"][authz.Supervisor], "req", c.ID)
		kindOf(t, err, errs.NotFound)
		_, err = e.svc.CreateCell(ctx, e.p["b"][authz.Supervisor], "req", goodCell)
		if ee := kindOf(t, err, errs.NotFound); ee.Field != "community_id" {
			t.Fatalf("field %q", ee.Field)
		}
		if l, _ := e.svc.Cells(ctx, "tenant-b"); len(l) != 0 {
			t.Fatalf("tenant b lists %v", l)
		}

		for _, tc := range []struct {
			name  string
			role  authz.Role
			edit  func(*model.CellInput)
			kind  errs.Kind
			field string
		}{
			{"case worker may not write", authz.CaseWorker, func(*model.CellInput) {}, errs.Forbidden, ""},
			{"evaluator may not write", authz.Evaluator, func(*model.CellInput) {}, errs.Forbidden, ""},
			{"bad language", authz.CommsOfficer, func(in *model.CellInput) { in.Language = "arabic!" }, errs.Invalid, "language"},
			{"empty language", authz.CommsOfficer, func(in *model.CellInput) { in.Language = "" }, errs.Invalid, "language"},
			{"bad band", authz.CommsOfficer, func(in *model.CellInput) { in.AgeBand = "18-25" }, errs.Invalid, "age_band"},
			{"negative size", authz.CommsOfficer, func(in *model.CellInput) { in.Size = -1 }, errs.Invalid, "size"},
			{"NaN size", authz.CommsOfficer, func(in *model.CellInput) { in.Size = math.NaN() }, errs.Invalid, "size"},
			{"huge size", authz.CommsOfficer, func(in *model.CellInput) { in.Size = 1e11 }, errs.Invalid, "size"},
			{"no source", authz.CommsOfficer, func(in *model.CellInput) { in.Source = "  " }, errs.Invalid, "source"},
			{"control char in source", authz.CommsOfficer, func(in *model.CellInput) { in.Source = "a\x07b" }, errs.Invalid, "source"},
			{"future year", authz.CommsOfficer, func(in *model.CellInput) { in.Year = 2030 }, errs.Invalid, "year"},
			{"old year", authz.CommsOfficer, func(in *model.CellInput) { in.Year = 1800 }, errs.Invalid, "year"},
			{"unknown community", authz.CommsOfficer, func(in *model.CellInput) { in.CommunityID = "nope" }, errs.NotFound, "community_id"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := goodCell
				in.AgeBand = "35+"
				tc.edit(&in)
				_, err := e.svc.CreateCell(ctx, e.p["a"][tc.role], "req", in)
				if ee := kindOf(t, err, tc.kind); ee.Field != tc.field {
					t.Fatalf("field %q, want %q", ee.Field, tc.field)
				}
			})
		}

		// Deleting a cell removes the links into it.
		if _, err := e.svc.CreateReachLink(ctx, comms, "req", model.ReachLinkInput{ChannelID: "ch-a-radio", CellID: c.ID, Probability: 0.3}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DeleteCell(ctx, comms, "req", c.ID); err != nil {
			t.Fatal(err)
		}
		if l, _ := e.svc.ReachLinks(ctx, "tenant-a"); len(l) != 0 {
			t.Fatalf("links left %v", l)
		}
		_, err = e.svc.Cell(ctx, "tenant-a", c.ID)
		kindOf(t, err, errs.NotFound)

		// Ids that are not text are not found, on both stores (PostgreSQL refuses
		// them as parameters).
		for _, bad := range []string{"\xff\xfe", "a\x00b", strings.Repeat("x", 200)} {
			_, err = e.svc.Cell(ctx, "tenant-a", bad)
			kindOf(t, err, errs.NotFound)
			_, err = e.svc.CreateReachLink(ctx, comms, "req", model.ReachLinkInput{ChannelID: bad, CellID: national.ID, Probability: 0.5})
			kindOf(t, err, errs.NotFound)
			_, err = e.svc.CreateOption(ctx, comms, "req", model.OptionInput{Kind: "publication", Title: "x", ChannelID: "ch-a-page",
				Language: "ar", IdentityLevel: "text_only", SpeakerID: bad})
			kindOf(t, err, errs.NotFound)
			kindOf(t, e.svc.RemovePickup(ctx, comms, "req", bad, bad), errs.NotFound)
			_, err = e.svc.Plan(ctx, "tenant-a", bad)
			kindOf(t, err, errs.NotFound)
		}
	})
}

func TestLinksAndPickups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		comms := e.p["a"][authz.CommsOfficer]
		c, err := e.svc.CreateCell(ctx, comms, "req", goodCell)
		if err != nil {
			t.Fatal(err)
		}
		l, err := e.svc.CreateReachLink(ctx, comms, "req", model.ReachLinkInput{ChannelID: "ch-a-radio", CellID: c.ID, Probability: 0.25})
		if err != nil || l.Probability != 0.25 {
			t.Fatalf("link %+v %v", l, err)
		}
		_, err = e.svc.CreateReachLink(ctx, comms, "req", model.ReachLinkInput{ChannelID: "ch-a-radio", CellID: c.ID, Probability: 0.5})
		kindOf(t, err, errs.Conflict)
		l, err = e.svc.UpdateReachLink(ctx, comms, "req", model.ReachLinkInput{ChannelID: "ch-a-radio", CellID: c.ID, Probability: 1})
		if err != nil || l.Probability != 1 {
			t.Fatalf("update %+v %v", l, err)
		}
		for _, tc := range []struct {
			name  string
			p     *authz.Principal
			in    model.ReachLinkInput
			kind  errs.Kind
			field string
		}{
			{"zero", comms, model.ReachLinkInput{ChannelID: "ch-a-page", CellID: c.ID, Probability: 0}, errs.Invalid, "probability"},
			{"above one", comms, model.ReachLinkInput{ChannelID: "ch-a-page", CellID: c.ID, Probability: 1.01}, errs.Invalid, "probability"},
			{"NaN", comms, model.ReachLinkInput{ChannelID: "ch-a-page", CellID: c.ID, Probability: math.NaN()}, errs.Invalid, "probability"},
			{"no channel", comms, model.ReachLinkInput{CellID: c.ID, Probability: 0.5}, errs.Invalid, "channel_id"},
			{"other tenant's channel", comms, model.ReachLinkInput{ChannelID: "ch-b-page", CellID: c.ID, Probability: 0.5}, errs.NotFound, "channel_id"},
			{"other tenant's cell", e.p["b"][authz.CommsOfficer], model.ReachLinkInput{ChannelID: "ch-b-page", CellID: c.ID, Probability: 0.5}, errs.NotFound, "cell_id"},
			{"role", e.p["a"][authz.SafetyOfficer], model.ReachLinkInput{ChannelID: "ch-a-page", CellID: c.ID, Probability: 0.5}, errs.Forbidden, ""},
		} {
			t.Run("link "+tc.name, func(t *testing.T) {
				_, err := e.svc.CreateReachLink(ctx, tc.p, "req", tc.in)
				if ee := kindOf(t, err, tc.kind); ee.Field != tc.field {
					t.Fatalf("field %q, want %q", ee.Field, tc.field)
				}
			})
		}
		_, err = e.svc.UpdateReachLink(ctx, e.p["b"][authz.CommsOfficer], "req", model.ReachLinkInput{ChannelID: "ch-a-radio", CellID: c.ID, Probability: 0.5})
		kindOf(t, err, errs.NotFound)
		kindOf(t, e.svc.RemoveReachLink(ctx, e.p["b"][authz.CommsOfficer], "req", "ch-a-radio", c.ID), errs.NotFound)
		_, err = e.svc.ReachLink(ctx, "tenant-b", "ch-a-radio", c.ID)
		kindOf(t, err, errs.NotFound)

		pk, err := e.svc.CreatePickup(ctx, comms, "req", model.PickupInput{FromChannelID: "ch-a-radio", ToChannelID: "ch-a-page", Probability: 0.1})
		if err != nil || pk.Probability != 0.1 {
			t.Fatalf("pickup %+v %v", pk, err)
		}
		_, err = e.svc.CreatePickup(ctx, comms, "req", model.PickupInput{FromChannelID: "ch-a-radio", ToChannelID: "ch-a-page", Probability: 0.2})
		kindOf(t, err, errs.Conflict)
		// The reverse direction is another edge.
		if _, err := e.svc.CreatePickup(ctx, comms, "req", model.PickupInput{FromChannelID: "ch-a-page", ToChannelID: "ch-a-radio", Probability: 0.2}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			p     *authz.Principal
			in    model.PickupInput
			kind  errs.Kind
			field string
		}{
			{"self loop", comms, model.PickupInput{FromChannelID: "ch-a-hall", ToChannelID: "ch-a-hall", Probability: 0.5}, errs.Invalid, "to_channel_id"},
			{"zero", comms, model.PickupInput{FromChannelID: "ch-a-hall", ToChannelID: "ch-a-page", Probability: 0}, errs.Invalid, "probability"},
			{"other tenant's source", comms, model.PickupInput{FromChannelID: "ch-b-hall", ToChannelID: "ch-a-page", Probability: 0.5}, errs.NotFound, "from_channel_id"},
			{"other tenant's target", comms, model.PickupInput{FromChannelID: "ch-a-hall", ToChannelID: "ch-b-page", Probability: 0.5}, errs.NotFound, "to_channel_id"},
			{"role", e.p["a"][authz.Auditor], model.PickupInput{FromChannelID: "ch-a-hall", ToChannelID: "ch-a-page", Probability: 0.5}, errs.Forbidden, ""},
		} {
			t.Run("pickup "+tc.name, func(t *testing.T) {
				_, err := e.svc.CreatePickup(ctx, tc.p, "req", tc.in)
				if ee := kindOf(t, err, tc.kind); ee.Field != tc.field {
					t.Fatalf("field %q, want %q", ee.Field, tc.field)
				}
			})
		}
		pk, err = e.svc.UpdatePickup(ctx, comms, "req", model.PickupInput{FromChannelID: "ch-a-radio", ToChannelID: "ch-a-page", Probability: 0.3})
		if err != nil || pk.Probability != 0.3 {
			t.Fatalf("update %+v %v", pk, err)
		}
		_, err = e.svc.UpdatePickup(ctx, e.p["b"][authz.CommsOfficer], "req", model.PickupInput{FromChannelID: "ch-a-radio", ToChannelID: "ch-a-page", Probability: 0.3})
		kindOf(t, err, errs.NotFound)
		kindOf(t, e.svc.RemovePickup(ctx, e.p["b"][authz.CommsOfficer], "req", "ch-a-radio", "ch-a-page"), errs.NotFound)
		if err := e.svc.RemovePickup(ctx, comms, "req", "ch-a-radio", "ch-a-page"); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Pickup(ctx, "tenant-a", "ch-a-radio", "ch-a-page")
		kindOf(t, err, errs.NotFound)
		if l, _ := e.svc.Pickups(ctx, "tenant-a"); len(l) != 1 || l[0].FromChannelID != "ch-a-page" {
			t.Fatalf("pickups %+v", l)
		}
		if err := e.svc.RemoveReachLink(ctx, comms, "req", "ch-a-radio", c.ID); err != nil {
			t.Fatal(err)
		}
		kindOf(t, e.svc.RemoveReachLink(ctx, comms, "req", "ch-a-radio", c.ID), errs.NotFound)
	})
}

var goodOption = model.OptionInput{Kind: "public_forum", Title: "Forum at the hall", ChannelID: "ch-a-hall", CommunityID: "com-a-1",
	Language: "ar", IdentityLevel: "alias_protected", SpeakerID: "ret-a", Money: 300, SpeakerHours: 4, Notes: "evening\nafter prayers"}

func TestOptions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		sup := e.p["a"][authz.Supervisor]
		o, err := e.svc.CreateOption(ctx, sup, "req", goodOption)
		if err != nil {
			t.Fatal(err)
		}
		if o.Kind != model.OptionPublicForum || o.SpeakerID != "ret-a" || o.Money != 300 || o.Notes != "evening\nafter prayers" {
			t.Fatalf("created %+v", o)
		}
		_, err = e.svc.CreateOption(ctx, sup, "req", goodOption)
		kindOf(t, err, errs.Conflict)
		for _, tc := range []struct {
			name  string
			p     *authz.Principal
			edit  func(*model.OptionInput)
			kind  errs.Kind
			field string
		}{
			{"legal officer", e.p["a"][authz.LegalOfficer], func(*model.OptionInput) {}, errs.Forbidden, ""},
			{"bad kind", sup, func(in *model.OptionInput) { in.Kind = "elders_meeting" }, errs.Invalid, "kind"},
			{"no title", sup, func(in *model.OptionInput) { in.Title = "" }, errs.Invalid, "title"},
			{"long title", sup, func(in *model.OptionInput) { in.Title = strings.Repeat("x", 201) }, errs.Invalid, "title"},
			{"no channel", sup, func(in *model.OptionInput) { in.ChannelID = " " }, errs.Invalid, "channel_id"},
			{"bad language", sup, func(in *model.OptionInput) { in.Language = "x" }, errs.Invalid, "language"},
			{"bad identity level", sup, func(in *model.OptionInput) { in.IdentityLevel = "face" }, errs.Invalid, "identity_level"},
			{"negative money", sup, func(in *model.OptionInput) { in.Money = -0.01 }, errs.Invalid, "money"},
			{"infinite money", sup, func(in *model.OptionInput) { in.Money = math.Inf(1) }, errs.Invalid, "money"},
			{"too many hours", sup, func(in *model.OptionInput) { in.SpeakerHours = 10001 }, errs.Invalid, "speaker_hours"},
			{"other tenant's channel", sup, func(in *model.OptionInput) { in.ChannelID = "ch-b-hall" }, errs.NotFound, "channel_id"},
			{"other tenant's community", sup, func(in *model.OptionInput) { in.CommunityID = "com-b-1" }, errs.NotFound, "community_id"},
			{"other tenant's speaker", sup, func(in *model.OptionInput) { in.SpeakerID = "ret-b" }, errs.NotFound, "speaker_id"},
			{"erased speaker", sup, func(in *model.OptionInput) { in.SpeakerID = "erased-a" }, errs.NotFound, "speaker_id"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := goodOption
				in.Title = "Another"
				tc.edit(&in)
				_, err := e.svc.CreateOption(ctx, tc.p, "req", in)
				if ee := kindOf(t, err, tc.kind); ee.Field != tc.field {
					t.Fatalf("field %q, want %q", ee.Field, tc.field)
				}
			})
		}
		// A publication without speaker or community.
		pub := goodOption
		pub.Kind, pub.Title, pub.ChannelID, pub.CommunityID, pub.SpeakerID, pub.IdentityLevel, pub.SpeakerHours = "publication", "Clip on the youth page", "ch-a-page", "", "", "text_only", 0
		p2, err := e.svc.CreateOption(ctx, e.p["a"][authz.CommsOfficer], "req", pub)
		if err != nil || p2.SpeakerID != "" || p2.CommunityID != "" {
			t.Fatalf("publication %+v %v", p2, err)
		}
		up := goodOption
		up.Title = p2.Title // taken by the publication
		_, err = e.svc.UpdateOption(ctx, sup, "req", o.ID, up)
		kindOf(t, err, errs.Conflict)
		up.Title, up.Money = "Forum at the hall, Friday", 450
		got, err := e.svc.UpdateOption(ctx, sup, "req", o.ID, up)
		if err != nil || got.Money != 450 || got.Title != up.Title {
			t.Fatalf("update %+v %v", got, err)
		}
		_, err = e.svc.Option(ctx, "tenant-b", o.ID)
		kindOf(t, err, errs.NotFound)
		bIn := goodOption
		bIn.ChannelID, bIn.CommunityID, bIn.SpeakerID = "ch-b-hall", "com-b-1", "ret-b"
		_, err = e.svc.UpdateOption(ctx, e.p["b"][authz.Supervisor], "req", o.ID, bIn)
		kindOf(t, err, errs.NotFound)
		kindOf(t, e.svc.DeleteOption(ctx, e.p["b"][authz.Supervisor], "req", o.ID), errs.NotFound)
		if l, _ := e.svc.Options(ctx, "tenant-a"); len(l) != 2 || l[0].Title != "Clip on the youth page" {
			t.Fatalf("options %+v", l)
		}
		if err := e.svc.DeleteOption(ctx, sup, "req", p2.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Option(ctx, "tenant-a", p2.ID)
		kindOf(t, err, errs.NotFound)
	})
}

func TestPlans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		liaison := e.p["a"][authz.CommunityLiaison]
		c, err := e.svc.CreateCell(ctx, liaison, "req", goodCell)
		if err != nil {
			t.Fatal(err)
		}
		o, err := e.svc.CreateOption(ctx, liaison, "req", goodOption)
		if err != nil {
			t.Fatal(err)
		}
		pub := goodOption
		pub.Kind, pub.Title, pub.SpeakerID = "publication", "Clip", ""
		o2, err := e.svc.CreateOption(ctx, liaison, "req", pub)
		if err != nil {
			t.Fatal(err)
		}
		in := model.PlanInput{Name: "Spring", TargetCells: []string{c.ID, c.ID}, BudgetMoney: 1000, BudgetHours: 10, Epsilon: 0.1,
			Result: json.RawMessage(`{"estimate": 812.5, "ratio": 0.63}`),
			Items:  []model.PlanItem{{OptionID: o.ID, Rank: 1, Gain: 700}, {OptionID: o2.ID, Rank: 2, Gain: 112.5, EngagementID: "ignored"}}}
		pl, err := e.svc.SavePlan(ctx, liaison, "req", in)
		if err != nil {
			t.Fatal(err)
		}
		if pl.Status != model.PlanDraft || len(pl.TargetCells) != 1 || len(pl.Items) != 2 || pl.Items[1].EngagementID != "" ||
			pl.Items[0].Gain != 700 || !json.Valid(pl.Result) || !strings.Contains(string(pl.Result), "812.5") {
			t.Fatalf("saved %+v", pl)
		}
		for _, tc := range []struct {
			name string
			p    *authz.Principal
			edit func(*model.PlanInput)
			kind errs.Kind
		}{
			{"role", e.p["a"][authz.Evaluator], func(*model.PlanInput) {}, errs.Forbidden},
			{"no targets", liaison, func(in *model.PlanInput) { in.TargetCells = nil }, errs.Invalid},
			{"epsilon 0", liaison, func(in *model.PlanInput) { in.Epsilon = 0 }, errs.Invalid},
			{"epsilon 1", liaison, func(in *model.PlanInput) { in.Epsilon = 1 }, errs.Invalid},
			{"negative budget", liaison, func(in *model.PlanInput) { in.BudgetMoney = -1 }, errs.Invalid},
			{"bad result", liaison, func(in *model.PlanInput) { in.Result = json.RawMessage(`{"a":`) }, errs.Invalid},
			{"repeated option", liaison, func(in *model.PlanInput) { in.Items = append(in.Items, in.Items[0]) }, errs.Invalid},
			{"rank 0", liaison, func(in *model.PlanInput) { in.Items = []model.PlanItem{{OptionID: o.ID, Rank: 0}} }, errs.Invalid},
			{"other tenant's cell", e.p["b"][authz.CommunityLiaison], func(in *model.PlanInput) { in.Items = nil }, errs.NotFound},
			{"unknown option", liaison, func(in *model.PlanInput) { in.Items = []model.PlanItem{{OptionID: "nope", Rank: 1}} }, errs.NotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := in
				in.Items = append([]model.PlanItem(nil), in.Items...)
				tc.edit(&in)
				_, err := e.svc.SavePlan(ctx, tc.p, "req", in)
				kindOf(t, err, tc.kind)
			})
		}
		// A plan's options stay.
		kindOf(t, e.svc.DeleteOption(ctx, liaison, "req", o.ID), errs.Conflict)

		_, err = e.svc.Plan(ctx, "tenant-b", pl.ID)
		kindOf(t, err, errs.NotFound)
		_, err = e.svc.MarkPlanAccepted(ctx, e.p["b"][authz.Supervisor], "req", pl.ID, nil)
		kindOf(t, err, errs.NotFound)
		_, err = e.svc.MarkPlanAccepted(ctx, liaison, "req", pl.ID, map[string]string{o.ID: "eng-b"})
		kindOf(t, err, errs.NotFound)
		_, err = e.svc.MarkPlanAccepted(ctx, liaison, "req", pl.ID, map[string]string{"not-in-plan": "eng-a"})
		kindOf(t, err, errs.Invalid)
		_, err = e.svc.MarkPlanAccepted(ctx, e.p["a"][authz.CaseWorker], "req", pl.ID, nil)
		kindOf(t, err, errs.Forbidden)
		if p, _ := e.svc.Plan(ctx, "tenant-a", pl.ID); p.Status != model.PlanDraft || p.Items[0].EngagementID != "" {
			t.Fatalf("a refused acceptance changed the plan: %+v", p)
		}
		acc, err := e.svc.MarkPlanAccepted(ctx, liaison, "req", pl.ID, map[string]string{o.ID: "eng-a"})
		if err != nil || acc.Status != model.PlanAccepted || acc.AcceptedBy != liaison.UserID || !acc.AcceptedAt.Equal(now) ||
			acc.Items[0].EngagementID != "eng-a" || acc.Items[1].EngagementID != "" {
			t.Fatalf("accepted %+v %v", acc, err)
		}
		_, err = e.svc.MarkPlanAccepted(ctx, liaison, "req", pl.ID, nil)
		kindOf(t, err, errs.Conflict)
		kindOf(t, e.svc.DeletePlan(ctx, liaison, "req", pl.ID), errs.Conflict)

		draft, err := e.svc.SavePlan(ctx, liaison, "req", model.PlanInput{Name: "Draft", TargetCells: []string{c.ID}, Epsilon: 0.5})
		if err != nil || string(draft.Result) != "{}" || len(draft.Items) != 0 {
			t.Fatalf("draft %+v %v", draft, err)
		}
		list, err := e.svc.Plans(ctx, "tenant-a")
		if err != nil || len(list) != 2 || list[0].Result != nil {
			t.Fatalf("plans %+v %v", list, err)
		}
		if l, _ := e.svc.Plans(ctx, "tenant-b"); len(l) != 0 {
			t.Fatalf("tenant b lists %v", l)
		}
		kindOf(t, e.svc.DeletePlan(ctx, e.p["b"][authz.Supervisor], "req", draft.ID), errs.NotFound)
		if err := e.svc.DeletePlan(ctx, liaison, "req", draft.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Plan(ctx, "tenant-a", draft.ID)
		kindOf(t, err, errs.NotFound)
	})
}

func TestModel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		comms := e.p["a"][authz.CommsOfficer]
		c, err := e.svc.CreateCell(ctx, comms, "req", goodCell)
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{
			func() error {
				_, err := e.svc.CreateReachLink(ctx, comms, "req", model.ReachLinkInput{ChannelID: "ch-a-radio", CellID: c.ID, Probability: 0.4})
				return err
			}(),
			func() error {
				_, err := e.svc.CreatePickup(ctx, comms, "req", model.PickupInput{FromChannelID: "ch-a-radio", ToChannelID: "ch-a-page", Probability: 0.2})
				return err
			}(),
			func() error { _, err := e.svc.CreateOption(ctx, comms, "req", goodOption); return err }(),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		m, err := e.svc.Model(ctx, "tenant-a")
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Channels) != 3 || len(m.Communities) != 2 || len(m.Cells) != 1 || len(m.Links) != 1 || len(m.Pickups) != 1 || len(m.Options) != 1 {
			t.Fatalf("model %+v", m)
		}
		if m.Links[0].Probability != 0.4 || m.Options[0].ChannelID != "ch-a-hall" || m.Channels[0].Name != "Community hall" {
			t.Fatalf("model %+v", m)
		}
		mb, err := e.svc.Model(ctx, "tenant-b")
		if err != nil || len(mb.Cells)+len(mb.Links)+len(mb.Pickups)+len(mb.Options) != 0 || len(mb.Channels) != 3 {
			t.Fatalf("tenant b model %+v %v", mb, err)
		}
		for _, ch := range mb.Channels {
			if !strings.HasPrefix(ch.ID, "ch-b-") {
				t.Fatalf("tenant b sees channel %+v", ch)
			}
		}
	})
}
