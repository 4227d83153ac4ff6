package consent

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/events"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
	"inoculate/internal/returnees/caseref"
)

// Event kinds this package emits, after the commit of the version they announce.
// Payload: {"tenant", "returnee", "version"} (opaque ids and the version number).
const (
	// EventWithdrawn: the person withdrew consent; publications relying on it must be
	// taken down at once.
	EventWithdrawn = "consent.withdrawn"
	// EventChanged: a new active version; it may allow less than the one before, so
	// publications should be checked against Allows again.
	EventChanged = "consent.changed"
)

// Service is the consent capability's API for handlers and other capabilities.
type Service struct {
	db    *store.DB
	vault *vault.Vault
	audit *audit.Log
	bus   *events.Bus
	cases caseref.Cases
	now   func() time.Time

	// AgreementOfficers returns the user ids of the legal officers on the returnee's
	// agreement (whoever drafted, reviewed or signed it). Such a user may not take the
	// person's consent: the one who holds their legal fate cannot also ask them to
	// agree. Wired by the app to the legal capability; nil skips the check.
	AgreementOfficers func(ctx context.Context, tenantID, returneeID string) ([]string, error)
	// UserName shows a user id as a name on pages; nil shows the id.
	UserName func(tenantID, userID string) string
}

// NewService returns the service. Cases opens a case for a principal (tenant and
// caseload); bus may be nil (events still go to the outbox, for Redeliver).
func NewService(db *store.DB, v *vault.Vault, a *audit.Log, bus *events.Bus, cases caseref.Cases) *Service {
	return &Service{db: db, vault: v, audit: a, bus: bus, cases: cases, now: time.Now}
}

var (
	errRole    = &errs.Error{Kind: errs.Forbidden, MsgKey: "consent.error.role", Msg: "only a case worker or a supervisor takes or withdraws consent"}
	errOfficer = &errs.Error{Kind: errs.Forbidden, MsgKey: "consent.error.officer_on_agreement",
		Msg: "you are a legal officer on this person's agreement: someone else must take their consent"}
	errErased    = &errs.Error{Kind: errs.Conflict, MsgKey: "error.returnee_erased", Msg: "this returnee's data was erased"}
	errNothing   = &errs.Error{Kind: errs.Conflict, MsgKey: "consent.error.nothing_to_withdraw", Msg: "there is no consent to withdraw"}
	errWithdrawn = &errs.Error{Kind: errs.Conflict, MsgKey: "consent.error.already_withdrawn", Msg: "the consent is already withdrawn"}
)

func entry(p *authz.Principal, requestID, action, object string) audit.Entry {
	return audit.Entry{TenantID: p.TenantID, ActorID: p.UserID, Role: string(p.Role), Action: action,
		Object: object, Result: "ok", RequestID: requestID}
}

func communitiesRef(tenantID, returneeID, rowID string) vault.FieldRef {
	return vault.FieldRef{TenantID: tenantID, Subject: returneeID, Table: "consent_versions", Column: "communities", Row: rowID}
}

// Give records a new active version of the returnee's consent, taken by p. It is
// refused for a role other than case worker or supervisor, for a legal officer on the
// person's agreement, and for an erased person. In custody without an independent
// advisor it is recorded and flagged (FreeConsentConcern).
func (s *Service) Give(ctx context.Context, p *authz.Principal, requestID, returneeID string, in NewConsent) (Version, error) {
	// The routes check this too; the service holds the rule for every caller.
	if !slices.Contains(PermGive.Roles, p.Role) {
		return Version{}, errRole
	}
	in, err := in.normalize(s.now())
	if err != nil {
		return Version{}, err
	}
	c, err := s.cases.Open(ctx, p, returneeID)
	if err != nil {
		return Version{}, err
	}
	if c.Erased {
		return Version{}, errErased
	}
	// Asked before the transaction: it reads another capability's records through its
	// API, and must not run inside our write transaction.
	if s.AgreementOfficers != nil {
		officers, err := s.AgreementOfficers(ctx, p.TenantID, returneeID)
		if err != nil {
			return Version{}, errs.Wrap(err, "consent: agreement officers")
		}
		if slices.Contains(officers, p.UserID) {
			return Version{}, errOfficer
		}
	}
	v := Version{ReturneeID: returneeID, Status: StatusActive, Uses: in.Uses, IdentityLevel: in.IdentityLevel,
		Audiences: in.Audiences, Communities: in.Communities, Languages: in.Languages, Expires: in.Expires,
		TakenBy: p.UserID, InCustody: in.InCustody, AdvisorPresent: in.AdvisorPresent,
		StatementKey: StatementKey, StatementAcknowledged: true}
	v.FreeConsentConcern = v.concern()
	return s.insert(ctx, p, requestID, v, "", "consent.give", EventChanged)
}

