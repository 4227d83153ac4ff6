package survey

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/i18n"
	"inoculate/internal/platform/web"
)

// The public pages: anyone, no session, no cookie. Every answer is a page of ours in
// the respondent's language, sized for a phone; errors never fall through to the
// signed-in site's error page, which would offer cookie-setting language links.

// formView is what the survey form shows.
type formView struct {
	Code       string
	Phase      Phase
	Phases     []Phase
	Items      []itemView
	Scale      []int
	Skip       string
	Error      string // the refusal of a re-shown form
	ErrorField string
}

type itemView struct {
	Item
	Selected string // "1"…"5" or SkipValue
	Error    string
}

func (h *handlers) form(w http.ResponseWriter, r *http.Request) error {
	if !h.views.Allow(r.RemoteAddr, h.svc.now()) {
		return h.busy(w, r, h.lang(r, ""))
	}
	link, forum, err := h.open(r.Context(), r.PathValue("code"))
	if err != nil {
		return h.unavailable(w, r, err)
	}
	// Before the engagement starts the answers are "before"; the respondent can say
	// otherwise.
	phase := After
	if h.svc.now().Before(forum.StartsAt) {
		phase = Before
	}
	return h.renderForm(w, r, http.StatusOK, h.lang(r, forum.Language), link, phase, nil, nil)
}

func (h *handlers) submit(w http.ResponseWriter, r *http.Request) error {
	if !h.answers.Allow(r.RemoteAddr, h.svc.now()) {
		return h.busy(w, r, h.lang(r, ""))
	}
	link, forum, err := h.open(r.Context(), r.PathValue("code"))
	if err != nil {
		return h.unavailable(w, r, err)
	}
	lang := h.lang(r, forum.Language)
	if err := web.ParseForm(r); err != nil {
		return h.renderForm(w, r, http.StatusBadRequest, lang, link, "", nil, invalid("", "survey.error.form", "the form could not be read"))
	}
	phase, answers, err := Current().ParseAnswers(r.PostForm)
	if err == nil {
		err = h.svc.Submit(r.Context(), link.Code, Submission{Phase: phase, Language: lang, Answers: answers})
	}
	switch {
	case err == nil:
		http.Redirect(w, r, link.Path()+"/thanks?hl="+lang, http.StatusSeeOther)
		return nil
	case errs.Is(err, errs.Invalid):
		return h.renderForm(w, r, http.StatusUnprocessableEntity, lang, link, Phase(r.PostForm.Get("phase")), r.PostForm, err)
	case errs.Is(err, errs.TooMany):
		return h.busy(w, r, lang)
	default:
		return h.unavailable(w, r, err)
	}
}

func (h *handlers) thanks(w http.ResponseWriter, r *http.Request) error {
	if !h.views.Allow(r.RemoteAddr, h.svc.now()) {
		return h.busy(w, r, h.lang(r, ""))
	}
	link, forum, err := h.open(r.Context(), r.PathValue("code"))
	if err != nil {
		return h.unavailable(w, r, err)
	}
	help, err := h.deps.Engagements.HelpLine(r.Context(), link.TenantID)
	if err != nil {
		// The thanks still matter more than the help line: fall back to the default.
		slog.Error("survey: help line", "err", err, "request_id", web.RequestID(r.Context()))
		help = ""
	}
	data := struct{ HelpLine string }{strings.TrimSpace(help)}
	return h.renderPublic(w, r, http.StatusOK, h.lang(r, forum.Language), "survey/thanks.html", data)
}

// open finds the open link of code and its engagement. A closed link, an unknown
// code and a cancelled or vanished engagement are all errUnavailable.
func (h *handlers) open(ctx context.Context, code string) (Link, Forum, error) {
	link, err := h.svc.Open(ctx, code)
	if err != nil {
		return Link{}, Forum{}, err
	}
	forum, err := h.deps.Engagements.Forum(ctx, link.TenantID, link.EngagementID)
	if errs.Is(err, errs.NotFound) || (err == nil && forum.Status == "cancelled") {
		return Link{}, Forum{}, errUnavailable
	}
	if err != nil {
		return Link{}, Forum{}, err
	}
	return link, forum, nil
}

// lang is the public page's language: ?hl= when supported, else the engagement's
// language (the audience heard the talk in it), else the browser's preference.
func (h *handlers) lang(r *http.Request, forumLang string) string {
	for _, l := range []string{r.URL.Query().Get("hl"), forumLang} {
		if l, ok := supportedLang(l); ok {
			return l
		}
	}
	return i18n.Negotiate("", "", r.Header.Get("Accept-Language"))
}

func supportedLang(tag string) (string, bool) {
	l, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	return l, l != "" && slices.Contains(i18n.Supported(), l)
}

func (h *handlers) renderForm(w http.ResponseWriter, r *http.Request, status int, lang string, link Link, phase Phase, form url.Values, refusal error) error {
	inst := Current()
	v := formView{Code: link.Code, Phase: phase, Phases: Phases, Skip: SkipValue}
	for n := ScaleMin; n <= ScaleMax; n++ {
		v.Scale = append(v.Scale, n)
	}
	l := h.site.I18n.For(lang)
	var field, msg string
	if refusal != nil {
		var e *errs.Error
		if errors.As(refusal, &e) {
			field = e.Field
			msg = l.T(e.MsgKey)
		}
		v.Error, v.ErrorField = msg, field
	}
	for _, it := range inst.Items {
		iv := itemView{Item: it, Selected: SkipValue}
		// Re-show a choice only if it is one the form offers.
		if s := form.Get(it.ID); len(s) == 1 && s[0] >= '0'+ScaleMin && s[0] <= '0'+ScaleMax {
			iv.Selected = s
		}
		if field == it.ID {
			iv.Error = msg
		}
		v.Items = append(v.Items, iv)
	}
	return h.renderPublic(w, r, status, lang, "survey/form.html", v)
}

// unavailable answers an unknown or closed survey with 404, and a fault of ours with
// a 500 page in the same public shell (logged with its cause, shown without).
func (h *handlers) unavailable(w http.ResponseWriter, r *http.Request, err error) error {
	if !errs.Is(err, errs.NotFound) {
		slog.Error("survey: public page failed", "err", err, "request_id", web.RequestID(r.Context()), "route", r.Pattern)
		return h.renderPublic(w, r, http.StatusInternalServerError, h.lang(r, ""), "survey/failed.html", nil)
	}
	return h.renderPublic(w, r, http.StatusNotFound, h.lang(r, ""), "survey/unavailable.html", nil)
}

func (h *handlers) busy(w http.ResponseWriter, r *http.Request, lang string) error {
	w.Header().Set("Retry-After", strconv.Itoa(60))
	return h.renderPublic(w, r, http.StatusTooManyRequests, lang, "survey/busy.html", nil)
}

// renderPublic renders a public page in lang, without the visitor's session (a
// staff member opening the link sees what the audience sees) and without flash.
func (h *handlers) renderPublic(w http.ResponseWriter, r *http.Request, status int, lang, name string, data any) error {
	page := h.site.NewPage(r, "", data)
	page.L = h.site.I18n.For(lang)
	page.User, page.Flash = nil, ""
	return h.site.Render(w, r, status, name, page)
}
