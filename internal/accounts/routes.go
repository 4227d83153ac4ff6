// Package accounts is how people get in and who they are: the sign-in pages (password,
// TOTP check and enrolment, step-up, sign-out, first-administrator setup) and the
// administration of users and roles, over the platform's auth service.
package accounts

import (
	"embed"
	"net/http"

	"inoculate/internal/platform/auth"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/web"
)

//go:embed templates
var templates embed.FS

// Permissions of the account routes.
var (
	PermSignIn      = authz.Public("auth.sign_in")
	PermSetup       = authz.Public("auth.setup")
	PermSecondStep  = authz.SecondFactor("auth.second_factor")
	PermStepUp      = authz.AnySignedIn("auth.step_up")
	PermUsersList   = authz.Allow("users.list", authz.Admin)
	PermUsersCreate = authz.Allow("users.create", authz.Admin)
	// Changing who can do what is sensitive: it needs a fresh sign-in (P17).
	PermUsersChange = authz.Allow("users.change", authz.Admin).WithStepUp()
)

// Handlers serves the account pages.
type Handlers struct {
	site *web.Site
	auth *auth.Service
}

// Register adds the account templates and routes to site.
func Register(site *web.Site, svc *auth.Service) error {
	if err := site.Templates.Add("accounts", templates, "templates"); err != nil {
		return err
	}
	h := &Handlers{site: site, auth: svc}
	site.AddNav("/admin/users", "nav.users", PermUsersList)

	b := site.Browser()
	b.Handle("GET /login", PermSignIn, h.loginForm)
	b.Handle("POST /login", PermSignIn, h.login)
	b.Handle("GET /login/totp", PermSecondStep, h.totpForm)
	b.Handle("POST /login/totp", PermSecondStep, h.totp)
	b.Handle("GET /login/enrol", PermSecondStep, h.enrolForm)
	b.Handle("GET /login/enrol/qr.png", PermSecondStep, h.enrolQR)
	b.Handle("POST /login/enrol", PermSecondStep, h.enrol)
	b.Handle("GET /login/step-up", PermStepUp, h.stepUpForm)
	b.Handle("POST /login/step-up", PermStepUp, h.stepUp)
	b.Handle("POST /logout", PermSecondStep, h.logout)
	b.Handle("GET /setup/{token}", PermSetup, h.setupForm)
	b.Handle("POST /setup/{token}", PermSetup, h.setup)

	b.Handle("GET /admin/users", PermUsersList, h.users)
	b.Handle("GET /admin/users/new", PermUsersCreate, h.newUserForm)
	b.Handle("POST /admin/users", PermUsersCreate, h.createUser)
	b.Handle("POST /admin/users/{id}/role", PermUsersChange, h.changeRole)
	b.Handle("POST /admin/users/{id}/disable", PermUsersChange, h.disable)
	b.Handle("POST /admin/users/{id}/reset-totp", PermUsersChange, h.resetTOTP)
	return nil
}

func sessionToken(r *http.Request) string {
	if c, err := r.Cookie(web.SessionCookie); err == nil {
		return c.Value
	}
	return ""
}

func actor(r *http.Request) auth.Actor {
	p := web.Principal(r)
	return auth.Actor{TenantID: p.TenantID, UserID: p.UserID, Role: p.Role, RequestID: web.RequestID(r.Context())}
}
