package returnees

import (
	"net/http"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
)

func (h *Handlers) erase(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	ret, err := h.svc.Get(r.Context(), web.Principal(r).TenantID, id)
	if err != nil {
		return err
	}
	// Typing the alias guards against erasing the wrong person: this cannot be undone.
	if r.PostForm.Get("confirm_alias") != ret.Alias {
		return &errs.Error{Kind: errs.Invalid, Field: "confirm_alias", MsgKey: "error.erase_confirm", Msg: "type the alias exactly to confirm erasure"}
	}
	if err := h.svc.Erase(r.Context(), web.Principal(r), web.RequestID(r.Context()), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/returnees/"+id+"?flash=flash.returnee_erased", http.StatusSeeOther)
	return nil
}
