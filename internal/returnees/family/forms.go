package family

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

// formData is what the generic form page (form.html) shows: sections of fields, and
// for a relative being edited its history and the removal form.
type formData struct {
	Header    caseref.Header
	TitleKey  string
	Action    string
	SubmitKey string
	Cancel    string
	Version   int
	Sections  []formSection

	History      []historyRow
	RemoveAction string
}

type formSection struct {
	LegendKey, HintKey string
	Fields             []formField
}

type formField struct {
	Kind    string // input (text, date, textarea) | select | check
	View    web.FieldView
	Options []option
	Checked bool
}

type option struct {
	Value, Label string
	Selected     bool
}

type historyRow struct {
	RelativeVersion
	ChangedName string
	RecordedT   time.Time
}

// fb builds the fields of one form from the page (re-shown values and errors).
type fb struct{ page *web.Page }

func (b fb) view(name, typ, labelKey string, required bool, hintKey string) web.FieldView {
	v := web.FieldView{Name: name, Type: typ, Required: required, Label: b.page.T(labelKey), Value: b.page.Form.Get(name),
		Error: b.page.Errors[name], Optional: b.page.T("form.optional")}
	if hintKey != "" {
		v.Hint = b.page.T(hintKey)
	}
	if typ == "text" {
		v.Autocomplete = "off"
	}
	return v
}

func (b fb) input(name, typ, labelKey string, required bool, hintKey string) formField {
	return formField{Kind: "input", View: b.view(name, typ, labelKey, required, hintKey)}
}

func (b fb) check(name, labelKey string) formField {
	return formField{Kind: "check", View: b.view(name, "checkbox", labelKey, false, ""), Checked: b.page.Form.Get(name) != ""}
}

// choice is a select of enum values labelled by "<prefix><value>" keys.
func choice[T ~string](b fb, name, labelKey string, required bool, values []T, prefix string) formField {
	f := formField{Kind: "select", View: b.view(name, "select", labelKey, required, "")}
	sel := b.page.Form.Get(name)
	for _, v := range values {
		f.Options = append(f.Options, option{Value: string(v), Label: b.page.T(prefix + string(v)), Selected: string(v) == sel})
	}
	return f
}

