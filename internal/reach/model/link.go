package model

import (
	"context"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// ReachLink says a story on a channel reaches each person of an audience cell with
// a probability.
type ReachLink struct {
	ChannelID   string    `json:"channel_id"`
	CellID      string    `json:"cell_id"`
	Probability float64   `json:"probability"` // in (0, 1]
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedBy   string    `json:"updated_by"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ReachLinkInput is the input of CreateReachLink and UpdateReachLink; the channel and
// cell are the link's key.
type ReachLinkInput struct {
	ChannelID   string  `json:"channel_id"`
	CellID      string  `json:"cell_id"`
	Probability float64 `json:"probability"`
}

var (
	errLinkNotFound = notFound("", "reach.error.link_not_found", "no such reach link")
	errLinkExists   = conflict("cell_id", "reach.error.link_exists", "this channel already has a link to this cell")
)

func (in ReachLinkInput) normalize() (ReachLinkInput, error) {
	in.ChannelID, in.CellID = cleanID(in.ChannelID), cleanID(in.CellID)
	if in.ChannelID == "" {
		return in, invalid("channel_id", "reach.error.required", "channel_id is required")
	}
	if in.CellID == "" {
		return in, invalid("cell_id", "reach.error.required", "cell_id is required")
	}
	return in, checkProbability(in.Probability)
}

func checkCell(ctx context.Context, q store.Querier, tenantID, id string) error {
	ok, err := exists(ctx, q, `SELECT 1 FROM audience_cells WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err == nil && !ok {
		err = notFound("cell_id", "reach.error.cell_not_found", "no such audience cell")
	}
	return err
}

// CreateReachLink records that a channel reaches a cell; Conflict when the link exists.
func (s *Service) CreateReachLink(ctx context.Context, p *authz.Principal, requestID string, in ReachLinkInput) (ReachLink, error) {
	if err := check(PermWrite, p); err != nil {
		return ReachLink{}, err
	}
	in, err := in.normalize()
	if err != nil {
		return ReachLink{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := checkChannel(ctx, tx, p.TenantID, in.ChannelID, "channel_id"); err != nil {
			return err
		}
		if err := checkCell(ctx, tx, p.TenantID, in.CellID); err != nil {
			return err
		}
		if err := insertLink(ctx, tx, p, in, s.now()); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "reach.link.create", in.ChannelID+"/"+in.CellID))
		return err
	})
	if err != nil {
		return ReachLink{}, err
	}
	return s.ReachLink(ctx, p.TenantID, in.ChannelID, in.CellID)
}

const insertLinkHead = `INSERT INTO channel_reach (tenant_id, channel_id, cell_id, probability, created_by, created_at, updated_by, updated_at) VALUES `

func linkArgs(p *authz.Principal, in ReachLinkInput, now time.Time) []any {
	at := store.Millis(now)
	return []any{p.TenantID, in.ChannelID, in.CellID, in.Probability, p.UserID, at, p.UserID, at}
}

func insertLink(ctx context.Context, tx *store.Tx, p *authz.Principal, in ReachLinkInput, now time.Time) error {
	args := linkArgs(p, in, now)
	_, err := tx.Exec(ctx, insertLinkHead+valuesRow(len(args)), args...)
	if store.IsUniqueViolation(err) {
		return errLinkExists
	}
	return errs.Wrap(err, "reach: insert link")
}

func updateLink(ctx context.Context, tx *store.Tx, p *authz.Principal, in ReachLinkInput, now time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE channel_reach SET probability = ?, updated_by = ?, updated_at = ?
		WHERE tenant_id = ? AND channel_id = ? AND cell_id = ?`, in.Probability, p.UserID, store.Millis(now), p.TenantID, in.ChannelID, in.CellID)
	if err != nil {
		return errs.Wrap(err, "reach: update link")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errLinkNotFound
	}
	return nil
}

// UpdateReachLink changes a link's probability.
func (s *Service) UpdateReachLink(ctx context.Context, p *authz.Principal, requestID string, in ReachLinkInput) (ReachLink, error) {
	if err := check(PermWrite, p); err != nil {
		return ReachLink{}, err
	}
	in, err := in.normalize()
	if err != nil {
		return ReachLink{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := updateLink(ctx, tx, p, in, s.now()); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "reach.link.update", in.ChannelID+"/"+in.CellID))
		return err
	})
	if err != nil {
		return ReachLink{}, err
	}
	return s.ReachLink(ctx, p.TenantID, in.ChannelID, in.CellID)
}

// RemoveReachLink removes a link.
func (s *Service) RemoveReachLink(ctx context.Context, p *authz.Principal, requestID, channelID, cellID string) error {
	channelID, cellID = cleanID(channelID), cleanID(cellID)
	if err := check(PermWrite, p); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM channel_reach WHERE tenant_id = ? AND channel_id = ? AND cell_id = ?`, p.TenantID, channelID, cellID)
		if err != nil {
			return errs.Wrap(err, "reach: remove link")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errLinkNotFound
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "reach.link.remove", channelID+"/"+cellID))
		return err
	})
}

const selectLink = `SELECT channel_id, cell_id, probability, created_by, created_at, updated_by, updated_at FROM channel_reach`

func scanLink(sc scanner) (ReachLink, error) {
	var l ReachLink
	var created, updated int64
	if err := sc.Scan(&l.ChannelID, &l.CellID, &l.Probability, &l.CreatedBy, &created, &l.UpdatedBy, &updated); err != nil {
		return l, err
	}
	l.CreatedAt, l.UpdatedAt = store.FromMillis(created), store.FromMillis(updated)
	return l, nil
}

// ReachLink returns one link; NotFound for another tenant's.
func (s *Service) ReachLink(ctx context.Context, tenantID, channelID, cellID string) (ReachLink, error) {
	channelID, cellID = cleanID(channelID), cleanID(cellID)
	l, err := scanLink(s.db.Reader().QueryRow(ctx, selectLink+` WHERE tenant_id = ? AND channel_id = ? AND cell_id = ?`, tenantID, channelID, cellID))
	if isNoRows(err) {
		return ReachLink{}, errLinkNotFound
	}
	return l, errs.Wrap(err, "reach: link")
}

// ReachLinks lists the tenant's links by channel and cell.
func (s *Service) ReachLinks(ctx context.Context, tenantID string) ([]ReachLink, error) {
	return listLinks(ctx, s.db.Reader(), tenantID)
}

func listLinks(ctx context.Context, q store.Querier, tenantID string) ([]ReachLink, error) {
	rows, err := q.Query(ctx, selectLink+` WHERE tenant_id = ? ORDER BY channel_id, cell_id`, tenantID)
	if err != nil {
		return nil, errs.Wrap(err, "reach: links")
	}
	defer rows.Close()
	out := []ReachLink{}
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, errs.Wrap(err, "reach: links")
		}
		out = append(out, l)
	}
	return out, errs.Wrap(rows.Err(), "reach: links")
}
