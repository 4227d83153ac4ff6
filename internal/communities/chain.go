package communities

import (
	"context"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// AuthorityKind is the traditional role of an authority in the chain of command.
type AuthorityKind string

const (
	AuthorityElder       AuthorityKind = "elder"
	AuthorityImam        AuthorityKind = "imam"
	AuthorityClanHead    AuthorityKind = "clan_head"
	AuthorityFamilyHead  AuthorityKind = "family_head"
	AuthorityPartnerLead AuthorityKind = "partner_lead"
	AuthorityOther       AuthorityKind = "other"
)

// AuthorityKindValues lists the kinds in display order.
var AuthorityKindValues = []AuthorityKind{AuthorityElder, AuthorityImam, AuthorityClanHead, AuthorityFamilyHead,
	AuthorityPartnerLead, AuthorityOther}

func (k AuthorityKind) valid() bool {
	for _, x := range AuthorityKindValues {
		if x == k {
			return true
		}
	}
	return false
}

// Authority is one step of a community's chain of command. DisplayName is a public
// role ("Imam of the central mosque"), not a person's name, so it is stored plain.
type Authority struct {
	ID          string        `json:"id"`
	CommunityID string        `json:"community_id"`
	Kind        AuthorityKind `json:"kind"`
	DisplayName string        `json:"display_name"`
	Position    int           `json:"position"` // 1..n, the order of consultation
	CreatedBy   string        `json:"created_by"`
	CreatedAt   time.Time     `json:"created_at"`
}

// NewAuthority is the input of AddAuthority. Position 0 (or beyond the end) appends.
type NewAuthority struct {
	Kind        AuthorityKind `json:"kind"`
	DisplayName string        `json:"display_name"`
	Position    int           `json:"position"`
}

// MaxChain bounds a chain's length: more steps than this is a data-entry fault.
const MaxChain = 30

var errChainStale = &errs.Error{Kind: errs.Conflict, MsgKey: "communities.error.chain_changed",
	Msg: "the chain changed meanwhile: reload and try again"}

// Chain returns the community's active authorities in the order they must be
// consulted (positions 1..n). NotFound for another tenant's community.
func (s *Service) Chain(ctx context.Context, tenantID, communityID string) ([]Authority, error) {
	if _, err := s.Get(ctx, tenantID, communityID); err != nil {
		return nil, err
	}
	return chain(ctx, s.db.Reader(), tenantID, communityID)
}

func chain(ctx context.Context, q store.Querier, tenantID, communityID string) ([]Authority, error) {
	rows, err := q.Query(ctx, `SELECT id, community_id, kind, display_name, position, created_by, created_at
		FROM community_authorities WHERE tenant_id = ? AND community_id = ? AND removed_at IS NULL ORDER BY position, id`,
		tenantID, communityID)
	if err != nil {
		return nil, errs.Wrap(err, "communities: chain")
	}
	defer rows.Close()
	out := []Authority{}
	for rows.Next() {
		var a Authority
		var kind string
		var created int64
		if err := rows.Scan(&a.ID, &a.CommunityID, &kind, &a.DisplayName, &a.Position, &a.CreatedBy, &created); err != nil {
			return nil, errs.Wrap(err, "communities: chain")
		}
		a.Kind, a.CreatedAt = AuthorityKind(kind), store.FromMillis(created)
		out = append(out, a)
	}
	return out, errs.Wrap(rows.Err(), "communities: chain")
}

// renumber writes positions 1..n in the order of ids.
func renumber(ctx context.Context, tx *store.Tx, tenantID, communityID string, ids []string) error {
	for i, id := range ids {
		if _, err := tx.Exec(ctx, `UPDATE community_authorities SET position = ? WHERE tenant_id = ? AND community_id = ? AND id = ?`,
			i+1, tenantID, communityID, id); err != nil {
			return errs.Wrap(err, "communities: renumber")
		}
	}
	return nil
}

func ids(list []Authority) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.ID
	}
	return out
}

// insertAt returns list with id at 1-based position pos (appended when out of range).
func insertAt(list []string, id string, pos int) []string {
	if pos < 1 || pos > len(list) {
		return append(list, id)
	}
	out := append([]string{}, list[:pos-1]...)
	out = append(out, id)
	return append(out, list[pos-1:]...)
}

