package survey

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"inoculate/internal/platform/i18n"
	"inoculate/internal/platform/web"
)

// The signed-in pages: results with the link and its actions, the poster, the QR
// code. Each opens the engagement through Engagements first, so another tenant's
// engagement is not found whatever the path says.

type resultsView struct {
	Forum    Forum
	Starts   time.Time // in the engagement's own time zone
	Link     *Link
	Display  string // the short link as printed: host/s/CODE
	Eligible bool
	CanPrint bool
	CanBack  bool // may open the engagement page
	Results  Results
	MinCell  int
	Phases   []Phase
	Scale    []int
	l        *i18n.Localizer
}

// Count is a results count as shown: the number, or "fewer than 5".
func (v resultsView) Count(c Count) string {
	if c.Suppressed {
		return v.l.T("survey.results.fewer", MinCell)
	}
	return v.l.T("survey.results.count", c.N)
}

// Phase is the item's answers in ph, for templates.
func (ir ItemResult) Phase(ph Phase) ItemPhase {
	if ph == Before {
		return ir.Before
	}
	return ir.After
}

// forum opens the engagement of the path in the principal's tenant.
func (h *handlers) forum(r *http.Request) (Forum, error) {
	return h.deps.Engagements.Forum(r.Context(), web.Principal(r).TenantID, r.PathValue("id"))
}

func (h *handlers) view(r *http.Request, f Forum, withResults bool) (resultsView, error) {
	p := web.Principal(r)
	v := resultsView{Forum: f, Starts: inZone(f.StartsAt, f.TimeZone), Eligible: slices.Contains(h.svc.cfg.Kinds, f.Kind),
		MinCell: MinCell, Phases: Phases, l: h.site.I18n.For(web.Lang(r.Context()))}
	for n := ScaleMin; n <= ScaleMax; n++ {
		v.Scale = append(v.Scale, n)
	}
	link, ok, err := h.svc.FindLink(r.Context(), p.TenantID, f.ID)
	if err != nil {
		return v, err
	}
	if ok {
		v.Link = &link
		v.Display = displayURL(h.baseURL(r)) + link.Path()
	}
	if withResults {
		if v.Results, err = h.svc.Results(r.Context(), p.TenantID, f.ID); err != nil {
			return v, err
		}
	}
	return v, nil
}

func (h *handlers) results(w http.ResponseWriter, r *http.Request) error {
	f, err := h.forum(r)
	if err != nil {
		return err
	}
	v, err := h.view(r, f, true)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	v.CanPrint = page.Can(h.deps.PermPrint)
	v.CanBack = h.deps.PermEngagement.Name == "" || page.Can(h.deps.PermEngagement)
	page.Data = v
	return h.site.Render(w, r, http.StatusOK, "survey/results.html", page)
}

func (h *handlers) createLink(w http.ResponseWriter, r *http.Request) error {
	f, err := h.forum(r)
	if err != nil {
		return err
	}
	if _, err := h.svc.Link(r.Context(), web.Principal(r).TenantID, f.ID); err != nil {
		return err
	}
	http.Redirect(w, r, "/engagements/"+f.ID+"/survey?flash=flash.survey.link_created", http.StatusSeeOther)
	return nil
}

func (h *handlers) close(w http.ResponseWriter, r *http.Request) error {
	f, err := h.forum(r)
	if err != nil {
		return err
	}
	if err := h.svc.Close(r.Context(), web.Principal(r), web.RequestID(r.Context()), f.ID); err != nil {
		return err
	}
	http.Redirect(w, r, "/engagements/"+f.ID+"/survey?flash=flash.survey.closed", http.StatusSeeOther)
	return nil
}

func (h *handlers) print(w http.ResponseWriter, r *http.Request) error {
	f, err := h.forum(r)
	if err != nil {
		return err
	}
	v, err := h.view(r, f, false)
	if err != nil {
		return err
	}
	if v.Link == nil {
		return errNoLink
	}
	return h.site.Render(w, r, http.StatusOK, "survey/print.html", h.site.NewPage(r, "", v))
}

func (h *handlers) qr(w http.ResponseWriter, r *http.Request) error {
	f, err := h.forum(r)
	if err != nil {
		return err
	}
	link, ok, err := h.svc.FindLink(r.Context(), web.Principal(r).TenantID, f.ID)
	if err != nil {
		return err
	}
	if !ok {
		return errNoLink
	}
	png, err := QRCode(h.baseURL(r) + link.Path())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Disposition", `inline; filename="survey-`+link.Code+`.png"`)
	_, err = w.Write(png)
	return err
}

func (h *handlers) apiResults(w http.ResponseWriter, r *http.Request) error {
	f, err := h.forum(r)
	if err != nil {
		return err
	}
	res, err := h.svc.Results(r.Context(), web.Principal(r).TenantID, f.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, res)
	return nil
}

// baseURL is the public origin, without a trailing slash.
func (h *handlers) baseURL(r *http.Request) string {
	if h.deps.BaseURL != nil {
		return strings.TrimRight(h.deps.BaseURL(r), "/")
	}
	return "https://" + r.Host
}

// displayURL is an origin as people type it: no scheme.
func displayURL(base string) string {
	for _, p := range []string{"https://", "http://"} {
		if s, ok := strings.CutPrefix(base, p); ok {
			return s
		}
	}
	return base
}

// inZone is t in the IANA zone tz, or in UTC when the zone is unknown here.
func inZone(t time.Time, tz string) time.Time {
	if loc, err := time.LoadLocation(tz); err == nil && tz != "" {
		return t.In(loc)
	}
	return t.UTC()
}
