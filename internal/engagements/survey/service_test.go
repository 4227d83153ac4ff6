package survey_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"inoculate/internal/engagements/survey"
	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

func TestLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		l := e.link(t, "a", "forum")
		if len(l.Code) != survey.CodeLength || strings.Trim(l.Code, survey.CodeAlphabet) != "" {
			t.Fatalf("code %q", l.Code)
		}
		if l.Path() != "/s/"+l.Code || l.URL("https://x.example/") != "https://x.example/s/"+l.Code || !l.Open() || l.TenantID != "tenant-a" || !l.CreatedAt.Equal(now.Truncate(time.Millisecond)) {
			t.Fatalf("link %+v", l)
		}
		if again := e.link(t, "a", "forum"); again.Code != l.Code {
			t.Fatalf("second call gave %s, first %s", again.Code, l.Code)
		}
		if other := e.link(t, "b", "forum"); other.Code == l.Code {
			t.Fatal("two engagements share a code")
		}
		_, err := e.svc.Link(ctx, "tenant-b", e.eng["a"]["forum"])
		wantKind(t, err, errs.NotFound, "another tenant's engagement")
		_, err = e.svc.Link(ctx, "tenant-a", "no-such-engagement")
		wantKind(t, err, errs.NotFound, "unknown engagement")
		_, err = e.svc.Link(ctx, "tenant-a", e.eng["a"]["interview"])
		wantKind(t, err, errs.Conflict, "a media interview")
		if _, ok, _ := e.svc.FindLink(ctx, "tenant-a", e.eng["a"]["interview"]); ok {
			t.Fatal("refused link stored")
		}

		// The kinds are the wiring's choice.
		e.svc.SetConfig(survey.Config{Kinds: []string{"media_interview"}})
		if _, err := e.svc.Link(ctx, "tenant-a", e.eng["a"]["interview"]); err != nil {
			t.Fatalf("configured kind: %v", err)
		}
		_, err = e.svc.Link(ctx, "tenant-a", e.eng["a"]["arabic"])
		wantKind(t, err, errs.Conflict, "a kind no longer configured")
	})
}

// Many first calls at once give one link, the same to every caller.
func TestLinkConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		codes := make([]string, 8)
		var wg sync.WaitGroup
		for i := range codes {
			wg.Go(func() {
				l, err := e.svc.Link(context.Background(), "tenant-a", e.eng["a"]["forum"])
				if err != nil {
					t.Errorf("link %d: %v", i, err)
				}
				codes[i] = l.Code
			})
		}
		wg.Wait()
		for _, c := range codes {
			if c != codes[0] {
				t.Fatalf("codes differ: %v", codes)
			}
		}
		if n := e.count(t, "SELECT COUNT(*) FROM survey_links"); n != 1 {
			t.Fatalf("%d links", n)
		}
	})
}

func TestOpenAndClose(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		l := e.link(t, "a", "forum")
		for _, typed := range []string{l.Code, strings.ToLower(l.Code), " " + l.Code + "\n"} {
			got, err := e.svc.Open(ctx, typed)
			if err != nil || got.Code != l.Code || got.EngagementID != e.eng["a"]["forum"] {
				t.Fatalf("open %q: %+v %v", typed, got, err)
			}
		}
		_, unknown := e.svc.Open(ctx, "ZZZZZZZZ")
		wantKind(t, unknown, errs.NotFound, "unknown code")
		for _, bad := range []string{"", "ABC", l.Code + "2", "0OIL1234", "ABCD'--1", "ABCDEFGĦ"} {
			_, err := e.svc.Open(ctx, bad)
			wantKind(t, err, errs.NotFound, "malformed code "+bad)
		}

		// Closing is audited, scoped to the tenant, and idempotent.
		if err := e.svc.Close(ctx, e.p["b"][authz.Supervisor], "req-b", e.eng["a"]["forum"]); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Open(ctx, l.Code); err != nil {
			t.Fatal("another tenant closed the survey")
		}
		li := e.p["a"][authz.CommunityLiaison]
		if err := e.svc.Close(ctx, li, "req-1", e.eng["a"]["forum"]); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Close(ctx, li, "req-2", e.eng["a"]["forum"]); err != nil {
			t.Fatal(err)
		}
		_, closed := e.svc.Open(ctx, l.Code)
		wantKind(t, closed, errs.NotFound, "closed survey")
		if closed.Error() != unknown.Error() {
			t.Fatalf("closed %q and unknown %q differ", closed, unknown)
		}
		err := e.svc.Submit(ctx, l.Code, survey.Submission{Phase: survey.After, Language: "en", Answers: map[string]int{"better_life": 2}})
		wantKind(t, err, errs.NotFound, "answer to a closed survey")
		recs, err := e.log.List(ctx, db.Reader(), "tenant-a", audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range recs {
			if r.Entry.Action == "survey.close" {
				n++
				if r.Entry.Object != e.eng["a"]["forum"] || r.Entry.ActorID != li.UserID || r.Entry.RequestID != "req-1" {
					t.Fatalf("audit entry %+v", r.Entry)
				}
			}
		}
		if n != 1 {
			t.Fatalf("%d close entries, want 1", n)
		}
		found, ok, err := e.svc.FindLink(ctx, "tenant-a", e.eng["a"]["forum"])
		if err != nil || !ok || found.Open() || !found.ClosedAt.Equal(now.Truncate(time.Millisecond)) {
			t.Fatalf("closed link %+v %v", found, err)
		}
		if err := e.svc.Close(ctx, nil, "", e.eng["a"]["forum"]); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("close without a principal: %v", err)
		}
	})
}

