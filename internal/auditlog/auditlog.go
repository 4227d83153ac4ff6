// Package auditlog lets auditors browse their tenant's audit log and download its
// latest signed checkpoint for a third party to verify. It shows who did what to
// which record and when, by opaque ids: never the content of records.
package auditlog

import (
	"embed"
	"net/http"
	"strconv"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/web"
)

//go:embed templates
var templates embed.FS

// PermRead lets auditors read the log.
var PermRead = authz.Allow("audit.read", authz.Auditor)

const pageSize = 50

// Handlers serves the audit log pages.
type Handlers struct {
	site     *web.Site
	db       *store.DB
	log      *audit.Log
	userName func(tenantID, userID string) string
}

// Register adds the audit log routes.
func Register(site *web.Site, db *store.DB, log *audit.Log, userName func(tenantID, userID string) string) error {
	if err := site.Templates.Add("auditlog", templates, "templates"); err != nil {
		return err
	}
	h := &Handlers{site: site, db: db, log: log, userName: userName}
	site.AddNav("/audit", "nav.audit", PermRead)
	site.Browser().Handle("GET /audit", PermRead, h.list)
	site.Browser().Handle("GET /audit/checkpoint", PermRead, h.checkpoint)
	return nil
}

type row struct {
	audit.Record
	ActorName string
}

func (h *Handlers) list(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	if before < 0 {
		before = 0
	}
	action := r.URL.Query().Get("action")
	if len(action) > 64 {
		action = action[:64]
	}
	recs, err := h.log.List(r.Context(), h.db.Reader(), p.TenantID, audit.Filter{Before: before, Limit: pageSize + 1, Action: action})
	if err != nil {
		return err
	}
	more := len(recs) > pageSize
	if more {
		recs = recs[:pageSize]
	}
	rows := make([]row, len(recs))
	for i, rec := range recs {
		rows[i] = row{Record: rec, ActorName: h.userName(p.TenantID, rec.ActorID)}
	}
	total, err := h.log.Count(r.Context(), h.db.Reader(), p.TenantID)
	if err != nil {
		return err
	}
	var next int64
	if more {
		next = recs[len(recs)-1].Seq
	}
	page := h.site.NewPage(r, "", map[string]any{"Rows": rows, "Total": int(total), "Next": next, "Action": action, "Before": before})
	return h.site.Render(w, r, http.StatusOK, "auditlog/list.html", page)
}

// checkpoint serves the latest signed checkpoint as text, for witnesses and for
// `inoculate audit verify --checkpoint FILE` later.
func (h *Handlers) checkpoint(w http.ResponseWriter, r *http.Request) error {
	cp, err := h.log.Latest(r.Context(), h.db.Reader())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="inoculate-checkpoint.txt"`)
	_, err = w.Write(cp)
	return err
}
