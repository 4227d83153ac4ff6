// Package communities keeps the communities the program works in: their kind, region,
// languages and cultural brief, their traditional chain of command (the authorities
// to consult, in order), partner organisations with sealed contact people, and
// aggregate context figures. Engagements read Get, List and Chain.
package communities

import (
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
)

// Service is the communities capability's API for its handlers and other capabilities.
type Service struct {
	db    *store.DB
	vault *vault.Vault
	audit *audit.Log
	now   func() time.Time
}

// NewService returns the service.
func NewService(db *store.DB, v *vault.Vault, a *audit.Log) *Service {
	return &Service{db: db, vault: v, audit: a, now: time.Now}
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", errs.Wrap(err, "communities: new id")
	}
	return id.String(), nil
}

func entry(p *authz.Principal, requestID, action, object string) audit.Entry {
	return audit.Entry{TenantID: p.TenantID, ActorID: p.UserID, Role: string(p.Role), Action: action,
		Object: object, Result: "ok", RequestID: requestID}
}

var (
	errNotFound = &errs.Error{Kind: errs.NotFound, MsgKey: "communities.error.not_found", Msg: "no such community"}
	errRole     = &errs.Error{Kind: errs.Forbidden, MsgKey: "communities.error.role", Msg: "your role may not do this"}
)

// check refuses a principal whose role is not in perm: the routes check too, the
// service holds the rule for every caller.
func check(perm authz.Permission, p *authz.Principal) error {
	if !allowed(perm, p) {
		return errRole
	}
	return nil
}

// cleanText trims s and refuses control characters (other than none) and overlong
// or empty required values, naming the field.
func cleanText(field, s string, required bool, max int) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "communities.error.text", Msg: field + ": not valid text"}
	}
	if s == "" && required {
		return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "communities.error.required", Msg: field + " is required"}
	}
	if utf8.RuneCountInString(s) > max {
		return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "communities.error.too_long", Args: []any{max}, Msg: field + " is too long"}
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "communities.error.text", Msg: field + ": not valid text"}
		}
	}
	return s, nil
}

// cleanLong is cleanText for multi-line text (newlines and tabs allowed).
func cleanLong(field, s string, max int) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if !utf8.ValidString(s) {
		return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "communities.error.text", Msg: field + ": not valid text"}
	}
	if utf8.RuneCountInString(s) > max {
		return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "communities.error.too_long", Args: []any{max}, Msg: field + " is too long"}
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "communities.error.text", Msg: field + ": not valid text"}
		}
	}
	return s, nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
