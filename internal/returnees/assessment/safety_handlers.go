package assessment

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
	"inoculate/internal/returnees/caseref"
)

// safetyData is what the safety tab shows.
type safetyData struct {
	Header      caseref.Header
	Plan        *planView
	PlanBy      string
	Versions    []versionRow
	CanEditPlan bool
	CheckIns    []checkInRow
	Due         Due
	DueToday    bool
	Today       string
	Wellbeing   []int
	Erased      bool
}

// planView is the plan as the page shows it.
type planView struct{ SafetyPlan }

func (p planView) MeasuresLines() []string   { return lines(p.Measures) }
func (p planView) RelocationLines() []string { return lines(p.RelocationNotes) }

type versionRow struct {
	PlanVersion
	By string
}

type checkInRow struct {
	CheckIn
	By string
}

func (c checkInRow) ConcernsLines() []string { return lines(c.Concerns) }

func (h *handlers) safety(w http.ResponseWriter, r *http.Request) error {
	return h.renderSafety(w, r, http.StatusOK, nil)
}

func (h *handlers) renderSafety(w http.ResponseWriter, r *http.Request, status int, fieldErr error) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	p := web.Principal(r)
	rid := web.RequestID(r.Context())
	page := h.site.NewPage(r, "", nil)
	page.Form = r.PostForm
	if page.Form == nil {
		page.Form = url.Values{}
	}
	if fieldErr != nil {
		field, msg := h.site.FieldMessage(r, fieldErr)
		page.Errors = map[string]string{field: msg}
	}
	now := h.svc.now()
	d := &safetyData{Header: caseref.Header{Case: c, Tab: caseref.TabSafety}, CanEditPlan: page.Can(PermSafetyWrite) && !c.Erased,
		Today: date(Day(now)), Wellbeing: []int{1, 2, 3, 4, 5}, Erased: c.Erased}
	sp, ok, err := h.svc.OpenSafetyPlan(r.Context(), p, rid, c)
	if err != nil {
		return err
	}
	if ok {
		sp.Erased = sp.Erased || c.Erased
		d.Plan = &planView{sp}
		d.PlanBy = h.svc.name(p.TenantID, sp.CreatedBy)
		vs, err := h.svc.SafetyPlanVersions(r.Context(), c.TenantID, c.ID)
		if err != nil {
			return err
		}
		for _, v := range vs {
			d.Versions = append(d.Versions, versionRow{PlanVersion: v, By: h.svc.name(p.TenantID, v.CreatedBy)})
		}
	}
	cis, err := h.svc.OpenCheckIns(r.Context(), p, rid, c)
	if err != nil {
		return err
	}
	for _, ci := range cis {
		ci.Erased = ci.Erased || c.Erased
		d.CheckIns = append(d.CheckIns, checkInRow{CheckIn: ci, By: h.svc.name(p.TenantID, ci.HeldBy)})
	}
	if d.Due, err = h.svc.CheckInDue(r.Context(), c.TenantID, c.ID, now); err != nil {
		return err
	}
	d.DueToday = !d.Due.DueOn.IsZero() && d.Due.DueOn.Equal(Day(now))
	page.Data = d
	return h.site.Render(w, r, status, "assessment/safety.html", page)
}

func parseWellbeing(s string) (int, error) {
	n, err := parseScore(strings.TrimSpace(s), MaxWellbeing)
	if err != nil || n < MinWellbeing {
		return 0, invalid("wellbeing", "assessment.error.wellbeing", "rate well-being from 1 (very poor) to 5 (very good)")
	}
	return n, nil
}

