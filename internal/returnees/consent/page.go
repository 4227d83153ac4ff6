package consent

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
	"inoculate/internal/returnees/caseref"
)

// pageData is what consent.html shows: the current consent in plain words, its
// safeguards, the history, and the forms (new version, withdrawal, the question).
type pageData struct {
	Header      caseref.Header
	Current     *versionView
	History     []versionView
	CanGive     bool
	CanWithdraw bool
	Form        formView
	Ask         askView
	// Error is a refusal that belongs to no field (e.g. the legal officer on the
	// agreement may not take consent), shown above the new-version form.
	Error string
	// WithdrawError is a refusal of the withdrawal form (already withdrawn).
	WithdrawError string
	Reason        string // the withdrawal reason, re-shown after bad input
	Statement     string // the statement, in the reader's language
}

// versionView is a version in the reader's words.
type versionView struct {
	V           Version
	StatusLabel string
	StatusClass string // badge class: ok, warn, danger
	Uses        []string
	Level       string
	LevelDesc   string
	Audiences   []string
	Languages   []string
	Until       string // the last day it holds, localised
	TakenBy     string
	InCustody   string // yes / no, localised
	Advisor     string
	Statement   string // the statement read out, by its stored key
	// Short forms for the history table.
	UsesText, AudiencesText, LanguagesText string
	Expired                                bool
	Withdrawn                              bool
}

// option is a checkbox, radio or select option of a form.
type option struct {
	Value, Label, Hint string
	Checked            bool
}

type formView struct {
	Uses, Levels, Audiences []option
	Communities             string // one per line
	Languages               string // comma-separated
	Expires                 string
	Today                   string // the earliest end date
	InCustody               string // "yes", "no" or "" (never prefilled: asked afresh each time)
	AdvisorPresent          string
	Statement               bool // re-shown checked only after a post that checked it
}

type askView struct {
	Uses, Levels, Audiences []option
	Community, Language     string
	Asked                   bool
	Error                   string
	Allowed                 bool
	Reason                  string
	Version                 int
	Concern                 bool
}

func (h *Handlers) newData(r *http.Request, page *web.Page, c caseref.Case) (*pageData, error) {
	p := web.Principal(r)
	hist, err := h.svc.History(r.Context(), p.TenantID, c.ID)
	if err != nil {
		return nil, err
	}
	d := &pageData{Header: caseref.Header{Case: c, Tab: caseref.TabConsent}, Statement: page.T(StatementKey)}
	now := h.svc.now()
	for i, v := range hist {
		d.History = append(d.History, h.view(page, p.TenantID, v, now, i == 0))
	}
	if len(d.History) > 0 {
		d.Current = &d.History[0]
	}
	d.CanGive = page.Can(PermGive) && !c.Erased
	d.CanWithdraw = page.Can(PermWithdraw) && d.Current != nil && !d.Current.Withdrawn
	if d.Current != nil && !d.Current.Withdrawn {
		d.Form = h.formFromVersion(page, d.Current.V, now)
	} else {
		d.Form = h.formFromValues(page, url.Values{}, now)
	}
	d.Ask = h.askFrom(page, url.Values{})
	if d.Current != nil && !d.Current.Withdrawn && len(d.Current.V.Languages) > 0 {
		d.Ask.Language = d.Current.V.Languages[0]
	}
	return d, nil
}

// view describes v; current is false for the versions a later one replaced.
func (h *Handlers) view(page *web.Page, tenantID string, v Version, now time.Time, current bool) versionView {
	vv := versionView{V: v, TakenBy: h.svc.userName(tenantID, v.TakenBy), Withdrawn: v.Status == StatusWithdrawn,
		Expired: v.Expired(now), InCustody: yesNo(page, v.InCustody), Advisor: yesNo(page, v.AdvisorPresent)}
	switch {
	case vv.Withdrawn:
		vv.StatusLabel, vv.StatusClass = page.T("consent.status_withdrawn"), "danger"
	case !current:
		vv.StatusLabel, vv.StatusClass = page.T("consent.status_superseded"), ""
	case vv.Expired:
		vv.StatusLabel, vv.StatusClass = page.T("consent.status_expired"), "warn"
	default:
		vv.StatusLabel, vv.StatusClass = page.T("consent.status_active"), "ok"
	}
	for _, u := range v.Uses {
		vv.Uses = append(vv.Uses, page.T("consent.use."+string(u)))
	}
	if v.IdentityLevel != "" {
		vv.Level = page.T("consent.level." + string(v.IdentityLevel))
		vv.LevelDesc = page.T("consent.level_desc." + string(v.IdentityLevel))
	}
	for _, a := range v.Audiences {
		vv.Audiences = append(vv.Audiences, page.T("consent.audience_covers."+string(a)))
	}
	for _, l := range v.Languages {
		vv.Languages = append(vv.Languages, languageName(page, l))
	}
	sep := page.T("consent.list_separator")
	vv.UsesText = strings.Join(vv.Uses, sep)
	vv.LanguagesText = strings.Join(v.Languages, ", ") // tags read left to right in every language
	var short []string
	for _, a := range v.Audiences {
		label := page.T("consent.audience." + string(a))
		if a == AudienceNamedCommunities && len(v.Communities) > 0 {
			label += " (" + strings.Join(v.Communities, sep) + ")"
		}
		short = append(short, label)
	}
	vv.AudiencesText = strings.Join(short, sep)
	if end := v.End(); !end.IsZero() {
		vv.Until = page.L.Date(end.AddDate(0, 0, -1))
	}
	if v.StatementKey != "" && page.L.Has(v.StatementKey) {
		vv.Statement = page.T(v.StatementKey)
	}
	return vv
}