// AddAuthority adds an authority to the community's chain at in.Position (appending
// when 0), shifting the later ones down.
func (s *Service) AddAuthority(ctx context.Context, p *authz.Principal, requestID, communityID string, in NewAuthority) (Authority, error) {
	if err := check(PermWrite, p); err != nil {
		return Authority{}, err
	}
	in.Kind = AuthorityKind(strings.TrimSpace(string(in.Kind)))
	if !in.Kind.valid() {
		return Authority{}, &errs.Error{Kind: errs.Invalid, Field: "kind", MsgKey: "communities.error.authority_kind", Msg: "unknown kind of authority"}
	}
	name, err := cleanText("display_name", in.DisplayName, true, 200)
	if err != nil {
		return Authority{}, err
	}
	if in.Position < 0 {
		return Authority{}, &errs.Error{Kind: errs.Invalid, Field: "position", MsgKey: "communities.error.position", Msg: "position must be 1 or more"}
	}
	id, err := newID()
	if err != nil {
		return Authority{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lockCommunity(ctx, tx, p.TenantID, communityID); err != nil {
			return err
		}
		cur, err := chain(ctx, tx, p.TenantID, communityID)
		if err != nil {
			return err
		}
		if len(cur) >= MaxChain {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "communities.error.chain_full", Args: []any{MaxChain}, Msg: "the chain is full"}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO community_authorities (id, tenant_id, community_id, kind, display_name, position, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, p.TenantID, communityID, string(in.Kind), name, len(cur)+1, p.UserID, store.Millis(s.now())); err != nil {
			return errs.Wrap(err, "communities: add authority")
		}
		if err := renumber(ctx, tx, p.TenantID, communityID, insertAt(ids(cur), id, in.Position)); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "community.authority_add", id))
		return err
	})
	if err != nil {
		return Authority{}, err
	}
	return s.authority(ctx, p.TenantID, communityID, id)
}

func (s *Service) authority(ctx context.Context, tenantID, communityID, id string) (Authority, error) {
	list, err := chain(ctx, s.db.Reader(), tenantID, communityID)
	if err != nil {
		return Authority{}, err
	}
	for _, a := range list {
		if a.ID == id {
			return a, nil
		}
	}
	return Authority{}, errAuthorityNotFound
}

var errAuthorityNotFound = &errs.Error{Kind: errs.NotFound, MsgKey: "communities.error.authority_not_found", Msg: "no such authority"}

// Reorder sets the chain to the order of authorityIDs, which must name every active
// authority exactly once (a stale list is a Conflict: someone changed the chain).
func (s *Service) Reorder(ctx context.Context, p *authz.Principal, requestID, communityID string, authorityIDs []string) ([]Authority, error) {
	if err := check(PermWrite, p); err != nil {
		return nil, err
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lockCommunity(ctx, tx, p.TenantID, communityID); err != nil {
			return err
		}
		cur, err := chain(ctx, tx, p.TenantID, communityID)
		if err != nil {
			return err
		}
		if !samePermutation(ids(cur), authorityIDs) {
			return errChainStale
		}
		if err := renumber(ctx, tx, p.TenantID, communityID, authorityIDs); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "community.chain_reorder", communityID))
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Chain(ctx, p.TenantID, communityID)
}

// Move puts one authority at 1-based position pos (clamped to the chain), shifting
// the others.
func (s *Service) Move(ctx context.Context, p *authz.Principal, requestID, communityID, authorityID string, pos int) ([]Authority, error) {
	if err := check(PermWrite, p); err != nil {
		return nil, err
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lockCommunity(ctx, tx, p.TenantID, communityID); err != nil {
			return err
		}
		cur, err := chain(ctx, tx, p.TenantID, communityID)
		if err != nil {
			return err
		}
		rest := make([]string, 0, len(cur))
		found := false
		for _, a := range cur {
			if a.ID == authorityID {
				found = true
				continue
			}
			rest = append(rest, a.ID)
		}
		if !found {
			return errAuthorityNotFound
		}
		if pos < 1 {
			pos = 1
		}
		if err := renumber(ctx, tx, p.TenantID, communityID, insertAt(rest, authorityID, pos)); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "community.authority_move", authorityID))
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Chain(ctx, p.TenantID, communityID)
}

// RemoveAuthority takes an authority out of the chain; its row stays (approvals of
// past engagements refer to it) and the rest close up to 1..n.
func (s *Service) RemoveAuthority(ctx context.Context, p *authz.Principal, requestID, communityID, authorityID string) error {
	if err := check(PermWrite, p); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lockCommunity(ctx, tx, p.TenantID, communityID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE community_authorities SET removed_at = ?, removed_by = ?, position = 0
			WHERE tenant_id = ? AND community_id = ? AND id = ? AND removed_at IS NULL`,
			store.Millis(s.now()), p.UserID, p.TenantID, communityID, authorityID)
		if err != nil {
			return errs.Wrap(err, "communities: remove authority")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errAuthorityNotFound
		}
		cur, err := chain(ctx, tx, p.TenantID, communityID)
		if err != nil {
			return err
		}
		if err := renumber(ctx, tx, p.TenantID, communityID, ids(cur)); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "community.authority_remove", authorityID))
		return err
	})
}

func samePermutation(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := make(map[string]int, len(a))
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		if seen[x] == 0 {
			return false
		}
		seen[x]--
	}
	return true
}