// Withdraw records a withdrawal of the returnee's consent, effective at once: a new
// version with status withdrawn, which denies everything. The reason is optional (no
// one owes a reason for withdrawing) and sealed. It writes the consent version, its
// audit record and a consent.withdrawn event — never anything about the agreement:
// withdrawing is not a breach. It needs no fresh sign-in: a withdrawal must never be
// hard to record.
func (s *Service) Withdraw(ctx context.Context, p *authz.Principal, requestID, returneeID, reason string) (Version, error) {
	if !slices.Contains(PermWithdraw.Roles, p.Role) {
		return Version{}, errRole
	}
	reason, err := checkReason(reason)
	if err != nil {
		return Version{}, err
	}
	c, err := s.cases.Open(ctx, p, returneeID)
	if err != nil {
		return Version{}, err
	}
	if c.Erased {
		// The data key is destroyed: nothing more may be sealed for this person.
		reason = ""
	}
	v := Version{ReturneeID: returneeID, Status: StatusWithdrawn, Uses: []Use{}, Audiences: []Audience{},
		Communities: []string{}, Languages: []string{}, TakenBy: p.UserID}
	return s.insert(ctx, p, requestID, v, reason, "consent.withdraw", EventWithdrawn)
}

// insert writes v as the returnee's next version with its audit record and event in
// one transaction, then publishes the event. Two versions racing for the same number
// (PostgreSQL) make one transaction fail on the unique key; it is simply run again.
func (s *Service) insert(ctx context.Context, p *authz.Principal, requestID string, v Version, reason, action, kind string) (Version, error) {
	var ev events.Event
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		ev, err = s.insertTx(ctx, p, requestID, &v, reason, action, kind)
		if !errors.Is(err, errRace) {
			break
		}
	}
	if err != nil {
		return Version{}, err
	}
	// After the commit: a subscriber's failure does not undo the version (the
	// withdrawal stands), and the event stays in the outbox for Redeliver.
	if err := s.bus.Publish(ctx, ev); err != nil {
		slog.Error("consent: event delivery failed; it stays in the outbox for redelivery",
			"kind", ev.Kind, "seq", ev.Seq, "err", err, "request_id", requestID)
	}
	return v, nil
}

var errRace = errors.New("consent: concurrent version")

