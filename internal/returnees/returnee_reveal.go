package returnees

import (
	"net/http"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
)

func (h *Handlers) reveal(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	page := h.site.NewPage(r, "", nil)
	reason := r.PostForm.Get("reason")
	idn, revealErr := h.svc.Reveal(r.Context(), web.Principal(r), web.RequestID(r.Context()), id, reason)
	if revealErr != nil && errs.KindOf(revealErr) != errs.Invalid {
		return revealErr
	}
	d, err := h.showData(r, page, id)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if revealErr != nil {
		field, msg := h.site.FieldMessage(r, revealErr)
		page.Errors = map[string]string{field: msg}
		d.Reason = reason
		status = http.StatusUnprocessableEntity
	} else {
		d.Identity = &idn
	}
	page.Data = d
	return h.site.Render(w, r, status, "returnees/show.html", page)
}

func (h *Handlers) apiReveal(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Reason string `json:"reason"`
	}
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	idn, err := h.svc.Reveal(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), req.Reason)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, idn)
	return nil
}
