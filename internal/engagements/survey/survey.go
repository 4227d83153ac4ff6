// Package survey is the anonymous audience survey of forum-like engagements (public
// forums, school and mosque talks, online lives): a short link /s/{code} and a
// printable QR code per engagement, a public page in English or Arabic that asks a
// before/after instrument, and aggregated results with small cells suppressed.
//
// # What a respondent leaves behind
//
// Nothing that identifies them. The public pages need no sign-in and set no cookie
// (the language is a query parameter, ?hl=); they ask no name, no contact, no free
// text. A response stores the engagement, the instrument version, the phase, the
// page's language and the answers (item → 1..5), with a random id and the time
// rounded down to the hour. Submissions are not written to the audit log, whose
// millisecond times would undo that rounding. Client addresses are used only by the
// in-memory rate limiter (package ratelimit), as keyed hashes. An unknown code and
// a closed survey show the same page with the same status, so a code reveals
// nothing about whether an engagement exists.
//
// # Wiring
//
// The engagements capability owns the engagement and implements Engagements; it
// calls Link to give an engagement its code, Close when answers should stop, and
// Results for the engagement page; Register adds the public pages and the signed-in
// print and results pages with the permissions it is given.
package survey

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// DefaultKinds are the engagement kinds that get a survey link unless the wiring
// says otherwise: those with an audience in a room or online, not interviews or
// closed elders' meetings.
var DefaultKinds = []string{"public_forum", "school_talk", "mosque_talk", "online_live"}

// Defaults of Config.
const (
	DefaultPerLinkPerHour = 300
)

// Config tunes the service.
type Config struct {
	// Kinds are the engagement kinds Link gives a link to; nil means DefaultKinds.
	Kinds []string
	// PerLinkPerHour caps the responses one link takes per clock hour, whatever
	// address they come from, so a script cannot flood a forum's results. A forum
	// hall on one Wi-Fi shares one address, so the per-address limit (see Deps) has
	// to be loose; this cap is the real bound. 0 means DefaultPerLinkPerHour.
	PerLinkPerHour int
}

// Service keeps the survey links and responses.
type Service struct {
	db    *store.DB
	audit *audit.Log
	now   func() time.Time
	cfg   Config
}

// NewService returns the service with the default Config.
func NewService(db *store.DB, a *audit.Log) *Service {
	s := &Service{db: db, audit: a, now: time.Now}
	s.SetConfig(Config{})
	return s
}

