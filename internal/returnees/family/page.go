package family

import (
	"net/http"
	"net/url"
	"time"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
	"inoculate/internal/returnees/caseref"
)

// pageData is what the family tab shows. A community liaison's page holds only
// Summary; everything else stays empty for them.
type pageData struct {
	Header caseref.Header
	Full   bool

	Summary   []Summary // liaison view
	Relatives []relativeRow
	Stances   []stanceCount

	Current    *mentorRow
	Mentors    []mentorRow // every assignment but the current one, latest first
	Milestones []milestoneRow
	Overdue    int

	CanWrite  bool
	CanReveal bool
	Fresh     bool
	Today     string
	Reveal    *revealView
}

type stanceCount struct {
	Stance Stance
	N      int
}

type relativeRow struct {
	Relative
	RecordedOnT time.Time
	UpdatedName string
}

type mentorRow struct {
	Mentor
	UserName          string
	FromT, UntilT     time.Time
	Reason, EndReason string
}

type milestoneRow struct {
	Milestone
	TargetT, AchievedT time.Time
	Note               string
}

// revealView is the reveal panel: the reason form for one relative or external mentor
// (from ?reveal_relative= / ?reveal_mentor=), or, in the answer to the reveal, the
// opened fields.
type revealView struct {
	Kind       string // relative | mentor
	ID         string
	Relative   *Relative
	Mentor     *mentorRow
	Details    *Details
	Name       string // an external mentor's revealed name
	Revealed   bool
	Reason     string
	Action     string
	StepUpHref string
}

func date(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	return mustDate(s)
}

// pageData gathers the family tab for the requester. Milestone notes and mentor
// reasons are opened (an audited read) only for the roles that read the case in full.
func (h *handlers) pageData(r *http.Request, page *web.Page, c caseref.Case) (*pageData, error) {
	p := web.Principal(r)
	ctx := r.Context()
	d := &pageData{Header: caseref.Header{Case: c, Tab: caseref.TabFamily}, Full: fullView(p.Role),
		Fresh: page.Fresh(), Today: h.svc.today().Format(time.DateOnly)}
	rels, err := h.svc.Relatives(ctx, p, c)
	if err != nil {
		return nil, err
	}
	counts := map[Stance]int{}
	for _, rel := range rels {
		counts[rel.Stance]++
	}
	for _, st := range StanceValues {
		if counts[st] > 0 {
			d.Stances = append(d.Stances, stanceCount{Stance: st, N: counts[st]})
		}
	}
	if !d.Full {
		for _, rel := range rels {
			d.Summary = append(d.Summary, rel.Summary())
		}
		return d, nil
	}
	d.CanWrite = page.Can(PermWrite) && !c.Erased
	d.CanReveal = page.Can(PermReveal) && !c.Erased
	n := h.namer(r)
	for _, rel := range rels {
		d.Relatives = append(d.Relatives, relativeRow{Relative: rel, RecordedOnT: date(rel.RecordedOn), UpdatedName: n.of(rel.UpdatedBy)})
	}
	notes, err := h.svc.Notes(ctx, p, web.RequestID(ctx), c)
	if err != nil {
		return nil, err
	}
	mentors, err := h.svc.Mentors(ctx, p, c)
	if err != nil {
		return nil, err
	}
	for _, m := range mentors {
		row := mentorRow{Mentor: m, UserName: n.of(m.UserID), FromT: date(m.From), UntilT: date(m.Until),
			Reason: notes.MentorReason[m.ID], EndReason: notes.MentorEndReason[m.ID]}
		if m.Current && d.Current == nil {
			d.Current = &row
			continue
		}
		d.Mentors = append(d.Mentors, row)
	}
	ms, err := h.svc.Milestones(ctx, p, c)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.Overdue {
			d.Overdue++
		}
		d.Milestones = append(d.Milestones, milestoneRow{Milestone: m, TargetT: date(m.TargetOn), AchievedT: date(m.AchievedOn), Note: notes.Milestone[m.ID]})
	}
	return d, nil
}

// withReveal prepares the reveal panel for a relative or a mentor of the page.
func (d *pageData) withReveal(kind, id string) *revealView {
	if !d.CanReveal || id == "" {
		return nil
	}
	v := &revealView{Kind: kind, ID: id}
	base := "/returnees/" + d.Header.Case.ID + "/family"
	switch kind {
	case "relative":
		for i := range d.Relatives {
			if d.Relatives[i].ID == id {
				v.Relative = &d.Relatives[i].Relative
			}
		}
		if v.Relative == nil {
			return nil
		}
		v.Action = base + "/relatives/" + id + "/reveal-contact"
		v.StepUpHref = "/login/step-up?next=" + url.QueryEscape(base+"?reveal_relative="+url.QueryEscape(id))
	case "mentor":
		if d.Current != nil && d.Current.ID == id {
			v.Mentor = d.Current
		}
		for i := range d.Mentors {
			if d.Mentors[i].ID == id {
				v.Mentor = &d.Mentors[i]
			}
		}
		if v.Mentor == nil || !v.Mentor.External {
			return nil
		}
		v.Action = base + "/mentors/" + id + "/reveal-name"
		v.StepUpHref = "/login/step-up?next=" + url.QueryEscape(base+"?reveal_mentor="+url.QueryEscape(id))
	}
	d.Reveal = v
	return v
}

func (h *handlers) show(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	d, err := h.pageData(r, page, c)
	if err != nil {
		return err
	}
	if id := r.URL.Query().Get("reveal_relative"); id != "" {
		d.withReveal("relative", id)
	} else if id := r.URL.Query().Get("reveal_mentor"); id != "" {
		d.withReveal("mentor", id)
	}
	page.Data = d
	return h.site.Render(w, r, http.StatusOK, "family/family.html", page)
}

// revealRelative answers a reveal with the family page showing the relative's sealed
// fields, to the person who revealed them only (the page is never cached).
func (h *handlers) revealRelative(w http.ResponseWriter, r *http.Request) error {
	return h.reveal(w, r, "relative", r.PathValue("rel"))
}

func (h *handlers) revealMentor(w http.ResponseWriter, r *http.Request) error {
	return h.reveal(w, r, "mentor", r.PathValue("mentor"))
}

func (h *handlers) reveal(w http.ResponseWriter, r *http.Request, kind, id string) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	if err := web.ParseForm(r); err != nil {
		return err
	}
	p := web.Principal(r)
	reason := r.PostForm.Get("reason")
	var details Details
	var name string
	var revealErr error
	if kind == "relative" {
		details, revealErr = h.svc.RevealRelative(r.Context(), p, web.RequestID(r.Context()), c, id, reason)
	} else {
		name, revealErr = h.svc.RevealMentor(r.Context(), p, web.RequestID(r.Context()), c, id, reason)
	}
	if revealErr != nil && errs.KindOf(revealErr) != errs.Invalid {
		return revealErr
	}
	page := h.site.NewPage(r, "", nil)
	d, err := h.pageData(r, page, c)
	if err != nil {
		return err
	}
	v := d.withReveal(kind, id)
	if v == nil {
		return errs.E(errs.NotFound, "not found")
	}
	status := http.StatusOK
	if revealErr != nil {
		field, msg := h.site.FieldMessage(r, revealErr)
		page.Errors = map[string]string{field: msg}
		v.Reason = reason
		status = http.StatusUnprocessableEntity
	} else {
		v.Revealed, v.Details, v.Name = true, &details, name
	}
	page.Data = d
	return h.site.Render(w, r, status, "family/family.html", page)
}
