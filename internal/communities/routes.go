package communities

import (
	"net/http"

	"embed"

	"inoculate/internal/platform/web"
)

//go:embed templates
var templates embed.FS

type handlers struct {
	site *web.Site
	svc  *Service
}

// Register adds the communities templates, navigation entry and routes to site.
func Register(site *web.Site, svc *Service) error {
	if err := site.Templates.Add("communities", templates, "templates"); err != nil {
		return err
	}
	site.AddNav("/communities", "nav.communities", PermRead)
	h := &handlers{site: site, svc: svc}

	b := site.Browser()
	b.Handle("GET /communities", PermRead, h.list)
	b.Handle("GET /communities/new", PermWrite, h.newForm)
	b.Handle("POST /communities", PermWrite, h.create)
	b.Handle("GET /communities/{id}", PermRead, h.known(h.show))
	b.Handle("GET /communities/{id}/edit", PermWrite, h.known(h.editForm))
	b.Handle("POST /communities/{id}", PermWrite, h.known(h.update))
	b.Handle("POST /communities/{id}/authorities", PermWrite, h.known(h.addAuthority))
	b.Handle("POST /communities/{id}/authorities/{aid}/move", PermWrite, h.known(h.moveAuthority))
	b.Handle("POST /communities/{id}/authorities/{aid}/remove", PermWrite, h.known(h.removeAuthority))
	b.Handle("POST /communities/{id}/partners", PermWrite, h.known(h.addPartner))
	b.Handle("POST /communities/{id}/partners/{pid}/remove", PermWrite, h.known(h.removePartner))
	b.Handle("POST /communities/{id}/partners/{pid}/contacts", PermWrite, h.known(h.addContact))
	b.Handle("POST /communities/{id}/contacts/{cid}/remove", PermWrite, h.known(h.removeContact))
	b.Handle("POST /communities/{id}/contacts/{cid}/reveal", PermReveal, h.known(h.revealContact))
	b.Handle("POST /communities/{id}/figures", PermWrite, h.known(h.addFigure))

	a := site.API()
	a.Handle("GET /api/v1/communities", PermRead, h.apiList)
	a.Handle("POST /api/v1/communities", PermWrite, h.apiCreate)
	a.Handle("GET /api/v1/communities/{id}", PermRead, h.known(h.apiGet))
	a.Handle("POST /api/v1/communities/{id}", PermWrite, h.known(h.apiUpdate))
	a.Handle("GET /api/v1/communities/{id}/chain", PermRead, h.known(h.apiChain))
	a.Handle("POST /api/v1/communities/{id}/chain", PermWrite, h.known(h.apiAddAuthority))
	a.Handle("POST /api/v1/communities/{id}/chain/order", PermWrite, h.known(h.apiReorder))
	a.Handle("POST /api/v1/communities/{id}/chain/{aid}/remove", PermWrite, h.known(h.apiRemoveAuthority))
	a.Handle("GET /api/v1/communities/{id}/partners", PermRead, h.known(h.apiPartners))
	a.Handle("POST /api/v1/communities/{id}/partners", PermWrite, h.known(h.apiAddPartner))
	a.Handle("POST /api/v1/communities/{id}/partners/{pid}/remove", PermWrite, h.known(h.apiRemovePartner))
	a.Handle("POST /api/v1/communities/{id}/partners/{pid}/contacts", PermWrite, h.known(h.apiAddContact))
	a.Handle("POST /api/v1/communities/{id}/contacts/{cid}/remove", PermWrite, h.known(h.apiRemoveContact))
	a.Handle("POST /api/v1/communities/{id}/contacts/{cid}/reveal", PermReveal, h.known(h.apiRevealContact))
	a.Handle("GET /api/v1/communities/{id}/figures", PermRead, h.known(h.apiFigures))
	a.Handle("POST /api/v1/communities/{id}/figures", PermWrite, h.known(h.apiAddFigure))
	return nil
}

// known opens the community named by the path before anything else: another
// tenant's id is not found, whatever the body says, and nothing is parsed for it.
func (h *handlers) known(next web.HandlerFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := h.svc.Get(r.Context(), web.Principal(r).TenantID, r.PathValue("id")); err != nil {
			return err
		}
		return next(w, r)
	}
}