// SetConfig replaces the configuration; call it before serving.
func (s *Service) SetConfig(c Config) {
	if c.Kinds == nil {
		c.Kinds = DefaultKinds
	}
	if c.PerLinkPerHour <= 0 {
		c.PerLinkPerHour = DefaultPerLinkPerHour
	}
	c.Kinds = slices.Clone(c.Kinds)
	s.cfg = c
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Link is an engagement's survey link.
type Link struct {
	Code         string     `json:"code"`
	TenantID     string     `json:"-"`
	EngagementID string     `json:"engagement_id"`
	CreatedAt    time.Time  `json:"created_at"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
}

// Open reports whether the link still takes answers.
func (l Link) Open() bool { return l.ClosedAt == nil }

// Path is the link's path on the public site, "/s/{code}".
func (l Link) Path() string { return "/s/" + l.Code }

// URL is the link in full under the public origin base ("https://example.org").
func (l Link) URL(base string) string { return strings.TrimRight(base, "/") + l.Path() }

var (
	// errUnavailable is the one answer for an unknown code and a closed survey alike.
	errUnavailable  = &errs.Error{Kind: errs.NotFound, MsgKey: "survey.unavailable.text", Msg: "this survey is not open"}
	errNoEngagement = &errs.Error{Kind: errs.NotFound, MsgKey: "survey.error.no_engagement", Msg: "no such engagement"}
	errKind         = &errs.Error{Kind: errs.Conflict, MsgKey: "survey.error.kind", Msg: "this kind of engagement has no audience survey"}
	errNoLink       = &errs.Error{Kind: errs.NotFound, MsgKey: "survey.error.no_link", Msg: "this engagement has no survey link yet"}
	errBusy         = &errs.Error{Kind: errs.TooMany, MsgKey: "survey.busy.text", Msg: "too many answers right now"}
)

// Link returns the engagement's survey link, creating it on the first call. It is
// idempotent and safe to call concurrently, on either store: one link per
// engagement (a UNIQUE column), whoever wins the race. An engagement of another
// tenant is not found; one whose kind is not in Config.Kinds is refused (Conflict).
func (s *Service) Link(ctx context.Context, tenantID, engagementID string) (Link, error) {
	if l, ok, err := s.FindLink(ctx, tenantID, engagementID); err != nil || ok {
		return l, err
	}
	var out Link
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var kind string
		err := tx.QueryRow(ctx, "SELECT kind FROM engagements WHERE tenant_id = ? AND id = ?", tenantID, engagementID).Scan(&kind)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoEngagement
		}
		if err != nil {
			return errs.Wrap(err, "survey: read engagement kind")
		}
		if !slices.Contains(s.cfg.Kinds, kind) {
			return errKind
		}
		now := store.Millis(s.now())
		// A fresh code clashes with an existing one about once in 10^12 tries per
		// link; retry a few times rather than assume it never happens.
		for range 5 {
			code, err := newCode()
			if err != nil {
				return err
			}
			// DO NOTHING on either clash: the engagement already has a link (another
			// request won the race), or the code is taken; the select says which.
			if _, err := tx.Exec(ctx, `INSERT INTO survey_links (code, tenant_id, engagement_id, created_at)
				VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, code, tenantID, engagementID, now); err != nil {
				return errs.Wrap(err, "survey: create link")
			}
			l, err := scanLink(tx.QueryRow(ctx, "SELECT "+linkCols+" FROM survey_links WHERE tenant_id = ? AND engagement_id = ?", tenantID, engagementID))
			if err == nil {
				out = l
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return errs.Wrap(err, "survey: read new link")
			}
		}
		return errs.Wrap(errors.New("five code clashes in a row"), "survey: create link")
	})
	if err != nil && store.IsUniqueViolation(err) {
		// PostgreSQL: a concurrent transaction inserted the same engagement between
		// our look-up and our insert and ON CONFLICT could not see it yet.
		if l, ok, ferr := s.FindLink(ctx, tenantID, engagementID); ferr == nil && ok {
			return l, nil
		}
	}
	return out, err
}

// FindLink returns the engagement's link if it has one, creating nothing (for GET
// pages, which must not change state).
func (s *Service) FindLink(ctx context.Context, tenantID, engagementID string) (Link, bool, error) {
	l, err := scanLink(s.db.Reader().QueryRow(ctx, "SELECT "+linkCols+" FROM survey_links WHERE tenant_id = ? AND engagement_id = ?", tenantID, engagementID))
	if errors.Is(err, sql.ErrNoRows) {
		return Link{}, false, nil
	}
	if err != nil {
		return Link{}, false, errs.Wrap(err, "survey: find link")
	}
	return l, true, nil
}

// Close stops the engagement's survey from taking answers; the results stay. It is
// audited. Closing an engagement without a link, or a closed one, changes nothing.
// The caller checks the permission (the wiring passes it to Register); Close keeps
// to the principal's tenant.
func (s *Service) Close(ctx context.Context, p *authz.Principal, requestID, engagementID string) error {
	if p == nil || p.TenantID == "" {
		return &errs.Error{Kind: errs.Forbidden, MsgKey: "error.forbidden", Msg: "sign in to a tenant first"}
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE survey_links SET closed_at = ? WHERE tenant_id = ? AND engagement_id = ? AND closed_at IS NULL",
			store.Millis(s.now()), p.TenantID, engagementID)
		if err != nil {
			return errs.Wrap(err, "survey: close")
		}
		n, err := res.RowsAffected()
		if err != nil {
			return errs.Wrap(err, "survey: close")
		}
		if n == 0 {
			return nil // no link, or closed already: nothing happened, nothing to audit
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{TenantID: p.TenantID, ActorID: p.UserID, Role: string(p.Role),
			Action: "survey.close", Object: engagementID, Result: "ok", RequestID: requestID})
		return err
	})
}

