package returnees

import (
	"net/http"

	"inoculate/internal/platform/web"
)

func (h *Handlers) list(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	list, err := h.svc.List(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	page.Data = map[string]any{"Returnees": list, "CanCreate": page.Can(PermCreate)}
	return h.site.Render(w, r, http.StatusOK, "returnees/list.html", page)
}

func (h *Handlers) apiList(w http.ResponseWriter, r *http.Request) error {
	list, err := h.svc.List(r.Context(), web.Principal(r).TenantID)
	if err != nil {
		return err
	}
	if list == nil {
		list = []Returnee{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"returnees": list})
	return nil
}
