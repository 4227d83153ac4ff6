package testimonies_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"inoculate/internal/demo"
	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/auth"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/events"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/platform/vault"
	"inoculate/internal/returnees"
	"inoculate/internal/returnees/assessment"
	"inoculate/internal/returnees/consent"
	"inoculate/internal/returnees/family"
	"inoculate/internal/returnees/legal"
	"inoculate/internal/testimonies"
	"inoculate/internal/testimonies/redact"
	"inoculate/internal/testimonies/subtitles"
)

// The demo's Cedar has relatives "Fictional Mother (demo)" in Harbour Town and
// "Fictional Uncle (demo)" in Hill Village; the transcript mentions the uncle, his
// village and a phone number, in English and Arabic.
const transcript = `1
00:00:01,000 --> 00:00:04,000
My uncle, Fictional Uncle, still lives in Hill Village.

2
00:00:04,500 --> 00:00:07,000
Call me on +44 20 7946 0991 if you want.

3
00:00:07,500 --> 00:00:09,000
We left at night.
`

func setup(t *testing.T, db *store.DB) (*testimonies.Service, *authz.Principal, returnees.Returnee, *returnees.Service) {
	t.Helper()
	ctx := context.Background()
	kf, err := vault.OpenKeyFile(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := kf.AuditSigner()
	v := vault.New(kf, kf)
	log := audit.New(db, signer)
	a := auth.New(db, v, log, []byte("test-secret-0123456789abcdef0123"), auth.Config{EnsureTenantKey: kf.EnsureTenant})
	ret := returnees.NewService(db, v, log)
	fam := family.NewService(db, v, log, a)
	as := assessment.NewService(db, v, log)
	if _, err := demo.Load(ctx, a, ret, demo.Parts{Legal: legal.NewService(db, v, log, nil), Consent: consent.NewService(db, v, log, events.NewBus(db), ret),
		Assess: as, Family: fam}); err != nil {
		t.Fatal(err)
	}
	terms := func(ctx context.Context, tenantID, returneeID, requestID string) ([]redact.Term, error) {
		name, addr, home, err := ret.RedactionTerms(ctx, tenantID, returneeID, requestID)
		if err != nil {
			return nil, err
		}
		names, places, err := fam.RelativeNamesForRedaction(ctx, tenantID, returneeID, requestID)
		if err != nil {
			return nil, err
		}
		out := []redact.Term{{Kind: "name", Text: name}, {Kind: "address", Text: addr}, {Kind: redact.KindPlace, Text: home}}
		for _, n := range names {
			out = append(out, redact.Term{Kind: "name", Text: strings.TrimSuffix(n, " (demo)")})
		}
		for _, p := range places {
			out = append(out, redact.Term{Kind: redact.KindPlace, Text: p})
		}
		return out, nil
	}
	svc := testimonies.NewService(db, v, log, ret, terms)
	ten, _ := a.TenantBySlug(ctx, demo.TenantSlug)
	u, _ := a.UserByName(ctx, ten.ID, "demo-comms-officer")
	p := &authz.Principal{TenantID: ten.ID, UserID: u.ID, Role: authz.CommsOfficer, Stage: authz.StageFull, AuthAt: time.Now()}
	list, _ := ret.List(ctx, ten.ID)
	var cedar returnees.Returnee
	for _, r := range list {
		if r.Alias == "Cedar" {
			cedar = r
		}
	}
	return svc, p, cedar, ret
}

func TestTranscriptFlagsAndRedaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, p, cedar, _ := setup(t, db)
		tm, err := svc.Create(ctx, p, "req", testimonies.Input{ReturneeID: cedar.ID, Title: "Why I came back", Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		n, open, err := svc.ImportTranscript(ctx, p, "req", tm.ID, "en", []byte(transcript))
		if err != nil || n != 3 {
			t.Fatalf("import: %d %v", n, err)
		}
		if open != 3 { // the uncle's name, his village, the phone number
			flags, _ := svc.Flags(ctx, p, "req", tm.ID)
			t.Fatalf("%d open flags, want 3: %+v", open, flags)
		}
		segs, err := svc.Segments(ctx, p, "req", tm.ID, "en")
		if err != nil {
			t.Fatal(err)
		}
		for _, sg := range segs {
			if strings.Contains(sg.Text, "Fictional Uncle") || strings.Contains(sg.Text, "7946") {
				t.Fatalf("an open flag's words are readable: %q", sg.Text)
			}
		}
		if _, err := svc.Export(ctx, p, "req", tm.ID, "en", subtitles.SRT); !errs.Is(err, errs.Conflict) {
			t.Fatalf("export with open flags: %v", err)
		}
		flags, _ := svc.Flags(ctx, p, "req", tm.ID)
		for _, f := range flags {
			if f.Match != testimonies.Masked {
				t.Fatalf("an open flag shows its words: %+v", f)
			}
			action, reason := testimonies.FlagRedacted, ""
			if f.Kind == redact.KindPlace {
				action, reason = testimonies.FlagAccepted, "A large district: says nothing about the family."
			}
			if err := svc.ResolveFlag(ctx, p, "req", tm.ID, f.ID, action, reason); err != nil {
				t.Fatalf("resolve %s: %v", f.Kind, err)
			}
		}
		if n, _ := svc.OpenFlags(ctx, p.TenantID, tm.ID); n != 0 {
			t.Fatalf("%d flags still open after resolving all", n)
		}
		out, err := svc.Export(ctx, p, "req", tm.ID, "en", subtitles.WebVTT)
		if err != nil {
			t.Fatal(err)
		}
		vtt := string(out)
		if strings.Contains(vtt, "Fictional Uncle") || strings.Contains(vtt, "7946") || !strings.Contains(vtt, "Hill Village") || !strings.Contains(vtt, "[…]") {
			t.Fatalf("exported track:\n%s", vtt)
		}
		// Accepting needs a reason; a resolved flag is not resolved twice.
		if err := svc.ResolveFlag(ctx, p, "req", tm.ID, flags[0].ID, testimonies.FlagAccepted, ""); !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Conflict) {
			t.Fatalf("second resolution: %v", err)
		}
		if err := svc.SetThemes(ctx, p, "req", tm.ID, "en", 2, []string{"poor_quality_of_life"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddClip(ctx, p, "req", tm.ID, "The night we left", 7*time.Second, 9*time.Second); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddClip(ctx, p, "req", tm.ID, "Backwards", 9*time.Second, 7*time.Second); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a clip ending before it starts: %v", err)
		}
		// Roles: a liaison may not read testimonies; a case worker may not write.
		li := *p
		li.Role = authz.CommunityLiaison
		if _, err := svc.Segments(ctx, &li, "req", tm.ID, "en"); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("liaison read a transcript: %v", err)
		}
		// Another tenant sees nothing.
		if _, err := svc.Get(ctx, "another-tenant", tm.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another tenant: %v", err)
		}
		// Bad files are refused with their line.
		if _, _, err := svc.ImportTranscript(ctx, p, "req", tm.ID, "ar", []byte("1\n00:00:05,000 --> 00:00:01,000\nbackwards\n")); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a backwards cue: %v", err)
		}
	})
}

