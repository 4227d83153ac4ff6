package family

import (
	"embed"
	"net/http"

	"inoculate/internal/platform/web"
	"inoculate/internal/returnees/caseref"
)

//go:embed templates
var templates embed.FS

// handlers serves the family tab and its API.
type handlers struct {
	site  *web.Site
	svc   *Service
	cases caseref.Cases
}

// Register adds the family templates and routes to site. Every handler opens the case
// through cases first, which enforces tenant and caseload (not found otherwise).
func Register(site *web.Site, svc *Service, cases caseref.Cases) error {
	if err := site.Templates.Add("family", templates, "templates"); err != nil {
		return err
	}
	h := &handlers{site: site, svc: svc, cases: cases}

	b := site.Browser()
	b.Handle("GET /returnees/{id}/family", PermRead, h.show)
	b.Handle("GET /returnees/{id}/family/relatives/new", PermWrite, h.newRelative)
	b.Handle("POST /returnees/{id}/family/relatives", PermWrite, h.createRelative)
	b.Handle("GET /returnees/{id}/family/relatives/{rel}", PermWrite, h.editRelative)
	b.Handle("POST /returnees/{id}/family/relatives/{rel}", PermWrite, h.updateRelative)
	b.Handle("POST /returnees/{id}/family/relatives/{rel}/remove", PermWrite, h.removeRelative)
	b.Handle("POST /returnees/{id}/family/relatives/{rel}/reveal-contact", PermReveal, h.revealRelative)
	b.Handle("GET /returnees/{id}/family/mentors/new", PermWrite, h.newMentor)
	b.Handle("POST /returnees/{id}/family/mentors", PermWrite, h.assignMentor)
	b.Handle("POST /returnees/{id}/family/mentors/{mentor}/end", PermWrite, h.endMentor)
	b.Handle("POST /returnees/{id}/family/mentors/{mentor}/reveal-name", PermReveal, h.revealMentor)
	b.Handle("GET /returnees/{id}/family/milestones/new", PermWrite, h.newMilestone)
	b.Handle("POST /returnees/{id}/family/milestones", PermWrite, h.createMilestone)
	b.Handle("GET /returnees/{id}/family/milestones/{milestone}", PermWrite, h.editMilestone)
	b.Handle("POST /returnees/{id}/family/milestones/{milestone}", PermWrite, h.updateMilestone)

	a := site.API()
	a.Handle("GET /api/v1/returnees/{id}/family/relatives", PermRead, h.apiRelatives)
	a.Handle("POST /api/v1/returnees/{id}/family/relatives", PermWrite, h.apiCreateRelative)
	a.Handle("GET /api/v1/returnees/{id}/family/relatives/{rel}", PermReadFull, h.apiRelative)
	a.Handle("POST /api/v1/returnees/{id}/family/relatives/{rel}", PermWrite, h.apiUpdateRelative)
	a.Handle("POST /api/v1/returnees/{id}/family/relatives/{rel}/remove", PermWrite, h.apiRemoveRelative)
	a.Handle("POST /api/v1/returnees/{id}/family/relatives/{rel}/reveal-contact", PermReveal, h.apiRevealRelative)
	a.Handle("GET /api/v1/returnees/{id}/family/mentors", PermReadFull, h.apiMentors)
	a.Handle("POST /api/v1/returnees/{id}/family/mentors", PermWrite, h.apiAssignMentor)
	a.Handle("POST /api/v1/returnees/{id}/family/mentors/{mentor}/end", PermWrite, h.apiEndMentor)
	a.Handle("POST /api/v1/returnees/{id}/family/mentors/{mentor}/reveal-name", PermReveal, h.apiRevealMentor)
	a.Handle("GET /api/v1/returnees/{id}/family/milestones", PermReadFull, h.apiMilestones)
	a.Handle("POST /api/v1/returnees/{id}/family/milestones", PermWrite, h.apiCreateMilestone)
	a.Handle("POST /api/v1/returnees/{id}/family/milestones/{milestone}", PermWrite, h.apiUpdateMilestone)
	return nil
}

// open opens the case named by the path for the requester.
func (h *handlers) open(r *http.Request) (caseref.Case, error) {
	return h.cases.Open(r.Context(), web.Principal(r), r.PathValue("id"))
}

// names resolves user ids to user names for display, once per id per request.
type names struct {
	svc    *Service
	r      *http.Request
	tenant string
	cache  map[string]string
}

func (h *handlers) namer(r *http.Request) *names {
	return &names{svc: h.svc, r: r, tenant: web.Principal(r).TenantID, cache: map[string]string{}}
}

func (n *names) of(id string) string {
	if id == "" {
		return ""
	}
	if s, ok := n.cache[id]; ok {
		return s
	}
	s := id
	if u, err := n.svc.users.User(n.r.Context(), n.tenant, id); err == nil {
		s = u.Name
	}
	n.cache[id] = s
	return s
}
