package communities

import (
	"html/template"
	"net/http"
	"net/url"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
)

// showData is what the community page shows.
type showData struct {
	communityView
	BriefHTML   template.HTML
	History     []Figure // every figure, newest first
	CanWrite    bool
	CanContacts bool
	CanReveal   bool
	Fresh       bool
	Base        string
	Reveal      *revealView
	ChainRows   []chainRow
	// ContactError is a refused new contact's message, shown by the partner form
	// (the contact forms are per partner and never re-filled).
	ContactError string

	AuthorityKinds []AuthorityKind
	PartnerKinds   []PartnerKind
	FigureKinds    []FigureKind
}

// chainRow is an authority with the positions its up and down buttons move it to
// (0: no such button).
type chainRow struct {
	Authority
	Up, Down int
}

// revealView is one contact's opened details, or the reason form re-shown with an
// error.
type revealView struct {
	ContactID  string
	Details    *ContactDetails
	StepUpHref string
}

type formData struct {
	Kinds  []Kind
	Action string
	Cancel string
	Edit   bool
}

func (h *handlers) list(w http.ResponseWriter, r *http.Request) error {
	list, err := h.svc.List(r.Context(), web.Principal(r).TenantID)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	page.Data = struct {
		List     []Community
		CanWrite bool
	}{list, page.Can(PermWrite)}
	return h.site.Render(w, r, http.StatusOK, "communities/list.html", page)
}

func (h *handlers) newForm(w http.ResponseWriter, r *http.Request) error {
	page := h.site.NewPage(r, "", formData{Kinds: KindValues, Action: "/communities", Cancel: "/communities"})
	page.Form = url.Values{"kind": {string(KindPlace)}}
	return h.site.Render(w, r, http.StatusOK, "communities/form.html", page)
}

func (h *handlers) editForm(w http.ResponseWriter, r *http.Request) error {
	c, err := h.svc.Get(r.Context(), web.Principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	base := "/communities/" + c.ID
	page := h.site.NewPage(r, "", formData{Kinds: KindValues, Action: base, Cancel: base, Edit: true})
	langs := ""
	for i, l := range c.Languages {
		if i > 0 {
			langs += ", "
		}
		langs += l
	}
	page.Form = url.Values{"name": {c.Name}, "kind": {string(c.Kind)}, "region": {c.Region}, "languages": {langs}, "brief": {c.Brief}}
	return h.site.Render(w, r, http.StatusOK, "communities/form.html", page)
}

func (h *handlers) create(w http.ResponseWriter, r *http.Request) error {
	return h.save(w, r, "")
}

func (h *handlers) update(w http.ResponseWriter, r *http.Request) error {
	return h.save(w, r, r.PathValue("id"))
}

func (h *handlers) save(w http.ResponseWriter, r *http.Request, id string) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	in := parseCommunityForm(r.PostForm)
	p, ctx := web.Principal(r), r.Context()
	var c Community
	var err error
	if id == "" {
		c, err = h.svc.Create(ctx, p, web.RequestID(ctx), in)
	} else {
		c, err = h.svc.Update(ctx, p, web.RequestID(ctx), id, in)
	}
	if errs.KindOf(err) == errs.Invalid {
		d := formData{Kinds: KindValues, Action: "/communities", Cancel: "/communities"}
		if id != "" {
			d = formData{Kinds: KindValues, Action: "/communities/" + id, Cancel: "/communities/" + id, Edit: true}
		}
		page := h.site.NewPage(r, "", d)
		page.Form = r.PostForm
		field, msg := h.site.FieldMessage(r, err)
		page.Errors = map[string]string{field: msg}
		return h.site.Render(w, r, http.StatusUnprocessableEntity, "communities/form.html", page)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/communities/"+c.ID+"?flash=flash.community_saved", http.StatusSeeOther)
	return nil
}

func (h *handlers) showData(r *http.Request, page *web.Page) (*showData, error) {
	v, err := h.view(r)
	if err != nil {
		return nil, err
	}
	d := &showData{communityView: v, BriefHTML: RenderBrief(v.Brief), CanWrite: page.Can(PermWrite),
		CanContacts: page.Can(PermReadContacts), CanReveal: page.Can(PermReveal), Fresh: page.Fresh(),
		Base: "/communities/" + v.ID, AuthorityKinds: AuthorityKindValues, PartnerKinds: PartnerKindValues, FigureKinds: FigureKindValues}
	for _, a := range v.Chain {
		row := chainRow{Authority: a}
		if a.Position > 1 {
			row.Up = a.Position - 1
		}
		if a.Position < len(v.Chain) {
			row.Down = a.Position + 1
		}
		d.ChainRows = append(d.ChainRows, row)
	}
	d.History, err = h.svc.Figures(r.Context(), web.Principal(r).TenantID, v.ID)
	return d, err
}

func (h *handlers) show(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, http.StatusOK, nil, nil)
}

