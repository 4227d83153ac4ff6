package engagements

import (
	"context"
	"slices"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/returnees/consent"
)

// ChannelKind is what a channel is. Channels are shared with the reach planner: an
// outlet an interview is given to is the same record the planner reaches audiences
// through, never a copy.
type ChannelKind string

const (
	ChannelMediaOutlet ChannelKind = "media_outlet"
	ChannelOnlinePage  ChannelKind = "online_page"
	ChannelVenue       ChannelKind = "venue"
	ChannelPartnerOrg  ChannelKind = "partner_org"
)

// ChannelKinds lists the kinds in display order.
var ChannelKinds = []ChannelKind{ChannelMediaOutlet, ChannelOnlinePage, ChannelVenue, ChannelPartnerOrg}

// Channel is an outlet, online page, venue or partner organisation.
type Channel struct {
	ID          string      `json:"id"`
	Kind        ChannelKind `json:"kind"`
	Name        string      `json:"name"`
	CommunityID string      `json:"community_id"`
	Languages   []string    `json:"languages"`
	Notes       string      `json:"notes"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// ChannelInput is the channel form.
type ChannelInput struct {
	Kind        ChannelKind `json:"kind"`
	Name        string      `json:"name"`
	CommunityID string      `json:"community_id"`
	Languages   []string    `json:"languages"`
	Notes       string      `json:"notes"`
}

var errChannelNotFound = &errs.Error{Kind: errs.NotFound, MsgKey: "engagements.error.channel_not_found", Msg: "no such channel"}

func (s *Service) checkChannel(ctx context.Context, tenantID string, in ChannelInput) (ChannelInput, error) {
	var err error
	in.Kind = ChannelKind(strings.TrimSpace(string(in.Kind)))
	if !slices.Contains(ChannelKinds, in.Kind) {
		return in, invalid("kind", "engagements.error.channel_kind", "unknown kind of channel")
	}
	if in.Name, err = cleanText("name", in.Name, true, maxTitle); err != nil {
		return in, err
	}
	if in.Notes, err = cleanLong("notes", in.Notes, false, maxText); err != nil {
		return in, err
	}
	in.CommunityID = strings.TrimSpace(in.CommunityID)
	if in.CommunityID != "" {
		if _, err := s.deps.Communities.Get(ctx, tenantID, in.CommunityID); err != nil {
			if errs.Is(err, errs.NotFound) {
				return in, invalid("community_id", "engagements.error.community", "no such community")
			}
			return in, err
		}
	}
	var langs []string
	for _, l := range in.Languages {
		if strings.TrimSpace(l) == "" {
			continue
		}
		tag, ok := consent.NormalizeLanguage(l)
		if !ok {
			return in, invalid("languages", "engagements.error.language", "give languages as codes such as ar or en")
		}
		if !slices.Contains(langs, tag) {
			langs = append(langs, tag)
		}
	}
	if len(langs) > 20 {
		return in, invalid("languages", "engagements.error.too_many_languages", "at most 20 languages")
	}
	in.Languages = langs
	return in, nil
}

// CreateChannel records a channel.
func (s *Service) CreateChannel(ctx context.Context, p *authz.Principal, requestID string, in ChannelInput) (Channel, error) {
	if err := check(PermChannelsWrite, p); err != nil {
		return Channel{}, err
	}
	in, err := s.checkChannel(ctx, p.TenantID, in)
	if err != nil {
		return Channel{}, err
	}
	id, err := newID()
	if err != nil {
		return Channel{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		at := store.Millis(s.now())
		if _, err := tx.Exec(ctx, `INSERT INTO channels (id, tenant_id, kind, name, community_id, languages, notes, created_by, created_at, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, p.TenantID, string(in.Kind), in.Name, nullString(in.CommunityID),
			strings.Join(in.Languages, ","), in.Notes, p.UserID, at, p.UserID, at); err != nil {
			return errs.Wrap(err, "engagements: create channel")
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "channel.create", id))
		return err
	})
	if err != nil {
		return Channel{}, err
	}
	return s.Channel(ctx, p.TenantID, id)
}

// UpdateChannel changes a channel.
func (s *Service) UpdateChannel(ctx context.Context, p *authz.Principal, requestID, id string, in ChannelInput) (Channel, error) {
	if err := check(PermChannelsWrite, p); err != nil {
		return Channel{}, err
	}
	in, err := s.checkChannel(ctx, p.TenantID, in)
	if err != nil {
		return Channel{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE channels SET kind = ?, name = ?, community_id = ?, languages = ?, notes = ?, updated_by = ?, updated_at = ?
			WHERE tenant_id = ? AND id = ?`, string(in.Kind), in.Name, nullString(in.CommunityID), strings.Join(in.Languages, ","), in.Notes,
			p.UserID, store.Millis(s.now()), p.TenantID, id)
		if err != nil {
			return errs.Wrap(err, "engagements: update channel")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errChannelNotFound
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "channel.update", id))
		return err
	})
	if err != nil {
		return Channel{}, err
	}
	return s.Channel(ctx, p.TenantID, id)
}

const selectChannel = `SELECT id, kind, name, COALESCE(community_id, ''), languages, notes, created_at, updated_at FROM channels`

func scanChannel(r scanner) (Channel, error) {
	var c Channel
	var kind, langs string
	var created, updated int64
	if err := r.Scan(&c.ID, &kind, &c.Name, &c.CommunityID, &langs, &c.Notes, &created, &updated); err != nil {
		return c, err
	}
	c.Kind, c.CreatedAt, c.UpdatedAt = ChannelKind(kind), store.FromMillis(created), store.FromMillis(updated)
	c.Languages = []string{}
	if langs != "" {
		c.Languages = strings.Split(langs, ",")
	}
	return c, nil
}

// Channel returns one channel. NotFound for another tenant's id.
func (s *Service) Channel(ctx context.Context, tenantID, id string) (Channel, error) {
	c, err := scanChannel(s.db.Reader().QueryRow(ctx, selectChannel+` WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if isNoRows(err) {
		return c, errChannelNotFound
	}
	return c, errs.Wrap(err, "engagements: channel")
}

// Channels lists the tenant's channels by kind and name.
func (s *Service) Channels(ctx context.Context, tenantID string) ([]Channel, error) {
	rows, err := s.db.Reader().Query(ctx, selectChannel+` WHERE tenant_id = ? ORDER BY kind, name, id`, tenantID)
	if err != nil {
		return nil, errs.Wrap(err, "engagements: channels")
	}
	defer rows.Close()
	out := []Channel{}
	for rows.Next() {
		c, err := scanChannel(rows)
		if err != nil {
			return nil, errs.Wrap(err, "engagements: channels")
		}
		out = append(out, c)
	}
	return out, errs.Wrap(rows.Err(), "engagements: channels")
}
