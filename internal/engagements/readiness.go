package engagements

import (
	"context"
	"fmt"
	"strings"
	"time"

	"inoculate/internal/engagements/chain"
	"inoculate/internal/returnees/assessment"
	"inoculate/internal/returnees/consent"
)

// Reason is one failing condition of the readiness check, in plain words. Code is
// stable for scripts; Text is English; Key and Args give the page's translation.
type Reason struct {
	Code      string `json:"code"`
	Text      string `json:"text"`
	SpeakerID string `json:"speaker_id,omitempty"`
	Key       string `json:"-"`
	Args      []any  `json:"-"`
}

// Readiness is the answer of GET /api/v1/engagements/{id}/readiness.
type Readiness struct {
	Ready   bool     `json:"ready"`
	Reasons []Reason `json:"reasons"`
}

// Reason codes.
const (
	CodePast           = "in_past"
	CodeNoSpeakers     = "no_speakers"
	CodeSpeakersShort  = "speakers_missing"
	CodeErased         = "speaker_erased"
	CodeNotCleared     = "not_cleared"
	CodeConsent        = "consent"
	CodeChainWaiting   = "chain_waiting"
	CodeChainChanges   = "chain_changes"
	CodeChainVeto      = "chain_veto"
	CodeNotApproved    = "not_approved"
	CodeSecurityPlan   = "security_plan"
	CodeSafetyReview   = "safety_review"
	CodeDoubleBooked   = "double_booked"
	CodeWeeklyLimit    = "weekly_limit"
	CodeJournalist     = "journalist_not_vetted"
	CodeStatus         = "status"
	securityPlanAtRank = 2 // a threat level of moderate or above needs a security plan
)

// speakerFacts is what the readiness check knows of one speaker.
type speakerFacts struct {
	ID, Alias string
	Erased    bool
	Clearance assessment.Clearance
	Consent   consent.Decision
	Threat    assessment.Level
	Hostile   bool
	// Clashes are the speaker's other booked engagements overlapping this one.
	Clashes []Engagement
	// WeekLoad is how many other booked engagements the speaker has in this one's week.
	WeekLoad int
}

// facts is everything the readiness check looks at, gathered by the service so the
// rule itself (evaluate) is pure.
type facts struct {
	E        Engagement
	Now      time.Time
	Speakers []speakerFacts
	Chain    ChainView
	// Names maps authority ids to display names, for the reasons' words.
	Names        map[string]string
	WeeklyLimit  int
	JournalistOK bool // media interviews: the journalist is vetted
}

func reason(code, key, text string, speaker string, args ...any) Reason {
	return Reason{Code: code, Key: key, Args: args, Text: text, SpeakerID: speaker}
}

