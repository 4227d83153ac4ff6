package engagements

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"inoculate/internal/communities"
	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
	"inoculate/internal/returnees"
	"inoculate/internal/returnees/assessment"
	"inoculate/internal/returnees/consent"
	"inoculate/internal/returnees/family"
)

// Deps are the other capabilities an engagement's rules read: the community and its
// chain, the speakers (by alias), their clearance and threat level, their consent and
// their family. Each is used only through its exported service API.
type Deps struct {
	Communities *communities.Service
	Returnees   *returnees.Service
	Assess      *assessment.Service
	Consent     *consent.Service
	Family      *family.Service
}

// Service is the engagements capability's API for its handlers and other capabilities.
type Service struct {
	db    *store.DB
	vault *vault.Vault
	audit *audit.Log
	deps  Deps
	now   func() time.Time
}

// NewService returns the service.
func NewService(db *store.DB, v *vault.Vault, a *audit.Log, deps Deps) *Service {
	return &Service{db: db, vault: v, audit: a, deps: deps, now: time.Now}
}

// SetClock replaces the clock, for tests and the demo.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", errs.Wrap(err, "engagements: new id")
	}
	return id.String(), nil
}

func entry(p *authz.Principal, requestID, action, object string) audit.Entry {
	return audit.Entry{TenantID: p.TenantID, ActorID: p.UserID, Role: string(p.Role), Action: action,
		Object: object, Result: "ok", RequestID: requestID}
}

var (
	errNotFound = &errs.Error{Kind: errs.NotFound, MsgKey: "engagements.error.not_found", Msg: "no such engagement"}
	errRole     = &errs.Error{Kind: errs.Forbidden, MsgKey: "engagements.error.role", Msg: "your role may not do this"}
	errClosed   = &errs.Error{Kind: errs.Conflict, MsgKey: "engagements.error.closed",
		Msg: "this engagement can no longer be changed: it was held or cancelled"}
)

// check refuses a principal whose role is not in perm: the routes check too, the
// service holds the rule for every caller.
func check(perm authz.Permission, p *authz.Principal) error {
	if p == nil || p.TenantID == "" || !slices.Contains(perm.Roles, p.Role) {
		return errRole
	}
	return nil
}

func invalid(field, key, msg string, args ...any) error {
	return &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: key, Args: args, Msg: msg}
}

// cleanText trims s and refuses invalid text, control characters and overlong or
// empty required values, naming the field.
func cleanText(field, s string, required bool, max int) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", invalid(field, "engagements.error.text", field+": not valid text")
	}
	if s == "" && required {
		return "", invalid(field, "engagements.error.required", field+" is required")
	}
	if utf8.RuneCountInString(s) > max {
		return "", invalid(field, "engagements.error.too_long", field+" is too long", max)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", invalid(field, "engagements.error.text", field+": not valid text")
		}
	}
	return s, nil
}

// cleanLong is cleanText for multi-line text (newlines and tabs allowed).
func cleanLong(field, s string, required bool, max int) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if !utf8.ValidString(s) {
		return "", invalid(field, "engagements.error.text", field+": not valid text")
	}
	if s == "" && required {
		return "", invalid(field, "engagements.error.required", field+" is required")
	}
	if utf8.RuneCountInString(s) > max {
		return "", invalid(field, "engagements.error.too_long", field+" is too long", max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return "", invalid(field, "engagements.error.text", field+": not valid text")
		}
	}
	return s, nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// field is the vault reference of one sealed column of an engagement: every sealed
// field is bound to the engagement's own data key.
func field(tenantID, engagementID, table, column, row string) vault.FieldRef {
	return vault.FieldRef{TenantID: tenantID, Subject: engagementID, Table: table, Column: column, Row: row}
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// communityName returns the community's name, "" when id is empty.
func (s *Service) communityName(ctx context.Context, tenantID, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	c, err := s.deps.Communities.Get(ctx, tenantID, id)
	if err != nil {
		return "", err
	}
	return c.Name, nil
}

// sameCommunity compares community names the way people type them: case, spacing.
func sameCommunity(a, b string) bool {
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }
	return a != "" && norm(a) == norm(b)
}