func yesNo(page *web.Page, b bool) string {
	if b {
		return page.T("consent.yes")
	}
	return page.T("consent.no")
}

// languageName shows a tag with the name of its language when the catalogue has it:
// "Arabic (ar-eg)".
func languageName(page *web.Page, tag string) string {
	primary, _, _ := strings.Cut(tag, "-")
	if key := "consent.language." + primary; page.L.Has(key) {
		return page.T(key) + " (" + tag + ")"
	}
	return tag
}

func (h *Handlers) options(page *web.Page, selected []string) (uses, levels, audiences []option) {
	for _, u := range Uses {
		uses = append(uses, option{Value: string(u), Label: page.T("consent.use." + string(u)), Checked: slices.Contains(selected, string(u))})
	}
	for _, l := range Levels {
		levels = append(levels, option{Value: string(l), Label: page.T("consent.level." + string(l)),
			Hint: page.T("consent.level_desc." + string(l)), Checked: slices.Contains(selected, string(l))})
	}
	for _, a := range Audiences {
		audiences = append(audiences, option{Value: string(a), Label: page.T("consent.audience." + string(a)),
			Hint: page.T("consent.audience_desc." + string(a)), Checked: slices.Contains(selected, string(a))})
	}
	return uses, levels, audiences
}

// formFromVersion prefills the new-version form with the current consent, so a
// change of one thing is one change; the safeguard questions start unanswered.
func (h *Handlers) formFromVersion(page *web.Page, v Version, now time.Time) formView {
	sel := append(convertBack(v.Uses), string(v.IdentityLevel))
	sel = append(sel, convertBack(v.Audiences)...)
	f := formView{Communities: strings.Join(v.Communities, "\n"), Languages: strings.Join(v.Languages, ", "),
		Today: now.UTC().Format(time.DateOnly)}
	if !v.Expired(now) {
		f.Expires = v.Expires
	}
	f.Uses, f.Levels, f.Audiences = h.options(page, sel)
	return f
}

// formFromValues re-shows a posted form.
func (h *Handlers) formFromValues(page *web.Page, form url.Values, now time.Time) formView {
	sel := append(append(slices.Clone(form["uses"]), form.Get("identity_level")), form["audiences"]...)
	f := formView{Communities: form.Get("communities"), Languages: form.Get("languages"), Expires: form.Get("expires"),
		InCustody: form.Get("in_custody"), AdvisorPresent: form.Get("advisor_present"), Statement: form.Get("statement") == "yes", Today: now.UTC().Format(time.DateOnly)}
	f.Uses, f.Levels, f.Audiences = h.options(page, sel)
	return f
}

func (h *Handlers) askFrom(page *web.Page, q url.Values) askView {
	a := askView{Community: q.Get("community"), Language: q.Get("language")}
	a.Uses, a.Levels, a.Audiences = h.options(page, []string{q.Get("use"), q.Get("identity_level"), q.Get("audience")})
	return a
}

