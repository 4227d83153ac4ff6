package legal

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
	"inoculate/internal/returnees/caseref"
)

// pageData is what the legal page shows.
type pageData struct {
	Header     caseref.Header
	Details    Details
	Agreements []agreementView
	Finding    Finding // "" when not screened
	CanWrite   bool
	Fresh      bool
	Today      string
	// Failed names the form whose input was refused; its values and errors are re-shown.
	Failed string
	errors map[string]string
	form   url.Values
	page   *web.Page
	svc    *Service
	tenant string
}

// agreementView is an agreement with the actions the viewer may take on it.
type agreementView struct {
	Agreement
	Moves      []Status // transitions offered as buttons (revoke and breach apart)
	CanRevoke  bool
	CanBreach  bool
	CanSign    bool   // under review, and the viewer has not signed yet
	SignedByMe bool   // the viewer signed in this round
	SignBlock  string // catalogue key of why signing is blocked by the screening, or ""
	CanUpload  bool
	CanEdit    bool
	Missing    int // signatures still needed
}

// Name shows a user id.
func (d *pageData) Name(userID string) string { return d.svc.UserName(d.tenant, userID) }

// Err is the error message of field in form, if that form was refused.
func (d *pageData) Err(form, field string) string { return d.errors[form+"."+field] }

// FormError is the message of a refused form not tied to one field.
func (d *pageData) FormError(form string) string {
	if d.Failed != form {
		return ""
	}
	if m := d.errors[form+"._"]; m != "" {
		return m
	}
	// A field the form does not show (such as "to") is reported at its top.
	for k, m := range d.errors {
		if strings.HasPrefix(k, form+".") && !slices.Contains(shownFields, strings.TrimPrefix(k, form+".")) {
			return m
		}
	}
	return ""
}

// shownFields are the inputs the forms show next to which errors appear.
var shownFields = []string{"capital_crime", "offences", "evidence_notes", "authority", "referred_on", "note", "kind", "terms", "reason", "document",
	"public_forums_count", "public_forums_from", "public_forums_until", "media_interviews_count", "media_interviews_from", "media_interviews_until",
	"recorded_testimony_count", "recorded_testimony_from", "recorded_testimony_until"}

// Val re-shows a value typed into form; def is shown otherwise.
func (d *pageData) Val(form, name, def string) string {
	if d.Failed == form {
		return d.form.Get(name)
	}
	return def
}

// ScreeningOffences is the offences textarea's text: the current version's offences.
func (d *pageData) ScreeningOffences() string {
	if d.Details.Screening == nil {
		return ""
	}
	var lines []string
	for _, o := range d.Details.Screening.Offences {
		lines = append(lines, o.Description)
	}
	return strings.Join(lines, "\n")
}

// ScreeningNotes is the current version's evidence notes.
func (d *pageData) ScreeningNotes() string {
	if d.Details.Screening == nil {
		return ""
	}
	return d.Details.Screening.EvidenceNotes
}

// Checked reports whether finding f is the chosen one in the screening form.
func (d *pageData) Checked(f Finding) bool {
	if d.Failed == "screening" {
		return d.form.Get("capital_crime") == string(f)
	}
	return d.Finding == f
}

// obligationRow is one row of the obligations part of an agreement form.
type obligationRow struct {
	Kind                    ObligationKind
	Count, From, Until      string
	Checked                 bool
	ErrCount, ErrFrom, ErrU string
}

// agreementForm is the new-agreement or edit-draft form.
type agreementForm struct {
	ID, Action, Submit string
	Kind, Terms        string
	KindErr, TermsErr  string
	Error              string
	Rows               []obligationRow
	Data               *pageData
}

// AgreementForm prepares the form with id form; a is the draft to edit, or nil.
func (d *pageData) AgreementForm(form string, a *agreementView) agreementForm {
	f := agreementForm{ID: form, Action: "/returnees/" + d.Header.Case.ID + "/legal/agreements", Submit: "legal.agreement.create", Data: d}
	vals := url.Values{}
	if a != nil {
		f.Action += "/" + a.ID
		f.Submit = "button.save"
		vals.Set("kind", string(a.Kind))
		vals.Set("terms", a.Terms)
		for _, o := range a.Obligations {
			p := string(o.Kind)
			vals.Set(p+"_count", strconv.Itoa(o.Count))
			vals.Set(p+"_from", o.From)
			vals.Set(p+"_until", o.Until)
			if o.Kind == ObligationTestimony {
				vals.Set(p+"_required", "on")
			}
		}
	}
	if d.Failed == form {
		vals = d.form
	}
	f.Kind, f.Terms = vals.Get("kind"), vals.Get("terms")
	f.KindErr, f.TermsErr, f.Error = d.Err(form, "kind"), d.Err(form, "terms"), d.FormError(form)
	for _, k := range ObligationKinds {
		p := string(k)
		f.Rows = append(f.Rows, obligationRow{Kind: k, Count: vals.Get(p + "_count"), From: vals.Get(p + "_from"), Until: vals.Get(p + "_until"),
			Checked: vals.Get(p+"_required") != "", ErrCount: d.Err(form, p+"_count"), ErrFrom: d.Err(form, p+"_from"), ErrU: d.Err(form, p+"_until")})
	}
	return f
}

