package engagements

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"inoculate/internal/communities"
	"inoculate/internal/engagements/chain"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
	"inoculate/internal/returnees/consent"
)

var timeZero time.Time

// listRow is one engagement in the list, with the names the table shows.
type listRow struct {
	Engagement
	Community string
	Speakers  []Speaker
	// Approved of Steps authorities approved this version (Steps 0: no chain).
	Approved, Steps int
	Vetoed          bool
}

func (h *handlers) rows(r *http.Request, list []Engagement) ([]listRow, error) {
	ctx := r.Context()
	names := map[string]string{}
	out := make([]listRow, 0, len(list))
	for _, e := range list {
		row := listRow{Engagement: visible(r, e)}
		if e.CommunityID != "" {
			if _, ok := names[e.CommunityID]; !ok {
				n, err := h.svc.communityName(ctx, e.TenantID, e.CommunityID)
				if err != nil {
					return nil, err
				}
				names[e.CommunityID] = n
			}
			row.Community = names[e.CommunityID]
		}
		sp, err := h.svc.Speakers(ctx, e)
		if err != nil {
			return nil, err
		}
		row.Speakers = sp
		if e.Status.open() {
			cv, err := h.svc.Chain(ctx, e)
			if err != nil {
				return nil, err
			}
			row.Approved, row.Steps, row.Vetoed = len(cv.Approved), len(cv.Steps), cv.Vetoed
		}
		out = append(out, row)
	}
	return out, nil
}

func (h *handlers) list(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	all, err := h.svc.List(r.Context(), p.TenantID, timeZero, timeZero)
	if err != nil {
		return err
	}
	now := h.svc.now()
	var upcoming, past []Engagement
	for _, e := range all {
		if e.EndsAt.After(now) && e.Status != StatusCancelled {
			upcoming = append(upcoming, e)
		} else {
			past = append(past, e)
		}
	}
	// The most recent past first: that is where debriefs are waiting.
	for i, j := 0, len(past)-1; i < j; i, j = i+1, j-1 {
		past[i], past[j] = past[j], past[i]
	}
	up, err := h.rows(r, upcoming)
	if err != nil {
		return err
	}
	pa, err := h.rows(r, past)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	type section struct {
		Key, EmptyKey string
		Rows          []listRow
	}
	page.Data = struct {
		Sections                     []section
		CanWrite, CanSettings, Empty bool
	}{[]section{{"engagements.upcoming", "engagements.upcoming_empty", up}, {"engagements.past", "engagements.past_empty", pa}},
		page.Can(PermWrite), page.Can(PermSettings), len(all) == 0}
	return h.site.Render(w, r, http.StatusOK, "engagements/list.html", page)
}

// formData is what the engagement form needs.
type formData struct {
	Action, Cancel string
	Edit           bool
	Kinds          []Kind
	Audiences      []Audience
	Levels         []consent.IdentityLevel
	Communities    []communities.Community
	Channels       []Channel
	Zones          []string
}

// zones offered first in the form; any IANA name typed is accepted.
var zones = []string{"UTC", "Asia/Baghdad", "Asia/Damascus", "Asia/Amman", "Asia/Beirut", "Asia/Riyadh", "Africa/Cairo",
	"Africa/Tunis", "Africa/Casablanca", "Europe/Istanbul", "Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Brussels",
	"Europe/Amsterdam", "Europe/Stockholm"}

func (h *handlers) formData(r *http.Request, action, cancel string, edit bool) (formData, error) {
	tid := web.Principal(r).TenantID
	cs, err := h.svc.deps.Communities.List(r.Context(), tid)
	if err != nil {
		return formData{}, err
	}
	chs, err := h.svc.Channels(r.Context(), tid)
	if err != nil {
		return formData{}, err
	}
	return formData{Action: action, Cancel: cancel, Edit: edit, Kinds: Kinds, Audiences: Audiences, Levels: consent.Levels,
		Communities: cs, Channels: chs, Zones: zones}, nil
}

func (h *handlers) newForm(w http.ResponseWriter, r *http.Request) error {
	d, err := h.formData(r, "/engagements", "/engagements", false)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", d)
	page.Form = url.Values{"kind": {string(KindPublicForum)}, "minutes": {"90"}, "time_zone": {"UTC"}, "language": {"ar"},
		"audience": {string(AudienceCommunity)}, "identity_level": {string(consent.LevelAliasProtected)}, "slots": {"1"}}
	if c := r.URL.Query().Get("community"); c != "" {
		page.Form.Set("community_id", c)
	}
	return h.site.Render(w, r, http.StatusOK, "engagements/form.html", page)
}