func TestSubmit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		l := e.link(t, "a", "forum")
		good := survey.Submission{Phase: survey.Before, Language: "ar", Answers: map[string]int{"better_life": 1, "talk_trusted": 5}}
		if err := e.svc.Submit(ctx, strings.ToLower(l.Code), good); err != nil {
			t.Fatal(err)
		}
		var id, inst, phase, lang, answers, eng, ten string
		var at int64
		err := db.Reader().QueryRow(ctx, "SELECT id, tenant_id, engagement_id, instrument, phase, language, answers, submitted_at FROM survey_responses").
			Scan(&id, &ten, &eng, &inst, &phase, &lang, &answers, &at)
		if err != nil {
			t.Fatal(err)
		}
		if ten != "tenant-a" || eng != e.eng["a"]["forum"] || inst != "v1" || phase != "before" || lang != "ar" || answers != `{"better_life":1,"talk_trusted":5}` {
			t.Fatalf("stored %s %s %s %s %s %s", ten, eng, inst, phase, lang, answers)
		}
		if got := store.FromMillis(at); !got.Equal(time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)) {
			t.Fatalf("submitted at %v, want the hour", got)
		}
		// A random id: a time-ordered one (UUIDv7) would give the minute away.
		if u, err := uuid.Parse(id); err != nil || u.Version() != 4 {
			t.Fatalf("id %s is not a random UUID", id)
		}

		for name, sub := range map[string]survey.Submission{
			"off the scale":      {Phase: survey.After, Language: "en", Answers: map[string]int{"better_life": 6}},
			"zero":               {Phase: survey.After, Language: "en", Answers: map[string]int{"better_life": 0}},
			"unknown item":       {Phase: survey.After, Language: "en", Answers: map[string]int{"name": 3}},
			"after-only, before": {Phase: survey.Before, Language: "en", Answers: map[string]int{"speaker_believable": 3}},
			"nothing answered":   {Phase: survey.After, Language: "en", Answers: map[string]int{}},
			"unknown phase":      {Phase: "during", Language: "en", Answers: map[string]int{"better_life": 3}},
			"unknown language":   {Phase: survey.After, Language: "fr", Answers: map[string]int{"better_life": 3}},
		} {
			wantKind(t, e.svc.Submit(ctx, l.Code, sub), errs.Invalid, name)
		}
		wantKind(t, e.svc.Submit(ctx, "ZZZZZZZZ", good), errs.NotFound, "unknown code")
		if n := e.count(t, "SELECT COUNT(*) FROM survey_responses"); n != 1 {
			t.Fatalf("%d responses stored, want 1", n)
		}

		// A cancelled engagement is the caller's to refuse (the handlers do); a
		// cancelled engagement's link still exists but Close is how it stops.
	})
}

// The per-link cap holds per clock hour, also under concurrent submissions.
func TestPerLinkCap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		e.svc.SetConfig(survey.Config{PerLinkPerHour: 5})
		l := e.link(t, "a", "forum")
		other := e.link(t, "a", "arabic")
		sub := survey.Submission{Phase: survey.After, Language: "en", Answers: map[string]int{"joiners_regret": 4}}
		var mu sync.Mutex
		var ok, busy int
		var wg sync.WaitGroup
		for range 12 {
			wg.Go(func() {
				err := e.svc.Submit(ctx, l.Code, sub)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errs.Is(err, errs.TooMany):
					busy++
				default:
					t.Errorf("submit: %v", err)
				}
			})
		}
		wg.Wait()
		if ok != 5 || busy != 7 {
			t.Fatalf("%d taken, %d refused; want 5 and 7", ok, busy)
		}
		// Another link has its own cap.
		if err := e.svc.Submit(ctx, other.Code, sub); err != nil {
			t.Fatalf("another link: %v", err)
		}
		// The next hour starts afresh.
		e.svc.SetClock(func() time.Time { return now.Add(time.Hour) })
		if err := e.svc.Submit(ctx, l.Code, sub); err != nil {
			t.Fatalf("next hour: %v", err)
		}
	})
}