func convertBack[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// formConsent reads the new-version form. The safeguard questions are radios that
// must be answered; their problems come first in the list with the others'.
func formConsent(f url.Values) (NewConsent, []error) {
	in := NewConsent{Uses: convert[Use](f["uses"]), IdentityLevel: IdentityLevel(f.Get("identity_level")),
		Audiences: convert[Audience](f["audiences"]), Communities: strings.Split(f.Get("communities"), "\n"),
		Languages: splitLanguages(f.Get("languages")), Expires: f.Get("expires"), StatementAcknowledged: f.Get("statement") == "yes"}
	var problems []error
	answer := func(field string) bool {
		switch f.Get(field) {
		case "yes":
			return true
		case "no":
		default:
			problems = append(problems, answerRequired(field))
		}
		return false
	}
	in.InCustody = answer("in_custody")
	in.AdvisorPresent = answer("advisor_present")
	return in, problems
}

// splitLanguages splits a typed list of tags on commas (Latin or Arabic), semicolons
// and spaces.
func splitLanguages(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '،' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}

// message is an error's text in the reader's language, for refusals that belong to
// no field.
func (h *Handlers) message(r *http.Request, page *web.Page, err error) string {
	if _, msg := h.site.FieldMessage(r, err); msg != "" {
		return msg
	}
	var e *errs.Error
	if errors.As(err, &e) && e.MsgKey != "" && page.L.Has(e.MsgKey) {
		return page.T(e.MsgKey, e.Args...)
	}
	if e != nil && e.Msg != "" {
		return e.Msg
	}
	return page.T("error.generic")
}

func (h *Handlers) open(r *http.Request) (caseref.Case, error) {
	return h.cases.Open(r.Context(), web.Principal(r), r.PathValue("id"))
}

func (h *Handlers) render(w http.ResponseWriter, r *http.Request, status int, page *web.Page) error {
	return h.site.Render(w, r, status, "consent/consent.html", page)
}

func (h *Handlers) page(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	d, err := h.newData(r, page, c)
	if err != nil {
		return err
	}
	page.Data = d
	return h.render(w, r, http.StatusOK, page)
}

func (h *Handlers) give(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	c, err := h.open(r)
	if err != nil {
		return err
	}
	in, problems := formConsent(r.PostForm)
	_, more := in.check(h.svc.now())
	problems = append(problems, more...)
	if len(problems) == 0 {
		var v Version
		v, err = h.svc.Give(r.Context(), web.Principal(r), web.RequestID(r.Context()), c.ID, in)
		if err == nil {
			flash := "flash.consent_recorded"
			if v.FreeConsentConcern {
				flash = "flash.consent_recorded_concern"
			}
			http.Redirect(w, r, "/returnees/"+c.ID+"/consent?flash="+flash, http.StatusSeeOther)
			return nil
		}
		if k := errs.KindOf(err); k != errs.Invalid && k != errs.Conflict && k != errs.Forbidden {
			return err
		}
		problems = []error{err}
	}
	// Show the form again with every problem next to its field.
	page := h.site.NewPage(r, "", nil)
	d, derr := h.newData(r, page, c)
	if derr != nil {
		return derr
	}
	page.Form = r.PostForm
	page.Errors = map[string]string{}
	for _, p := range problems {
		field, msg := h.site.FieldMessage(r, p)
		if field == "" {
			d.Error = h.message(r, page, p)
			continue
		}
		if _, seen := page.Errors[field]; !seen {
			page.Errors[field] = msg
		}
	}
	d.Form = h.formFromValues(page, r.PostForm, h.svc.now())
	page.Data = d
	status := http.StatusUnprocessableEntity
	switch errs.KindOf(problems[0]) {
	case errs.Forbidden:
		status = http.StatusForbidden
	case errs.Conflict:
		status = http.StatusConflict
	}
	return h.render(w, r, status, page)
}

func (h *Handlers) withdraw(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	c, err := h.open(r)
	if err != nil {
		return err
	}
	reason := r.PostForm.Get("reason")
	_, err = h.svc.Withdraw(r.Context(), web.Principal(r), web.RequestID(r.Context()), c.ID, reason)
	if err == nil {
		http.Redirect(w, r, "/returnees/"+c.ID+"/consent?flash=flash.consent_withdrawn", http.StatusSeeOther)
		return nil
	}
	k := errs.KindOf(err)
	if k != errs.Invalid && k != errs.Conflict && k != errs.Forbidden {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	d, derr := h.newData(r, page, c)
	if derr != nil {
		return derr
	}
	status := http.StatusConflict
	if field, msg := h.site.FieldMessage(r, err); field != "" {
		page.Errors = map[string]string{field: msg}
		status = http.StatusUnprocessableEntity
	} else {
		d.WithdrawError = h.message(r, page, err)
		if k == errs.Forbidden {
			status = http.StatusForbidden
		}
	}
	d.Reason = reason
	page.Data = d
	return h.render(w, r, status, page)
}

// ask answers the "ask the question" box: the whole page, or with htmx only the answer.
func (h *Handlers) ask(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	d, err := h.newData(r, page, c)
	if err != nil {
		return err
	}
	d.Ask = h.askFrom(page, r.URL.Query())
	d.Ask.Asked = true
	q, err := ParseQuery(r.URL.Query())
	if err == nil {
		var dec Decision
		dec, err = h.svc.Allows(r.Context(), web.Principal(r).TenantID, c.ID, q)
		if err == nil {
			d.Ask.Allowed, d.Ask.Version, d.Ask.Concern = dec.Allowed, dec.Version, dec.FreeConsentConcern
			d.Ask.Reason = h.reasonText(r, dec)
		}
	}
	if err != nil {
		if errs.KindOf(err) != errs.Invalid {
			return err
		}
		d.Ask.Error = h.message(r, page, err)
	}
	page.Data = d
	// 200 even for an incomplete question: the answer box explains, and htmx swaps
	// only successful responses in.
	return h.render(w, r, http.StatusOK, page)
}
