package accounts

import (
	"net/http"
	"strings"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
)

func (h *Handlers) users(w http.ResponseWriter, r *http.Request) error {
	list, err := h.auth.Users(r.Context(), web.Principal(r).TenantID)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	page.Data = map[string]any{"Users": list, "Roles": authz.Roles, "Me": web.Principal(r).UserID}
	return h.site.Render(w, r, http.StatusOK, "accounts/users.html", page)
}

func (h *Handlers) newUserForm(w http.ResponseWriter, r *http.Request) error {
	return h.site.Render(w, r, http.StatusOK, "accounts/user_new.html", h.site.NewPage(r, "", map[string]any{"Roles": authz.Roles}))
}

func (h *Handlers) createUser(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	role, ok := authz.ParseRole(r.PostForm.Get("role"))
	var err error
	if !ok {
		err = &errs.Error{Kind: errs.Invalid, Field: "role", MsgKey: "error.role", Msg: "choose a role"}
	} else {
		_, err = h.auth.CreateUser(r.Context(), actor(r), web.Principal(r).TenantID,
			strings.TrimSpace(strings.ToLower(r.PostForm.Get("name"))), role, r.PostForm.Get("password"), false)
	}
	if k := errs.KindOf(err); err != nil && (k == errs.Invalid || k == errs.Conflict) {
		page := h.site.NewPage(r, "", map[string]any{"Roles": authz.Roles})
		page.Form = r.PostForm
		field, msg := h.site.FieldMessage(r, err)
		page.Errors = map[string]string{field: msg}
		return h.site.Render(w, r, http.StatusUnprocessableEntity, "accounts/user_new.html", page)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users?flash=flash.user_created", http.StatusSeeOther)
	return nil
}

// notSelf refuses an admin locking themselves out by their own hand.
func notSelf(r *http.Request) error {
	if r.PathValue("id") == web.Principal(r).UserID {
		return &errs.Error{Kind: errs.Conflict, MsgKey: "error.not_self", Msg: "you cannot change your own account this way"}
	}
	return nil
}

func (h *Handlers) changeRole(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	if err := notSelf(r); err != nil {
		return err
	}
	role, ok := authz.ParseRole(r.PostForm.Get("role"))
	if !ok {
		return &errs.Error{Kind: errs.Invalid, Field: "role", MsgKey: "error.role", Msg: "choose a role"}
	}
	if err := h.auth.SetRole(r.Context(), actor(r), web.Principal(r).TenantID, r.PathValue("id"), role); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users?flash=flash.role_changed", http.StatusSeeOther)
	return nil
}

func (h *Handlers) disable(w http.ResponseWriter, r *http.Request) error {
	if err := notSelf(r); err != nil {
		return err
	}
	if err := h.auth.Disable(r.Context(), actor(r), web.Principal(r).TenantID, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users?flash=flash.user_disabled", http.StatusSeeOther)
	return nil
}

func (h *Handlers) resetTOTP(w http.ResponseWriter, r *http.Request) error {
	if err := h.auth.ResetTOTP(r.Context(), actor(r), web.Principal(r).TenantID, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users?flash=flash.totp_reset", http.StatusSeeOther)
	return nil
}
