package engagements

import (
	"embed"
	"net/http"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/web"
)

//go:embed all:templates
var templates embed.FS

// PermFeed is the calendar feed itself: public, the secret token in its address is
// its credential.
var PermFeed = authz.Public("calendar.feed")

// Hooks are what the wiring gives the handlers from outside the capability.
type Hooks struct {
	CheckInDue CheckInDue // the assessment capability's duty of care after an engagement
	Users      UserLookup // a feed owner's role and whether they may still sign in
	// Survey returns the survey panel of a forum (nil when there is none), for the
	// engagement page.
	Survey func(r *http.Request, e Engagement) (*SurveyPanel, error)
}

// SurveyPanel is what the engagement page shows of a forum's anonymous survey.
type SurveyPanel struct {
	URL          string // the short link, in full; "" until it is made
	CreateAction string // where to POST to make the link; "" when the reader may not
	PrintHref    string // the printable page with the QR code; "" when the reader may not
	ResultsHref  string // "" when the reader may not see results
	Responses    int
}

type handlers struct {
	site  *web.Site
	svc   *Service
	hooks Hooks
}

// Register adds the engagements templates, navigation entries and routes to site.
func Register(site *web.Site, svc *Service, hooks Hooks) error {
	if err := site.Templates.Add("engagements", templates, "templates"); err != nil {
		return err
	}
	site.AddNav("/engagements", "nav.engagements", PermRead)
	site.AddNav("/calendar", "nav.calendar", PermCalendar)
	h := &handlers{site: site, svc: svc, hooks: hooks}

	b := site.Browser()
	b.Handle("GET /engagements", PermRead, h.list)
	b.Handle("GET /engagements/new", PermWrite, h.newForm)
	b.Handle("POST /engagements", PermWrite, h.create)
	b.Handle("GET /engagements/assistant", PermWrite, h.assistant)
	b.Handle("POST /engagements/assistant", PermWrite, h.acceptProposal)
	b.Handle("GET /engagements/settings", PermSettings, h.settingsPage)
	b.Handle("POST /engagements/settings", PermSettings, h.saveSettings)
	b.Handle("GET /engagements/{id}", PermRead, h.known(h.show))
	b.Handle("GET /engagements/{id}/edit", PermWrite, h.known(h.editForm))
	b.Handle("POST /engagements/{id}", PermWrite, h.known(h.update))
	b.Handle("POST /engagements/{id}/speakers", PermWrite, h.known(h.addSpeaker))
	b.Handle("POST /engagements/{id}/speakers/{rid}/remove", PermWrite, h.known(h.removeSpeaker))
	b.Handle("POST /engagements/{id}/decisions", PermDecision, h.known(h.decide))
	b.Handle("POST /engagements/{id}/approve", PermDecision, h.known(h.approveDirectly))
	b.Handle("POST /engagements/{id}/schedule", PermSchedule, h.known(h.schedule))
	b.Handle("POST /engagements/{id}/held", PermDebrief, h.known(h.held))
	b.Handle("POST /engagements/{id}/cancel", PermWrite, h.known(h.cancel))
	b.Handle("POST /engagements/{id}/debrief", PermDebrief, h.known(h.debrief))
	b.Handle("POST /engagements/{id}/security-plan", PermSecurity, h.known(h.savePlan))
	b.Handle("POST /engagements/{id}/safety-review", PermSecurity, h.known(h.safetyReview))
	b.Handle("POST /engagements/{id}/sealed", PermVenue, h.known(h.openSealed))
	b.Handle("POST /engagements/{id}/media", PermMedia, h.known(h.saveMedia))
	b.Handle("POST /engagements/{id}/vetting", PermVet, h.known(h.vet))
	b.Handle("POST /engagements/{id}/coverage", PermCoverage, h.known(h.addCoverage))
	b.Handle("GET /calendar", PermCalendar, h.calendar)
	b.Handle("POST /calendar/feeds", PermCalendar, h.createFeed)
	b.Handle("POST /calendar/feeds/{fid}/revoke", PermCalendar, h.revokeFeed)
	b.Handle("GET /calendar/feed/{token}", PermFeed, h.feed)
	b.Handle("GET /channels", PermRead, h.channels)
	b.Handle("POST /channels", PermChannelsWrite, h.createChannel)
	b.Handle("POST /channels/{cid}", PermChannelsWrite, h.updateChannel)

	a := site.API()
	a.Handle("GET /api/v1/engagements", PermRead, h.apiList)
	a.Handle("POST /api/v1/engagements", PermWrite, h.apiCreate)
	a.Handle("GET /api/v1/engagements/assistant", PermWrite, h.apiPropose)
	a.Handle("GET /api/v1/engagements/{id}", PermRead, h.known(h.apiGet))
	a.Handle("POST /api/v1/engagements/{id}", PermWrite, h.known(h.apiUpdate))
	a.Handle("GET /api/v1/engagements/{id}/readiness", PermRead, h.known(h.apiReadiness))
	a.Handle("GET /api/v1/engagements/{id}/approvals", PermRead, h.known(h.apiApprovals))
	a.Handle("POST /api/v1/engagements/{id}/approvals", PermDecision, h.known(h.apiDecide))
	a.Handle("POST /api/v1/engagements/{id}/speakers", PermWrite, h.known(h.apiAddSpeaker))
	a.Handle("POST /api/v1/engagements/{id}/speakers/{rid}/remove", PermWrite, h.known(h.apiRemoveSpeaker))
	a.Handle("POST /api/v1/engagements/{id}/schedule", PermSchedule, h.known(h.apiSchedule))
	a.Handle("POST /api/v1/engagements/{id}/held", PermDebrief, h.known(h.apiHeld))
	a.Handle("POST /api/v1/engagements/{id}/cancel", PermWrite, h.known(h.apiCancel))
	a.Handle("POST /api/v1/engagements/{id}/debrief", PermDebrief, h.known(h.apiDebrief))
	a.Handle("POST /api/v1/engagements/{id}/security-plan", PermSecurity, h.known(h.apiSavePlan))
	a.Handle("POST /api/v1/engagements/{id}/media", PermMedia, h.known(h.apiSaveMedia))
	a.Handle("POST /api/v1/engagements/{id}/vetting", PermVet, h.known(h.apiVet))
	a.Handle("POST /api/v1/engagements/{id}/coverage", PermCoverage, h.known(h.apiAddCoverage))
	a.Handle("GET /api/v1/channels", PermRead, h.apiChannels)
	a.Handle("POST /api/v1/channels", PermChannelsWrite, h.apiCreateChannel)
	a.Handle("POST /api/v1/channels/{cid}", PermChannelsWrite, h.apiUpdateChannel)
	return nil
}

// known opens the engagement named by the path before anything else: another tenant's
// id is not found, whatever the body says, and nothing is parsed for it.
func (h *handlers) known(next web.HandlerFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := h.svc.Get(r.Context(), web.Principal(r).TenantID, r.PathValue("id")); err != nil {
			return err
		}
		return next(w, r)
	}
}
