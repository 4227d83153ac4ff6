package returnees

import (
	"net/http"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
)

// rerenderShow shows the case page again with a form error next to its field.
func (h *Handlers) rerenderShow(w http.ResponseWriter, r *http.Request, err error) error {
	if k := errs.KindOf(err); k != errs.Invalid && k != errs.Conflict {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	if !page.Can(PermList) {
		return err // custodians outside the case team get the error, not the case page
	}
	d, derr := h.showData(r, page, r.PathValue("id"))
	if derr != nil {
		return derr
	}
	page.Data, page.Form = d, r.PostForm
	field, msg := h.site.FieldMessage(r, err)
	if field == "" {
		page.Flash, page.FlashKind = msg, "error"
	}
	page.Errors = map[string]string{field: msg}
	return h.site.Render(w, r, http.StatusUnprocessableEntity, "returnees/show.html", page)
}

func (h *Handlers) move(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	err := h.svc.MoveStage(r.Context(), web.Principal(r), web.RequestID(r.Context()), id, Stage(r.PostForm.Get("to")), r.PostForm.Get("on"), r.PostForm.Get("reason"))
	if err != nil {
		return h.rerenderShow(w, r, err)
	}
	http.Redirect(w, r, "/returnees/"+id+"?flash=flash.stage_moved", http.StatusSeeOther)
	return nil
}

func (h *Handlers) assign(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := h.svc.Assign(r.Context(), web.Principal(r), web.RequestID(r.Context()), id, r.PostForm.Get("case_worker"), r.PostForm.Get("team")); err != nil {
		return h.rerenderShow(w, r, err)
	}
	http.Redirect(w, r, "/returnees/"+id+"?flash=flash.assigned", http.StatusSeeOther)
	return nil
}

func (h *Handlers) apiMove(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		To     string `json:"to"`
		On     string `json:"on"`
		Reason string `json:"reason"`
	}
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := h.svc.MoveStage(r.Context(), web.Principal(r), web.RequestID(r.Context()), id, Stage(req.To), req.On, req.Reason); err != nil {
		return err
	}
	return h.apiGet(w, r)
}

func (h *Handlers) apiAssign(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		CaseWorkerID string `json:"case_worker_id"`
		TeamID       string `json:"team_id"`
	}
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.svc.Assign(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), req.CaseWorkerID, req.TeamID); err != nil {
		return err
	}
	return h.apiGet(w, r)
}