func (s *Service) insertTx(ctx context.Context, p *authz.Principal, requestID string, v *Version, reason, action, kind string) (events.Event, error) {
	var ev events.Event
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		prev, prevStatus, prevAt, err := latest(ctx, tx, p.TenantID, v.ReturneeID)
		if err != nil {
			return err
		}
		if v.Status == StatusWithdrawn {
			switch {
			case prev == 0:
				return errNothing
			case prevStatus == StatusWithdrawn:
				return errWithdrawn
			}
		}
		v.Version = prev + 1
		// Never earlier than the version before, even if the clock stepped back, so
		// "the version in effect at a time" stays well defined.
		v.CreatedAt = store.FromMillis(max(store.Millis(s.now()), prevAt))
		id, err := uuid.NewV7()
		if err != nil {
			return errs.Wrap(err, "consent: new id")
		}
		var sealedCommunities, sealedReason []byte
		if len(v.Communities) > 0 {
			b, err := json.Marshal(v.Communities)
			if err != nil {
				return errs.Wrap(err, "consent: communities")
			}
			if sealedCommunities, err = s.vault.Seal(ctx, tx, communitiesRef(p.TenantID, v.ReturneeID, id.String()), b); err != nil {
				return errs.Wrap(err, "consent: seal communities")
			}
		}
		if reason != "" {
			ref := vault.FieldRef{TenantID: p.TenantID, Subject: v.ReturneeID, Table: "consent_versions", Column: "reason", Row: id.String()}
			if sealedReason, err = s.vault.Seal(ctx, tx, ref, []byte(reason)); err != nil {
				return errs.Wrap(err, "consent: seal reason")
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO consent_versions (id, tenant_id, returnee_id, version, status, uses, identity_level,
			audiences, communities, languages, expires_on, taken_by, in_custody, advisor_present, statement_key, statement_ack,
			reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id.String(), p.TenantID, v.ReturneeID, v.Version, string(v.Status), join(v.Uses), string(v.IdentityLevel),
			join(v.Audiences), sealedCommunities, strings.Join(v.Languages, ","), v.Expires, v.TakenBy,
			v.InCustody, v.AdvisorPresent, v.StatementKey, v.StatementAcknowledged, sealedReason, store.Millis(v.CreatedAt))
		if store.IsUniqueViolation(err) {
			return errRace
		}
		if err != nil {
			return errs.Wrap(err, "consent: insert version")
		}
		if _, err := s.audit.Append(ctx, tx, entry(p, requestID, action, v.ReturneeID)); err != nil {
			return err
		}
		payload, err := json.Marshal(map[string]any{"tenant": p.TenantID, "returnee": v.ReturneeID, "version": v.Version})
		if err != nil {
			return errs.Wrap(err, "consent: event payload")
		}
		ev, err = events.Append(ctx, tx, events.Event{TenantID: p.TenantID, Kind: kind, Subject: v.ReturneeID, Payload: payload, At: v.CreatedAt})
		return err
	})
	return ev, err
}

// latest returns the number, status and creation time (ms) of the returnee's latest
// version; 0 when there is none.
func latest(ctx context.Context, q store.Querier, tenantID, returneeID string) (int, Status, int64, error) {
	var n int
	var status string
	var at int64
	err := q.QueryRow(ctx, `SELECT version, status, created_at FROM consent_versions
		WHERE tenant_id = ? AND returnee_id = ? ORDER BY version DESC LIMIT 1`, tenantID, returneeID).Scan(&n, &status, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", 0, nil
	}
	if err != nil {
		return 0, "", 0, errs.Wrap(err, "consent: latest version")
	}
	return n, Status(status), at, nil
}

func join[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ",")
}

func split[T ~string](s string) []T {
	out := []T{}
	if s == "" {
		return out
	}
	for _, x := range strings.Split(s, ",") {
		out = append(out, T(x))
	}
	return out
}

const selectVersion = `SELECT id, returnee_id, version, status, uses, identity_level, audiences, communities, languages,
	expires_on, taken_by, in_custody, advisor_present, statement_key, statement_ack, created_at FROM consent_versions`

// row is a stored version with its sealed communities not yet opened.
type row struct {
	id     string
	v      Version
	sealed []byte
}

func scanRow(sc interface{ Scan(...any) error }) (row, error) {
	var r row
	var status, uses, level, auds, langs string
	var at int64
	err := sc.Scan(&r.id, &r.v.ReturneeID, &r.v.Version, &status, &uses, &level, &auds, &r.sealed, &langs,
		&r.v.Expires, &r.v.TakenBy, &r.v.InCustody, &r.v.AdvisorPresent, &r.v.StatementKey, &r.v.StatementAcknowledged, &at)
	if err != nil {
		return r, err
	}
	r.v.Status, r.v.IdentityLevel = Status(status), IdentityLevel(level)
	r.v.Uses, r.v.Audiences, r.v.Languages = split[Use](uses), split[Audience](auds), split[string](langs)
	r.v.Communities = []string{}
	r.v.CreatedAt = store.FromMillis(at)
	r.v.FreeConsentConcern = r.v.concern()
	return r, nil
}

// open fills in the communities of a stored version. After erasure they are gone
// (the data key is destroyed) and stay empty, which denies any named community.
func (s *Service) open(ctx context.Context, tenantID string, r *row) error {
	if len(r.sealed) == 0 {
		return nil
	}
	b, err := s.vault.Open(ctx, s.db.Reader(), communitiesRef(tenantID, r.v.ReturneeID, r.id), r.sealed)
	if errors.Is(err, vault.ErrShredded) {
		return nil
	}
	if err != nil {
		return errs.Wrap(err, "consent: open communities")
	}
	if err := json.Unmarshal(b, &r.v.Communities); err != nil {
		return errs.Wrap(err, "consent: communities")
	}
	return nil
}