// formValues maps form fields to a url.Values for re-showing a stored record.
func formValues(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// setErrors puts a validation or conflict error next to its field (or on top of the
// form when it names none) and reports whether err was such an error.
func (h *handlers) setErrors(r *http.Request, page *web.Page, err error, rename map[string]string) bool {
	k := errs.KindOf(err)
	if k != errs.Invalid && k != errs.Conflict {
		return false
	}
	field, msg := h.site.FieldMessage(r, err)
	if to, ok := rename[field]; ok {
		field = to
	}
	page.Errors = map[string]string{field: msg}
	return true
}

func (h *handlers) renderForm(w http.ResponseWriter, r *http.Request, page *web.Page, status int, d *formData) error {
	page.Data = d
	return h.site.Render(w, r, status, "family/form.html", page)
}

// ---- relatives ----

func relativeForm(page *web.Page, c caseref.Case, edit bool) *formData {
	b := fb{page}
	base := "/returnees/" + c.ID + "/family"
	d := &formData{Header: caseref.Header{Case: c, Tab: caseref.TabFamily}, TitleKey: "family.relative_new", Action: base + "/relatives",
		SubmitKey: "button.create", Cancel: base}
	sealedHint := "family.sealed_hint"
	if edit {
		d.TitleKey, d.SubmitKey, sealedHint = "family.relative_edit", "button.save", "family.sealed_keep_hint"
	}
	plain := formSection{LegendKey: "family.relative_section", Fields: []formField{
		choice(b, "relation", "family.field.relation", true, Relations, "family.relation."),
		choice(b, "stance", "family.field.stance", true, StanceValues, "family.stance."),
		b.input("community", "text", "family.field.community", false, "family.community_hint"),
		b.input("recorded_on", "date", "family.field.recorded_on", false, "family.recorded_on_hint"),
	}}
	sealed := formSection{LegendKey: "family.sealed_section", HintKey: sealedHint, Fields: []formField{
		b.input("name", "text", "family.field.name", !edit, ""),
		b.input("community_role", "text", "family.field.community_role", false, "family.community_role_hint"),
		b.input("contact", "textarea", "family.field.contact", false, "family.contact_hint"),
		b.input("notes", "textarea", "family.field.notes", false, ""),
	}}
	if edit {
		sealed.Fields = append(sealed.Fields, b.check("clear_community_role", "family.clear_community_role"),
			b.check("clear_contact", "family.clear_contact"), b.check("clear_notes", "family.clear_notes"))
	}
	d.Sections = []formSection{plain, sealed}
	return d
}

// relativeInputFromForm reads the new-relative form.
func relativeInputFromForm(f url.Values) RelativeInput {
	return RelativeInput{Relation: f.Get("relation"), Stance: f.Get("stance"), Community: f.Get("community"), RecordedOn: f.Get("recorded_on"),
		Details: Details{Name: f.Get("name"), CommunityRole: f.Get("community_role"), Contact: f.Get("contact"), Notes: f.Get("notes")}}
}

// relativeChangeFromForm reads the edit form. The sealed fields are never shown in it,
// so a blank one keeps its value; a "clear_…" box empties an optional one.
func relativeChangeFromForm(f url.Values) RelativeChange {
	ch := RelativeChange{}
	ch.Version, _ = strconv.Atoi(f.Get("version"))
	for _, x := range []struct {
		name string
		dst  **string
	}{{"relation", &ch.Relation}, {"stance", &ch.Stance}, {"community", &ch.Community}, {"recorded_on", &ch.RecordedOn}} {
		if vs, ok := f[x.name]; ok && len(vs) > 0 {
			v := vs[0]
			*x.dst = &v
		}
	}
	for _, x := range []struct {
		name  string
		dst   **string
		clear bool
	}{{"name", &ch.Name, false}, {"community_role", &ch.CommunityRole, true}, {"contact", &ch.Contact, true}, {"notes", &ch.Notes, true}} {
		v := f.Get(x.name)
		switch {
		case x.clear && f.Get("clear_"+x.name) != "":
			empty := ""
			*x.dst = &empty
		case strings.TrimSpace(v) != "":
			*x.dst = &v
		}
	}
	return ch
}

func (h *handlers) newRelative(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	page.Form = formValues("stance", string(Unknown), "recorded_on", h.svc.today().Format(time.DateOnly))
	return h.renderForm(w, r, page, http.StatusOK, relativeForm(page, c, false))
}

func (h *handlers) createRelative(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	if err := web.ParseForm(r); err != nil {
		return err
	}
	_, err = h.svc.AddRelative(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, relativeInputFromForm(r.PostForm))
	page := h.site.NewPage(r, "", nil)
	if h.setErrors(r, page, err, nil) {
		// The typed values, sealed ones included, go back only to the person who typed them.
		page.Form = r.PostForm
		return h.renderForm(w, r, page, http.StatusUnprocessableEntity, relativeForm(page, c, false))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/returnees/"+c.ID+"/family?flash=flash.saved", http.StatusSeeOther)
	return nil
}

// editRelativeData builds the edit page of a relative, with its history.
func (h *handlers) editRelativeData(r *http.Request, page *web.Page, c caseref.Case, id string, form url.Values) (*formData, error) {
	p := web.Principal(r)
	rel, err := h.svc.Relative(r.Context(), p, c, id)
	if err != nil {
		return nil, err
	}
	hist, err := h.svc.History(r.Context(), p, c, id)
	if err != nil {
		return nil, err
	}
	if form == nil {
		form = formValues("relation", string(rel.Relation), "stance", string(rel.Stance), "community", rel.Community, "recorded_on", rel.RecordedOn)
	}
	page.Form = form
	d := relativeForm(page, c, true)
	d.Action = "/returnees/" + c.ID + "/family/relatives/" + id
	d.RemoveAction = d.Action + "/remove"
	d.Version = rel.Version
	if v, err := strconv.Atoi(form.Get("version")); err == nil && v > 0 {
		d.Version = v // keep the version the person started from, so a stale edit is still caught
	}
	n := h.namer(r)
	for _, v := range hist {
		d.History = append(d.History, historyRow{RelativeVersion: v, ChangedName: n.of(v.ChangedBy), RecordedT: date(v.RecordedOn)})
	}
	return d, nil
}

func (h *handlers) editRelative(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	d, err := h.editRelativeData(r, page, c, r.PathValue("rel"), nil)
	if err != nil {
		return err
	}
	return h.renderForm(w, r, page, http.StatusOK, d)
}

func (h *handlers) updateRelative(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := r.PathValue("rel")
	_, err = h.svc.UpdateRelative(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, id, relativeChangeFromForm(r.PostForm))
	page := h.site.NewPage(r, "", nil)
	if h.setErrors(r, page, err, nil) {
		d, derr := h.editRelativeData(r, page, c, id, r.PostForm)
		if derr != nil {
			return derr
		}
		return h.renderForm(w, r, page, http.StatusUnprocessableEntity, d)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/returnees/"+c.ID+"/family?flash=flash.saved", http.StatusSeeOther)
	return nil
}

func (h *handlers) removeRelative(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := r.PathValue("rel")
	err = h.svc.RemoveRelative(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, id, r.PostForm.Get("remove_reason"))
	page := h.site.NewPage(r, "", nil)
	if h.setErrors(r, page, err, map[string]string{"reason": "remove_reason"}) {
		d, derr := h.editRelativeData(r, page, c, id, nil)
		if derr != nil {
			return derr
		}
		// The edit form shows the stored values; the removal form its reason again.
		page.Form.Set("remove_reason", r.PostForm.Get("remove_reason"))
		return h.renderForm(w, r, page, http.StatusUnprocessableEntity, d)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/returnees/"+c.ID+"/family?flash=flash.saved", http.StatusSeeOther)
	return nil
}

// ---- mentors ----

func (h *handlers) mentorForm(r *http.Request, page *web.Page, c caseref.Case) (*formData, error) {
	cands, err := h.svc.Candidates(r.Context(), c.TenantID)
	if err != nil {
		return nil, err
	}
	b := fb{page}
	base := "/returnees/" + c.ID + "/family"
	user := formField{Kind: "select", View: b.view("mentor_user_id", "select", "family.field.mentor_user", false, "family.mentor_user_hint")}
	sel := page.Form.Get("mentor_user_id")
	for _, u := range cands {
		user.Options = append(user.Options, option{Value: u.ID, Label: u.Name + " · " + page.T("role."+string(u.Role)), Selected: u.ID == sel})
	}
	d := &formData{Header: caseref.Header{Case: c, Tab: caseref.TabFamily}, TitleKey: "family.mentor_assign", Action: base + "/mentors",
		SubmitKey: "family.mentor_assign", Cancel: base}
	mentors, err := h.svc.Mentors(r.Context(), web.Principal(r), c)
	if err != nil {
		return nil, err
	}
	whenHint := ""
	for _, m := range mentors {
		if !m.Ended {
			whenHint = "family.mentor_replaces_hint" // say so before it happens
		}
	}
	d.Sections = []formSection{
		{LegendKey: "family.mentor_who", HintKey: "family.mentor_who_hint", Fields: []formField{
			user,
			b.input("external_name", "text", "family.field.external_name", false, "family.external_name_hint"),
			b.input("organisation", "text", "family.field.organisation", false, ""),
		}},
		{LegendKey: "family.mentor_when", HintKey: whenHint, Fields: []formField{
			b.input("from", "date", "family.field.from", false, "family.from_hint"),
			b.input("until", "date", "family.field.until", false, "family.until_hint"),
			b.input("reason", "textarea", "field.reason", true, "family.mentor_reason_hint"),
		}},
	}
	return d, nil
}

func mentorInputFromForm(f url.Values) MentorInput {
	return MentorInput{UserID: f.Get("mentor_user_id"), ExternalName: f.Get("external_name"), Organisation: f.Get("organisation"),
		From: f.Get("from"), Until: f.Get("until"), Reason: f.Get("reason")}
}

func (h *handlers) newMentor(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	page.Form = formValues("from", h.svc.today().Format(time.DateOnly))
	d, err := h.mentorForm(r, page, c)
	if err != nil {
		return err
	}
	return h.renderForm(w, r, page, http.StatusOK, d)
}

func (h *handlers) assignMentor(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	if err := web.ParseForm(r); err != nil {
		return err
	}
	_, err = h.svc.AssignMentor(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, mentorInputFromForm(r.PostForm))
	page := h.site.NewPage(r, "", nil)
	if h.setErrors(r, page, err, nil) {
		page.Form = r.PostForm
		d, derr := h.mentorForm(r, page, c)
		if derr != nil {
			return derr
		}
		return h.renderForm(w, r, page, http.StatusUnprocessableEntity, d)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/returnees/"+c.ID+"/family?flash=flash.saved#mentor", http.StatusSeeOther)
	return nil
}

// endMentor ends an assignment from the mentor panel. Bad input (a date out of range)
// is shown on the family page, next to the panel's form.
func (h *handlers) endMentor(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	if err := web.ParseForm(r); err != nil {
		return err
	}
	err = h.svc.EndMentor(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, r.PathValue("mentor"),
		EndInput{On: r.PostForm.Get("ended_on"), Reason: r.PostForm.Get("end_reason")})
	page := h.site.NewPage(r, "", nil)
	if h.setErrors(r, page, err, map[string]string{"until": "ended_on", "reason": "end_reason"}) {
		page.Form = r.PostForm
		d, derr := h.pageData(r, page, c)
		if derr != nil {
			return derr
		}
		page.Data = d
		return h.site.Render(w, r, http.StatusUnprocessableEntity, "family/family.html", page)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/returnees/"+c.ID+"/family?flash=flash.saved#mentor", http.StatusSeeOther)
	return nil
}

// ---- milestones ----

func milestoneForm(page *web.Page, c caseref.Case, edit bool) *formData {
	b := fb{page}
	base := "/returnees/" + c.ID + "/family"
	d := &formData{Header: caseref.Header{Case: c, Tab: caseref.TabFamily}, TitleKey: "family.milestone_new", Action: base + "/milestones",
		SubmitKey: "button.create", Cancel: base}
	noteHint := "family.note_hint"
	if edit {
		d.TitleKey, d.SubmitKey = "family.milestone_edit", "button.save"
	}
	fields := []formField{
		choice(b, "kind", "family.field.kind", true, MilestoneKinds, "family.kind."),
		b.input("target_on", "date", "family.field.target_on", true, ""),
		choice(b, "status", "family.field.status", true, MilestoneStatuses, "family.status."),
		b.input("achieved_on", "date", "family.field.achieved_on", false, "family.achieved_on_hint"),
		b.input("note", "textarea", "family.field.note", false, noteHint),
	}
	if edit {
		fields = append(fields, b.check("clear_note", "family.clear_note"))
	}
	d.Sections = []formSection{{LegendKey: "family.milestone_section", Fields: fields}}
	return d
}

func milestoneInputFromForm(f url.Values) MilestoneInput {
	return MilestoneInput{Kind: f.Get("kind"), TargetOn: f.Get("target_on"), AchievedOn: f.Get("achieved_on"), Status: f.Get("status"), Note: f.Get("note")}
}

// milestoneChangeFromForm reads the edit form. The note is shown in the form (the
// team reads notes routinely), so what is submitted replaces it; the box clears it.
func milestoneChangeFromForm(f url.Values) MilestoneChange {
	ch := MilestoneChange{}
	ch.Version, _ = strconv.Atoi(f.Get("version"))
	for _, x := range []struct {
		name string
		dst  **string
	}{{"kind", &ch.Kind}, {"target_on", &ch.TargetOn}, {"status", &ch.Status}, {"achieved_on", &ch.AchievedOn}, {"note", &ch.Note}} {
		if vs, ok := f[x.name]; ok && len(vs) > 0 {
			v := vs[0]
			*x.dst = &v
		}
	}
	if f.Get("clear_note") != "" {
		empty := ""
		ch.Note = &empty
	}
	return ch
}

func (h *handlers) newMilestone(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	page.Form = formValues("status", string(StatusPlanned))
	return h.renderForm(w, r, page, http.StatusOK, milestoneForm(page, c, false))
}

func (h *handlers) createMilestone(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	if err := web.ParseForm(r); err != nil {
		return err
	}
	_, err = h.svc.AddMilestone(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, milestoneInputFromForm(r.PostForm))
	page := h.site.NewPage(r, "", nil)
	if h.setErrors(r, page, err, nil) {
		page.Form = r.PostForm
		return h.renderForm(w, r, page, http.StatusUnprocessableEntity, milestoneForm(page, c, false))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/returnees/"+c.ID+"/family?flash=flash.saved#milestones", http.StatusSeeOther)
	return nil
}

func (h *handlers) editMilestoneData(r *http.Request, page *web.Page, c caseref.Case, id string, form url.Values) (*formData, error) {
	p := web.Principal(r)
	m, err := h.svc.Milestone(r.Context(), p, c, id)
	if err != nil {
		return nil, err
	}
	if form == nil {
		notes, err := h.svc.Notes(r.Context(), p, web.RequestID(r.Context()), c)
		if err != nil {
			return nil, err
		}
		form = formValues("kind", string(m.Kind), "target_on", m.TargetOn, "status", string(m.Status), "achieved_on", m.AchievedOn,
			"note", notes.Milestone[id], "version", strconv.Itoa(m.Version))
	}
	page.Form = form
	d := milestoneForm(page, c, true)
	d.Action = "/returnees/" + c.ID + "/family/milestones/" + id
	d.Version = m.Version
	if v, err := strconv.Atoi(form.Get("version")); err == nil && v > 0 {
		d.Version = v
	}
	return d, nil
}

func (h *handlers) editMilestone(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	d, err := h.editMilestoneData(r, page, c, r.PathValue("milestone"), nil)
	if err != nil {
		return err
	}
	return h.renderForm(w, r, page, http.StatusOK, d)
}

func (h *handlers) updateMilestone(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := r.PathValue("milestone")
	_, err = h.svc.UpdateMilestone(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, id, milestoneChangeFromForm(r.PostForm))
	page := h.site.NewPage(r, "", nil)
	if h.setErrors(r, page, err, nil) {
		d, derr := h.editMilestoneData(r, page, c, id, r.PostForm)
		if derr != nil {
			return derr
		}
		return h.renderForm(w, r, page, http.StatusUnprocessableEntity, d)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/returnees/"+c.ID+"/family?flash=flash.saved#milestones", http.StatusSeeOther)
	return nil
}