// evaluate lists every failing condition, in a fixed order: the engagement itself,
// then each speaker, then the chain, then security.
func evaluate(f facts) Readiness {
	var rs []Reason
	e := f.E
	if e.Status != StatusApproved && e.Status != StatusScheduled && e.Status != StatusProposed {
		rs = append(rs, reason(CodeStatus, "engagements.ready.status", "It is "+string(e.Status)+": only a proposed or approved engagement can be scheduled.", "", "engagements.status."+string(e.Status)))
	}
	if !e.StartsAt.After(f.Now) {
		rs = append(rs, reason(CodePast, "engagements.ready.past", "Its start time has passed.", ""))
	}
	if len(e.SpeakerIDs) == 0 {
		rs = append(rs, reason(CodeNoSpeakers, "engagements.ready.no_speakers", "No speaker has been chosen.", ""))
	} else if len(e.SpeakerIDs) < e.Slots {
		rs = append(rs, reason(CodeSpeakersShort, "engagements.ready.speakers_missing",
			fmt.Sprintf("%d of %d speaker places are filled.", len(e.SpeakerIDs), e.Slots), "", len(e.SpeakerIDs), e.Slots))
	}
	needPlan, needReview := false, false
	for _, sp := range f.Speakers {
		if sp.Erased {
			rs = append(rs, reason(CodeErased, "engagements.ready.erased", sp.Alias+"'s data was erased: they cannot speak.", sp.ID, sp.Alias))
			continue
		}
		if !sp.Clearance.Cleared {
			var why []string
			for _, r := range sp.Clearance.Failing() {
				why = append(why, strings.TrimSuffix(r.Text, "."))
			}
			rs = append(rs, reason(CodeNotCleared, "engagements.ready.not_cleared",
				sp.Alias+" is not cleared to speak on that date: "+strings.Join(why, "; ")+".", sp.ID, sp.Alias, strings.Join(why, "; ")))
		}
		if !sp.Consent.Allowed {
			rs = append(rs, reason(CodeConsent, "engagements.ready.consent",
				sp.Alias+"'s consent does not allow this engagement: "+sp.Consent.ReasonText, sp.ID, sp.Alias, sp.Consent.Reason))
		}
		if sp.Threat.Rank() >= securityPlanAtRank {
			needPlan = true
		}
		if sp.Hostile {
			needReview = true
		}
		for _, c := range sp.Clashes {
			rs = append(rs, reason(CodeDoubleBooked, "engagements.ready.double_booked",
				sp.Alias+" is already booked at the same time: "+c.Title+".", sp.ID, sp.Alias, c.Title))
		}
		if f.WeeklyLimit > 0 && sp.WeekLoad+1 > f.WeeklyLimit {
			rs = append(rs, reason(CodeWeeklyLimit, "engagements.ready.weekly_limit",
				fmt.Sprintf("%s would have %d engagements that week; the limit is %d.", sp.Alias, sp.WeekLoad+1, f.WeeklyLimit),
				sp.ID, sp.Alias, sp.WeekLoad+1, f.WeeklyLimit))
		}
	}
	rs = append(rs, chainReasons(f)...)
	if needPlan && !e.HasSecurityPlan {
		rs = append(rs, reason(CodeSecurityPlan, "engagements.ready.security_plan",
			"A speaker's threat level is moderate or above: a security plan is required.", ""))
	}
	if needReview && e.SafetyReviewRev != e.Revision {
		rs = append(rs, reason(CodeSafetyReview, "engagements.ready.safety_review",
			"A speaker has a relative hostile to the program in this community: a safety review of this version is required.", ""))
	}
	if e.Kind == KindMediaInterview && !f.JournalistOK {
		rs = append(rs, reason(CodeJournalist, "engagements.ready.journalist", "The journalist has not been vetted.", ""))
	}
	if rs == nil {
		rs = []Reason{}
	}
	return Readiness{Ready: len(rs) == 0, Reasons: rs}
}

// chainReasons says what is missing in the chain of command.
func chainReasons(f facts) []Reason {
	st := f.Chain
	name := func(id string) string {
		if n := f.Names[id]; n != "" {
			return n
		}
		return id
	}
	switch {
	case st.Empty:
		if f.E.Status == StatusProposed {
			return []Reason{reason(CodeNotApproved, "engagements.ready.not_approved", "It has not been approved yet.", "")}
		}
		return nil
	case st.Vetoed:
		return []Reason{reason(CodeChainVeto, "engagements.ready.veto", name(st.VetoBy)+" vetoed it.", "", name(st.VetoBy))}
	case st.ChangesRequestedBy != "":
		return []Reason{reason(CodeChainChanges, "engagements.ready.changes", name(st.ChangesRequestedBy)+" asked for changes.", "", name(st.ChangesRequestedBy))}
	case !st.Complete:
		var missing []string
		for _, step := range st.Steps {
			if step.Status != chain.StatusApproved {
				missing = append(missing, name(step.AuthorityID))
			}
		}
		return []Reason{reason(CodeChainWaiting, "engagements.ready.chain",
			"Approvals still missing, in this order: "+strings.Join(missing, ", ")+".", "", strings.Join(missing, ", "))}
	}
	return nil
}

// consentQuestions are the consent questions to ask for one speaker of e.
func consentQuestions(e Engagement, community, home string) []consent.Query {
	return ConsentQuestions(e.Kind, e.IdentityLevel, e.Audience, e.Language, community, home, e.StartsAt)
}

