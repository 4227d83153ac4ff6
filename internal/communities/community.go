package communities

import (
	"context"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/returnees"
)

// Kind is whether a community is a place or a diaspora.
type Kind string

const (
	KindPlace    Kind = "place"
	KindDiaspora Kind = "diaspora"
)

// KindValues lists the kinds in display order.
var KindValues = []Kind{KindPlace, KindDiaspora}

// Community is one community the program works in.
type Community struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"-"`
	Name      string    `json:"name"`
	Kind      Kind      `json:"kind"`
	Region    string    `json:"region"`
	Languages []string  `json:"languages"`
	Brief     string    `json:"brief"` // safe Markdown source; render with RenderBrief
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedBy string    `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NewCommunity is the input of Create and Update.
type NewCommunity struct {
	Name      string   `json:"name"`
	Kind      Kind     `json:"kind"`
	Region    string   `json:"region"`
	Languages []string `json:"languages"`
	Brief     string   `json:"brief"`
}

// MaxBrief bounds the cultural brief, in characters.
const MaxBrief = 20000

func (in NewCommunity) normalize() (NewCommunity, error) {
	var err error
	if in.Name, err = cleanText("name", in.Name, true, 200); err != nil {
		return in, err
	}
	in.Kind = Kind(strings.TrimSpace(string(in.Kind)))
	if in.Kind != KindPlace && in.Kind != KindDiaspora {
		return in, &errs.Error{Kind: errs.Invalid, Field: "kind", MsgKey: "communities.error.kind", Msg: "kind must be place or diaspora"}
	}
	if in.Region, err = cleanText("region", in.Region, false, 200); err != nil {
		return in, err
	}
	if in.Languages, err = returnees.ParseLanguages(in.Languages); err != nil {
		return in, err
	}
	if in.Languages == nil {
		in.Languages = []string{}
	}
	if in.Brief, err = cleanLong("brief", in.Brief, MaxBrief); err != nil {
		return in, err
	}
	return in, nil
}

// Create records a new community.
func (s *Service) Create(ctx context.Context, p *authz.Principal, requestID string, in NewCommunity) (Community, error) {
	if err := check(PermWrite, p); err != nil {
		return Community{}, err
	}
	in, err := in.normalize()
	if err != nil {
		return Community{}, err
	}
	id, err := newID()
	if err != nil {
		return Community{}, err
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO communities (id, tenant_id, name, kind, region, languages, brief, chain_version,
			created_by, created_at, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`,
			id, p.TenantID, in.Name, string(in.Kind), in.Region, strings.Join(in.Languages, ","), in.Brief,
			p.UserID, store.Millis(now), p.UserID, store.Millis(now))
		if err != nil {
			return errs.Wrap(err, "communities: insert")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "community.create", id))
		return err
	})
	if err != nil {
		return Community{}, err
	}
	return s.Get(ctx, p.TenantID, id)
}

// Update replaces a community's details.
func (s *Service) Update(ctx context.Context, p *authz.Principal, requestID, id string, in NewCommunity) (Community, error) {
	if err := check(PermWrite, p); err != nil {
		return Community{}, err
	}
	in, err := in.normalize()
	if err != nil {
		return Community{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE communities SET name = ?, kind = ?, region = ?, languages = ?, brief = ?,
			updated_by = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
			in.Name, string(in.Kind), in.Region, strings.Join(in.Languages, ","), in.Brief,
			p.UserID, store.Millis(s.now()), p.TenantID, id)
		if err != nil {
			return errs.Wrap(err, "communities: update")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errNotFound
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "community.update", id))
		return err
	})
	if err != nil {
		return Community{}, err
	}
	return s.Get(ctx, p.TenantID, id)
}

const communityCols = `id, tenant_id, name, kind, region, languages, brief, created_by, created_at, updated_by, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanCommunity(sc scanner) (Community, error) {
	var c Community
	var kind, langs string
	var created, updated int64
	if err := sc.Scan(&c.ID, &c.TenantID, &c.Name, &kind, &c.Region, &langs, &c.Brief, &c.CreatedBy, &created, &c.UpdatedBy, &updated); err != nil {
		return c, err
	}
	c.Kind = Kind(kind)
	c.Languages = []string{}
	if langs != "" {
		c.Languages = strings.Split(langs, ",")
	}
	c.CreatedAt, c.UpdatedAt = store.FromMillis(created), store.FromMillis(updated)
	return c, nil
}

// Get returns the tenant's community id; NotFound for another tenant's.
func (s *Service) Get(ctx context.Context, tenantID, id string) (Community, error) {
	c, err := scanCommunity(s.db.Reader().QueryRow(ctx, `SELECT `+communityCols+` FROM communities WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if isNoRows(err) {
		return Community{}, errNotFound
	}
	if err != nil {
		return Community{}, errs.Wrap(err, "communities: get")
	}
	return c, nil
}

// List returns the tenant's communities by name.
func (s *Service) List(ctx context.Context, tenantID string) ([]Community, error) {
	rows, err := s.db.Reader().Query(ctx, `SELECT `+communityCols+` FROM communities WHERE tenant_id = ? ORDER BY name, id`, tenantID)
	if err != nil {
		return nil, errs.Wrap(err, "communities: list")
	}
	defer rows.Close()
	out := []Community{}
	for rows.Next() {
		c, err := scanCommunity(rows)
		if err != nil {
			return nil, errs.Wrap(err, "communities: list")
		}
		out = append(out, c)
	}
	return out, errs.Wrap(rows.Err(), "communities: list")
}

// lockCommunity bumps the community's chain version in tx: it proves the community is
// the tenant's and serialises concurrent changes to its chain and partners (the row
// stays locked until commit on PostgreSQL; SQLite write transactions are exclusive).
func lockCommunity(ctx context.Context, tx *store.Tx, tenantID, id string) error {
	res, err := tx.Exec(ctx, `UPDATE communities SET chain_version = chain_version + 1 WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return errs.Wrap(err, "communities: lock")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errNotFound
	}
	return nil
}
