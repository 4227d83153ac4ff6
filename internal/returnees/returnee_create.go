package returnees

import (
	"net/http"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
)

func (h *Handlers) newForm(w http.ResponseWriter, r *http.Request) error {
	return h.site.Render(w, r, http.StatusOK, "returnees/new.html", h.site.NewPage(r, "", nil))
}

func (h *Handlers) create(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	in := NewReturnee{Alias: r.PostForm.Get("alias"), Identity: Identity{
		LegalName: r.PostForm.Get("legal_name"), BirthDate: r.PostForm.Get("birth_date"),
		Phone: r.PostForm.Get("phone"), Address: r.PostForm.Get("address")}}
	ret, err := h.svc.Create(r.Context(), web.Principal(r), web.RequestID(r.Context()), in)
	if k := errs.KindOf(err); err != nil && (k == errs.Invalid || k == errs.Conflict) {
		// Show the form again with the message next to the field. Identity values are
		// re-shown only in this response to the person who typed them, never stored.
		page := h.site.NewPage(r, "", nil)
		page.Form = r.PostForm
		field, msg := h.site.FieldMessage(r, err)
		page.Errors = map[string]string{field: msg}
		return h.site.Render(w, r, http.StatusUnprocessableEntity, "returnees/new.html", page)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/returnees/"+ret.ID+"?flash=flash.returnee_created", http.StatusSeeOther)
	return nil
}

// createRequest is the API contract: POST /api/v1/returnees.
type createRequest struct {
	Alias     string `json:"alias"`
	LegalName string `json:"legal_name"`
	BirthDate string `json:"birth_date"`
	Phone     string `json:"phone"`
	Address   string `json:"address"`
}

func (h *Handlers) apiCreate(w http.ResponseWriter, r *http.Request) error {
	var req createRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	ret, err := h.svc.Create(r.Context(), web.Principal(r), web.RequestID(r.Context()), NewReturnee{Alias: req.Alias,
		Identity: Identity{LegalName: req.LegalName, BirthDate: req.BirthDate, Phone: req.Phone, Address: req.Address}})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, map[string]string{"id": ret.ID, "alias": ret.Alias})
	return nil
}