func TestArabicTrackFlags(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, p, cedar, _ := setup(t, db)
		tm, err := svc.Create(ctx, p, "req", testimonies.Input{ReturneeID: cedar.ID, Title: "شهادة", Language: "ar"})
		if err != nil {
			t.Fatal(err)
		}
		ar := "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nاتصل بي على ٠٧٧٠١٢٣٤٥٦٧ من فضلك\n"
		_, open, err := svc.ImportTranscript(ctx, p, "req", tm.ID, "ar", []byte(ar))
		if err != nil || open != 1 {
			t.Fatalf("Arabic-Indic phone number: %d flags, %v", open, err)
		}
	})
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Duration{"75": 75 * time.Second, "1:15": 75 * time.Second, "01:02:03": time.Hour + 2*time.Minute + 3*time.Second,
		"1:15.5": 75500 * time.Millisecond} {
		if got, ok := testimonies.ParseTime(in); !ok || got != want {
			t.Errorf("%q: %v %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "1:60", "a", "1::2", "-3", "1:2:3:4"} {
		if _, ok := testimonies.ParseTime(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"75", "1:15", "01:02:03.250", "99:59:59", "1e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, ok := testimonies.ParseTime(s); ok && (d < 0 || d > 100*time.Hour) {
			t.Fatalf("%q → %v", s, d)
		}
	})
}
