package engagements_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"inoculate/internal/engagements"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/returnees/assessment"
	"inoculate/internal/returnees/consent"
	"inoculate/internal/returnees/family"
)

func codes(r engagements.Readiness) []string {
	var out []string
	for _, x := range r.Reasons {
		out = append(out, x.Code)
	}
	return out
}

// TestForumThroughChainToDebrief walks a forum through the whole pipeline on both
// stores: proposed, the chain in order (out of turn refused), readiness failing with
// plain reasons, scheduled, held (check-in due), debriefed, counted for the agreement.
func TestForumThroughChainToDebrief(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		li := e.p["community_liaison"]
		f := e.forum(t, "Harbour forum", 0)
		if f.Status != engagements.StatusProposed || f.Revision != 1 {
			t.Fatalf("new forum: %+v", f)
		}

		r, err := e.svc.Readiness(ctx, e.tenantID, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Ready || !slices.Contains(codes(r), engagements.CodeNoSpeakers) || !slices.Contains(codes(r), engagements.CodeChainWaiting) {
			t.Fatalf("empty forum readiness: %+v", r)
		}
		if !strings.Contains(r.Reasons[len(r.Reasons)-1].Text, "Council of elders (fictional), Imam") {
			t.Errorf("chain reason does not name the missing authorities in order: %q", r.Reasons[len(r.Reasons)-1].Text)
		}

		// Lantern is not cleared; Cedar is.
		if _, err := e.svc.AddSpeaker(ctx, li, "req", f.ID, e.lantern.ID); err != nil {
			t.Fatal(err)
		}
		r, _ = e.svc.Readiness(ctx, e.tenantID, f.ID)
		if !slices.Contains(codes(r), engagements.CodeNotCleared) || !slices.Contains(codes(r), engagements.CodeConsent) {
			t.Fatalf("Lantern: %+v", r)
		}
		if err := e.svc.RemoveSpeaker(ctx, li, "req", f.ID, e.lantern.ID); err != nil {
			t.Fatal(err)
		}
		sc, err := e.svc.AddSpeaker(ctx, li, "req", f.ID, e.cedar.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sc.Revision != 4 || sc.Speaker.Alias != "Cedar" || sc.Speaker.Hostile {
			t.Fatalf("speaker change: %+v", sc)
		}

		// Out of turn: the imam before the elders.
		_, _, err = e.svc.RecordDecision(ctx, li, "req", f.ID, engagements.DecisionInput{AuthorityID: e.chain[1].ID, Decision: "approve"})
		if !errs.Is(err, errs.Conflict) {
			t.Fatalf("out-of-turn approval: %v", err)
		}
		// A veto needs a reason.
		_, _, err = e.svc.RecordDecision(ctx, li, "req", f.ID, engagements.DecisionInput{AuthorityID: e.chain[0].ID, Decision: "veto"})
		if !errs.Is(err, errs.Invalid) {
			t.Fatalf("veto without reason: %v", err)
		}
		if _, err := e.svc.Schedule(ctx, li, "req", f.ID); err == nil {
			t.Fatal("scheduled with no approvals")
		} else if rd, ok := engagements.AsNotReady(err); !ok || !slices.Contains(codes(rd), engagements.CodeChainWaiting) {
			t.Fatalf("schedule refusal: %v %+v", err, rd)
		}
		e.approveAll(t, f.ID)
		got, _ := e.svc.Get(ctx, e.tenantID, f.ID)
		if got.Status != engagements.StatusApproved {
			t.Fatalf("after the chain: %s", got.Status)
		}
		r, _ = e.svc.Readiness(ctx, e.tenantID, f.ID)
		if !r.Ready {
			t.Fatalf("should be ready: %+v", r)
		}

		// A material change (the date) asks the chain again.
		in := engagements.Input{Kind: got.Kind, Title: got.Title, CommunityID: got.CommunityID, Venue: got.Venue,
			Start: e.start.Add(2 * time.Hour).Format("2006-01-02T15:04"), Minutes: 90, TimeZone: "UTC", Language: "ar",
			Audience: got.Audience, IdentityLevel: got.IdentityLevel, ExpectedAudience: 80, Slots: 1}
		upd, ch, err := e.svc.Update(ctx, li, "req", f.ID, in)
		if err != nil || !ch.Material || upd.Status != engagements.StatusProposed || upd.Revision != got.Revision+1 {
			t.Fatalf("material change: %v %+v %+v", err, ch, upd)
		}
		in.Title = "Harbour forum (renamed)"
		upd, ch, err = e.svc.Update(ctx, li, "req", f.ID, in)
		if err != nil || ch.Material || upd.Revision != got.Revision+1 {
			t.Fatalf("title change is not material: %v %+v", err, ch)
		}
		e.approveAll(t, f.ID)
		sched, err := e.svc.Schedule(ctx, li, "req", f.ID)
		if err != nil || sched.Status != engagements.StatusScheduled {
			t.Fatalf("schedule: %v %+v", err, sched)
		}

		// Not held before it starts; held after (clock moved), with the check-in due.
		if err := e.svc.MarkHeld(ctx, li, "req", f.ID, e.due()); !errs.Is(err, errs.Conflict) {
			t.Fatalf("held before start: %v", err)
		}
		e.svc.SetClock(func() time.Time { return e.start.Add(5 * time.Hour) })
		if err := e.svc.MarkHeld(ctx, li, "req", f.ID, e.due()); err != nil {
			t.Fatal(err)
		}
		if e.dueCalled != 1 {
			t.Fatalf("check-in due called %d times", e.dueCalled)
		}
		due, err := e.assess.CheckInDue(ctx, e.tenantID, e.cedar.ID, e.start.Add(5*time.Hour))
		if err != nil || due.Source != "engagement" {
			t.Fatalf("check-in due after the forum: %v %+v", err, due)
		}
		if err := e.svc.RecordDebrief(ctx, li, "req", f.ID, engagements.DebriefInput{Attendance: 73, Incidents: "A heckler at the back (fictional).",
			WhatWorked: "Questions from mothers."}); err != nil {
			t.Fatal(err)
		}
		d, ok, err := e.svc.Debrief(ctx, e.p["safety_officer"], "req", f.ID)
		if err != nil || !ok || d.Attendance != 73 || d.Incidents == "" {
			t.Fatalf("debrief for the safety officer: %v %+v", err, d)
		}
		d, _, _ = e.svc.Debrief(ctx, e.p["comms_officer"], "req", f.ID)
		if d.Incidents != "" {
			t.Fatal("comms officer sees sealed incidents")
		}
		n, err := e.svc.CountHeld(ctx, e.tenantID, e.cedar.ID, "public_forums", e.start.AddDate(0, 0, -1), e.start.AddDate(0, 0, 1))
		if err != nil || n != 1 {
			t.Fatalf("count held: %d %v", n, err)
		}
		if _, err := e.svc.CountHeld(ctx, e.tenantID, e.cedar.ID, "recorded_testimony", e.start, e.start); err != engagements.ErrNotCounted {
			t.Fatalf("testimonies are not engagements: %v", err)
		}
		hist, _ := e.svc.History(ctx, e.tenantID, f.ID)
		if last := hist[len(hist)-1]; last.To != engagements.StatusDebriefed {
			t.Fatalf("history ends with %+v", last)
		}
	})
}

