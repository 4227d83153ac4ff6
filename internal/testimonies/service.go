// Package testimonies keeps a returnee's recorded testimony: its transcripts and
// subtitles per language as timecoded segments (sealed with the returnee's data key,
// so erasing the person makes them unreadable), the themes of each segment, the
// redaction flags raised on every language's text by the names and places known from
// the case and by patterns (phones, addresses…), each resolved before release, and
// clips as time ranges. Recordings, renditions and the release gate build on it.
package testimonies

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

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
	"inoculate/internal/returnees"
	"inoculate/internal/returnees/consent"
	"inoculate/internal/testimonies/redact"
)

// Who may do what (DESIGN.md §2): communications officers and supervisors work on
// testimonies; safety officers, case workers and legal officers read them (the safety
// review, the duty of care, the legal review of a release). Nobody here sees a legal identity: a flag shows the words of the
// transcript, never the known name it matched.
var (
	PermRead = authz.Allow("testimonies.read", authz.CommsOfficer, authz.Supervisor, authz.SafetyOfficer, authz.CaseWorker,
		authz.LegalOfficer) // the legal officer gives the release's legal review
	PermWrite = authz.Allow("testimonies.write", authz.CommsOfficer, authz.Supervisor)
)

// Terms gives the words known from a case that must not be released: the legal
// name, the address, relatives' names, the home town and relatives' places. The
// wiring composes it from the returnees and family services (audited reads).
type Terms func(ctx context.Context, tenantID, returneeID, requestID string) ([]redact.Term, error)

// Service is the testimonies capability's API.
type Service struct {
	db        *store.DB
	vault     *vault.Vault
	audit     *audit.Log
	returnees *returnees.Service
	terms     Terms
	rec       Recordings
	rend      Renditions
	channels  Channels
	now       func() time.Time
}

// NewService returns the service.
func NewService(db *store.DB, v *vault.Vault, a *audit.Log, r *returnees.Service, terms Terms) *Service {
	return &Service{db: db, vault: v, audit: a, returnees: r, terms: terms, now: time.Now}
}

// Themes are the four narratives of ICSR's defector study; a tenant adds its own in
// the same form later.
var Themes = []string{"infighting", "brutality_against_sunnis", "corruption", "poor_quality_of_life"}

// Testimony is one recorded account, by alias.
type Testimony struct {
	ID         string    `json:"id"`
	TenantID   string    `json:"-"`
	ReturneeID string    `json:"returnee_id"`
	Title      string    `json:"title"`
	Language   string    `json:"language"`
	RecordedOn string    `json:"recorded_on"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Input is the new-testimony form.
type Input struct {
	ReturneeID string `json:"returnee_id"`
	Title      string `json:"title"`
	Language   string `json:"language"`
	RecordedOn string `json:"recorded_on"`
}

var (
	errNotFound = &errs.Error{Kind: errs.NotFound, MsgKey: "testimonies.error.not_found", Msg: "no such testimony"}
	errRole     = &errs.Error{Kind: errs.Forbidden, MsgKey: "testimonies.error.role", Msg: "your role may not do this"}
)

func check(perm authz.Permission, p *authz.Principal) error {
	if p == nil || p.TenantID == "" || !slices.Contains(perm.Roles, p.Role) {
		return errRole
	}
	return nil
}

func invalid(field, key, msg string, args ...any) error {
	return &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: key, Args: args, Msg: msg}
}

func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", errs.Wrap(err, "testimonies: new id")
	}
	return id.String(), nil
}

func auditSystem(tenantID, action, object string) audit.Entry {
	return audit.Entry{TenantID: tenantID, ActorID: "system", Action: action, Object: object, Result: "ok"}
}

func entry(p *authz.Principal, requestID, action, object string) audit.Entry {
	return audit.Entry{TenantID: p.TenantID, ActorID: p.UserID, Role: string(p.Role), Action: action, Object: object, Result: "ok", RequestID: requestID}
}

func cleanTitle(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalid("title", "testimonies.error.required", "title is required")
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > 200 || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", invalid("title", "testimonies.error.title", "the title is at most 200 characters of text")
	}
	return s, nil
}

// Create records a testimony of a returnee.
func (s *Service) Create(ctx context.Context, p *authz.Principal, requestID string, in Input) (Testimony, error) {
	if err := check(PermWrite, p); err != nil {
		return Testimony{}, err
	}
	title, err := cleanTitle(in.Title)
	if err != nil {
		return Testimony{}, err
	}
	lang, ok := consent.NormalizeLanguage(in.Language)
	if !ok {
		return Testimony{}, invalid("language", "testimonies.error.language", "give the language as a code such as ar or en")
	}
	if in.RecordedOn = strings.TrimSpace(in.RecordedOn); in.RecordedOn != "" {
		d, err := time.Parse(time.DateOnly, in.RecordedOn)
		if err != nil || d.After(s.now()) {
			return Testimony{}, invalid("recorded_on", "testimonies.error.date", "the recording date is a past date, YYYY-MM-DD")
		}
	}
	r, err := s.returnees.Get(ctx, p.TenantID, strings.TrimSpace(in.ReturneeID))
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return Testimony{}, invalid("returnee_id", "testimonies.error.returnee", "no such person")
		}
		return Testimony{}, err
	}
	if r.Erased {
		return Testimony{}, invalid("returnee_id", "testimonies.error.erased", "this person's data was erased")
	}
	id, err := newID()
	if err != nil {
		return Testimony{}, err
	}
	at := store.Millis(s.now())
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO testimonies (id, tenant_id, returnee_id, title, language, recorded_on, created_by, created_at, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, p.TenantID, r.ID, title, lang, in.RecordedOn, p.UserID, at, p.UserID, at); err != nil {
			return errs.Wrap(err, "testimonies: create")
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "testimony.create", id))
		return err
	})
	if err != nil {
		return Testimony{}, err
	}
	return s.Get(ctx, p.TenantID, id)
}

const selectTestimony = `SELECT id, tenant_id, returnee_id, title, language, recorded_on, created_by, created_at, updated_at FROM testimonies`

func scan(r interface{ Scan(...any) error }) (Testimony, error) {
	var t Testimony
	var c, u int64
	if err := r.Scan(&t.ID, &t.TenantID, &t.ReturneeID, &t.Title, &t.Language, &t.RecordedOn, &t.CreatedBy, &c, &u); err != nil {
		return t, err
	}
	t.CreatedAt, t.UpdatedAt = store.FromMillis(c), store.FromMillis(u)
	return t, nil
}

// Get returns one testimony; NotFound for another tenant's.
func (s *Service) Get(ctx context.Context, tenantID, id string) (Testimony, error) {
	t, err := scan(s.db.Reader().QueryRow(ctx, selectTestimony+` WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return t, errNotFound
		}
		return t, errs.Wrap(err, "testimonies: get")
	}
	return t, nil
}

// List returns the tenant's testimonies, newest first.
func (s *Service) List(ctx context.Context, tenantID string) ([]Testimony, error) {
	rows, err := s.db.Reader().Query(ctx, selectTestimony+` WHERE tenant_id = ? ORDER BY created_at DESC, id`, tenantID)
	if err != nil {
		return nil, errs.Wrap(err, "testimonies: list")
	}
	defer rows.Close()
	out := []Testimony{}
	for rows.Next() {
		t, err := scan(rows)
		if err != nil {
			return nil, errs.Wrap(err, "testimonies: list")
		}
		out = append(out, t)
	}
	return out, errs.Wrap(rows.Err(), "testimonies: list")
}
