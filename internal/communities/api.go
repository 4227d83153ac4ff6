package communities

import (
	"net/http"

	"inoculate/internal/platform/web"
)

// The JSON API mirrors every page action. Errors are returned as *errs.Error and
// mapped to a status once by the web kit.

func (h *handlers) apiList(w http.ResponseWriter, r *http.Request) error {
	list, err := h.svc.List(r.Context(), web.Principal(r).TenantID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"communities": list})
	return nil
}

func (h *handlers) apiCreate(w http.ResponseWriter, r *http.Request) error {
	var in NewCommunity
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	c, err := h.svc.Create(r.Context(), web.Principal(r), web.RequestID(r.Context()), in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, c)
	return nil
}

// communityView is a community with its chain, partners (contacts as the reader may
// see them) and current figures.
type communityView struct {
	Community
	Chain    []Authority `json:"chain"`
	Partners []Partner   `json:"partners"`
	Figures  []Figure    `json:"figures"`
}

func (h *handlers) view(r *http.Request) (communityView, error) {
	p := web.Principal(r)
	ctx := r.Context()
	c, err := h.svc.Get(ctx, p.TenantID, r.PathValue("id"))
	if err != nil {
		return communityView{}, err
	}
	v := communityView{Community: c}
	if v.Chain, err = h.svc.Chain(ctx, p.TenantID, c.ID); err != nil {
		return v, err
	}
	if v.Partners, err = h.svc.Partners(ctx, p, c.ID); err != nil {
		return v, err
	}
	figs, err := h.svc.Figures(ctx, p.TenantID, c.ID)
	v.Figures = Current(figs)
	if v.Figures == nil {
		v.Figures = []Figure{}
	}
	return v, err
}

func (h *handlers) apiGet(w http.ResponseWriter, r *http.Request) error {
	v, err := h.view(r)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (h *handlers) apiUpdate(w http.ResponseWriter, r *http.Request) error {
	var in NewCommunity
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	c, err := h.svc.Update(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, c)
	return nil
}

func (h *handlers) apiChain(w http.ResponseWriter, r *http.Request) error {
	chain, err := h.svc.Chain(r.Context(), web.Principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"chain": chain})
	return nil
}

func (h *handlers) apiAddAuthority(w http.ResponseWriter, r *http.Request) error {
	var in NewAuthority
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	a, err := h.svc.AddAuthority(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, a)
	return nil
}

func (h *handlers) apiReorder(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		AuthorityIDs []string `json:"authority_ids"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	chain, err := h.svc.Reorder(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in.AuthorityIDs)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"chain": chain})
	return nil
}

func (h *handlers) apiRemoveAuthority(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.RemoveAuthority(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("aid")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handlers) apiPartners(w http.ResponseWriter, r *http.Request) error {
	ps, err := h.svc.Partners(r.Context(), web.Principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"partners": ps})
	return nil
}

func (h *handlers) apiAddPartner(w http.ResponseWriter, r *http.Request) error {
	var in NewPartner
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	pa, err := h.svc.AddPartner(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, pa)
	return nil
}

func (h *handlers) apiRemovePartner(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.RemovePartner(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("pid")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handlers) apiAddContact(w http.ResponseWriter, r *http.Request) error {
	var in ContactDetails
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	c, err := h.svc.AddContact(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("pid"), in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, c)
	return nil
}

func (h *handlers) apiRemoveContact(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.RemoveContact(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("cid")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handlers) apiRevealContact(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	d, err := h.svc.RevealContact(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("cid"), in.Reason)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, d)
	return nil
}

func (h *handlers) apiFigures(w http.ResponseWriter, r *http.Request) error {
	figs, err := h.svc.Figures(r.Context(), web.Principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"figures": figs})
	return nil
}

func (h *handlers) apiAddFigure(w http.ResponseWriter, r *http.Request) error {
	var in NewFigure
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	f, err := h.svc.AddFigure(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, f)
	return nil
}