// T translates for the page, so partials given a pageData can use it.
func (d *pageData) T(key string, args ...any) string { return d.page.T(key, args...) }

// NewForm is the form drafting a new agreement.
func (d *pageData) NewForm() agreementForm { return d.AgreementForm("agreement", nil) }

// EditForm is the form editing draft a.
func (d *pageData) EditForm(a agreementView) agreementForm { return d.AgreementForm("edit-"+a.ID, &a) }

// FindingList lists the findings for the screening form.
func (d *pageData) FindingList() []Finding { return Findings }

// badge is a coloured label.
type badge struct{ Class, Label string }

// FindingBadge shows a finding: "no" is good news, "yes" the gravest.
func (d *pageData) FindingBadge(f Finding) badge {
	class := map[Finding]string{FindingNo: "ok", FindingUndetermined: "warn", FindingYes: "danger"}[f]
	return badge{Class: class, Label: d.T("legal.finding." + string(f))}
}

// StatusBadge shows an agreement status.
func (d *pageData) StatusBadge(s Status) badge {
	class := map[Status]string{StatusActive: "ok", StatusFulfilled: "ok", StatusSigned: "ok", StatusUnderReview: "warn",
		StatusBreached: "danger", StatusRevoked: "danger"}[s]
	return badge{Class: class, Label: d.T("legal.status." + string(s))}
}

// ProgressBadge shows how far an obligation is met, or why it is not counted.
func (d *pageData) ProgressBadge(o Obligation) badge {
	p := o.Progress
	switch {
	case p == nil:
		return badge{}
	case !p.Known:
		return badge{Label: d.T(p.NoteKey)}
	case p.Met:
		return badge{Class: "ok", Label: d.T("legal.progress_met", p.Counted, o.Count)}
	case p.Overdue:
		return badge{Class: "danger", Label: d.T("legal.progress_overdue", p.Counted, o.Count)}
	}
	return badge{Class: "warn", Label: d.T("legal.progress_of", p.Counted, o.Count)}
}

// referralFields are the referral inputs, in the screening form or on their own.
type referralFields struct {
	Form                         string
	Authority, ReferredOn, Note  string
	ErrAuthority, ErrOn, ErrNote string
	Data                         *pageData
}

// ReferralFields prepares the referral inputs of form.
func (d *pageData) ReferralFields(form string) referralFields {
	return referralFields{Form: form, Authority: d.Val(form, "authority", ""), ReferredOn: d.Val(form, "referred_on", ""), Note: d.Val(form, "note", ""),
		ErrAuthority: d.Err(form, "authority"), ErrOn: d.Err(form, "referred_on"), ErrNote: d.Err(form, "note"), Data: d}
}

// endForm is the form revoking an agreement or recording its breach.
type endForm struct {
	Form, Action, To, Reason, Err, Error string
	Data                                 *pageData
}

// EndForm prepares the revoke or breach form of agreement a.
func (d *pageData) EndForm(a agreementView, to Status) endForm {
	form := string(to) + "-" + a.ID
	path := "revoke"
	if to == StatusBreached {
		path = "breach"
	}
	return endForm{Form: form, Action: "/returnees/" + d.Header.Case.ID + "/legal/agreements/" + a.ID + "/" + path, To: string(to),
		Reason: d.Val(form, "reason", ""), Err: d.Err(form, "reason"), Error: d.FormError(form), Data: d}
}

// Lines splits a text into its lines, to show them as written (no inline styles).
func (d *pageData) Lines(s string) []string { return strings.Split(s, "\n") }

// KiB shows a size in kibibytes, at least 1.
func (d *pageData) KiB(n int64) int64 { return max(1, (n+1023)/1024) }

// views adds to each agreement what the viewer may do with it.
func (d *pageData) views(userID string) {
	for _, a := range d.Details.Agreements {
		v := agreementView{Agreement: a, Missing: max(0, 2-len(a.Signatures))}
		if d.CanWrite && !d.Header.Case.Erased {
			for _, to := range a.Status.Next() {
				switch to {
				case StatusRevoked:
					v.CanRevoke = true
				case StatusBreached:
					v.CanBreach = true
				default:
					v.Moves = append(v.Moves, to)
				}
			}
			v.SignedByMe = slices.ContainsFunc(a.Signatures, func(g Signature) bool { return g.UserID == userID })
			v.CanSign = a.Status == StatusUnderReview && !v.SignedByMe
			v.CanUpload = a.Status == StatusSigned || a.Status == StatusActive
			v.CanEdit = a.Status == StatusDraft
		}
		if a.Status == StatusUnderReview {
			if err := findingAllowsSigning(d.Finding); err != nil {
				var e *errs.Error
				if errors.As(err, &e) {
					v.SignBlock = e.MsgKey
				}
			}
		}
		d.Agreements = append(d.Agreements, v)
	}
}

func (h *handlers) page(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	return h.render(w, r, c, http.StatusOK, "", nil)
}

