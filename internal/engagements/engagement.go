// Package engagements runs the program's public work: forums in the returnee's own
// community, media interviews, school and mosque talks, closed elders' meetings and
// online lives. Each engagement goes proposed → approved (its community's chain of
// command, in order) → scheduled (only when the readiness check passes) → held →
// debriefed, or is cancelled. Speakers are returnees, always shown by alias.
//
// The pure rules live in sub-packages: chain (where an engagement stands in the chain
// of command), assign (the assignment assistant's min-cost-flow solver) and ical (the
// calendar feed writer). This package stores engagements and their channels, gathers
// the facts from the other capabilities (clearance, consent, threat, family) and
// enforces the readiness check.
package engagements

import (
	"slices"
	"time"

	"inoculate/internal/returnees/consent"
)

// Kind is the format of an engagement.
type Kind string

const (
	KindPublicForum    Kind = "public_forum"
	KindMediaInterview Kind = "media_interview"
	KindSchoolTalk     Kind = "school_talk"
	KindMosqueTalk     Kind = "mosque_talk"
	KindEldersMeeting  Kind = "elders_meeting"
	KindOnlineLive     Kind = "online_live"
)

// Kinds lists the kinds in display order.
var Kinds = []Kind{KindPublicForum, KindMediaInterview, KindSchoolTalk, KindMosqueTalk, KindEldersMeeting, KindOnlineLive}

func (k Kind) valid() bool { return slices.Contains(Kinds, k) }

// needsCommunity: talks in a room happen in one community, so its chain of command
// applies; an interview with a national outlet or an online live may have none.
func (k Kind) needsCommunity() bool { return k != KindMediaInterview && k != KindOnlineLive }

// Survey reports whether the kind meets an audience that can answer the anonymous
// survey (the closed elders' meeting and interviews do not).
func (k Kind) Survey() bool {
	return k == KindPublicForum || k == KindSchoolTalk || k == KindMosqueTalk || k == KindOnlineLive
}

// use is the consent use an engagement of this kind needs.
func (k Kind) use() consent.Use {
	switch k {
	case KindMediaInterview:
		return consent.UseMediaInterview
	case KindOnlineLive:
		return consent.UseOnlinePublication
	}
	return consent.UsePublicForum
}

// Obligation kinds an engagement of this kind counts towards (see legal.ObligationKind):
// public appearances count as forums, interviews as interviews; a closed elders'
// meeting is preparation, not an appearance.
func (k Kind) obligation() string {
	switch k {
	case KindMediaInterview:
		return "media_interviews"
	case KindEldersMeeting:
		return ""
	}
	return "public_forums"
}

// Status is where an engagement stands.
type Status string

const (
	StatusProposed  Status = "proposed"
	StatusApproved  Status = "approved"
	StatusScheduled Status = "scheduled"
	StatusHeld      Status = "held"
	StatusDebriefed Status = "debriefed"
	StatusCancelled Status = "cancelled"
)

// Statuses lists the statuses in the order of the pipeline.
var Statuses = []Status{StatusProposed, StatusApproved, StatusScheduled, StatusHeld, StatusDebriefed, StatusCancelled}

// open reports whether the engagement is still being prepared (changes allowed).
func (s Status) open() bool {
	return s == StatusProposed || s == StatusApproved || s == StatusScheduled
}

// booked reports whether the engagement commits its speakers' time: what double
// booking and the weekly load limit count.
func (s Status) booked() bool {
	return s == StatusScheduled || s == StatusHeld || s == StatusDebriefed
}

// Audience is how far an engagement reaches: the room of its community, the nation, or
// the world. The consent question asked for each speaker follows from it (see
// consentAudiences).
type Audience string

const (
	AudienceCommunity Audience = "community"
	AudienceNational  Audience = "national"
	AudienceWorldwide Audience = "worldwide"
)

// Audiences lists the audiences in display order.
var Audiences = []Audience{AudienceCommunity, AudienceNational, AudienceWorldwide}

func (a Audience) valid() bool { return slices.Contains(Audiences, a) }

