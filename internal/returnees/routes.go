package returnees

import (
	"context"
	"embed"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/web"
)

//go:embed all:templates
var templates embed.FS

// Handlers serves the returnees pages and API.
type Handlers struct {
	site *web.Site
	svc  *Service
	deps Deps
}

// Deps are what the pages need from the rest of the application, given by the wiring.
type Deps struct {
	// UserName resolves a user id to a display name.
	UserName func(tenantID, userID string) string
	// Staff lists the tenant's active users with the given roles, for assignment.
	Staff func(ctx context.Context, tenantID string, roles ...authz.Role) ([]StaffMember, error)
	// Glance tells what stands between the person and speaking, and what is overdue,
	// from the other parts of the case; nil hides the panel.
	Glance func(ctx context.Context, p *authz.Principal, id string) (Glance, error)
}

// StaffMember is a user as pickers show them.
type StaffMember struct {
	ID, Name string
	Role     authz.Role
}

// Glance is the case page's summary of the other parts of the case.
type Glance struct {
	Checks  []GlanceItem // what speaking publicly needs, each ok or not
	Overdue []GlanceItem
}

// GlanceItem is one line of the summary: a catalogue key with its arguments.
type GlanceItem struct {
	Key  string
	Args []any
	OK   bool
	Link string
}

// Register adds the returnees templates, navigation and routes to site.
func Register(site *web.Site, svc *Service, deps Deps) error {
	if err := site.Templates.Add("returnees", templates, "templates"); err != nil {
		return err
	}
	h := &Handlers{site: site, svc: svc, deps: deps}
	site.AddNav("/returnees", "nav.returnees", PermList)
	site.AddNav("/custody", "nav.custody", PermCustody)
	site.AddNav("/teams", "nav.teams", PermTeams)

	b := site.Browser()
	b.Handle("GET /returnees", PermList, h.list)
	b.Handle("GET /returnees/new", PermCreate, h.newForm)
	b.Handle("POST /returnees", PermCreate, h.create)
	b.Handle("GET /returnees/{id}", PermList, h.show)
	b.Handle("POST /returnees/{id}/reveal", PermReveal, h.reveal)
	b.Handle("POST /returnees/{id}/stage", PermMove, h.move)
	b.Handle("POST /returnees/{id}/assign", PermAssign, h.assign)
	b.Handle("POST /returnees/{id}/erase", PermErase, h.eraseRequest)
	b.Handle("POST /returnees/{id}/erase/approve", PermErase, h.eraseApprove)
	b.Handle("POST /returnees/{id}/erase/cancel", PermErase, h.eraseCancel)
	b.Handle("GET /returnees/{id}/access", PermRequestAccess, h.accessPage)
	b.Handle("POST /returnees/{id}/access", PermRequestAccess, h.accessRequest)
	b.Handle("POST /returnees/{id}/access/reveal", PermRevealGranted, h.accessReveal)
	b.Handle("GET /custody", PermCustody, h.custody)
	b.Handle("POST /custody/{id}/decide", PermCustody, h.custodyDecide)
	b.Handle("GET /teams", PermTeams, h.teams)
	b.Handle("POST /teams", PermTeams, h.teamCreate)
	b.Handle("POST /teams/{id}/members", PermTeams, h.teamMember)

	a := site.API()
	a.Handle("GET /api/v1/returnees", PermList, h.apiList)
	a.Handle("POST /api/v1/returnees", PermCreate, h.apiCreate)
	a.Handle("GET /api/v1/returnees/{id}", PermList, h.apiGet)
	a.Handle("POST /api/v1/returnees/{id}/reveal", PermReveal, h.apiReveal)
	a.Handle("POST /api/v1/returnees/{id}/stage", PermMove, h.apiMove)
	a.Handle("POST /api/v1/returnees/{id}/assign", PermAssign, h.apiAssign)
	a.Handle("POST /api/v1/returnees/{id}/access-requests", PermRequestAccess, h.apiAccessRequest)
	a.Handle("POST /api/v1/returnees/{id}/access-requests/reveal", PermRevealGranted, h.apiAccessReveal)
	a.Handle("GET /api/v1/access-requests", PermCustody, h.apiAccessList)
	a.Handle("POST /api/v1/access-requests/{id}/decide", PermCustody, h.apiAccessDecide)
	a.Handle("POST /api/v1/returnees/{id}/erasure", PermErase, h.apiEraseRequest)
	a.Handle("POST /api/v1/returnees/{id}/erasure/approve", PermErase, h.apiEraseApprove)
	return nil
}
