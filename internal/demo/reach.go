package demo

import (
	"context"
	"fmt"

	"inoculate/internal/engagements"
	"inoculate/internal/platform/authz"
	"inoculate/internal/reach/model"
	"inoculate/internal/returnees/consent"
)

// loadReach gives the reach planner a small fictional model around Harbour Town:
// three audience cells, a radio station, a community hall and a youth page, who
// each reaches and who picks up from whom, and four options (Cedar speaking at the
// hall or on the radio, a clip on the page, a talk with no speaker yet).
func loadReach(ctx context.Context, parts Parts, by map[string]*authz.Principal, speakerID string) error {
	m, co := parts.Reach, by["comms_officer"]
	step := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("demo reach: %s: %w", what, err)
		}
		return nil
	}
	cs, err := parts.Communities.List(ctx, co.TenantID)
	if err != nil || len(cs) == 0 {
		return step("community", err)
	}
	town := cs[0].ID
	chans, err := parts.Engagements.Channels(ctx, co.TenantID)
	if err != nil {
		return step("channels", err)
	}
	var radio string
	for _, c := range chans {
		if c.Kind == engagements.ChannelMediaOutlet {
			radio = c.ID
		}
	}
	hall, err := parts.Engagements.CreateChannel(ctx, co, "demo", engagements.ChannelInput{Kind: engagements.ChannelVenue,
		Name: "Harbour community hall (fictional)", CommunityID: town, Languages: []string{"ar"}})
	if err != nil {
		return step("hall", err)
	}
	page, err := parts.Engagements.CreateChannel(ctx, co, "demo", engagements.ChannelInput{Kind: engagements.ChannelOnlinePage,
		Name: "Harbour youth page (fictional)", CommunityID: town, Languages: []string{"ar", "en"}})
	if err != nil {
		return step("page", err)
	}
	var cells []model.Cell
	for _, c := range []model.CellInput{
		{CommunityID: town, Language: "ar", AgeBand: "13-17", Size: 3900, Source: "Fictional census", Year: 2024},
		{CommunityID: town, Language: "ar", AgeBand: "18-24", Size: 5200, Source: "Fictional census", Year: 2024},
		{CommunityID: town, Language: "en", AgeBand: "18-24", Size: 1300, Source: "Fictional census", Year: 2024},
	} {
		cell, err := m.CreateCell(ctx, co, "demo", c)
		if err != nil {
			return step("cell", err)
		}
		cells = append(cells, cell)
	}
	for _, l := range []model.ReachLinkInput{
		{ChannelID: radio, CellID: cells[1].ID, Probability: 0.35}, {ChannelID: radio, CellID: cells[0].ID, Probability: 0.15},
		{ChannelID: hall.ID, CellID: cells[1].ID, Probability: 0.05}, {ChannelID: hall.ID, CellID: cells[0].ID, Probability: 0.04},
		{ChannelID: page.ID, CellID: cells[0].ID, Probability: 0.45}, {ChannelID: page.ID, CellID: cells[1].ID, Probability: 0.3},
		{ChannelID: page.ID, CellID: cells[2].ID, Probability: 0.4},
	} {
		if _, err := m.CreateReachLink(ctx, co, "demo", l); err != nil {
			return step("reach", err)
		}
	}
	for _, p := range []model.PickupInput{
		{FromChannelID: hall.ID, ToChannelID: page.ID, Probability: 0.6},
		{FromChannelID: radio, ToChannelID: page.ID, Probability: 0.3},
	} {
		if _, err := m.CreatePickup(ctx, co, "demo", p); err != nil {
			return step("pickup", err)
		}
	}
	for _, o := range []model.OptionInput{
		{Kind: model.OptionPublicForum, Title: "Cedar at the community hall (fictional)", ChannelID: hall.ID, CommunityID: town, Language: "ar",
			IdentityLevel: consent.LevelAliasProtected, SpeakerID: speakerID, Money: 300, SpeakerHours: 4},
		{Kind: model.OptionMediaInterview, Title: "Cedar on Coast Radio (fictional)", ChannelID: radio, Language: "ar",
			IdentityLevel: consent.LevelAliasProtected, SpeakerID: speakerID, Money: 0, SpeakerHours: 2},
		{Kind: model.OptionPublication, Title: "Clip on the youth page (fictional)", ChannelID: page.ID, CommunityID: town, Language: "ar",
			IdentityLevel: consent.LevelAliasProtected, SpeakerID: speakerID, Money: 150, SpeakerHours: 0},
		{Kind: model.OptionSchoolTalk, Title: "School talk, speaker to be found (fictional)", ChannelID: hall.ID, CommunityID: town, Language: "ar",
			IdentityLevel: consent.LevelAliasProtected, Money: 100, SpeakerHours: 3},
	} {
		if _, err := m.CreateOption(ctx, co, "demo", o); err != nil {
			return step("option", err)
		}
	}
	return nil
}
