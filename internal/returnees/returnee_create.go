package returnees

import (
	"net/http"
	"strings"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
)

// intakeData is what the intake form offers to choose from.
type intakeData struct {
	Staff []StaffMember
	Teams []Team
}

func (h *Handlers) intakeData(r *http.Request) (intakeData, error) {
	p := web.Principal(r)
	staff, err := h.deps.Staff(r.Context(), p.TenantID, authz.CaseWorker, authz.Supervisor)
	if err != nil {
		return intakeData{}, err
	}
	teams, err := h.svc.Teams(r.Context(), p.TenantID)
	return intakeData{Staff: staff, Teams: teams}, err
}

func (h *Handlers) newForm(w http.ResponseWriter, r *http.Request) error {
	d, err := h.intakeData(r)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", d)
	if web.Principal(r).Role == authz.CaseWorker {
		page.Form = map[string][]string{"case_worker": {web.Principal(r).UserID}}
	}
	return h.site.Render(w, r, http.StatusOK, "returnees/new.html", page)
}

func (h *Handlers) create(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	in := NewReturnee{Alias: f.Get("alias"), Identity: Identity{
		LegalName: f.Get("legal_name"), BirthDate: f.Get("birth_date"), Phone: f.Get("phone"), Address: f.Get("address")},
		HomeCommunity: f.Get("home_community"), Languages: []string{f.Get("languages")}, ReturnedOn: f.Get("returned_on"),
		CaseWorkerID: f.Get("case_worker"), TeamID: f.Get("team")}
	ret, err := h.svc.Create(r.Context(), web.Principal(r), web.RequestID(r.Context()), in)
	if k := errs.KindOf(err); err != nil && (k == errs.Invalid || k == errs.Conflict) {
		// Show the form again with the message next to the field. Identity values are
		// re-shown only in this response to the person who typed them, never stored.
		d, derr := h.intakeData(r)
		if derr != nil {
			return derr
		}
		page := h.site.NewPage(r, "", d)
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

// createRequest is the API contract: POST /api/v1/returnees. The fields after address
// were added with the caseload; the first five are the original contract.
type createRequest struct {
	Alias         string   `json:"alias"`
	LegalName     string   `json:"legal_name"`
	BirthDate     string   `json:"birth_date"`
	Phone         string   `json:"phone"`
	Address       string   `json:"address"`
	HomeCommunity string   `json:"home_community"`
	Languages     []string `json:"languages"`
	ReturnedOn    string   `json:"returned_on"`
	CaseWorkerID  string   `json:"case_worker_id"`
	TeamID        string   `json:"team_id"`
}

func (h *Handlers) apiCreate(w http.ResponseWriter, r *http.Request) error {
	var req createRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	ret, err := h.svc.Create(r.Context(), web.Principal(r), web.RequestID(r.Context()), NewReturnee{Alias: req.Alias,
		Identity:      Identity{LegalName: req.LegalName, BirthDate: req.BirthDate, Phone: req.Phone, Address: req.Address},
		HomeCommunity: req.HomeCommunity, Languages: req.Languages, ReturnedOn: req.ReturnedOn,
		CaseWorkerID: strings.TrimSpace(req.CaseWorkerID), TeamID: strings.TrimSpace(req.TeamID)})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, map[string]string{"id": ret.ID, "alias": ret.Alias})
	return nil
}