func TestVetoBlocksAndChangesWithdraw(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		li := e.p["community_liaison"]
		f := e.forum(t, "Vetoed forum", 0)
		if _, err := e.svc.AddSpeaker(ctx, li, "req", f.ID, e.cedar.ID); err != nil {
			t.Fatal(err)
		}
		_, v, err := e.svc.RecordDecision(ctx, li, "req", f.ID, engagements.DecisionInput{AuthorityID: e.chain[0].ID, Decision: "veto", Reason: "Not during the harvest festival."})
		if err != nil || !v.Vetoed {
			t.Fatalf("veto: %v %+v", err, v)
		}
		_, _, err = e.svc.RecordDecision(ctx, li, "req", f.ID, engagements.DecisionInput{AuthorityID: e.chain[0].ID, Decision: "approve"})
		if !errs.Is(err, errs.Conflict) {
			t.Fatalf("approval after a veto of the same revision: %v", err)
		}
		r, _ := e.svc.Readiness(ctx, e.tenantID, f.ID)
		if !slices.Contains(codes(r), engagements.CodeChainVeto) {
			t.Fatalf("veto not among reasons: %+v", r)
		}
		// A new revision (different date) can be approved again.
		got, _ := e.svc.Get(ctx, e.tenantID, f.ID)
		in := engagements.Input{Kind: got.Kind, Title: got.Title, CommunityID: got.CommunityID, Start: e.start.Add(24 * time.Hour).Format("2006-01-02T15:04"),
			Minutes: 60, TimeZone: "UTC", Language: "ar", Audience: got.Audience, IdentityLevel: got.IdentityLevel, Slots: 1}
		if _, _, err := e.svc.Update(ctx, li, "req", f.ID, in); err != nil {
			t.Fatal(err)
		}
		e.approveAll(t, f.ID)
		got, _ = e.svc.Get(ctx, e.tenantID, f.ID)
		if got.Status != engagements.StatusApproved {
			t.Fatalf("status after the chain: %s", got.Status)
		}
		// Once complete, only a veto can still be recorded, and it takes the approval back.
		_, _, err = e.svc.RecordDecision(ctx, li, "req", f.ID, engagements.DecisionInput{AuthorityID: e.chain[2].ID, Decision: "changes", Reason: "Invite the youth club too."})
		if !errs.Is(err, errs.Conflict) {
			t.Fatalf("changes after completion: %v", err)
		}
		_, v, err = e.svc.RecordDecision(ctx, li, "req", f.ID, engagements.DecisionInput{AuthorityID: e.chain[2].ID, Decision: "veto", Reason: "A funeral in the family that day."})
		if err != nil || !v.Vetoed || v.Complete {
			t.Fatalf("late veto: %v %+v", err, v)
		}
		got, _ = e.svc.Get(ctx, e.tenantID, f.ID)
		if got.Status != engagements.StatusProposed {
			t.Fatalf("status after a late veto: %s", got.Status)
		}
		// Changes asked mid-chain block until that authority approves after all.
		g := e.forum(t, "Changes asked", 48*time.Hour)
		if _, _, err := e.svc.RecordDecision(ctx, li, "req", g.ID, engagements.DecisionInput{AuthorityID: e.chain[0].ID, Decision: "changes", Reason: "Make it after Friday prayers."}); err != nil {
			t.Fatal(err)
		}
		r, _ = e.svc.Readiness(ctx, e.tenantID, g.ID)
		if !slices.Contains(codes(r), engagements.CodeChainChanges) {
			t.Fatalf("changes not among reasons: %+v", r)
		}
	})
}