// Engagement is one engagement as every reader may see it: no sealed field.
type Engagement struct {
	ID               string                `json:"id"`
	TenantID         string                `json:"-"`
	Kind             Kind                  `json:"kind"`
	Title            string                `json:"title"`
	CommunityID      string                `json:"community_id"`
	ChannelID        string                `json:"channel_id"`
	StartsAt         time.Time             `json:"starts_at"`
	EndsAt           time.Time             `json:"ends_at"`
	TimeZone         string                `json:"time_zone"`
	Language         string                `json:"language"`
	Audience         Audience              `json:"audience"`
	IdentityLevel    consent.IdentityLevel `json:"identity_level"`
	ExpectedAudience int                   `json:"expected_audience"`
	Slots            int                   `json:"slots"`
	Status           Status                `json:"status"`
	Revision         int                   `json:"revision"`
	SpeakerIDs       []string              `json:"speaker_ids"`
	HasSecurityPlan  bool                  `json:"has_security_plan"`
	SecurityPlanAt   time.Time             `json:"security_plan_at,omitzero"`
	// SafetyReviewRev is the revision a safety officer reviewed; 0 when none.
	SafetyReviewRev int       `json:"safety_review_revision"`
	SafetyReviewBy  string    `json:"safety_review_by,omitempty"`
	SafetyReviewAt  time.Time `json:"safety_review_at,omitzero"`
	CancelReason    string    `json:"cancel_reason,omitempty"`
	CreatedBy       string    `json:"created_by"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`

	// Venue is the venue's public name; shown only to roles cleared for venues
	// (cleared by the handlers, never by the store).
	Venue string `json:"venue,omitempty"`
}

// Location returns the engagement's time zone, UTC if it cannot be loaded.
func (e Engagement) Location() *time.Location {
	if loc, err := time.LoadLocation(e.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// Local is the start in the engagement's own time zone.
func (e Engagement) Local() time.Time { return e.StartsAt.In(e.Location()) }

// LocalEnd is the end in the engagement's own time zone.
func (e Engagement) LocalEnd() time.Time { return e.EndsAt.In(e.Location()) }

// Week names the ISO week of the start in the engagement's time zone ("2026-W49"):
// the period of the weekly load limit.
func (e Engagement) Week() string { return isoWeek(e.Local()) }

func isoWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return weekName(y, w)
}

func weekName(y, w int) string {
	b := []byte("0000-W00")
	for i, n := 3, y; i >= 0; i, n = i-1, n/10 {
		b[i] = byte('0' + n%10)
	}
	b[6], b[7] = byte('0'+w/10), byte('0'+w%10)
	return string(b)
}

// overlaps reports whether two engagements share any moment.
func (e Engagement) overlaps(o Engagement) bool {
	return e.StartsAt.Before(o.EndsAt) && o.StartsAt.Before(e.EndsAt)
}

// Input is what a person fills in to propose or edit an engagement. Start is a local
// date and time ("2026-12-03T18:00") in TimeZone; Minutes is the length.
type Input struct {
	Kind             Kind                  `json:"kind"`
	Title            string                `json:"title"`
	CommunityID      string                `json:"community_id"`
	ChannelID        string                `json:"channel_id"`
	Venue            string                `json:"venue"`
	VenueDetails     string                `json:"venue_details"`
	Start            string                `json:"start"`
	Minutes          int                   `json:"minutes"`
	TimeZone         string                `json:"time_zone"`
	Language         string                `json:"language"`
	Audience         Audience              `json:"audience"`
	IdentityLevel    consent.IdentityLevel `json:"identity_level"`
	ExpectedAudience int                   `json:"expected_audience"`
	Slots            int                   `json:"slots"`
}

// Limits on an engagement's fields.
const (
	maxTitle     = 200
	maxVenue     = 200
	maxDetails   = 4000
	maxMinutes   = 24 * 60
	maxAudience  = 10_000_000
	maxSlots     = 10
	maxText      = 4000
	maxReason    = 1000
	minReason    = 5
	yearsAhead   = 5
	localLayout  = "2006-01-02T15:04"
	defaultLimit = 2 // engagements per speaker per week, until the tenant sets its own
)
