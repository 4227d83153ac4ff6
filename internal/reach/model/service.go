// Package model keeps the reach planner's model per tenant: audience cells
// (community × language × age band, sized from aggregate figures with a source —
// never lists of people), the probability that a channel reaches each cell, the
// pickup graph between channels, the options a plan chooses from (engagements and
// publications seeded on a channel, with their costs), and saved plans. It has a
// service with validation, tenant isolation and audit, a consistent whole-model read
// for the planner, and all-or-nothing CSV imports for bulk data.
//
// Channels, communities and returnees belong to other capabilities: this package
// refers to them by id. It reads only their ids and names (and returnee aliases), in
// the same transaction as the write that refers to them, to prove a reference is the
// tenant's and to resolve the names a spreadsheet uses.
//
// # CSV imports
//
// There is one file per kind of record. Each has a header row naming its columns
// (any order; case, spaces and hyphens in names do not matter: "Age band" is
// age_band); columns marked * must be present. Channels, communities and speakers
// are given by name (as on their pages; case and extra spaces ignored) or by id; a
// name two records share must be given by id. An empty community means the cell or
// option is not tied to one community. Numbers are written 1200 or 1 200 or 0.35;
// in a file separated by semicolons or tabs, 0,35 too. Probabilities may be written
// as percentages (35%).
//
//	cells:    community, language*, age_band*, size*, source*, year*
//	reach:    channel*, community, language*, age_band*, probability*
//	          (the cell is the one of that community, language and age band: import
//	          cells first)
//	pickups:  from_channel*, to_channel*, probability*
//	options:  title*, kind*, channel*, community, language*, identity_level*,
//	          speaker, money*, speaker_hours*, notes
//
// Rows are matched to existing records by their natural key: a cell by community,
// language and age band; a reach link by channel and cell; a pickup by its two
// channels; an option by its exact title.
//
// An import is all or nothing: any bad row and nothing is written, and the result
// lists every problem with its line and column (up to MaxListedErrors); otherwise
// all rows are written in one transaction. Files are limited to MaxImportBytes and
// MaxImportRows.
package model

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// Service is the reach model's API for the planner, its handlers and its imports.
type Service struct {
	db    *store.DB
	audit *audit.Log
	now   func() time.Time
}

// NewService returns the service.
func NewService(db *store.DB, a *audit.Log) *Service {
	return &Service{db: db, audit: a, now: time.Now}
}

// SetClock replaces the clock, for tests and the demo.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", errs.Wrap(err, "reach: new id")
	}
	return id.String(), nil
}

func entry(p *authz.Principal, requestID, action, object string) audit.Entry {
	return audit.Entry{TenantID: p.TenantID, ActorID: p.UserID, Role: string(p.Role), Action: action,
		Object: object, Result: "ok", RequestID: requestID}
}

var errRole = &errs.Error{Kind: errs.Forbidden, MsgKey: "reach.error.role", Msg: "your role may not do this"}

// check refuses a principal whose role is not in perm: the routes check too, the
// service holds the rule for every caller.
func check(perm authz.Permission, p *authz.Principal) error {
	if !allowed(perm, p) {
		return errRole
	}
	return nil
}

func invalid(field, key, msg string, args ...any) *errs.Error {
	return &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: key, Args: args, Msg: msg}
}

func notFound(field, key, msg string) *errs.Error {
	return &errs.Error{Kind: errs.NotFound, Field: field, MsgKey: key, Msg: msg}
}

func conflict(field, key, msg string) *errs.Error {
	return &errs.Error{Kind: errs.Conflict, Field: field, MsgKey: key, Msg: msg}
}

// cleanText trims s and refuses invalid text, control characters and overlong or
// empty required values, naming the field.
func cleanText(field, s string, required bool, max int) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", invalid(field, "reach.error.text", field+": not valid text")
	}
	if s == "" && required {
		return "", invalid(field, "reach.error.required", field+" is required")
	}
	if utf8.RuneCountInString(s) > max {
		return "", invalid(field, "reach.error.too_long", field+" is too long", max)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return "", invalid(field, "reach.error.text", field+": not valid text")
		}
	}
	return s, nil
}

// cleanLong is cleanText for multi-line text (newlines and tabs allowed).
func cleanLong(field, s string, max int) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if !utf8.ValidString(s) {
		return "", invalid(field, "reach.error.text", field+": not valid text")
	}
	if utf8.RuneCountInString(s) > max {
		return "", invalid(field, "reach.error.too_long", field+" is too long", max)
	}
	for _, r := range s {
		if (unicode.IsControl(r) && r != '\n' && r != '\t') || r == utf8.RuneError {
			return "", invalid(field, "reach.error.text", field+": not valid text")
		}
	}
	return s, nil
}

// cleanID trims an id a caller gives. Ids are opaque but always short, valid text:
// anything else becomes an id no record has, so it is not found rather than failing
// in the database (PostgreSQL refuses invalid UTF-8 and NUL in parameters).
func cleanID(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 100 || !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return "?"
	}
	return s
}

// checkProbability refuses anything outside (0, 1]: a link with probability 0 is no
// link, and NaN would poison every estimate.
func checkProbability(p float64) error {
	if math.IsNaN(p) || p <= 0 || p > 1 {
		return invalid("probability", "reach.error.probability", "a probability is more than 0 and at most 1")
	}
	return nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

type scanner interface{ Scan(dest ...any) error }

// exists reports whether query (selecting one row by tenant and id) finds a row.
func exists(ctx context.Context, q store.Querier, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRow(ctx, query, args...).Scan(&one)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, errs.Wrap(err, "reach: check reference")
	}
	return true, nil
}

// The references another capability owns, checked in the writing transaction so a
// record never points at another tenant's channel, community or returnee.

func checkChannel(ctx context.Context, q store.Querier, tenantID, id, field string) error {
	ok, err := exists(ctx, q, `SELECT 1 FROM channels WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err == nil && !ok {
		err = notFound(field, "reach.error.channel", "no such channel")
	}
	return err
}

func checkCommunity(ctx context.Context, q store.Querier, tenantID, id string) error {
	if id == "" {
		return nil
	}
	ok, err := exists(ctx, q, `SELECT 1 FROM communities WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err == nil && !ok {
		err = notFound("community_id", "reach.error.community", "no such community")
	}
	return err
}

// checkSpeaker accepts a returnee of the tenant who has not been erased.
func checkSpeaker(ctx context.Context, q store.Querier, tenantID, id string) error {
	if id == "" {
		return nil
	}
	ok, err := exists(ctx, q, `SELECT 1 FROM returnees WHERE tenant_id = ? AND id = ? AND erased_at IS NULL`, tenantID, id)
	if err == nil && !ok {
		err = notFound("speaker_id", "reach.error.speaker", "no such speaker")
	}
	return err
}