// parseInput reads the engagement form. Numbers that do not parse are Invalid for
// their field; everything else is checked by the service.
func parseInput(f url.Values) (Input, error) {
	in := Input{Kind: Kind(f.Get("kind")), Title: f.Get("title"), CommunityID: f.Get("community_id"), ChannelID: f.Get("channel_id"),
		Venue: f.Get("venue"), VenueDetails: f.Get("venue_details"), Start: f.Get("start"), TimeZone: f.Get("time_zone"),
		Language: f.Get("language"), Audience: Audience(f.Get("audience")), IdentityLevel: consent.IdentityLevel(f.Get("identity_level"))}
	var err error
	if in.Minutes, err = formInt(f, "minutes", 0); err != nil {
		return in, err
	}
	if in.ExpectedAudience, err = formInt(f, "expected_audience", 0); err != nil {
		return in, err
	}
	in.Slots, err = formInt(f, "slots", 1)
	return in, err
}

func formInt(f url.Values, field string, def int) (int, error) {
	s := strings.TrimSpace(f.Get(field))
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > maxAudience {
		return 0, invalid(field, "engagements.error.number", "not a number")
	}
	return n, nil
}

func (h *handlers) create(w http.ResponseWriter, r *http.Request) error { return h.save(w, r, "") }
func (h *handlers) update(w http.ResponseWriter, r *http.Request) error {
	return h.save(w, r, r.PathValue("id"))
}

func (h *handlers) save(w http.ResponseWriter, r *http.Request, id string) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	p, ctx := web.Principal(r), r.Context()
	in, err := parseInput(r.PostForm)
	var e Engagement
	var ch Change
	if err == nil {
		if id == "" {
			e, err = h.svc.Create(ctx, p, web.RequestID(ctx), in)
		} else {
			e, ch, err = h.svc.Update(ctx, p, web.RequestID(ctx), id, in)
		}
	}
	if k := errs.KindOf(err); err != nil && (k == errs.Invalid || k == errs.Conflict) {
		action, cancel := "/engagements", "/engagements"
		if id != "" {
			action, cancel = "/engagements/"+id, "/engagements/"+id
		}
		d, derr := h.formData(r, action, cancel, id != "")
		if derr != nil {
			return derr
		}
		page := h.site.NewPage(r, "", d)
		page.Form = r.PostForm
		field, msg := h.site.FieldMessage(r, err)
		page.Errors = map[string]string{field: msg}
		return h.site.Render(w, r, http.StatusUnprocessableEntity, "engagements/form.html", page)
	}
	if err != nil {
		return err
	}
	flash := "flash.engagement_saved"
	if ch.Material {
		flash = "flash.engagement_material"
	}
	http.Redirect(w, r, "/engagements/"+e.ID+"?flash="+flash, http.StatusSeeOther)
	return nil
}

func (h *handlers) editForm(w http.ResponseWriter, r *http.Request) error {
	e, err := h.svc.Get(r.Context(), web.Principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	base := "/engagements/" + e.ID
	d, err := h.formData(r, base, base, true)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", d)
	page.Form = url.Values{"kind": {string(e.Kind)}, "title": {e.Title}, "community_id": {e.CommunityID}, "channel_id": {e.ChannelID},
		"venue": {e.Venue}, "start": {e.Local().Format(localLayout)}, "minutes": {strconv.Itoa(int(e.EndsAt.Sub(e.StartsAt) / time.Minute))},
		"time_zone": {e.TimeZone}, "language": {e.Language}, "audience": {string(e.Audience)}, "identity_level": {string(e.IdentityLevel)},
		"expected_audience": {strconv.Itoa(e.ExpectedAudience)}, "slots": {strconv.Itoa(e.Slots)}}
	return h.site.Render(w, r, http.StatusOK, "engagements/form.html", page)
}

// stepRow is one authority of the chain as the page shows it.
type stepRow struct {
	chain.Step
	Name string
	Kind communities.AuthorityKind
	Turn bool // this authority's decision is due now
}

// showData is what the engagement page shows.
type showData struct {
	E           Engagement
	Base        string
	Community   string
	Channel     string
	Speakers    []Speaker
	Candidates  []candidate
	Chain       ChainView
	Steps       []stepRow
	Ready       Readiness
	Media       Media
	Coverage    []Coverage
	Debrief     *Debrief
	History     []Event
	Survey      *SurveyPanel
	Pipeline    []Status
	Opened      map[string]string // sealed fields opened by this request
	Now         time.Time
	Started     bool
	HasHostile  bool
	Vettings    []Vetting
	CanWrite    bool
	CanDecide   bool
	CanSchedule bool
	CanSecurity bool
	CanMedia    bool
	CanVet      bool
	CanVenue    bool
	CanDebrief  bool
	CanCoverage bool
}

type candidate struct{ ID, Alias string }

func (h *handlers) show(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, http.StatusOK, nil, nil)
}

