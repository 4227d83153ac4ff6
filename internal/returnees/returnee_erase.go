package returnees

import (
	"net/http"

	"inoculate/internal/platform/web"
)

func (h *Handlers) eraseRequest(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := h.svc.RequestErasure(r.Context(), web.Principal(r), web.RequestID(r.Context()), id, r.PostForm.Get("confirm_alias")); err != nil {
		return h.rerenderShow(w, r, err)
	}
	http.Redirect(w, r, "/returnees/"+id+"?flash=flash.erasure_requested", http.StatusSeeOther)
	return nil
}

func (h *Handlers) eraseApprove(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := h.svc.ApproveErasure(r.Context(), web.Principal(r), web.RequestID(r.Context()), id); err != nil {
		return h.rerenderShow(w, r, err)
	}
	http.Redirect(w, r, "/returnees/"+id+"?flash=flash.returnee_erased", http.StatusSeeOther)
	return nil
}

func (h *Handlers) eraseCancel(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := h.svc.CancelErasure(r.Context(), web.Principal(r), web.RequestID(r.Context()), id); err != nil {
		return h.rerenderShow(w, r, err)
	}
	http.Redirect(w, r, "/returnees/"+id+"?flash=flash.erasure_cancelled", http.StatusSeeOther)
	return nil
}

func (h *Handlers) apiEraseRequest(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		ConfirmAlias string `json:"confirm_alias"`
	}
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.svc.RequestErasure(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), req.ConfirmAlias); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "pending"})
	return nil
}

func (h *Handlers) apiEraseApprove(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.ApproveErasure(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"status": "erased"})
	return nil
}
