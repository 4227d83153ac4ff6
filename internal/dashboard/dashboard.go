// Package dashboard is the first page after sign-in: what there is, per the user's
// role, and what to do next when there is nothing yet.
package dashboard

import (
	"embed"
	"net/http"
	"time"

	"inoculate/internal/auditlog"
	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/auth"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/web"
	"inoculate/internal/returnees"
	"inoculate/internal/returnees/assessment"
)

//go:embed templates
var templates embed.FS

// PermView lets every signed-in user see their dashboard.
var PermView = authz.AnySignedIn("dashboard.view")

// Handlers serves the dashboard.
type Handlers struct {
	site      *web.Site
	db        *store.DB
	auth      *auth.Service
	returnees *returnees.Service
	assess    *assessment.Service
	log       *audit.Log
}

// Register adds the dashboard route.
func Register(site *web.Site, db *store.DB, a *auth.Service, r *returnees.Service, as *assessment.Service, log *audit.Log) error {
	if err := site.Templates.Add("dashboard", templates, "templates"); err != nil {
		return err
	}
	h := &Handlers{site: site, db: db, auth: a, returnees: r, assess: as, log: log}
	site.AddNav("/", "nav.dashboard", PermView)
	site.Browser().Handle("GET /{$}", PermView, h.show)
	return nil
}

// tile is one figure on the dashboard, with where to go from it.
type tile struct {
	Count     int
	TitleKey  string
	Link      string
	EmptyKey  string // "<key>_title" and "<key>_text" explain what to do when Count is 0
	Action    string // where the empty state's button leads
	ActionKey string
}

func (h *Handlers) show(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := web.Principal(r)
	page := h.site.NewPage(r, "", nil)
	var tiles []tile
	if page.Can(returnees.PermList) {
		list, err := h.returnees.ListFor(ctx, p)
		if err != nil {
			return err
		}
		n := len(list)
		t := tile{Count: n, TitleKey: "returnees.title", Link: "/returnees", EmptyKey: "dashboard.empty_returnees"}
		if page.Can(returnees.PermCreate) {
			t.Action, t.ActionKey = "/returnees/new", "returnees.new"
		}
		tiles = append(tiles, t)
	}
	if p.Role == authz.Admin {
		us, err := h.auth.Users(ctx, p.TenantID)
		if err != nil {
			return err
		}
		tiles = append(tiles, tile{Count: len(us), TitleKey: "users.title", Link: "/admin/users",
			EmptyKey: "dashboard.empty_users", Action: "/admin/users/new", ActionKey: "users.create"})
	}
	if page.Can(auditlog.PermRead) {
		n, err := h.log.Count(ctx, h.db.Reader(), p.TenantID)
		if err != nil {
			return err
		}
		tiles = append(tiles, tile{Count: int(n), TitleKey: "audit.title", Link: "/audit", EmptyKey: "audit.empty"})
	}
	var overdue []overdueRow
	if page.Can(assessment.PermSafetyRead) {
		var err error
		if overdue, err = h.overdue(r, p); err != nil {
			return err
		}
	}
	page.Data = map[string]any{"Tiles": tiles, "Overdue": overdue, "ShowOverdue": page.Can(assessment.PermSafetyRead)}
	return h.site.Render(w, r, http.StatusOK, "dashboard/show.html", page)
}

// overdueRow is a well-being check-in past its due date, in the user's caseload.
type overdueRow struct {
	ID, Alias string
	Days      int
}

// overdue lists the overdue check-ins of the cases p may see: messengers carry a
// heavy load, and a missed check-in is the first thing a case worker should see.
func (h *Handlers) overdue(r *http.Request, p *authz.Principal) ([]overdueRow, error) {
	dues, err := h.assess.Overdue(r.Context(), p.TenantID, time.Now())
	if err != nil {
		return nil, err
	}
	visible, err := h.returnees.ListFor(r.Context(), p)
	if err != nil {
		return nil, err
	}
	alias := map[string]string{}
	for _, ret := range visible {
		if !ret.Erased {
			alias[ret.ID] = ret.Alias
		}
	}
	var out []overdueRow
	for _, d := range dues {
		if a, ok := alias[d.ReturneeID]; ok {
			out = append(out, overdueRow{ID: d.ReturneeID, Alias: a, Days: d.DaysOverdue})
		}
	}
	return out, nil
}