func (h *handlers) checkIn(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	wb, err := parseWellbeing(f.Get("wellbeing"))
	if err == nil {
		_, err = h.svc.RecordCheckIn(r.Context(), web.Principal(r), web.RequestID(r.Context()), c,
			NewCheckIn{HeldOn: f.Get("held_on"), Wellbeing: wb, Concerns: f.Get("concerns"), NextDue: f.Get("next_due")})
	}
	if errs.Is(err, errs.Invalid) {
		return h.renderSafety(w, r, http.StatusUnprocessableEntity, err)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/returnees/"+c.ID+"/safety?flash=flash.checkin_recorded", http.StatusSeeOther)
	return nil
}

// planFormData is what the safety plan form shows.
type planFormData struct {
	Header      caseref.Header
	BaseVersion int
	Contacts    []contactRow
	MinEvery    int
	MaxEvery    int
}

type contactRow struct {
	N                 int
	Name, Phone       string
	NameKey, PhoneKey string
}

func (h *handlers) planForm(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	if c.Erased {
		return errErased
	}
	sp, ok, err := h.svc.OpenSafetyPlan(r.Context(), web.Principal(r), web.RequestID(r.Context()), c)
	if err != nil {
		return err
	}
	form := url.Values{"checkin_every_days": {strconv.Itoa(DefaultCheckInEvery)}, "base_version": {"0"}}
	if ok {
		form.Set("base_version", strconv.Itoa(sp.Version))
		form.Set("measures", sp.Measures)
		if sp.Relocation {
			form.Set("relocation", "on")
		}
		form.Set("relocation_notes", sp.RelocationNotes)
		form.Set("checkin_every_days", strconv.Itoa(sp.CheckInEveryDays))
		for i, ct := range sp.Contacts {
			form.Set("contact_name_"+strconv.Itoa(i+1), ct.Name)
			form.Set("contact_phone_"+strconv.Itoa(i+1), ct.Phone)
		}
	}
	return h.renderPlanForm(w, r, c, http.StatusOK, form, nil)
}

func (h *handlers) renderPlanForm(w http.ResponseWriter, r *http.Request, c caseref.Case, status int, form url.Values, fieldErr error) error {
	page := h.site.NewPage(r, "", nil)
	page.Form = form
	if fieldErr != nil {
		field, msg := h.site.FieldMessage(r, fieldErr)
		page.Errors = map[string]string{field: msg}
	}
	base, _ := strconv.Atoi(form.Get("base_version"))
	d := &planFormData{Header: caseref.Header{Case: c, Tab: caseref.TabSafety}, BaseVersion: base, MinEvery: MinCheckInEvery, MaxEvery: MaxCheckInEvery}
	for i := 1; i <= maxContacts; i++ {
		n := strconv.Itoa(i)
		d.Contacts = append(d.Contacts, contactRow{N: i, Name: form.Get("contact_name_" + n), Phone: form.Get("contact_phone_" + n),
			NameKey: "contact_name_" + n, PhoneKey: "contact_phone_" + n})
	}
	page.Data = d
	return h.site.Render(w, r, status, "assessment/safety_plan.html", page)
}

// planFromForm reads the safety plan form.
func planFromForm(f url.Values) (NewSafetyPlan, error) {
	in := NewSafetyPlan{Measures: f.Get("measures"), RelocationNotes: f.Get("relocation_notes")}
	switch f.Get("relocation") {
	case "", "0", "off":
	case "on", "1", "true":
		in.Relocation = true
	default:
		return in, invalid("relocation", "error.bad_request", "relocation must be on or off")
	}
	base, err := strconv.Atoi(strings.TrimSpace(f.Get("base_version")))
	if err != nil || base < 0 {
		return in, invalid("base_version", "error.bad_request", "the form is incomplete: reload it")
	}
	in.BaseVersion = base
	if in.CheckInEveryDays, err = parseDays("checkin_every_days", f.Get("checkin_every_days"), DefaultCheckInEvery, MinCheckInEvery, MaxCheckInEvery); err != nil {
		return in, err
	}
	for i := 1; i <= maxContacts; i++ {
		n := strconv.Itoa(i)
		in.Contacts = append(in.Contacts, Contact{Name: f.Get("contact_name_" + n), Phone: f.Get("contact_phone_" + n)})
	}
	return in, nil
}

func (h *handlers) savePlan(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	in, err := planFromForm(r.PostForm)
	if err == nil {
		_, err = h.svc.SaveSafetyPlan(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, in)
	}
	if k := errs.KindOf(err); err != nil && (k == errs.Invalid || k == errs.Conflict) && !c.Erased {
		// Re-show what was typed, with the message; on a concurrent save the editor
		// keeps their text and reloads the plan in another tab to merge.
		return h.renderPlanForm(w, r, c, http.StatusUnprocessableEntity, r.PostForm, err)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/returnees/"+c.ID+"/safety?flash=flash.safety_plan_saved", http.StatusSeeOther)
	return nil
}

// The API.

type apiPlan struct {
	SafetyPlan
	CreatedAt string `json:"created_at"`
}

func (h *handlers) apiPlan(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	sp, ok, err := h.svc.OpenSafetyPlan(r.Context(), web.Principal(r), web.RequestID(r.Context()), c)
	if err != nil {
		return err
	}
	if !ok {
		return &errs.Error{Kind: errs.NotFound, MsgKey: "assessment.error.no_plan", Msg: "this returnee has no safety plan yet"}
	}
	web.WriteJSON(w, http.StatusOK, apiPlan{SafetyPlan: sp, CreatedAt: sp.CreatedAt.Format(time.RFC3339)})
	return nil
}

// planRequest is the body of POST /api/v1/returnees/{id}/safety-plan: a new version
// based on base_version (0 for the first plan).
type planRequest struct {
	BaseVersion      *int      `json:"base_version"`
	Measures         string    `json:"measures"`
	Relocation       bool      `json:"relocation"`
	RelocationNotes  string    `json:"relocation_notes"`
	Contacts         []Contact `json:"emergency_contacts"`
	CheckInEveryDays int       `json:"checkin_every_days"`
}

func (h *handlers) apiSavePlan(w http.ResponseWriter, r *http.Request) error {
	var req planRequest
	c, err := h.openCase(r) // first: another tenant's case is not found, whatever the body
	if err != nil {
		return err
	}
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	if req.BaseVersion == nil {
		return invalid("base_version", "assessment.error.base_version", "base_version is required: the version your change is based on, 0 for the first plan")
	}
	sp, err := h.svc.SaveSafetyPlan(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, NewSafetyPlan{BaseVersion: *req.BaseVersion,
		Measures: req.Measures, Relocation: req.Relocation, RelocationNotes: req.RelocationNotes, Contacts: req.Contacts, CheckInEveryDays: req.CheckInEveryDays})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"id": sp.ID, "version": sp.Version})
	return nil
}