// ConsentQuestions are the consent questions to ask before a speaker whose home
// community is home appears at an engagement of kind in community (a name, "" for
// none): any one allowed is enough. A community audience is the speaker's own
// community when it is their home, and otherwise that community by name. The reach
// planner asks the same questions of its options.
func ConsentQuestions(kind Kind, level consent.IdentityLevel, audience Audience, language, community, home string, at time.Time) []consent.Query {
	base := consent.Query{Use: kind.use(), IdentityLevel: level, Language: language, At: at}
	switch audience {
	case AudienceNational:
		base.Audience = consent.AudienceNational
		return []consent.Query{base}
	case AudienceWorldwide:
		base.Audience = consent.AudienceWorldwide
		return []consent.Query{base}
	}
	named := base
	named.Audience, named.Community = consent.AudienceNamedCommunities, community
	if sameCommunity(community, home) {
		own := base
		own.Audience = consent.AudienceOwnCommunity
		return []consent.Query{own, named}
	}
	return []consent.Query{named}
}

// Readiness runs the readiness check on the engagement as it stands now.
func (s *Service) Readiness(ctx context.Context, tenantID, id string) (Readiness, error) {
	e, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return Readiness{}, err
	}
	f, err := s.facts(ctx, e)
	if err != nil {
		return Readiness{}, err
	}
	return evaluate(f), nil
}

// facts gathers what the readiness check looks at.
func (s *Service) facts(ctx context.Context, e Engagement) (facts, error) {
	f := facts{E: e, Now: s.now(), Names: map[string]string{}, JournalistOK: true}
	community, err := s.communityName(ctx, e.TenantID, e.CommunityID)
	if err != nil {
		return f, err
	}
	if f.Chain, err = s.Chain(ctx, e); err != nil {
		return f, err
	}
	for id, a := range f.Chain.Authorities {
		f.Names[id] = a.DisplayName
	}
	if f.WeeklyLimit, err = s.WeeklyLimit(ctx, e.TenantID); err != nil {
		return f, err
	}
	if e.Kind == KindMediaInterview {
		m, err := s.Media(ctx, e.TenantID, e.ID)
		if err != nil {
			return f, err
		}
		f.JournalistOK = m.Vetting == VettingVetted
	}
	booked, err := s.bookedAround(ctx, e)
	if err != nil {
		return f, err
	}
	week := e.Week()
	for _, rid := range e.SpeakerIDs {
		r, err := s.deps.Returnees.Get(ctx, e.TenantID, rid)
		if err != nil {
			return f, err
		}
		sp := speakerFacts{ID: rid, Alias: r.Alias, Erased: r.Erased}
		if r.Erased {
			f.Speakers = append(f.Speakers, sp)
			continue
		}
		if sp.Clearance, err = s.deps.Assess.Cleared(ctx, e.TenantID, rid, e.StartsAt); err != nil {
			return f, err
		}
		sum, err := s.deps.Assess.Summary(ctx, e.TenantID, rid, e.StartsAt)
		if err != nil {
			return f, err
		}
		if sum.Threat != nil {
			sp.Threat = sum.Threat.Level
		}
		for i, q := range consentQuestions(e, community, r.HomeCommunity) {
			d, err := s.deps.Consent.Allows(ctx, e.TenantID, rid, q)
			if err != nil {
				return f, err
			}
			if i == 0 || d.Allowed {
				sp.Consent = d
			}
			if d.Allowed {
				break
			}
		}
		if community != "" {
			if sp.Hostile, err = s.deps.Family.HostileIn(ctx, e.TenantID, rid, community); err != nil {
				return f, err
			}
		}
		for _, o := range booked {
			if o.ID == e.ID || !contains(o.SpeakerIDs, rid) {
				continue
			}
			if o.overlaps(e) {
				sp.Clashes = append(sp.Clashes, o)
			}
			if isoWeek(o.StartsAt.In(e.Location())) == week {
				sp.WeekLoad++
			}
		}
		f.Speakers = append(f.Speakers, sp)
	}
	return f, nil
}

// bookedAround returns the booked engagements within eight days of e: enough for
// its ISO week in any time zone and for overlaps.
func (s *Service) bookedAround(ctx context.Context, e Engagement) ([]Engagement, error) {
	list, err := s.List(ctx, e.TenantID, e.StartsAt.AddDate(0, 0, -8), e.EndsAt.AddDate(0, 0, 8))
	if err != nil {
		return nil, err
	}
	var out []Engagement
	for _, o := range list {
		if o.Status.booked() {
			out = append(out, o)
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
