package model

import (
	"context"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// ChannelRef is what the planner needs of a channel: the graph's nodes and the words
// to explain a choice.
type ChannelRef struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"` // media_outlet | online_page | venue | partner_org
	Name        string `json:"name"`
	CommunityID string `json:"community_id"`
}

// CommunityRef names a community.
type CommunityRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Model is a tenant's whole reach model as of one moment, for planning.
type Model struct {
	Channels    []ChannelRef   `json:"channels"`
	Communities []CommunityRef `json:"communities"`
	Cells       []Cell         `json:"cells"`
	Links       []ReachLink    `json:"links"`
	Pickups     []Pickup       `json:"pickups"`
	Options     []Option       `json:"options"`
}

// Model loads the tenant's model in one consistent read: a plan never mixes cells of
// one moment with links of another.
func (s *Service) Model(ctx context.Context, tenantID string) (Model, error) {
	var m Model
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		var err error
		if m.Channels, err = listChannelRefs(ctx, q, tenantID); err != nil {
			return err
		}
		if m.Communities, err = listCommunityRefs(ctx, q, tenantID); err != nil {
			return err
		}
		if m.Cells, err = listCells(ctx, q, tenantID); err != nil {
			return err
		}
		if m.Links, err = listLinks(ctx, q, tenantID); err != nil {
			return err
		}
		if m.Pickups, err = listPickups(ctx, q, tenantID); err != nil {
			return err
		}
		m.Options, err = listOptions(ctx, q, tenantID)
		return err
	})
	if err != nil {
		return Model{}, err
	}
	return m, nil
}

func listChannelRefs(ctx context.Context, q store.Querier, tenantID string) ([]ChannelRef, error) {
	rows, err := q.Query(ctx, `SELECT id, kind, name, COALESCE(community_id, '') FROM channels WHERE tenant_id = ? ORDER BY name, id`, tenantID)
	if err != nil {
		return nil, errs.Wrap(err, "reach: channels")
	}
	defer rows.Close()
	out := []ChannelRef{}
	for rows.Next() {
		var c ChannelRef
		if err := rows.Scan(&c.ID, &c.Kind, &c.Name, &c.CommunityID); err != nil {
			return nil, errs.Wrap(err, "reach: channels")
		}
		out = append(out, c)
	}
	return out, errs.Wrap(rows.Err(), "reach: channels")
}

func listCommunityRefs(ctx context.Context, q store.Querier, tenantID string) ([]CommunityRef, error) {
	rows, err := q.Query(ctx, `SELECT id, name FROM communities WHERE tenant_id = ? ORDER BY name, id`, tenantID)
	if err != nil {
		return nil, errs.Wrap(err, "reach: communities")
	}
	defer rows.Close()
	out := []CommunityRef{}
	for rows.Next() {
		var c CommunityRef
		if err := rows.Scan(&c.ID, &c.Name); err != nil {
			return nil, errs.Wrap(err, "reach: communities")
		}
		out = append(out, c)
	}
	return out, errs.Wrap(rows.Err(), "reach: communities")
}
