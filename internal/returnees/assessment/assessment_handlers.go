package assessment

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/i18n"
	"inoculate/internal/platform/web"
	"inoculate/internal/returnees/caseref"
)

// assessmentRow is an assessment as lists and the detail page show it.
type assessmentRow struct {
	Assessment
	Status      Status
	StatusKey   string // catalogue key of the status
	StatusClass string // badge class: ok, warn, danger or none
	Result      string // catalogue key of the result: a level or ready / not ready
	Author      string
	Reviewer    string
	CanReview   bool
}

func (h *handlers) row(p *authz.Principal, page *web.Page, a Assessment, now time.Time) assessmentRow {
	st := a.StatusAt(now)
	return assessmentRow{Assessment: a, Status: st, StatusKey: "assessment.status." + string(st), StatusClass: statusClass[st],
		Result: resultKey(a), Author: h.svc.name(p.TenantID, a.AuthorID), Reviewer: h.svc.name(p.TenantID, a.ReviewerID),
		CanReview: page.Can(PermReview) && a.AuthorID != p.UserID && a.Decision == DecisionNone && st == StatusPending}
}

// NotesLines and ReviewNoteLines split free text into lines for display: pages
// show line breaks as typed without any inline style.
func (r assessmentRow) NotesLines() []string      { return lines(r.Notes) }
func (r assessmentRow) ReviewNoteLines() []string { return lines(r.ReviewNote) }

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

var statusClass = map[Status]string{StatusCurrent: "ok", StatusPending: "warn", StatusExpired: "danger", StatusReturned: "danger"}

func resultKey(a Assessment) string {
	if a.Kind == KindReadiness {
		if a.Ready {
			return "assessment.result.ready"
		}
		return "assessment.result.not_ready"
	}
	return "assessment.level." + string(a.Level)
}

// tabData is what the assessments tab shows. Roles that may see only the answer
// (community liaison, communications) get the clearance panel and nothing else.
type tabData struct {
	Header          caseref.Header
	Clearance       clearanceView
	CanRead         bool
	Latest          []latestView
	History         []assessmentRow
	Create          []Kind
	Threshold       Level
	ThresholdKey    i18n.Key
	Thresholds      []Level
	CanSetThreshold bool
}

type latestView struct {
	Kind Kind
	Row  *assessmentRow
}

func (h *handlers) tab(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	p := web.Principal(r)
	page := h.site.NewPage(r, "", nil)
	now := h.svc.now()
	clr, err := h.svc.Cleared(r.Context(), c.TenantID, c.ID, now)
	if err != nil {
		return err
	}
	d := &tabData{Header: caseref.Header{Case: c, Tab: caseref.TabAssessment},
		Clearance: clearanceView{Cleared: clr.Cleared, Reasons: localize(page.L, clr)},
		CanRead:   page.Can(PermRead), CanSetThreshold: page.Can(PermThreshold), Thresholds: RiskThresholds}
	if d.CanRead {
		list, err := h.svc.Assessments(r.Context(), c.TenantID, c.ID)
		if err != nil {
			return err
		}
		for _, a := range list {
			d.History = append(d.History, h.row(p, page, a, now))
		}
		for _, k := range Kinds {
			lv := latestView{Kind: k}
			if a, ok := Governing(list, k, now); ok {
				row := h.row(p, page, a, now)
				lv.Row = &row
			}
			d.Latest = append(d.Latest, lv)
			if page.Can(PermCreate(k)) && !c.Erased {
				d.Create = append(d.Create, k)
			}
		}
		if d.Threshold, err = h.svc.RiskThreshold(r.Context(), c.TenantID); err != nil {
			return err
		}
		d.ThresholdKey = i18n.Key("assessment.threshold." + string(d.Threshold))
	}
	page.Data = d
	return h.site.Render(w, r, http.StatusOK, "assessment/assessments.html", page)
}

// showData is what the assessment page shows, notes included.
type showData struct {
	Header  caseref.Header
	Row     assessmentRow
	Domains []domainView
	Erased  bool
	Note    string // re-shown review note after bad input
}

type domainView struct {
	Key    string
	Graded bool         // items scored 0…3 (a matrix of radio buttons), else checkboxes
	Scale  []optionView // the column headings of a graded domain
	Items  []itemView
}

type itemView struct {
	Key      string
	Presence bool
	Score    int
	ScaleKey string // catalogue key of the score's label
	Options  []optionView
	Error    string
}

type optionView struct {
	Value   string
	Label   string // catalogue key
	Checked bool
}

func scaleKey(k Kind, it Item, v int) string {
	switch {
	case it.Scale == Presence:
		return "assessment.scale.presence." + strconv.Itoa(v)
	case k == KindReadiness:
		return "assessment.scale.readiness." + strconv.Itoa(v)
	}
	return "assessment.scale.risk." + strconv.Itoa(v)
}

