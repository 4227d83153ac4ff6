package engagements

import (
	"context"
	"fmt"
	"sort"
	"time"

	"inoculate/internal/engagements/assign"
	"inoculate/internal/platform/authz"
)

// Proposal is the assignment assistant's proposal with what the page needs to show
// it: engagements and speakers by id.
type Proposal struct {
	assign.Result
	Engagements map[string]Engagement `json:"-"`
	Aliases     map[string]string     `json:"aliases"`
	Open        int                   `json:"open"`     // open engagements considered
	Speakers    int                   `json:"speakers"` // cleared speakers considered
}

// Propose runs the assignment assistant: every open engagement with empty speaker
// places (proposed or approved, not started), every speaker cleared to speak now, and
// the hard rules of the readiness check for each pair (cleared on the date, consent
// for this use, identity level, audience and language, no clash with what they are
// already down for) — then the exact min-cost assignment by the stated criteria.
//
// Travel is known only as "same community" (no travel) or unknown (counted as the
// solver's default guess): the program records no travel times yet.
func (s *Service) Propose(ctx context.Context, p *authz.Principal) (Proposal, error) {
	if err := check(PermWrite, p); err != nil {
		return Proposal{}, err
	}
	now := s.now()
	all, err := s.List(ctx, p.TenantID, now.AddDate(0, 0, -8), now.AddDate(yearsAhead, 0, 0))
	if err != nil {
		return Proposal{}, err
	}
	limit, err := s.WeeklyLimit(ctx, p.TenantID)
	if err != nil {
		return Proposal{}, err
	}
	prop := Proposal{Engagements: map[string]Engagement{}, Aliases: map[string]string{}}
	names := map[string]string{} // community id → name
	var open []Engagement
	for _, e := range all {
		if (e.Status == StatusProposed || e.Status == StatusApproved) && e.StartsAt.After(now) && len(e.SpeakerIDs) < e.Slots {
			open = append(open, e)
			prop.Engagements[e.ID] = e
		}
		if e.CommunityID != "" && names[e.CommunityID] == "" {
			if names[e.CommunityID], err = s.communityName(ctx, p.TenantID, e.CommunityID); err != nil {
				return Proposal{}, err
			}
		}
	}
	prop.Open = len(open)
	overlapKey := overlapGroups(open)

	people, err := s.deps.Returnees.List(ctx, p.TenantID)
	if err != nil {
		return Proposal{}, err
	}
	homes := map[string]string{} // returnee id → home as the engagements name it
	var speakers []assign.Speaker
	for _, r := range people {
		if r.Erased {
			continue
		}
		c, err := s.deps.Assess.Cleared(ctx, p.TenantID, r.ID, now)
		if err != nil {
			return Proposal{}, err
		}
		if !c.Cleared {
			continue
		}
		home := r.HomeCommunity
		for _, n := range names {
			if sameCommunity(n, home) {
				home = n
			}
		}
		homes[r.ID] = home
		prop.Aliases[r.ID] = r.Alias
		sp := assign.Speaker{ID: r.ID, Community: home, Languages: r.Languages, Limit: limit, Load: map[string]int{}}
		for _, e := range all {
			if e.Status != StatusCancelled && contains(e.SpeakerIDs, r.ID) {
				sp.Load[isoWeek(e.Local())]++
			}
		}
		speakers = append(speakers, sp)
	}
	prop.Speakers = len(speakers)

	byID := map[string]Engagement{}
	var es []assign.Engagement
	for _, e := range open {
		byID[e.ID] = e
		ae := assign.Engagement{ID: e.ID, Community: names[e.CommunityID], Language: e.Language, Week: e.Week(),
			Overlap: overlapKey[e.ID], Remote: e.Kind == KindOnlineLive, Slots: e.Slots - len(e.SpeakerIDs)}
		es = append(es, ae)
	}
	for i := range speakers {
		speakers[i].Travel = map[string]time.Duration{}
		for _, e := range open {
			if names[e.CommunityID] != "" && sameCommunity(names[e.CommunityID], speakers[i].Community) {
				speakers[i].Travel[e.ID] = 0
			}
		}
	}
	// The hard rules, asked once per pair before the solver runs: Allowed must be pure.
	verdicts := map[[2]string]string{}
	for _, sp := range speakers {
		for _, e := range open {
			verdicts[[2]string{sp.ID, e.ID}], err = s.pairRule(ctx, p.TenantID, e, names[e.CommunityID], sp.ID, homes[sp.ID], all)
			if err != nil {
				return Proposal{}, err
			}
		}
	}
	res, err := assign.Solve(assign.Problem{Engagements: es, Speakers: speakers,
		Allowed: func(sp assign.Speaker, e assign.Engagement) (bool, string) {
			why := verdicts[[2]string{sp.ID, e.ID}]
			return why == "", why
		}})
	if err != nil {
		return Proposal{}, fmt.Errorf("engagements: assignment: %w", err)
	}
	prop.Result = res
	return prop, nil
}

// pairRule returns "" when speaker rid may take a place at e, or why not in words.
func (s *Service) pairRule(ctx context.Context, tenantID string, e Engagement, community, rid, home string, all []Engagement) (string, error) {
	if contains(e.SpeakerIDs, rid) {
		return "already a speaker here", nil
	}
	c, err := s.deps.Assess.Cleared(ctx, tenantID, rid, e.StartsAt)
	if err != nil {
		return "", err
	}
	if !c.Cleared {
		return "not cleared to speak on that date", nil
	}
	allowed := false
	var last string
	for _, q := range consentQuestions(e, community, home) {
		d, err := s.deps.Consent.Allows(ctx, tenantID, rid, q)
		if err != nil {
			return "", err
		}
		allowed = allowed || d.Allowed
		last = d.ReasonText
	}
	if !allowed {
		return "consent: " + last, nil
	}
	for _, o := range all {
		if o.ID != e.ID && o.Status != StatusCancelled && contains(o.SpeakerIDs, rid) && o.overlaps(e) {
			return "already down for " + o.Title + " at the same time", nil
		}
	}
	return "", nil
}

// overlapGroups gives engagements that overlap in time (directly or through a chain
// of overlaps) one shared key, so the solver never proposes one speaker for two of
// them. Grouping through chains is stricter than needed, never looser.
func overlapGroups(list []Engagement) map[string]string {
	sorted := append([]Engagement(nil), list...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].StartsAt.Before(sorted[j].StartsAt) })
	out := map[string]string{}
	group, key := 0, ""
	var until int64
	for i, e := range sorted {
		if i == 0 || e.StartsAt.UnixMilli() >= until {
			group++
			key = fmt.Sprintf("g%d", group)
			until = 0
		}
		out[e.ID] = key
		if m := e.EndsAt.UnixMilli(); m > until {
			until = m
		}
	}
	return out
}
