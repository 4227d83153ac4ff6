package accounts

import (
	"net/http"
	"strings"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
)

func (h *Handlers) loginForm(w http.ResponseWriter, r *http.Request) error {
	if p := web.Principal(r); p != nil && p.Stage == authz.StageFull {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return h.renderLogin(w, r, http.StatusOK, "")
}

func (h *Handlers) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	page := h.site.NewPage(r, "", nil)
	page.Form = r.PostForm
	org := r.URL.Query().Get("org")
	if org == "" && r.PostForm != nil {
		org = r.PostForm.Get("org")
	}
	single := ""
	// With a single tenant there is nothing to choose: the field is filled in.
	if ts, err := h.auth.Tenants(r.Context()); err == nil && len(ts) == 1 {
		single = ts[0].Slug
	}
	page.Data = map[string]any{"Org": org, "SingleOrg": single, "Message": msg}
	if msg != "" {
		page.Flash, page.FlashKind = msg, "error"
	}
	return h.site.Render(w, r, status, "accounts/login.html", page)
}

func (h *Handlers) login(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	org := strings.TrimSpace(strings.ToLower(r.PostForm.Get("org")))
	name := strings.TrimSpace(strings.ToLower(r.PostForm.Get("name")))
	res, err := h.auth.Login(r.Context(), org, name, r.PostForm.Get("password"), remoteAddr(r), web.RequestID(r.Context()))
	if err != nil {
		l := h.site.I18n.For(web.Lang(r.Context()))
		switch errs.KindOf(err) {
		case errs.Unauthorized:
			return h.renderLogin(w, r, http.StatusUnauthorized, l.T("login.failed"))
		case errs.TooMany:
			return h.renderLogin(w, r, http.StatusTooManyRequests, l.T("login.throttled"))
		}
		return err
	}
	web.SetSessionCookie(w, res.Token)
	next := web.SafeNext(r.URL.Query().Get("next"))
	switch res.Stage {
	case authz.StageTOTP:
		next = "/login/totp"
	case authz.StageEnrol:
		next = "/login/enrol"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// remoteAddr is the client address for the per-address throttle only: never stored.
func remoteAddr(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return host
}

func (h *Handlers) totpForm(w http.ResponseWriter, r *http.Request) error {
	if p := web.Principal(r); p.Stage == authz.StageEnrol {
		http.Redirect(w, r, "/login/enrol", http.StatusSeeOther)
		return nil
	}
	return h.site.Render(w, r, http.StatusOK, "accounts/totp.html", h.site.NewPage(r, "", nil))
}

func (h *Handlers) totp(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	if web.Principal(r).Stage == authz.StageFull {
		http.Redirect(w, r, "/", http.StatusSeeOther) // already through
		return nil
	}
	tok, err := h.auth.VerifyTOTP(r.Context(), sessionToken(r), r.PostForm.Get("code"), web.RequestID(r.Context()))
	if err != nil {
		return h.codeError(w, r, "accounts/totp.html", nil, err)
	}
	web.SetSessionCookie(w, tok)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// codeError re-shows a code form with a message for a wrong or throttled code.
func (h *Handlers) codeError(w http.ResponseWriter, r *http.Request, tmpl string, data any, err error) error {
	l := h.site.I18n.For(web.Lang(r.Context()))
	page := h.site.NewPage(r, "", data)
	switch errs.KindOf(err) {
	case errs.Unauthorized, errs.Invalid:
		page.Errors = map[string]string{"code": l.T("totp.invalid")}
		return h.site.Render(w, r, http.StatusUnauthorized, tmpl, page)
	case errs.TooMany:
		page.Errors = map[string]string{"code": l.T("login.throttled")}
		return h.site.Render(w, r, http.StatusTooManyRequests, tmpl, page)
	}
	return err
}

type enrolData struct {
	Secret string
}

func (h *Handlers) enrolForm(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	if p.Stage != authz.StageEnrol {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	secret, _, err := h.auth.BeginEnrol(r.Context(), p)
	if err != nil {
		return err
	}
	return h.site.Render(w, r, http.StatusOK, "accounts/enrol.html", h.site.NewPage(r, "", enrolData{Secret: groupSecret(secret)}))
}

// groupSecret spaces the key in groups of four so it can be typed by hand.
func groupSecret(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (h *Handlers) enrolQR(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	if p.Stage != authz.StageEnrol {
		return errs.E(errs.NotFound, "no enrolment in progress")
	}
	png, err := h.auth.EnrolQR(r.Context(), p)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	_, err = w.Write(png)
	return err
}

func (h *Handlers) enrol(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	p := web.Principal(r)
	if p.Stage != authz.StageEnrol {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	tok, err := h.auth.ConfirmEnrol(r.Context(), p, r.PostForm.Get("code"), web.RequestID(r.Context()))
	if err != nil {
		secret, _, berr := h.auth.BeginEnrol(r.Context(), p)
		if berr != nil {
			return berr
		}
		return h.codeError(w, r, "accounts/enrol.html", enrolData{Secret: groupSecret(secret)}, err)
	}
	web.SetSessionCookie(w, tok)
	http.Redirect(w, r, "/?flash=flash.enrolled", http.StatusSeeOther)
	return nil
}

func (h *Handlers) stepUpForm(w http.ResponseWriter, r *http.Request) error {
	page := h.site.NewPage(r, "", map[string]any{"Next": web.SafeNext(r.URL.Query().Get("next")), "Demo": web.Principal(r).DemoTenant})
	return h.site.Render(w, r, http.StatusOK, "accounts/stepup.html", page)
}

func (h *Handlers) stepUp(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	next := web.SafeNext(r.PostForm.Get("next"))
	tok, err := h.auth.StepUp(r.Context(), web.Principal(r), r.PostForm.Get("password"), r.PostForm.Get("code"), web.RequestID(r.Context()))
	if err != nil {
		data := map[string]any{"Next": next, "Demo": web.Principal(r).DemoTenant}
		return h.codeError(w, r, "accounts/stepup.html", data, err)
	}
	web.SetSessionCookie(w, tok)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (h *Handlers) logout(w http.ResponseWriter, r *http.Request) error {
	if err := h.auth.Logout(r.Context(), sessionToken(r), web.RequestID(r.Context())); err != nil {
		return err
	}
	web.ClearSessionCookie(w)
	// Wipe anything the browser kept of this session: cached pages, storage.
	w.Header().Set("Clear-Site-Data", `"cache", "storage"`)
	http.Redirect(w, r, "/login?flash=flash.signed_out", http.StatusSeeOther)
	return nil
}

func (h *Handlers) setupForm(w http.ResponseWriter, r *http.Request) error {
	t, err := h.auth.CheckSetupLink(r.Context(), r.PathValue("token"))
	if err != nil {
		return h.setupExpired(w, r)
	}
	return h.site.Render(w, r, http.StatusOK, "accounts/setup.html", h.site.NewPage(r, "", map[string]any{"Tenant": t}))
}

func (h *Handlers) setupExpired(w http.ResponseWriter, r *http.Request) error {
	return h.site.Render(w, r, http.StatusNotFound, "accounts/setup_expired.html", h.site.NewPage(r, "", nil))
}

func (h *Handlers) setup(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	raw := r.PathValue("token")
	t, err := h.auth.CheckSetupLink(r.Context(), raw)
	if err != nil {
		return h.setupExpired(w, r)
	}
	if r.PostForm.Get("password") != r.PostForm.Get("password2") {
		page := h.site.NewPage(r, "", map[string]any{"Tenant": t})
		page.Form = r.PostForm
		page.Errors = map[string]string{"password2": page.T("error.password_mismatch")}
		return h.site.Render(w, r, http.StatusUnprocessableEntity, "accounts/setup.html", page)
	}
	_, res, err := h.auth.CompleteSetup(r.Context(), raw, strings.TrimSpace(strings.ToLower(r.PostForm.Get("name"))), r.PostForm.Get("password"), web.RequestID(r.Context()))
	if errs.KindOf(err) == errs.Invalid || errs.KindOf(err) == errs.Conflict {
		page := h.site.NewPage(r, "", map[string]any{"Tenant": t})
		page.Form = r.PostForm
		field, msg := h.site.FieldMessage(r, err)
		page.Errors = map[string]string{field: msg}
		return h.site.Render(w, r, http.StatusUnprocessableEntity, "accounts/setup.html", page)
	}
	if err != nil {
		return err
	}
	web.SetSessionCookie(w, res.Token)
	http.Redirect(w, r, "/login/enrol", http.StatusSeeOther)
	return nil
}