type apiCheckIn struct {
	CheckIn
	HeldOn  string `json:"held_on"`
	NextDue string `json:"next_due"`
}

type apiDue struct {
	Due
	DueOn *string `json:"due_on"`
}

func toAPIDue(d Due) apiDue {
	out := apiDue{Due: d}
	if !d.DueOn.IsZero() {
		s := date(d.DueOn)
		out.DueOn = &s
	}
	return out
}

func (h *handlers) apiCheckIns(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	cis, err := h.svc.OpenCheckIns(r.Context(), web.Principal(r), web.RequestID(r.Context()), c)
	if err != nil {
		return err
	}
	due, err := h.svc.CheckInDue(r.Context(), c.TenantID, c.ID, h.svc.now())
	if err != nil {
		return err
	}
	out := make([]apiCheckIn, len(cis))
	for i, ci := range cis {
		out[i] = apiCheckIn{CheckIn: ci, HeldOn: date(ci.HeldOn), NextDue: date(ci.NextDue)}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"checkins": out, "next": toAPIDue(due)})
	return nil
}

func (h *handlers) apiCheckIn(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		HeldOn    string `json:"held_on"`
		Wellbeing int    `json:"wellbeing"`
		Concerns  string `json:"concerns"`
		NextDue   string `json:"next_due"`
	}
	// Open the case first: another tenant's or caseload's id is not found,
	// whatever the body says.
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	ci, err := h.svc.RecordCheckIn(r.Context(), web.Principal(r), web.RequestID(r.Context()), c,
		NewCheckIn{HeldOn: req.HeldOn, Wellbeing: req.Wellbeing, Concerns: req.Concerns, NextDue: req.NextDue})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"id": ci.ID, "held_on": date(ci.HeldOn), "next_due": date(ci.NextDue)})
	return nil
}

// apiOverdue lists the overdue check-ins of the cases the caller may see: a case
// worker's list holds their caseload only.
func (h *handlers) apiOverdue(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	list, err := h.svc.Overdue(r.Context(), p.TenantID, h.svc.now())
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, d := range list {
		c, err := h.cases.Open(r.Context(), p, d.ReturneeID)
		if errs.Is(err, errs.NotFound) || (err == nil && c.Erased) {
			continue
		}
		if err != nil {
			return err
		}
		ad := toAPIDue(d)
		out = append(out, map[string]any{"returnee_id": c.ID, "alias": c.Alias, "due_on": ad.DueOn, "days_overdue": d.DaysOverdue, "source": d.Source})
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"overdue": out})
	return nil
}
