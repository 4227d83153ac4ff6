package returnees

import (
	"net/http"

	"inoculate/internal/platform/web"
)

type listRow struct {
	Returnee
	CaseWorker string
}

func (h *Handlers) list(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	list, err := h.svc.ListFor(r.Context(), p)
	if err != nil {
		return err
	}
	rows := make([]listRow, len(list))
	for i, ret := range list {
		rows[i] = listRow{Returnee: ret}
		if ret.CaseWorkerID != "" {
			rows[i].CaseWorker = h.deps.UserName(p.TenantID, ret.CaseWorkerID)
		}
	}
	page := h.site.NewPage(r, "", nil)
	page.Data = map[string]any{"Returnees": rows, "CanCreate": page.Can(PermCreate)}
	return h.site.Render(w, r, http.StatusOK, "returnees/list.html", page)
}

func (h *Handlers) apiList(w http.ResponseWriter, r *http.Request) error {
	list, err := h.svc.ListFor(r.Context(), web.Principal(r))
	if err != nil {
		return err
	}
	if list == nil {
		list = []Returnee{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"returnees": list})
	return nil
}