// render shows the engagement page, with a form error (field → message), a refused
// scheduling's reasons, or opened sealed fields when given.
func (h *handlers) render(w http.ResponseWriter, r *http.Request, status int, formErr error, opened map[string]string) error {
	ctx := r.Context()
	p := web.Principal(r)
	e, err := h.svc.Get(ctx, p.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	d := &showData{E: visible(r, e), Base: "/engagements/" + e.ID, Opened: opened, Now: h.svc.now(), Pipeline: Statuses[:5], Vettings: []Vetting{VettingVetted, VettingRefused},
		CanWrite: page.Can(PermWrite), CanDecide: page.Can(PermDecision), CanSchedule: page.Can(PermSchedule),
		CanSecurity: page.Can(PermSecurity), CanMedia: page.Can(PermMedia), CanVet: page.Can(PermVet), CanVenue: page.Can(PermVenue),
		CanDebrief: page.Can(PermDebrief), CanCoverage: page.Can(PermCoverage)}
	d.Started = !d.Now.Before(e.StartsAt)
	if d.Community, err = h.svc.communityName(ctx, p.TenantID, e.CommunityID); err != nil {
		return err
	}
	if e.ChannelID != "" {
		c, err := h.svc.Channel(ctx, p.TenantID, e.ChannelID)
		if err != nil {
			return err
		}
		d.Channel = c.Name
	}
	if d.Speakers, err = h.svc.Speakers(ctx, e); err != nil {
		return err
	}
	for _, s := range d.Speakers {
		d.HasHostile = d.HasHostile || s.Hostile
	}
	if d.CanWrite && e.Status.open() && len(e.SpeakerIDs) < e.Slots {
		people, err := h.svc.deps.Returnees.List(ctx, p.TenantID)
		if err != nil {
			return err
		}
		for _, x := range people {
			if !x.Erased && !contains(e.SpeakerIDs, x.ID) {
				d.Candidates = append(d.Candidates, candidate{x.ID, x.Alias})
			}
		}
	}
	if d.Chain, err = h.svc.Chain(ctx, e); err != nil {
		return err
	}
	for _, s := range d.Chain.Steps {
		a := d.Chain.Authorities[s.AuthorityID]
		d.Steps = append(d.Steps, stepRow{Step: s, Name: a.DisplayName, Kind: a.Kind,
			Turn: s.AuthorityID == d.Chain.Next && (e.Status == StatusProposed || e.Status == StatusApproved)})
	}
	if d.Ready, err = h.svc.Readiness(ctx, p.TenantID, e.ID); err != nil {
		return err
	}
	if rd, ok := AsNotReady(formErr); ok {
		d.Ready = rd // the reasons as the refusal saw them; the message says it was refused
	}
	if e.Kind == KindMediaInterview {
		if d.Media, err = h.svc.Media(ctx, p.TenantID, e.ID); err != nil {
			return err
		}
	}
	if d.Coverage, err = h.svc.CoverageOf(ctx, p.TenantID, e.ID); err != nil {
		return err
	}
	if db, ok, err := h.svc.Debrief(ctx, p, web.RequestID(ctx), e.ID); err != nil {
		return err
	} else if ok {
		d.Debrief = &db
	}
	if d.History, err = h.svc.History(ctx, p.TenantID, e.ID); err != nil {
		return err
	}
	if h.hooks.Survey != nil && e.Kind.Survey() {
		if d.Survey, err = h.hooks.Survey(r, e); err != nil {
			return err
		}
	}
	page.Data = d
	if formErr != nil {
		page.Form = r.PostForm
		field, msg := h.site.FieldMessage(r, formErr)
		page.Errors = map[string]string{field: msg}
	}
	return h.site.Render(w, r, status, "engagements/show.html", page)
}

// after finishes a page action: back to the page on success, the page with the
// message on bad input or a refused transition, the error page otherwise.
func (h *handlers) after(w http.ResponseWriter, r *http.Request, err error, flash, anchor string) error {
	if _, ok := AsNotReady(err); ok {
		return h.render(w, r, http.StatusConflict, err, nil)
	}
	if k := errs.KindOf(err); err != nil && (k == errs.Invalid || k == errs.Conflict) {
		return h.render(w, r, http.StatusUnprocessableEntity, err, nil)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/engagements/"+r.PathValue("id")+"?flash="+flash+"#"+anchor, http.StatusSeeOther)
	return nil
}

func (h *handlers) form(r *http.Request) (url.Values, error) {
	if err := web.ParseForm(r); err != nil {
		return nil, err
	}
	return r.PostForm, nil
}

func (h *handlers) addSpeaker(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	_, err = h.svc.AddSpeaker(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), f.Get("returnee_id"))
	return h.after(w, r, err, "flash.engagement_speaker", "speakers")
}

func (h *handlers) removeSpeaker(w http.ResponseWriter, r *http.Request) error {
	err := h.svc.RemoveSpeaker(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("rid"))
	return h.after(w, r, err, "flash.engagement_speaker", "speakers")
}

func (h *handlers) decide(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	_, _, err = h.svc.RecordDecision(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"),
		DecisionInput{AuthorityID: f.Get("authority_id"), Decision: f.Get("decision"), Reason: f.Get("reason")})
	return h.after(w, r, err, "flash.engagement_decision", "chain")
}

func (h *handlers) approveDirectly(w http.ResponseWriter, r *http.Request) error {
	err := h.svc.ApproveDirectly(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"))
	return h.after(w, r, err, "flash.engagement_decision", "chain")
}

func (h *handlers) schedule(w http.ResponseWriter, r *http.Request) error {
	_, err := h.svc.Schedule(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"))
	return h.after(w, r, err, "flash.engagement_scheduled", "readiness")
}

func (h *handlers) held(w http.ResponseWriter, r *http.Request) error {
	err := h.svc.MarkHeld(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), h.hooks.CheckInDue)
	return h.after(w, r, err, "flash.engagement_held", "debrief")
}

func (h *handlers) cancel(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	err = h.svc.Cancel(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), f.Get("reason"))
	return h.after(w, r, err, "flash.engagement_cancelled", "")
}

func (h *handlers) debrief(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	n, err := ParseAttendance(f.Get("attendance"))
	if err == nil {
		err = h.svc.RecordDebrief(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"),
			DebriefInput{Attendance: n, Incidents: f.Get("incidents"), WhatWorked: f.Get("what_worked")})
	}
	return h.after(w, r, err, "flash.engagement_debriefed", "debrief")
}

func (h *handlers) savePlan(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	err = h.svc.SaveSecurityPlan(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), f.Get("security_plan"))
	return h.after(w, r, err, "flash.engagement_saved", "security")
}

