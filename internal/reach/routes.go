package reach

import (
	"embed"
	"net/http"

	"inoculate/internal/engagements"
	"inoculate/internal/platform/web"
	"inoculate/internal/reach/model"
)

//go:embed all:templates
var templates embed.FS

type handlers struct {
	site  *web.Site
	svc   *Service
	model *model.Service
}

// maxCSV bounds an uploaded CSV file (the model refuses more than 5 MB of it).
const maxCSV = 6 << 20

// Register adds the reach planner's pages and API to site.
func Register(site *web.Site, svc *Service) error {
	if err := site.Templates.Add("reach", templates, "templates"); err != nil {
		return err
	}
	site.AddNav("/reach", "nav.reach", model.PermRead)
	h := &handlers{site: site, svc: svc, model: svc.deps.Model}
	// Accepting proposes engagements: it takes who may propose them (liaisons and
	// supervisors), not only who may plan.
	read, write, accept := model.PermRead, model.PermWrite, engagements.PermWrite

	b := site.Browser()
	b.Handle("GET /reach", read, h.modelPage)
	b.Handle("POST /reach/cells", write, h.addCell)
	b.Handle("POST /reach/cells/{cid}/remove", write, h.removeCell)
	b.Handle("POST /reach/links", write, h.addLink)
	b.Handle("POST /reach/links/remove", write, h.removeLink)
	b.Handle("POST /reach/pickups", write, h.addPickup)
	b.Handle("POST /reach/pickups/remove", write, h.removePickup)
	b.Handle("POST /reach/options", write, h.addOption)
	b.Handle("POST /reach/options/{oid}/remove", write, h.removeOption)
	b.Handle("POST /reach/import/{kind}", write, h.importCSV)
	b.Handle("GET /reach/plans", read, h.plans)
	b.Handle("POST /reach/plans", write, h.createPlan)
	b.Handle("GET /reach/plans/{id}", read, h.knownPlan(h.planPage))
	b.Handle("POST /reach/plans/{id}/accept", accept, h.knownPlan(h.acceptPlan))
	site.SetBodyLimit("POST /reach/import/{kind}", maxCSV)

	a := site.API()
	a.Handle("GET /api/v1/reach/model", read, h.apiModel)
	a.Handle("POST /api/v1/reach/import/{kind}", write, h.apiImport)
	a.Handle("POST /api/v1/reach/plans", write, h.apiPlan)
	a.Handle("GET /api/v1/reach/plans/{id}", read, h.knownPlan(h.apiGetPlan))
	a.Handle("POST /api/v1/reach/plans/{id}/accept", accept, h.knownPlan(h.apiAccept))
	site.SetBodyLimit("POST /api/v1/reach/import/{kind}", maxCSV)
	return nil
}

// knownPlan opens the plan named by the path first: another tenant's is not found.
func (h *handlers) knownPlan(next web.HandlerFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := h.model.Plan(r.Context(), web.Principal(r).TenantID, r.PathValue("id")); err != nil {
			return err
		}
		return next(w, r)
	}
}
