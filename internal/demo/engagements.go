package demo

import (
	"context"
	"fmt"
	"time"

	"inoculate/internal/engagements"
	"inoculate/internal/platform/authz"
	"inoculate/internal/returnees/consent"
)

// loadEngagements shows the engagements capability at work in Harbour Town: a forum
// held ten days ago and debriefed, one scheduled for next week after its chain of
// command approved it in order, one still waiting for the imam, and a radio interview
// whose journalist is not vetted yet. Every step goes through the service, with its
// clock set back for the past forum.
func loadEngagements(ctx context.Context, parts Parts, by map[string]*authz.Principal, speakerID string) error {
	svc := parts.Engagements
	li, so, co, sup := by["community_liaison"], by["safety_officer"], by["comms_officer"], by["supervisor"]
	step := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("demo engagements: %s: %w", what, err)
		}
		return nil
	}
	cs, err := parts.Communities.List(ctx, li.TenantID)
	if err != nil || len(cs) == 0 {
		return step("community", err)
	}
	town := cs[0]
	chain, err := parts.Communities.Chain(ctx, li.TenantID, town.ID)
	if err != nil {
		return step("chain", err)
	}
	if err := step("settings", svc.SaveSettings(ctx, sup, "demo", engagements.Settings{WeeklyLimit: 2,
		HelpLine: "Fictional help line: call 0800 000 000 (free, anonymous), or visit the Harbour youth centre."})); err != nil {
		return err
	}
	radio, err := svc.CreateChannel(ctx, co, "demo", engagements.ChannelInput{Kind: engagements.ChannelMediaOutlet,
		Name: "Coast Radio (fictional)", Languages: []string{"ar", "en"}, Notes: "Fictional regional station."})
	if err != nil {
		return step("channel", err)
	}
	real := time.Now()
	at := func(days int, hour int) time.Time {
		d := real.UTC().AddDate(0, 0, days)
		return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, time.UTC)
	}
	forum := func(title string, start time.Time) engagements.Input {
		return engagements.Input{Kind: engagements.KindPublicForum, Title: title, CommunityID: town.ID,
			Venue: "Harbour community hall (fictional)", VenueDetails: "1 Quay Street, side door (fictional)",
			Start: start.Format("2006-01-02T15:04"), Minutes: 90, TimeZone: "UTC", Language: "ar",
			Audience: engagements.AudienceCommunity, IdentityLevel: consent.LevelAliasProtected, ExpectedAudience: 80, Slots: 1}
	}
	approve := func(id string, upto int) error {
		for _, a := range chain[:upto] {
			if _, _, err := svc.RecordDecision(ctx, li, "demo", id, engagements.DecisionInput{AuthorityID: a.ID, Decision: "approve"}); err != nil {
				return err
			}
		}
		return nil
	}

	// The first forum starts in a few minutes; the demo then moves the service's clock
	// past it to mark it held and debrief it, as a liaison would after the event.
	soon := real.UTC().Truncate(time.Minute).Add(3 * time.Minute)
	past, err := svc.Create(ctx, li, "demo", forum("Harbour forum: why I came back (fictional)", soon))
	if err == nil {
		_, err = svc.AddSpeaker(ctx, li, "demo", past.ID, speakerID)
	}
	if err == nil {
		err = approve(past.ID, len(chain))
	}
	if err == nil {
		_, err = svc.Schedule(ctx, li, "demo", past.ID)
	}
	if err != nil {
		return step("first forum", err)
	}
	svc.SetClock(func() time.Time { return real.Add(3 * time.Hour) })
	err = svc.MarkHeld(ctx, li, "demo", past.ID, parts.Assess.CheckInDueAfterEngagement)
	if err == nil {
		err = svc.RecordDebrief(ctx, li, "demo", past.ID, engagements.DebriefInput{Attendance: 74,
			Incidents: "Fictional: one heckler left early; stewards were calm.", WhatWorked: "Fictional: questions from mothers; the imam's opening words."})
	}
	svc.SetClock(time.Now)
	if err != nil {
		return step("held and debriefed", err)
	}
	if _, err := svc.AddCoverage(ctx, co, "demo", past.ID, "https://example.org/fictional/harbour-forum", "Local paper (fictional)"); err != nil {
		return step("coverage", err)
	}

	next, err := svc.Create(ctx, li, "demo", forum("Harbour school talk (fictional)", at(7, 10)))
	if err == nil {
		_, err = svc.AddSpeaker(ctx, li, "demo", next.ID, speakerID)
	}
	if err == nil {
		err = svc.SaveSecurityPlan(ctx, so, "demo", next.ID, "Fictional: two stewards at the door, leave by the side door, a car waiting.")
	}
	if err == nil {
		err = approve(next.ID, len(chain))
	}
	if err == nil {
		_, err = svc.Schedule(ctx, li, "demo", next.ID)
	}
	if err != nil {
		return step("scheduled forum", err)
	}

	waiting, err := svc.Create(ctx, li, "demo", forum("Harbour Friday forum (fictional)", at(12, 16)))
	if err == nil {
		_, err = svc.AddSpeaker(ctx, li, "demo", waiting.ID, speakerID)
	}
	if err == nil {
		err = approve(waiting.ID, 1)
	}
	if err != nil {
		return step("waiting forum", err)
	}

	iv, err := svc.Create(ctx, li, "demo", engagements.Input{Kind: engagements.KindMediaInterview, Title: "Coast Radio interview (fictional)",
		ChannelID: radio.ID, Venue: "Coast Radio studio 2 (fictional)", Start: at(9, 11).Format("2006-01-02T15:04"), Minutes: 45,
		TimeZone: "UTC", Language: "ar", Audience: engagements.AudienceNational, IdentityLevel: consent.LevelAliasProtected, Slots: 1})
	if err == nil {
		err = svc.SaveMedia(ctx, co, "demo", iv.ID, engagements.MediaInput{Journalist: "A. Reporter (fictional)",
			MustNot: "Fictional: no home town, no family names, no face.", PrePublication: true})
	}
	return step("interview", err)
}