// TestReadinessRules: security plan at moderate threat, safety review with a hostile
// relative, double booking, weekly limit, identity level beyond consent.
func TestReadinessRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		li, so := e.p["community_liaison"], e.p["safety_officer"]

		a := e.forum(t, "First", 0)
		if _, err := e.svc.AddSpeaker(ctx, li, "req", a.ID, e.cedar.ID); err != nil {
			t.Fatal(err)
		}
		e.approveAll(t, a.ID)
		if _, err := e.svc.Schedule(ctx, li, "req", a.ID); err != nil {
			t.Fatal(err)
		}
		// Same time: double-booked. Next day: fine until the weekly limit is 1.
		b := e.forum(t, "Clash", 30*time.Minute)
		if _, err := e.svc.AddSpeaker(ctx, li, "req", b.ID, e.cedar.ID); err != nil {
			t.Fatal(err)
		}
		e.approveAll(t, b.ID)
		r, _ := e.svc.Readiness(ctx, e.tenantID, b.ID)
		if !slices.Contains(codes(r), engagements.CodeDoubleBooked) {
			t.Fatalf("double booking not seen: %+v", r)
		}
		if err := e.svc.SaveSettings(ctx, e.p["supervisor"], "req", engagements.Settings{WeeklyLimit: 1, HelpLine: "Call 0800 000 000 (fictional)"}); err != nil {
			t.Fatal(err)
		}
		r, _ = e.svc.Readiness(ctx, e.tenantID, b.ID)
		if !slices.Contains(codes(r), engagements.CodeWeeklyLimit) {
			t.Fatalf("weekly limit not seen: %+v", r)
		}

		// Identity level beyond consent (full name and face).
		c := e.forum(t, "Full identity", 48*time.Hour)
		got, _ := e.svc.Get(ctx, e.tenantID, c.ID)
		in := engagements.Input{Kind: got.Kind, Title: got.Title, CommunityID: got.CommunityID, Start: got.StartsAt.Format("2006-01-02T15:04"),
			Minutes: 60, TimeZone: "UTC", Language: "ar", Audience: got.Audience, IdentityLevel: consent.LevelFull, Slots: 1}
		if _, _, err := e.svc.Update(ctx, li, "req", c.ID, in); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddSpeaker(ctx, li, "req", c.ID, e.cedar.ID); err != nil {
			t.Fatal(err)
		}
		r, _ = e.svc.Readiness(ctx, e.tenantID, c.ID)
		var consentReason string
		for _, x := range r.Reasons {
			if x.Code == engagements.CodeConsent {
				consentReason = x.Text
			}
		}
		if !strings.Contains(consentReason, "identity level") {
			t.Fatalf("consent reason: %q in %+v", consentReason, r)
		}

		// A hostile relative in Harbour Town: warning on the speaker, safety review
		// required; a moderate threat: security plan required.
		cs, err := e.ret.Open(ctx, e.p["supervisor"], e.cedar.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.fam.AddRelative(ctx, e.p["case_worker"], "req", cs, family.RelativeInput{Relation: "uncle_aunt", Stance: "hostile",
			Community: "harbour town (FICTIONAL)", Details: family.Details{Name: "Fictional Cousin"}}); err != nil {
			t.Fatal(err)
		}
		threat := assessment.Scores{}
		for _, it := range assessment.InstrumentFor(assessment.KindThreat).Items {
			threat[it.Key] = 1
		}
		made, err := e.assess.CreateAssessment(ctx, so, "req", cs, assessment.NewAssessment{Kind: assessment.KindThreat, Scores: threat, Level: assessment.LevelModerate, Notes: "Fictional."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.assess.ReviewAssessment(ctx, e.p["supervisor"], "req", cs, made.ID, assessment.Review{Decision: assessment.DecisionSignedOff}); err != nil {
			t.Fatal(err)
		}
		d := e.forum(t, "Needs review", 96*time.Hour)
		sc, err := e.svc.AddSpeaker(ctx, li, "req", d.ID, e.cedar.ID)
		if err != nil || !sc.Speaker.Hostile {
			t.Fatalf("no family warning: %v %+v", err, sc)
		}
		e.approveAll(t, d.ID)
		r, _ = e.svc.Readiness(ctx, e.tenantID, d.ID)
		if !slices.Contains(codes(r), engagements.CodeSafetyReview) || !slices.Contains(codes(r), engagements.CodeSecurityPlan) {
			t.Fatalf("review and plan not required: %+v", r)
		}
		if err := e.svc.RecordSafetyReview(ctx, so, "req", d.ID, "Uncle lives across town; stewards briefed (fictional)."); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.SaveSecurityPlan(ctx, li, "req", d.ID, "x"); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("liaison wrote a security plan: %v", err)
		}
		if err := e.svc.SaveSecurityPlan(ctx, so, "req", d.ID, "Two stewards at the door; leave by the back (fictional)."); err != nil {
			t.Fatal(err)
		}
		plan, err := e.svc.SecurityPlan(ctx, e.p["supervisor"], "req", d.ID)
		if err != nil || !strings.Contains(plan, "stewards") {
			t.Fatalf("security plan read: %v %q", err, plan)
		}
		if _, err := e.svc.SecurityPlan(ctx, e.p["comms_officer"], "req", d.ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("comms officer read the security plan: %v", err)
		}
		r, _ = e.svc.Readiness(ctx, e.tenantID, d.ID)
		if slices.Contains(codes(r), engagements.CodeSafetyReview) || slices.Contains(codes(r), engagements.CodeSecurityPlan) {
			t.Fatalf("review and plan recorded but still required: %+v", r)
		}
	})
}

func TestTenantIsolationAndRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		f := e.forum(t, "Ours", 0)
		if _, err := e.svc.Get(ctx, e.otherTen.TenantID, f.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("other tenant got it: %v", err)
		}
		if _, err := e.svc.AddSpeaker(ctx, e.otherTen, "req", f.ID, e.cedar.ID); !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.NotFound) {
			t.Fatalf("other tenant added a speaker: %v", err)
		}
		for _, key := range []string{"comms_officer", "evaluator", "legal_officer", "auditor", "admin", "case_worker", "safety_officer"} {
			if _, err := e.svc.Create(ctx, e.p[key], "req", engagements.Input{}); !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s may create: %v", key, err)
			}
		}
		if _, err := e.svc.VenueDetails(ctx, e.p["comms_officer"], "req", f.ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("comms officer opened venue details: %v", err)
		}
		v, err := e.svc.VenueDetails(ctx, e.p["case_worker"], "req", f.ID)
		if err != nil || !strings.Contains(v, "back entrance") {
			t.Fatalf("venue details: %v %q", err, v)
		}
	})
}

func TestInputValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		li := e.p["community_liaison"]
		good := engagements.Input{Kind: engagements.KindPublicForum, Title: "T", CommunityID: e.town.ID, Start: e.start.Format("2006-01-02T15:04"),
			Minutes: 60, TimeZone: "Asia/Baghdad", Language: "ar", Audience: engagements.AudienceCommunity, IdentityLevel: consent.LevelAliasProtected}
		en, err := e.svc.Create(ctx, li, "req", good)
		if err != nil {
			t.Fatal(err)
		}
		if !en.StartsAt.Equal(mustLocal(t, good.Start, "Asia/Baghdad")) || en.Slots != 1 {
			t.Fatalf("time zone not applied: %v", en.StartsAt)
		}
		for name, mut := range map[string]func(*engagements.Input){
			"kind":       func(in *engagements.Input) { in.Kind = "rave" },
			"title":      func(in *engagements.Input) { in.Title = " " },
			"no town":    func(in *engagements.Input) { in.CommunityID = "" },
			"other town": func(in *engagements.Input) { in.CommunityID = "nope" },
			"zone":       func(in *engagements.Input) { in.TimeZone = "Mars/Olympus" },
			"past":       func(in *engagements.Input) { in.Start = "2001-01-01T10:00" },
			"bad start":  func(in *engagements.Input) { in.Start = "tomorrow" },
			"minutes":    func(in *engagements.Input) { in.Minutes = 0 },
			"language":   func(in *engagements.Input) { in.Language = "arabic!" },
			"audience":   func(in *engagements.Input) { in.Audience = "everyone" },
			"level":      func(in *engagements.Input) { in.IdentityLevel = "x" },
			"slots":      func(in *engagements.Input) { in.Slots = 99 },
			"control":    func(in *engagements.Input) { in.Title = "a\x00b" },
			"channel":    func(in *engagements.Input) { in.ChannelID = "nope" },
			"expected":   func(in *engagements.Input) { in.ExpectedAudience = -1 },
			"local zone": func(in *engagements.Input) { in.TimeZone = "Local" },
			"interview ¬": func(in *engagements.Input) {
				in.Kind = engagements.KindMediaInterview
				in.CommunityID = ""
				in.Audience = engagements.AudienceCommunity
			},
		} {
			in := good
			mut(&in)
			if _, err := e.svc.Create(ctx, li, "req", in); !errs.Is(err, errs.Invalid) {
				t.Errorf("%s: want Invalid, got %v", name, err)
			}
		}
	})
}

