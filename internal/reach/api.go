package reach

import (
	"net/http"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
)

// The JSON API mirrors the pages: the model, CSV imports (the request body is the
// CSV), plans and their acceptance.

func (h *handlers) apiModel(w http.ResponseWriter, r *http.Request) error {
	m, err := h.model.Model(r.Context(), web.Principal(r).TenantID)
	if err != nil {
		return err
	}
	rules, err := h.svc.Rules(r.Context(), web.Principal(r).TenantID, m)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"model": m, "rules": rules})
	return nil
}

// apiImport answers 200 with the counts, or 422 with every bad row (nothing written).
func (h *handlers) apiImport(w http.ResponseWriter, r *http.Request) error {
	imp, ok := h.importer(r.PathValue("kind"))
	if !ok {
		return &errs.Error{Kind: errs.NotFound, MsgKey: "error.not_found", Msg: "not found"}
	}
	res, err := imp(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.Body)
	if errs.KindOf(err) == errs.Invalid && len(res.Errors) > 0 {
		web.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": err.Error(), "result": res})
		return nil
	}
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, res)
	return nil
}

func (h *handlers) apiPlan(w http.ResponseWriter, r *http.Request) error {
	var in PlanInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	pl, err := h.svc.Plan(r.Context(), web.Principal(r), web.RequestID(r.Context()), in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, pl)
	return nil
}

func (h *handlers) apiGetPlan(w http.ResponseWriter, r *http.Request) error {
	pl, err := h.model.Plan(r.Context(), web.Principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, pl)
	return nil
}

func (h *handlers) apiAccept(w http.ResponseWriter, r *http.Request) error {
	var in AcceptInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	acc, err := h.svc.Accept(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, acc)
	return nil
}
