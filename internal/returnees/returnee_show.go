package returnees

import (
	"net/http"

	"inoculate/internal/platform/web"
)

// showData is what the returnee page shows. Identity is set only in the response to
// a reveal, to the person who revealed it.
type showData struct {
	Returnee  Returnee
	Identity  *Identity
	Reveals   []revealRow
	CanReveal bool
	CanErase  bool
	Reason    string
}

type revealRow struct {
	User string
	Reveal
}

func (h *Handlers) showData(r *http.Request, page *web.Page, id string) (*showData, error) {
	p := web.Principal(r)
	ret, err := h.svc.Get(r.Context(), p.TenantID, id)
	if err != nil {
		return nil, err
	}
	d := &showData{Returnee: ret, CanReveal: page.Can(PermReveal) && !ret.Erased, CanErase: page.Can(PermErase) && !ret.Erased}
	if d.CanReveal || d.CanErase {
		revs, err := h.svc.Reveals(r.Context(), p.TenantID, id)
		if err != nil {
			return nil, err
		}
		for _, rv := range revs {
			d.Reveals = append(d.Reveals, revealRow{User: h.UserName(p.TenantID, rv.UserID), Reveal: rv})
		}
	}
	return d, nil
}

func (h *Handlers) show(w http.ResponseWriter, r *http.Request) error {
	page := h.site.NewPage(r, "", nil)
	d, err := h.showData(r, page, r.PathValue("id"))
	if err != nil {
		return err
	}
	page.Data = d
	return h.site.Render(w, r, http.StatusOK, "returnees/show.html", page)
}

func (h *Handlers) apiGet(w http.ResponseWriter, r *http.Request) error {
	ret, err := h.svc.Get(r.Context(), web.Principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	// The API contract: never identity fields here, only what lists show.
	web.WriteJSON(w, http.StatusOK, ret)
	return nil
}
