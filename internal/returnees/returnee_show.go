package returnees

import (
	"net/http"

	"inoculate/internal/platform/web"
	"inoculate/internal/returnees/caseref"
)

// showData is what the case overview shows. Identity is set only in the response to
// a reveal, to the person who revealed it.
type showData struct {
	Header     caseref.Header
	Returnee   Returnee
	CaseWorker string
	Team       string
	Identity   *Identity
	Reveals    []revealRow
	Moves      []moveRow
	Next       []Stage
	Stages     []Stage
	Glance     *Glance
	Pending    *ErasureRequest
	PendingBy  string
	Requests   []AccessRequest
	Intake     intakeData
	CanReveal  bool
	CanErase   bool
	CanMove    bool
	CanAssign  bool
	Reason     string
}

type revealRow struct {
	User string
	Reveal
}

type moveRow struct {
	User string
	Move
}

func (h *Handlers) showData(r *http.Request, page *web.Page, id string) (*showData, error) {
	ctx, p := r.Context(), web.Principal(r)
	c, err := h.svc.Open(ctx, p, id)
	if err != nil {
		return nil, err
	}
	ret, err := h.svc.Get(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	d := &showData{Header: caseref.Header{Case: c, Tab: caseref.TabOverview}, Returnee: ret,
		CanReveal: page.Can(PermReveal) && !ret.Erased, CanErase: page.Can(PermErase) && !ret.Erased,
		CanMove: page.Can(PermMove) && !ret.Erased, CanAssign: page.Can(PermAssign), Stages: Stages}
	if ret.CaseWorkerID != "" {
		d.CaseWorker = h.deps.UserName(p.TenantID, ret.CaseWorkerID)
	}
	teams, err := h.svc.Teams(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		if t.ID == ret.TeamID {
			d.Team = t.Name
		}
	}
	if d.CanAssign {
		if d.Intake, err = h.intakeData(r); err != nil {
			return nil, err
		}
	}
	if d.CanMove {
		d.Next = NextStages(ret.Stage)
	}
	if d.CanReveal || d.CanErase {
		revs, err := h.svc.Reveals(ctx, p.TenantID, id)
		if err != nil {
			return nil, err
		}
		for _, rv := range revs {
			d.Reveals = append(d.Reveals, revealRow{User: h.deps.UserName(p.TenantID, rv.UserID), Reveal: rv})
		}
	}
	if d.CanMove || d.CanReveal {
		moves, err := h.svc.Moves(ctx, p, id)
		if err != nil {
			return nil, err
		}
		for _, m := range moves {
			d.Moves = append(d.Moves, moveRow{User: h.deps.UserName(p.TenantID, m.UserID), Move: m})
		}
	}
	if h.deps.Glance != nil {
		g, err := h.deps.Glance(ctx, p, id)
		if err != nil {
			return nil, err
		}
		d.Glance = &g
	}
	if d.CanErase {
		if d.Pending, err = h.svc.PendingErasure(ctx, p.TenantID, id); err != nil {
			return nil, err
		}
		if d.Pending != nil {
			d.PendingBy = h.deps.UserName(p.TenantID, d.Pending.RequestedBy)
		}
	}
	if page.Can(PermCustody) {
		if d.Requests, err = h.svc.AccessRequests(ctx, p, id); err != nil {
			return nil, err
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
	p := web.Principal(r)
	if _, err := h.svc.Open(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	ret, err := h.svc.Get(r.Context(), p.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	// The API contract: never identity fields here, only what lists show.
	web.WriteJSON(w, http.StatusOK, ret)
	return nil
}