func (h *handlers) safetyReview(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	err = h.svc.RecordSafetyReview(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), f.Get("note"))
	return h.after(w, r, err, "flash.engagement_saved", "security")
}

// openSealed opens the venue details or the security plan on this page only: an
// audited read, never stored in a link or a cache.
func (h *handlers) openSealed(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	p, ctx, id := web.Principal(r), r.Context(), r.PathValue("id")
	opened := map[string]string{}
	switch f.Get("field") {
	case "venue_details":
		opened["venue_details"], err = h.svc.VenueDetails(ctx, p, web.RequestID(ctx), id)
	case "security_plan":
		opened["security_plan"], err = h.svc.SecurityPlan(ctx, p, web.RequestID(ctx), id)
	default:
		err = invalid("field", "engagements.error.field", "unknown field")
	}
	if err != nil {
		return h.after(w, r, err, "", "")
	}
	return h.render(w, r, http.StatusOK, nil, opened)
}

func (h *handlers) saveMedia(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	err = h.svc.SaveMedia(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), MediaInput{
		Journalist: f.Get("journalist"), MustNot: f.Get("must_not"), PrePublication: f.Get("prepublication") == "on", Embargo: f.Get("embargo")})
	return h.after(w, r, err, "flash.engagement_saved", "media")
}

func (h *handlers) vet(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	err = h.svc.Vet(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), VetInput{Vetting: Vetting(f.Get("vetting")), Note: f.Get("note")})
	return h.after(w, r, err, "flash.engagement_saved", "media")
}

func (h *handlers) addCoverage(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	_, err = h.svc.AddCoverage(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), f.Get("url"), f.Get("title"))
	return h.after(w, r, err, "flash.engagement_saved", "coverage")
}