// Current returns the returnee's latest version, and false when there is none. The
// caller has opened the case (tenant and caseload).
func (s *Service) Current(ctx context.Context, tenantID, returneeID string) (Version, bool, error) {
	r, err := scanRow(s.db.Reader().QueryRow(ctx, selectVersion+` WHERE tenant_id = ? AND returnee_id = ? ORDER BY version DESC LIMIT 1`,
		tenantID, returneeID))
	if errors.Is(err, sql.ErrNoRows) {
		return Version{}, false, nil
	}
	if err != nil {
		return Version{}, false, errs.Wrap(err, "consent: current version")
	}
	if err := s.open(ctx, tenantID, &r); err != nil {
		return Version{}, false, err
	}
	return r.v, true, nil
}

// History returns every version of the returnee's consent, newest first.
func (s *Service) History(ctx context.Context, tenantID, returneeID string) ([]Version, error) {
	rows, err := s.db.Reader().Query(ctx, selectVersion+` WHERE tenant_id = ? AND returnee_id = ? ORDER BY version DESC`, tenantID, returneeID)
	if err != nil {
		return nil, errs.Wrap(err, "consent: history")
	}
	var rs []row
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "consent: scan version")
		}
		rs = append(rs, r)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, errs.Wrap(err, "consent: history")
	}
	out := make([]Version, 0, len(rs))
	for i := range rs {
		if err := s.open(ctx, tenantID, &rs[i]); err != nil {
			return nil, err
		}
		out = append(out, rs[i].v)
	}
	return out, nil
}

// Allows answers q for the returnee from the version in effect at q.At: the latest
// version when At is zero (now — so a withdrawal counts from the moment it is
// committed), else the latest version created at or before At. It is what every
// other capability asks before anything goes public; see Evaluate for the rules. An
// invalid query is an Invalid error; an unknown returnee simply has no consent.
// The caller is responsible for the returnee belonging to tenantID's records it may
// act on (handlers open the case first).
func (s *Service) Allows(ctx context.Context, tenantID, returneeID string, q Query) (Decision, error) {
	q, err := q.Normalize()
	if err != nil {
		return Decision{}, err
	}
	if s.vault.Shredded(returneeID) {
		return decide(Version{}, ReasonErased), nil
	}
	query := selectVersion + ` WHERE tenant_id = ? AND returnee_id = ?`
	args := []any{tenantID, returneeID}
	if q.At.IsZero() {
		// Now: the latest version answers, even if its time is ahead of this clock, so a
		// withdrawal counts from the moment it is committed.
		r, ok, err := s.latestRow(ctx, query+` ORDER BY version DESC LIMIT 1`, args...)
		if err != nil || !ok {
			return decide(Version{}, ReasonNoConsent), err
		}
		q.At = s.now()
		if q.At.Before(r.v.CreatedAt) {
			q.At = r.v.CreatedAt
		}
		return s.evaluate(ctx, tenantID, r, q)
	}
	r, ok, err := s.latestRow(ctx, query+` AND created_at <= ? ORDER BY version DESC LIMIT 1`, append(args, store.Millis(q.At))...)
	if err != nil || !ok {
		return decide(Version{}, ReasonNoConsent), err
	}
	return s.evaluate(ctx, tenantID, r, q)
}

func (s *Service) latestRow(ctx context.Context, query string, args ...any) (row, bool, error) {
	r, err := scanRow(s.db.Reader().QueryRow(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, errs.Wrap(err, "consent: version in effect")
	}
	return r, true, nil
}

func (s *Service) evaluate(ctx context.Context, tenantID string, r row, q Query) (Decision, error) {
	// Communities are opened only when the answer depends on them.
	if q.Audience == AudienceNamedCommunities && slices.Contains(r.v.Audiences, AudienceNamedCommunities) {
		if err := s.open(ctx, tenantID, &r); err != nil {
			return Decision{}, err
		}
	}
	return Evaluate(r.v, q), nil
}

// userName shows a user id on pages.
func (s *Service) userName(tenantID, userID string) string {
	if s.UserName == nil {
		return userID
	}
	return s.UserName(tenantID, userID)
}