// Open returns the open link of code, as typed or scanned (any case, surrounding
// spaces ignored). An unknown code, a malformed one and a closed survey give the same
// NotFound error.
func (s *Service) Open(ctx context.Context, code string) (Link, error) {
	code, ok := NormalizeCode(code)
	if !ok {
		return Link{}, errUnavailable
	}
	l, err := scanLink(s.db.Reader().QueryRow(ctx, "SELECT "+linkCols+" FROM survey_links WHERE code = ?", code))
	if errors.Is(err, sql.ErrNoRows) {
		return Link{}, errUnavailable
	}
	if err != nil {
		return Link{}, errs.Wrap(err, "survey: open link")
	}
	if !l.Open() {
		return Link{}, errUnavailable
	}
	return l, nil
}

// Submission is one respondent's answers, as ParseAnswers reads them from the form.
type Submission struct {
	Phase    Phase
	Language string         // "en" or "ar": the page's language
	Answers  map[string]int // item id → 1..5; skipped items absent
}

// Submit records sub through the link code. It refuses a closed or unknown link
// (the same NotFound as Open), answers the current instrument does not allow, and a
// link that has taken Config.PerLinkPerHour responses in this clock hour (TooMany).
func (s *Service) Submit(ctx context.Context, code string, sub Submission) error {
	inst := Current()
	if err := inst.Check(sub); err != nil {
		return err
	}
	answers, err := json.Marshal(sub.Answers) // keys sorted: same answers, same bytes
	if err != nil {
		return errs.Wrap(err, "survey: encode answers")
	}
	code, ok := NormalizeCode(code)
	if !ok {
		return errUnavailable
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return errs.Wrap(err, "survey: response id")
	}
	hour := store.Millis(s.now().Truncate(time.Hour))
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		// Locking the link row serialises the count and the insert per link on
		// PostgreSQL (SQLite write transactions are exclusive already), and makes a
		// concurrent Close either wait for us or be seen.
		l, err := scanLink(tx.QueryRow(ctx, "SELECT "+linkCols+" FROM survey_links WHERE code = ?"+tx.ForUpdate(), code))
		if errors.Is(err, sql.ErrNoRows) {
			return errUnavailable
		}
		if err != nil {
			return errs.Wrap(err, "survey: lock link")
		}
		if !l.Open() {
			return errUnavailable
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM survey_responses WHERE tenant_id = ? AND engagement_id = ? AND submitted_at = ?",
			l.TenantID, l.EngagementID, hour).Scan(&n); err != nil {
			return errs.Wrap(err, "survey: count responses")
		}
		if n >= s.cfg.PerLinkPerHour {
			return errBusy
		}
		if _, err := tx.Exec(ctx, `INSERT INTO survey_responses (id, tenant_id, engagement_id, instrument, phase, language, answers, submitted_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id.String(), l.TenantID, l.EngagementID, inst.Version, string(sub.Phase),
			sub.Language, string(answers), hour); err != nil {
			return errs.Wrap(err, "survey: record response")
		}
		return nil
	})
}

// Responses is how many responses the engagement's survey has taken, for the
// engagement page. A count of respondents says nothing of what anyone answered, so
// it is not suppressed; what they answered is in Results.
func (s *Service) Responses(ctx context.Context, tenantID, engagementID string) (int, error) {
	var n int
	if err := s.db.Reader().QueryRow(ctx, "SELECT COUNT(*) FROM survey_responses WHERE tenant_id = ? AND engagement_id = ?",
		tenantID, engagementID).Scan(&n); err != nil {
		return 0, errs.Wrap(err, "survey: count responses")
	}
	return n, nil
}

const linkCols = "code, tenant_id, engagement_id, created_at, closed_at"

type scanner interface{ Scan(dest ...any) error }

func scanLink(sc scanner) (Link, error) {
	var l Link
	var created int64
	var closed sql.NullInt64
	if err := sc.Scan(&l.Code, &l.TenantID, &l.EngagementID, &created, &closed); err != nil {
		return Link{}, err
	}
	l.CreatedAt = store.FromMillis(created)
	if closed.Valid {
		t := store.FromMillis(closed.Int64)
		l.ClosedAt = &t
	}
	return l, nil
}