func TestResults(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		l := e.link(t, "a", "forum")
		submit := func(ph survey.Phase, n int, answers map[string]int) {
			t.Helper()
			for range n {
				if err := e.svc.Submit(ctx, l.Code, survey.Submission{Phase: ph, Language: "en", Answers: answers}); err != nil {
					t.Fatal(err)
				}
			}
		}
		empty, err := e.svc.Results(ctx, "tenant-a", e.eng["a"]["forum"])
		if err != nil || !empty.Empty() || len(empty.Items) != len(survey.Current().Items) {
			t.Fatalf("empty results %+v %v", empty, err)
		}
		// Before: 8 say better_life 4, 2 say 2. After: 6 say 2, 1 says 5, and 3
		// answer speaker_believable only.
		submit(survey.Before, 8, map[string]int{"better_life": 4})
		submit(survey.Before, 2, map[string]int{"better_life": 2, "talk_trusted": 5})
		submit(survey.After, 6, map[string]int{"better_life": 2})
		submit(survey.After, 1, map[string]int{"better_life": 5})
		submit(survey.After, 3, map[string]int{"speaker_believable": 4})
		res, err := e.svc.Results(ctx, "tenant-a", e.eng["a"]["forum"])
		if err != nil {
			t.Fatal(err)
		}
		if res.Before != (survey.Count{N: 10}) || res.After != (survey.Count{N: 10}) || res.MinCell != survey.MinCell {
			t.Fatalf("totals %+v %+v", res.Before, res.After)
		}
		if len(res.Versions) != 1 || res.Versions[0] != "v1" {
			t.Fatalf("versions %v", res.Versions)
		}
		byID := map[string]survey.ItemResult{}
		for _, it := range res.Items {
			byID[it.ID] = it
		}
		bl := byID["better_life"]
		hidden := survey.Count{Suppressed: true}
		// Both phases have enough answers: the means are shown, and the distributions,
		// which have small cells, are withheld (count and sum would solve them).
		if !bl.HasMeans || !near(bl.Before.Mean, 3.6) || !near(bl.After.Mean, 17.0/7) || !near(bl.Change, 17.0/7-3.6) {
			t.Fatalf("means %+v", bl)
		}
		if !bl.Before.Withheld || !bl.After.Withheld || bl.Before.Distribution != nil || bl.After.Distribution != nil {
			t.Fatalf("distributions shown beside the means: %+v", bl)
		}
		if bl.Before.Answered != (survey.Count{N: 10}) || bl.After.Answered != (survey.Count{N: 7}) {
			t.Fatalf("answered %+v", bl)
		}
		// Without means to compare, the distribution shows, small cells hidden: before,
		// 2 → 2 (hidden) and 4 → 8, hidden too, or 10 − 8 would give the 2.
		submit(survey.Before, 6, map[string]int{"joiners_regret": 3})
		submit(survey.Before, 1, map[string]int{"joiners_regret": 1})
		res, err = e.svc.Results(ctx, "tenant-a", e.eng["a"]["forum"])
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range res.Items {
			byID[it.ID] = it
		}
		jr := byID["joiners_regret"]
		if jr.HasMeans || jr.Before.Withheld || jr.Before.Mean != 0 {
			t.Fatalf("joiners_regret %+v", jr)
		}
		wantDist(t, "before", jr.Before, survey.Count{N: 7}, []survey.Count{hidden, {}, hidden, {}, {}})
		tt := byID["talk_trusted"]
		if tt.Before.Answered != hidden || tt.Before.Distribution != nil || tt.HasMeans || tt.Before.Mean != 0 {
			t.Fatalf("two answers shown: %+v", tt)
		}
		sb := byID["speaker_believable"]
		if sb.After.Answered != hidden || sb.HasMeans || !sb.AfterOnly {
			t.Fatalf("speaker item %+v", sb)
		}
		// Nothing in the JSON form gives a hidden count away.
		b, _ := json.Marshal(res)
		if regexp.MustCompile(`"n":[12368][,}]`).Match(b) {
			t.Fatalf("hidden counts in %s", b)
		}
		if n, err := e.svc.Responses(ctx, "tenant-a", e.eng["a"]["forum"]); err != nil || n != 27 {
			t.Fatalf("responses %d %v, want 27", n, err)
		}
		if n, err := e.svc.Responses(ctx, "tenant-b", e.eng["a"]["forum"]); err != nil || n != 0 {
			t.Fatalf("tenant b counts %d %v", n, err)
		}
		// Another tenant sees nothing of it.
		if r, err := e.svc.Results(ctx, "tenant-b", e.eng["a"]["forum"]); err != nil || !r.Empty() {
			t.Fatalf("tenant b: %+v %v", r, err)
		}
	})
}

func wantDist(t *testing.T, what string, ip survey.ItemPhase, answered survey.Count, dist []survey.Count) {
	t.Helper()
	if ip.Answered != answered || len(ip.Distribution) != len(dist) {
		t.Fatalf("%s: %+v", what, ip)
	}
	for i := range dist {
		if ip.Distribution[i] != dist[i] {
			t.Fatalf("%s: cell %d is %+v, want %+v (%+v)", what, i+1, ip.Distribution[i], dist[i], ip.Distribution)
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