func mustLocal(t *testing.T, s, zone string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := time.ParseInLocation("2006-01-02T15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// TestInterviewAndFeed: an interview needs its journalist vetted; the calendar feed
// shows aliases and, only for roles cleared for venues, the venue; a revoked feed ends.
func TestInterviewAndFeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		li, co := e.p["community_liaison"], e.p["comms_officer"]
		ch, err := e.svc.CreateChannel(ctx, co, "req", engagements.ChannelInput{Kind: engagements.ChannelMediaOutlet, Name: "Coast Radio (fictional)", Languages: []string{"AR", "en"}})
		if err != nil {
			t.Fatal(err)
		}
		iv, err := e.svc.Create(ctx, li, "req", engagements.Input{Kind: engagements.KindMediaInterview, Title: "Radio interview", ChannelID: ch.ID,
			Start: e.start.Format("2006-01-02T15:04"), Minutes: 45, TimeZone: "UTC", Language: "ar", Audience: engagements.AudienceNational,
			IdentityLevel: consent.LevelAliasProtected, Venue: "Studio 2 (fictional)"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddSpeaker(ctx, li, "req", iv.ID, e.cedar.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ApproveDirectly(ctx, li, "req", iv.ID); err != nil {
			t.Fatal(err)
		}
		r, _ := e.svc.Readiness(ctx, e.tenantID, iv.ID)
		if !slices.Equal(codes(r), []string{engagements.CodeJournalist}) {
			t.Fatalf("interview readiness: %+v", r)
		}
		if err := e.svc.SaveMedia(ctx, co, "req", iv.ID, engagements.MediaInput{Journalist: "A. Reporter (fictional)", MustNot: "No home town, no family.", PrePublication: true,
			Embargo: e.start.Add(24 * time.Hour).Format("2006-01-02T15:04")}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Vet(ctx, co, "req", iv.ID, engagements.VetInput{Vetting: engagements.VettingVetted, Note: "Known byline, no links to the group."}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Schedule(ctx, li, "req", iv.ID); err != nil {
			t.Fatal(err)
		}
		m, _ := e.svc.Media(ctx, e.tenantID, iv.ID)
		if m.Vetting != engagements.VettingVetted || m.EmbargoUntil.IsZero() || !m.PrePublication {
			t.Fatalf("media: %+v", m)
		}
		if _, err := e.svc.AddCoverage(ctx, co, "req", iv.ID, "javascript:alert(1)", ""); !errs.Is(err, errs.Invalid) {
			t.Fatalf("javascript coverage link: %v", err)
		}

		users := func(ctx context.Context, tenantID, userID string) (authz.Role, bool, error) {
			u, err := e.auth.User(ctx, tenantID, userID)
			return u.Role, !u.Disabled, err
		}
		label := func(k string) string { return k }
		feed := func(p *authz.Principal) (string, string) {
			f, tok, err := e.svc.CreateFeed(ctx, p, "req")
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := e.svc.WriteFeed(ctx, &b, tok, users, label); err != nil {
				t.Fatal(err)
			}
			return f.ID + " " + tok, b.String()
		}
		_, liFeed := feed(li)
		if !strings.Contains(liFeed, "Cedar") || !strings.Contains(liFeed, "Studio 2") || strings.Contains(liFeed, "Fictional Person") {
			t.Fatalf("liaison feed:\n%s", liFeed)
		}
		idTok, coFeed := feed(co)
		if !strings.Contains(coFeed, "Cedar") || strings.Contains(coFeed, "Studio 2") {
			t.Fatalf("comms feed shows the venue:\n%s", coFeed)
		}
		id, tok, _ := strings.Cut(idTok, " ")
		if err := e.svc.RevokeFeed(ctx, co, "req", id); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.WriteFeed(ctx, &bytes.Buffer{}, tok, users, label); !errs.Is(err, errs.NotFound) {
			t.Fatalf("revoked feed still served: %v", err)
		}
	})
}