// render shows the community page, with a form error (field → message) or a reveal
// when given.
func (h *handlers) render(w http.ResponseWriter, r *http.Request, status int, formErr error, reveal *revealView) error {
	page := h.site.NewPage(r, "", nil)
	d, err := h.showData(r, page)
	if err != nil {
		return err
	}
	d.Reveal = reveal
	if d.CanReveal && !d.Fresh {
		d.Reveal = &revealView{StepUpHref: "/login/step-up?next=" + url.QueryEscape(d.Base)}
		if reveal != nil && reveal.ContactID != "" {
			d.Reveal.ContactID = reveal.ContactID
		}
	}
	page.Data = d
	if formErr != nil {
		page.Form = r.PostForm
		field, msg := h.site.FieldMessage(r, formErr)
		page.Errors = map[string]string{field: msg}
		if field == "contact_name" || field == "phone" || field == "email" {
			d.ContactError = msg
		}
	}
	return h.site.Render(w, r, status, "communities/show.html", page)
}

// after finishes a page action: back to the page on success, the page with the message
// next to the field on bad input, the error page otherwise.
func (h *handlers) after(w http.ResponseWriter, r *http.Request, err error, anchor string) error {
	if k := errs.KindOf(err); err != nil && (k == errs.Invalid || k == errs.Conflict) {
		return h.render(w, r, http.StatusUnprocessableEntity, err, nil)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/communities/"+r.PathValue("id")+"?flash=flash.community_saved#"+anchor, http.StatusSeeOther)
	return nil
}

func (h *handlers) addAuthority(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	in, err := parseAuthorityForm(r.PostForm)
	if err == nil {
		_, err = h.svc.AddAuthority(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in)
	}
	return h.after(w, r, err, "chain")
}

func (h *handlers) moveAuthority(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	pos, err := parsePosition(r.PostForm)
	if err == nil {
		_, err = h.svc.Move(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("aid"), pos)
	}
	return h.after(w, r, err, "chain")
}

func (h *handlers) removeAuthority(w http.ResponseWriter, r *http.Request) error {
	err := h.svc.RemoveAuthority(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("aid"))
	return h.after(w, r, err, "chain")
}

func (h *handlers) addPartner(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	_, err := h.svc.AddPartner(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"),
		NewPartner{Kind: PartnerKind(r.PostForm.Get("partner_kind")), Name: r.PostForm.Get("partner_name")})
	return h.after(w, r, err, "partners")
}

func (h *handlers) removePartner(w http.ResponseWriter, r *http.Request) error {
	err := h.svc.RemovePartner(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("pid"))
	return h.after(w, r, err, "partners")
}

func (h *handlers) addContact(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	_, err := h.svc.AddContact(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("pid"),
		ContactDetails{Name: f.Get("contact_name"), Phone: f.Get("phone"), Email: f.Get("email")})
	if k := errs.KindOf(err); err != nil && k == errs.Invalid {
		// Typed contact details are re-shown only to the person who typed them.
		return h.render(w, r, http.StatusUnprocessableEntity, err, nil)
	}
	return h.after(w, r, err, "partners")
}

func (h *handlers) removeContact(w http.ResponseWriter, r *http.Request) error {
	err := h.svc.RemoveContact(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("cid"))
	return h.after(w, r, err, "partners")
}

func (h *handlers) revealContact(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	cid := r.PathValue("cid")
	d, err := h.svc.RevealContact(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), cid, r.PostForm.Get("reason"))
	if errs.KindOf(err) == errs.Invalid {
		return h.render(w, r, http.StatusUnprocessableEntity, err, &revealView{ContactID: cid})
	}
	if err != nil {
		return err
	}
	// Answered in place, never redirected: the details live only in this response.
	w.Header().Set("Cache-Control", "no-store")
	return h.render(w, r, http.StatusOK, nil, &revealView{ContactID: cid, Details: &d})
}

func (h *handlers) addFigure(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	in, err := parseFigureForm(r.PostForm)
	if err == nil {
		_, err = h.svc.AddFigure(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in)
	}
	return h.after(w, r, err, "context")
}