// domains lays out the instrument of k; with scores set, each item shows its score,
// and with form set, each item's options are checked as posted.
func domains(k Kind, scores Scores, form url.Values, errors map[string]string) []domainView {
	in := InstrumentFor(k)
	var out []domainView
	for _, d := range in.Domains {
		dv := domainView{Key: d}
		for _, it := range in.DomainItems(d) {
			iv := itemView{Key: it.Key, Presence: it.Scale == Presence, Error: errors["item."+it.Key]}
			if scores != nil {
				iv.Score = scores[it.Key]
				iv.ScaleKey = scaleKey(k, it, iv.Score)
			}
			posted := form.Get("item." + it.Key)
			for v := 0; v <= it.Scale.Max(); v++ {
				s := strconv.Itoa(v)
				iv.Options = append(iv.Options, optionView{Value: s, Label: scaleKey(k, it, v), Checked: posted == s || (it.Scale == Presence && v == 1 && posted == "on")})
			}
			dv.Items = append(dv.Items, iv)
			if it.Scale == Graded && dv.Scale == nil {
				dv.Graded, dv.Scale = true, iv.Options
			}
		}
		out = append(out, dv)
	}
	return out
}

func (h *handlers) show(w http.ResponseWriter, r *http.Request) error {
	return h.renderShow(w, r, http.StatusOK, nil, "")
}

func (h *handlers) renderShow(w http.ResponseWriter, r *http.Request, status int, fieldErr error, note string) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	p := web.Principal(r)
	a, erased, err := h.svc.OpenAssessment(r.Context(), p, web.RequestID(r.Context()), c, r.PathValue("aid"))
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	if fieldErr != nil {
		field, msg := h.site.FieldMessage(r, fieldErr)
		page.Errors = map[string]string{field: msg}
		if field == "" {
			page.Errors = map[string]string{"note": msg}
		}
	}
	page.Data = &showData{Header: caseref.Header{Case: c, Tab: caseref.TabAssessment}, Row: h.row(p, page, a, h.svc.now()),
		Domains: domains(a.Kind, a.Scores, nil, nil), Erased: erased || c.Erased, Note: note}
	return h.site.Render(w, r, status, "assessment/assessment.html", page)
}

// formData is what the new-assessment form shows.
type formData struct {
	Header  caseref.Header
	Kind    Kind
	Domains []domainView
	Inst    Instrument
	Levels  []Level
	Today   string
}

func (h *handlers) newForm(k Kind) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return h.renderForm(w, r, k, http.StatusOK, nil)
	}
}

func (h *handlers) renderForm(w http.ResponseWriter, r *http.Request, k Kind, status int, fieldErr error) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	if c.Erased {
		return errErased
	}
	page := h.site.NewPage(r, "", nil)
	page.Form = r.PostForm
	if page.Form == nil {
		page.Form = url.Values{}
	}
	if fieldErr != nil {
		field, msg := h.site.FieldMessage(r, fieldErr)
		page.Errors = map[string]string{field: msg}
	}
	page.Data = &formData{Header: caseref.Header{Case: c, Tab: caseref.TabAssessment}, Kind: k,
		Domains: domains(k, nil, page.Form, page.Errors), Inst: InstrumentFor(k), Levels: ThreatLevels,
		Today: date(Day(h.svc.now()))}
	return h.site.Render(w, r, status, "assessment/assessment_new.html", page)
}

func (h *handlers) create(k Kind) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := web.ParseForm(r); err != nil {
			return err
		}
		c, err := h.openCase(r)
		if err != nil {
			return err
		}
		a, err := h.createFromForm(r, c, k)
		if errs.Is(err, errs.Invalid) {
			return h.renderForm(w, r, k, http.StatusUnprocessableEntity, err)
		}
		if err != nil {
			return err
		}
		http.Redirect(w, r, "/returnees/"+c.ID+"/assessments/"+a.ID+"?flash=flash.assessment_created", http.StatusSeeOther)
		return nil
	}
}

func (h *handlers) createFromForm(r *http.Request, c caseref.Case, k Kind) (Assessment, error) {
	f := r.PostForm
	inst := InstrumentFor(k)
	scores, err := ParseFormScores(k, f)
	if err != nil {
		return Assessment{}, err
	}
	days, err := parseDays("validity_days", f.Get("validity_days"), inst.DefaultDays, inst.MinDays, inst.MaxDays)
	if err != nil {
		return Assessment{}, err
	}
	in := NewAssessment{Kind: k, AssessedOn: f.Get("assessed_on"), ValidityDays: days, Scores: scores, Notes: f.Get("notes")}
	if k == KindThreat {
		in.Level = Level(f.Get("level"))
	}
	return h.svc.CreateAssessment(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, in)
}

