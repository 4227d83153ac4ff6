package returnees

import (
	"embed"

	"inoculate/internal/platform/web"
)

//go:embed templates
var templates embed.FS

// Handlers serves the returnees pages and API.
type Handlers struct {
	site *web.Site
	svc  *Service
	// UserName resolves a user id to a display name for the reveal history.
	UserName func(tenantID, userID string) string
}

// Register adds the returnees templates, navigation and routes to site.
func Register(site *web.Site, svc *Service, userName func(tenantID, userID string) string) error {
	if err := site.Templates.Add("returnees", templates, "templates"); err != nil {
		return err
	}
	h := &Handlers{site: site, svc: svc, UserName: userName}
	site.AddNav("/returnees", "nav.returnees", PermList)

	b := site.Browser()
	b.Handle("GET /returnees", PermList, h.list)
	b.Handle("GET /returnees/new", PermCreate, h.newForm)
	b.Handle("POST /returnees", PermCreate, h.create)
	b.Handle("GET /returnees/{id}", PermList, h.show)
	b.Handle("POST /returnees/{id}/reveal", PermReveal, h.reveal)
	b.Handle("POST /returnees/{id}/erase", PermErase, h.erase)

	a := site.API()
	a.Handle("GET /api/v1/returnees", PermList, h.apiList)
	a.Handle("POST /api/v1/returnees", PermCreate, h.apiCreate)
	a.Handle("GET /api/v1/returnees/{id}", PermList, h.apiGet)
	a.Handle("POST /api/v1/returnees/{id}/reveal", PermReveal, h.apiReveal)
	return nil
}