// render shows the legal page; after a refused form, failed names it and formErr
// says why, and the page is answered with status.
func (h *handlers) render(w http.ResponseWriter, r *http.Request, c caseref.Case, status int, failed string, formErr error) error {
	p := web.Principal(r)
	det, err := h.svc.Details(r.Context(), p, web.RequestID(r.Context()), c)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	d := &pageData{Header: caseref.Header{Case: c, Tab: caseref.TabLegal}, Details: det, Finding: det.Summary.Finding,
		CanWrite: page.Can(PermWrite), Fresh: page.Fresh(), Today: h.svc.today(), errors: map[string]string{}, form: url.Values{},
		page: page, svc: h.svc, tenant: c.TenantID}
	if formErr != nil {
		field, msg := h.site.FieldMessage(r, formErr)
		if field == "" {
			field = "_"
		}
		d.Failed, d.errors[failed+"."+field], d.form = failed, msg, r.PostForm
		page.Errors, page.Form = d.errors, r.PostForm
	}
	d.views(p.UserID)
	page.Data = d
	return h.site.Render(w, r, status, "legal/show.html", page)
}

// after answers a form post: back to the page with a flash when it worked, the page
// again with the message next to the form when the input was refused.
func (h *handlers) after(w http.ResponseWriter, r *http.Request, c caseref.Case, form string, err error, flash string) error {
	if err == nil {
		http.Redirect(w, r, "/returnees/"+c.ID+"/legal?flash="+flash, http.StatusSeeOther)
		return nil
	}
	switch errs.KindOf(err) {
	case errs.Invalid:
		return h.render(w, r, c, http.StatusUnprocessableEntity, form, err)
	case errs.Conflict:
		return h.render(w, r, c, http.StatusConflict, form, err)
	}
	return err
}

func (h *handlers) postScreening(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	if err := web.ParseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	offs, err := ParseOffencesText(f.Get("offences"))
	if err == nil {
		_, _, err = h.svc.RecordScreening(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, ScreeningInput{
			CapitalCrime: Finding(f.Get("capital_crime")), Offences: offs, EvidenceNotes: f.Get("evidence_notes"),
			ReferralAuthority: f.Get("authority"), ReferralOn: f.Get("referred_on"), ReferralNote: f.Get("note")})
	}
	return h.after(w, r, c, "screening", err, "flash.saved")
}

func (h *handlers) postReferral(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	if err := web.ParseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	_, err = h.svc.RecordReferral(r.Context(), web.Principal(r), web.RequestID(r.Context()), c,
		ReferralInput{Authority: f.Get("authority"), ReferredOn: f.Get("referred_on"), Note: f.Get("note")})
	return h.after(w, r, c, "referral", err, "flash.saved")
}

func agreementFromForm(f url.Values) (AgreementInput, error) {
	obs, err := ObligationsFromForm(f)
	if err != nil {
		return AgreementInput{}, err
	}
	return AgreementInput{Kind: Kind(f.Get("kind")), Terms: f.Get("terms"), Obligations: obs}, nil
}

func (h *handlers) postAgreement(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	if err := web.ParseForm(r); err != nil {
		return err
	}
	in, err := agreementFromForm(r.PostForm)
	if err == nil {
		_, err = h.svc.CreateAgreement(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, in)
	}
	return h.after(w, r, c, "agreement", err, "flash.created")
}

func (h *handlers) postEdit(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	if err := web.ParseForm(r); err != nil {
		return err
	}
	aid := r.PathValue("aid")
	in, err := agreementFromForm(r.PostForm)
	if err == nil {
		_, err = h.svc.UpdateDraft(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, aid, in)
	}
	return h.after(w, r, c, "edit-"+aid, err, "flash.saved")
}

func (h *handlers) postTransition(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	if err := web.ParseForm(r); err != nil {
		return err
	}
	aid, to := r.PathValue("aid"), Status(r.PostForm.Get("to"))
	if to == StatusRevoked || to == StatusBreached {
		err = errOwnRoute(to)
	} else {
		_, err = h.svc.Transition(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, aid, to, r.PostForm.Get("reason"))
	}
	return h.after(w, r, c, "t-"+aid+"-"+string(to), err, "flash.saved")
}

func (h *handlers) postSign(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	aid := r.PathValue("aid")
	_, err = h.svc.Sign(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, aid)
	return h.after(w, r, c, "sign-"+aid, err, "flash.saved")
}

func (h *handlers) postEnd(to Status) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := h.openCase(r)
		if err != nil {
			return err
		}
		if err := web.ParseForm(r); err != nil {
			return err
		}
		aid := r.PathValue("aid")
		_, err = h.svc.Transition(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, aid, to, r.PostForm.Get("reason"))
		return h.after(w, r, c, string(to)+"-"+aid, err, "flash.saved")
	}
}

func (h *handlers) postDocument(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	aid := r.PathValue("aid")
	content, err := readDocument(w, r)
	if err == nil {
		_, err = h.svc.UploadDocument(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, aid, content)
		clear(content)
	}
	r.PostForm = url.Values{}
	return h.after(w, r, c, "doc-"+aid, err, "flash.saved")
}