func (h *handlers) review(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	rv := Review{Decision: Decision(r.PostForm.Get("decision")), Note: r.PostForm.Get("note")}
	_, err = h.svc.ReviewAssessment(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, r.PathValue("aid"), rv)
	if errs.Is(err, errs.Invalid) {
		return h.renderShow(w, r, http.StatusUnprocessableEntity, err, rv.Note)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/returnees/"+c.ID+"/assessments?flash=flash.assessment_reviewed", http.StatusSeeOther)
	return nil
}

func (h *handlers) setThreshold(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	if err := h.svc.SetRiskThreshold(r.Context(), web.Principal(r), web.RequestID(r.Context()), Level(r.PostForm.Get("threshold"))); err != nil {
		return err
	}
	next := web.SafeNext(r.PostForm.Get("next"))
	sep := "?"
	if u, err := url.Parse(next); err == nil && u.RawQuery != "" {
		sep = "&"
	}
	http.Redirect(w, r, next+sep+"flash=flash.risk_threshold_saved", http.StatusSeeOther)
	return nil
}

// The API.

// clearedResponse is the API contract of GET /api/v1/returnees/{id}/cleared:
// "reasons" holds the texts of the failing checks (empty when cleared), "checks"
// every check with its outcome.
type clearedResponse struct {
	Cleared bool         `json:"cleared"`
	Reasons []string     `json:"reasons"`
	Checks  []reasonView `json:"checks"`
}

func (h *handlers) apiCleared(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	clr, err := h.svc.Cleared(r.Context(), c.TenantID, c.ID, h.svc.now())
	if err != nil {
		return err
	}
	resp := clearedResponse{Cleared: clr.Cleared, Reasons: []string{}, Checks: localize(h.site.I18n.For(web.Lang(r.Context())), clr)}
	for _, rv := range resp.Checks {
		if !rv.OK {
			resp.Reasons = append(resp.Reasons, rv.Text)
		}
	}
	web.WriteJSON(w, http.StatusOK, resp)
	return nil
}

// apiAssessment is an assessment in the API, dates as YYYY-MM-DD.
type apiAssessment struct {
	Assessment
	AssessedOn string  `json:"assessed_on"`
	ExpiresOn  string  `json:"expires_on"`
	Status     Status  `json:"status"`
	ReviewedAt *string `json:"reviewed_at,omitempty"`
}

func (h *handlers) toAPI(a Assessment) apiAssessment {
	out := apiAssessment{Assessment: a, AssessedOn: date(a.AssessedOn), ExpiresOn: date(a.ExpiresOn()), Status: a.StatusAt(h.svc.now())}
	if !a.ReviewedAt.IsZero() {
		s := a.ReviewedAt.UTC().Format(time.RFC3339)
		out.ReviewedAt = &s
	}
	return out
}

func (h *handlers) apiList(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	list, err := h.svc.Assessments(r.Context(), c.TenantID, c.ID)
	if err != nil {
		return err
	}
	out := make([]apiAssessment, len(list))
	for i, a := range list {
		out[i] = h.toAPI(a)
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"assessments": out})
	return nil
}

func (h *handlers) apiGet(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	a, _, err := h.svc.OpenAssessment(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, r.PathValue("aid"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, h.toAPI(a))
	return nil
}

// createRequest is the body of POST /api/v1/returnees/{id}/assessments/{kind}.
type createRequest struct {
	AssessedOn   string          `json:"assessed_on"`
	ValidityDays int             `json:"validity_days"`
	Items        json.RawMessage `json:"items"`
	Level        string          `json:"level"` // retaliation_threat only
	Notes        string          `json:"notes"`
}

func (h *handlers) apiCreate(k Kind) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req createRequest
		// Open the case first: another tenant's or caseload's id is not found,
		// whatever the body says.
		c, err := h.openCase(r)
		if err != nil {
			return err
		}
		if err := web.DecodeJSON(r, &req); err != nil {
			return err
		}
		scores, err := ParseJSONScores(k, req.Items)
		if err != nil {
			return err
		}
		if k != KindThreat && req.Level != "" {
			return invalid("level", "assessment.error.level_computed", "the level of this kind is computed from the items, not given")
		}
		a, err := h.svc.CreateAssessment(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, NewAssessment{Kind: k,
			AssessedOn: req.AssessedOn, ValidityDays: req.ValidityDays, Scores: scores, Level: Level(req.Level), Notes: req.Notes})
		if err != nil {
			return err
		}
		a.Notes = "" // the author's own words need not travel back
		web.WriteJSON(w, http.StatusCreated, h.toAPI(a))
		return nil
	}
}

func (h *handlers) apiReview(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Decision string `json:"decision"`
		Note     string `json:"note"`
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
	a, err := h.svc.ReviewAssessment(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, r.PathValue("aid"),
		Review{Decision: Decision(req.Decision), Note: req.Note})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, h.toAPI(a))
	return nil
}

func (h *handlers) apiThreshold(w http.ResponseWriter, r *http.Request) error {
	l, err := h.svc.RiskThreshold(r.Context(), web.Principal(r).TenantID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"threshold": l, "choices": RiskThresholds})
	return nil
}

func (h *handlers) apiSetThreshold(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Threshold string `json:"threshold"`
	}
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.svc.SetRiskThreshold(r.Context(), web.Principal(r), web.RequestID(r.Context()), Level(req.Threshold)); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"threshold": req.Threshold})
	return nil
}
