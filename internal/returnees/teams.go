package returnees

import (
	"net/http"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
)

type teamRow struct {
	Team
	MemberNames []StaffMember
}

func (h *Handlers) teamsPage(w http.ResponseWriter, r *http.Request, status int, page *web.Page) error {
	p := web.Principal(r)
	teams, err := h.svc.Teams(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	staff, err := h.deps.Staff(r.Context(), p.TenantID, authz.CaseWorker, authz.Supervisor)
	if err != nil {
		return err
	}
	rows := make([]teamRow, len(teams))
	for i, t := range teams {
		rows[i].Team = t
		for _, m := range t.Members {
			rows[i].MemberNames = append(rows[i].MemberNames, StaffMember{ID: m, Name: h.deps.UserName(p.TenantID, m)})
		}
	}
	page.Data = map[string]any{"Teams": rows, "Staff": staff}
	return h.site.Render(w, r, status, "returnees/teams.html", page)
}

func (h *Handlers) teams(w http.ResponseWriter, r *http.Request) error {
	return h.teamsPage(w, r, http.StatusOK, h.site.NewPage(r, "", nil))
}

func (h *Handlers) teamCreate(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	_, err := h.svc.CreateTeam(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PostForm.Get("team_name"))
	if k := errs.KindOf(err); err != nil && (k == errs.Invalid || k == errs.Conflict) {
		page := h.site.NewPage(r, "", nil)
		page.Form = r.PostForm
		field, msg := h.site.FieldMessage(r, err)
		page.Errors = map[string]string{field: msg}
		return h.teamsPage(w, r, http.StatusUnprocessableEntity, page)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/teams?flash=flash.team_created", http.StatusSeeOther)
	return nil
}

func (h *Handlers) teamMember(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	in := r.PostForm.Get("action") != "remove"
	if err := h.svc.SetMember(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PostForm.Get("user"), in); err != nil {
		return err
	}
	http.Redirect(w, r, "/teams?flash=flash.team_changed", http.StatusSeeOther)
	return nil
}
