package assessment

import (
	"embed"
	"net/http"
	"time"

	"inoculate/internal/platform/i18n"
	"inoculate/internal/platform/web"
	"inoculate/internal/returnees/caseref"
)

//go:embed templates
var templates embed.FS

type handlers struct {
	site  *web.Site
	svc   *Service
	cases caseref.Cases
}

// Register adds the assessment and safety templates and routes to site: the
// assessments tab (/returnees/{id}/assessments) and the safety tab
// (/returnees/{id}/safety), and their JSON API.
func Register(site *web.Site, svc *Service, cases caseref.Cases) error {
	if err := site.Templates.Add("assessment", templates, "templates"); err != nil {
		return err
	}
	h := &handlers{site: site, svc: svc, cases: cases}

	b := site.Browser()
	b.Handle("GET /returnees/{id}/assessments", PermCleared, h.tab)
	b.Handle("GET /returnees/{id}/assessments/{aid}", PermRead, h.show)
	for _, k := range Kinds {
		// One route per kind, so the authorization matrix shows that threat
		// assessments are the safety officer's and supervisor's alone.
		b.Handle("GET /returnees/{id}/assessments/"+string(k), PermCreate(k), h.newForm(k))
		b.Handle("POST /returnees/{id}/assessments/"+string(k), PermCreate(k), h.create(k))
	}
	b.Handle("POST /returnees/{id}/assessments/{aid}/review", PermReview, h.review)
	b.Handle("POST /settings/risk-threshold", PermThreshold, h.setThreshold)
	b.Handle("GET /returnees/{id}/safety", PermSafetyRead, h.safety)
	b.Handle("GET /returnees/{id}/safety/plan", PermSafetyWrite, h.planForm)
	b.Handle("POST /returnees/{id}/safety/plan", PermSafetyWrite, h.savePlan)
	b.Handle("POST /returnees/{id}/safety/checkins", PermCheckIn, h.checkIn)

	a := site.API()
	a.Handle("GET /api/v1/returnees/{id}/cleared", PermCleared, h.apiCleared)
	a.Handle("GET /api/v1/returnees/{id}/assessments", PermRead, h.apiList)
	a.Handle("GET /api/v1/returnees/{id}/assessments/{aid}", PermRead, h.apiGet)
	for _, k := range Kinds {
		a.Handle("POST /api/v1/returnees/{id}/assessments/"+string(k), PermCreate(k), h.apiCreate(k))
	}
	a.Handle("POST /api/v1/returnees/{id}/assessments/{aid}/review", PermReview, h.apiReview)
	a.Handle("GET /api/v1/settings/risk-threshold", PermRead, h.apiThreshold)
	a.Handle("PUT /api/v1/settings/risk-threshold", PermThreshold, h.apiSetThreshold)
	a.Handle("GET /api/v1/returnees/{id}/safety-plan", PermSafetyRead, h.apiPlan)
	a.Handle("POST /api/v1/returnees/{id}/safety-plan", PermSafetyWrite, h.apiSavePlan)
	a.Handle("GET /api/v1/returnees/{id}/checkins", PermCheckIn, h.apiCheckIns)
	a.Handle("POST /api/v1/returnees/{id}/checkins", PermCheckIn, h.apiCheckIn)
	a.Handle("GET /api/v1/checkins/overdue", PermCheckIn, h.apiOverdue)
	return nil
}

// openCase opens the case named in the path for the principal: tenancy and caseload
// are enforced there, and an invisible case is simply not found.
func (h *handlers) openCase(r *http.Request) (caseref.Case, error) {
	return h.cases.Open(r.Context(), web.Principal(r), r.PathValue("id"))
}

// reasonView is one check of the clearance in the reader's language.
type reasonView struct {
	Check string `json:"check"`
	Key   string `json:"key"`
	OK    bool   `json:"ok"`
	Text  string `json:"text"`
}

// localize gives the reasons in the language of l, or in English where the
// catalogue lacks a key.
func localize(l *i18n.Localizer, c Clearance) []reasonView {
	out := make([]reasonView, len(c.Reasons))
	for i, r := range c.Reasons {
		text := r.Text
		if l != nil && l.Has(r.Key) {
			args := make([]any, len(r.Args))
			for i, a := range r.Args {
				if t, ok := a.(time.Time); ok {
					a = l.Date(t)
				}
				args[i] = a
			}
			text = l.T(r.Key, args...)
		}
		out[i] = reasonView{Check: r.Check, Key: r.Key, OK: r.OK, Text: text}
	}
	return out
}

// clearanceView is what the clearance panel shows.
type clearanceView struct {
	Cleared bool
	Reasons []reasonView
}
