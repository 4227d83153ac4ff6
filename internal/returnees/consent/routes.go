package consent

import (
	"embed"

	"inoculate/internal/platform/web"
	"inoculate/internal/returnees/caseref"
)

//go:embed templates
var templates embed.FS

// Handlers serves the consent page of a case and its API.
type Handlers struct {
	site  *web.Site
	svc   *Service
	cases caseref.Cases
}

// Register adds the consent templates and routes to site. Every handler opens the
// case through cases first (tenant and caseload), so another caseload's consent is
// simply not found.
func Register(site *web.Site, svc *Service, cases caseref.Cases) error {
	if err := site.Templates.Add("consent", templates, "templates"); err != nil {
		return err
	}
	h := &Handlers{site: site, svc: svc, cases: cases}

	b := site.Browser()
	b.Handle("GET /returnees/{id}/consent", PermRead, h.page)
	b.Handle("GET /returnees/{id}/consent/allows", PermRead, h.ask)
	b.Handle("POST /returnees/{id}/consents", PermGive, h.give)
	b.Handle("POST /returnees/{id}/consents/withdraw", PermWithdraw, h.withdraw)

	a := site.API()
	a.Handle("GET /api/v1/returnees/{id}/consent", PermRead, h.apiCurrent)
	a.Handle("GET /api/v1/returnees/{id}/consents", PermRead, h.apiHistory)
	a.Handle("POST /api/v1/returnees/{id}/consents", PermGive, h.apiGive)
	a.Handle("POST /api/v1/returnees/{id}/consents/withdraw", PermWithdraw, h.apiWithdraw)
	a.Handle("GET /api/v1/returnees/{id}/consent/allows", PermRead, h.apiAllows)
	return nil
}
