package returnees

import (
	"net/http"
	"strconv"
	"time"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
	"inoculate/internal/returnees/caseref"
)

type accessData struct {
	Case     caseref.Case
	Requests []AccessRequest
	Active   bool
	Identity *Identity
	Reason   string
}

func (h *Handlers) accessData(r *http.Request) (*accessData, error) {
	p := web.Principal(r)
	c, err := h.svc.Open(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	reqs, err := h.svc.AccessRequests(r.Context(), p, c.ID)
	if err != nil {
		return nil, err
	}
	d := &accessData{Case: c, Requests: reqs}
	now := time.Now()
	for _, a := range reqs {
		if a.RequestedBy == p.UserID && a.Active(now) {
			d.Active = true
		}
	}
	return d, nil
}

func (h *Handlers) accessPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.accessData(r)
	if err != nil {
		return err
	}
	return h.site.Render(w, r, http.StatusOK, "returnees/access.html", h.site.NewPage(r, "", d))
}

func (h *Handlers) accessRequest(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	_, err := h.svc.RequestAccess(r.Context(), web.Principal(r), web.RequestID(r.Context()), id, r.PostForm.Get("reason"))
	if errs.KindOf(err) == errs.Invalid {
		d, derr := h.accessData(r)
		if derr != nil {
			return derr
		}
		page := h.site.NewPage(r, "", d)
		page.Form = r.PostForm
		field, msg := h.site.FieldMessage(r, err)
		page.Errors = map[string]string{field: msg}
		return h.site.Render(w, r, http.StatusUnprocessableEntity, "returnees/access.html", page)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/returnees/"+id+"/access?flash=flash.access_requested", http.StatusSeeOther)
	return nil
}

func (h *Handlers) accessReveal(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	d, err := h.accessData(r)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", d)
	idn, err := h.svc.Reveal(r.Context(), web.Principal(r), web.RequestID(r.Context()), d.Case.ID, r.PostForm.Get("reason"))
	if errs.KindOf(err) == errs.Invalid {
		field, msg := h.site.FieldMessage(r, err)
		page.Errors = map[string]string{field: msg}
		d.Reason = r.PostForm.Get("reason")
		return h.site.Render(w, r, http.StatusUnprocessableEntity, "returnees/access.html", page)
	}
	if err != nil {
		return err
	}
	d.Identity = &idn
	return h.site.Render(w, r, http.StatusOK, "returnees/access.html", page)
}

type custodyRow struct {
	AccessRequest
	Requester string
	Decider   string
	Active    bool
}

func (h *Handlers) custody(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	reqs, err := h.svc.AccessRequests(r.Context(), p, "")
	if err != nil {
		return err
	}
	now := time.Now()
	rows := make([]custodyRow, len(reqs))
	for i, a := range reqs {
		rows[i] = custodyRow{AccessRequest: a, Requester: h.deps.UserName(p.TenantID, a.RequestedBy), Active: a.Active(now)}
		if a.DecidedBy != "" {
			rows[i].Decider = h.deps.UserName(p.TenantID, a.DecidedBy)
		}
	}
	page := h.site.NewPage(r, "", map[string]any{"Rows": rows, "Me": p.UserID})
	return h.site.Render(w, r, http.StatusOK, "returnees/custody.html", page)
}

func (h *Handlers) custodyDecide(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	hours, _ := strconv.Atoi(r.PostForm.Get("hours"))
	err := h.svc.DecideAccess(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"),
		r.PostForm.Get("decision") == "approve", time.Duration(hours)*time.Hour)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/custody?flash=flash.access_decided", http.StatusSeeOther)
	return nil
}

func (h *Handlers) apiAccessRequest(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Reason string `json:"reason"`
	}
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	a, err := h.svc.RequestAccess(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), req.Reason)
	if err != nil {
		return err
	}
	a.Reason = ""
	web.WriteJSON(w, http.StatusCreated, a)
	return nil
}

func (h *Handlers) apiAccessReveal(w http.ResponseWriter, r *http.Request) error {
	return h.apiReveal(w, r)
}

func (h *Handlers) apiAccessList(w http.ResponseWriter, r *http.Request) error {
	reqs, err := h.svc.AccessRequests(r.Context(), web.Principal(r), "")
	if err != nil {
		return err
	}
	if reqs == nil {
		reqs = []AccessRequest{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"requests": reqs})
	return nil
}

func (h *Handlers) apiAccessDecide(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Approve bool `json:"approve"`
		Hours   int  `json:"hours"`
	}
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.svc.DecideAccess(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), req.Approve, time.Duration(req.Hours)*time.Hour); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]bool{"approved": req.Approve})
	return nil
}
