package model

import (
	"context"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// Pickup says a story on one channel is picked up by another (syndication,
// re-sharing, word of mouth between venues) with a probability: an edge of the
// independent-cascade graph.
type Pickup struct {
	FromChannelID string    `json:"from_channel_id"`
	ToChannelID   string    `json:"to_channel_id"`
	Probability   float64   `json:"probability"` // in (0, 1]
	CreatedBy     string    `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedBy     string    `json:"updated_by"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// PickupInput is the input of CreatePickup and UpdatePickup; the two channels are
// the pickup's key.
type PickupInput struct {
	FromChannelID string  `json:"from_channel_id"`
	ToChannelID   string  `json:"to_channel_id"`
	Probability   float64 `json:"probability"`
}

var (
	errPickupNotFound = notFound("", "reach.error.pickup_not_found", "no such pickup")
	errPickupExists   = conflict("to_channel_id", "reach.error.pickup_exists", "this pickup exists already")
	errSelfLoop       = invalid("to_channel_id", "reach.error.self_loop", "a channel cannot pick up its own story")
)

func (in PickupInput) normalize() (PickupInput, error) {
	in.FromChannelID, in.ToChannelID = cleanID(in.FromChannelID), cleanID(in.ToChannelID)
	if in.FromChannelID == "" {
		return in, invalid("from_channel_id", "reach.error.required", "from_channel_id is required")
	}
	if in.ToChannelID == "" {
		return in, invalid("to_channel_id", "reach.error.required", "to_channel_id is required")
	}
	if in.FromChannelID == in.ToChannelID {
		return in, errSelfLoop
	}
	return in, checkProbability(in.Probability)
}

// CreatePickup records a pickup; Conflict when it exists.
func (s *Service) CreatePickup(ctx context.Context, p *authz.Principal, requestID string, in PickupInput) (Pickup, error) {
	if err := check(PermWrite, p); err != nil {
		return Pickup{}, err
	}
	in, err := in.normalize()
	if err != nil {
		return Pickup{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := checkChannel(ctx, tx, p.TenantID, in.FromChannelID, "from_channel_id"); err != nil {
			return err
		}
		if err := checkChannel(ctx, tx, p.TenantID, in.ToChannelID, "to_channel_id"); err != nil {
			return err
		}
		if err := insertPickup(ctx, tx, p, in, s.now()); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "reach.pickup.create", in.FromChannelID+"/"+in.ToChannelID))
		return err
	})
	if err != nil {
		return Pickup{}, err
	}
	return s.Pickup(ctx, p.TenantID, in.FromChannelID, in.ToChannelID)
}

const insertPickupHead = `INSERT INTO channel_pickups (tenant_id, from_channel_id, to_channel_id, probability, created_by, created_at, updated_by, updated_at) VALUES `

func pickupArgs(p *authz.Principal, in PickupInput, now time.Time) []any {
	at := store.Millis(now)
	return []any{p.TenantID, in.FromChannelID, in.ToChannelID, in.Probability, p.UserID, at, p.UserID, at}
}

func insertPickup(ctx context.Context, tx *store.Tx, p *authz.Principal, in PickupInput, now time.Time) error {
	args := pickupArgs(p, in, now)
	_, err := tx.Exec(ctx, insertPickupHead+valuesRow(len(args)), args...)
	if store.IsUniqueViolation(err) {
		return errPickupExists
	}
	return errs.Wrap(err, "reach: insert pickup")
}

func updatePickup(ctx context.Context, tx *store.Tx, p *authz.Principal, in PickupInput, now time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE channel_pickups SET probability = ?, updated_by = ?, updated_at = ?
		WHERE tenant_id = ? AND from_channel_id = ? AND to_channel_id = ?`, in.Probability, p.UserID, store.Millis(now),
		p.TenantID, in.FromChannelID, in.ToChannelID)
	if err != nil {
		return errs.Wrap(err, "reach: update pickup")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errPickupNotFound
	}
	return nil
}

// UpdatePickup changes a pickup's probability.
func (s *Service) UpdatePickup(ctx context.Context, p *authz.Principal, requestID string, in PickupInput) (Pickup, error) {
	if err := check(PermWrite, p); err != nil {
		return Pickup{}, err
	}
	in, err := in.normalize()
	if err != nil {
		return Pickup{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := updatePickup(ctx, tx, p, in, s.now()); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "reach.pickup.update", in.FromChannelID+"/"+in.ToChannelID))
		return err
	})
	if err != nil {
		return Pickup{}, err
	}
	return s.Pickup(ctx, p.TenantID, in.FromChannelID, in.ToChannelID)
}

// RemovePickup removes a pickup.
func (s *Service) RemovePickup(ctx context.Context, p *authz.Principal, requestID, fromChannelID, toChannelID string) error {
	fromChannelID, toChannelID = cleanID(fromChannelID), cleanID(toChannelID)
	if err := check(PermWrite, p); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM channel_pickups WHERE tenant_id = ? AND from_channel_id = ? AND to_channel_id = ?`,
			p.TenantID, fromChannelID, toChannelID)
		if err != nil {
			return errs.Wrap(err, "reach: remove pickup")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errPickupNotFound
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "reach.pickup.remove", fromChannelID+"/"+toChannelID))
		return err
	})
}

const selectPickup = `SELECT from_channel_id, to_channel_id, probability, created_by, created_at, updated_by, updated_at FROM channel_pickups`

func scanPickup(sc scanner) (Pickup, error) {
	var pk Pickup
	var created, updated int64
	if err := sc.Scan(&pk.FromChannelID, &pk.ToChannelID, &pk.Probability, &pk.CreatedBy, &created, &pk.UpdatedBy, &updated); err != nil {
		return pk, err
	}
	pk.CreatedAt, pk.UpdatedAt = store.FromMillis(created), store.FromMillis(updated)
	return pk, nil
}

// Pickup returns one pickup; NotFound for another tenant's.
func (s *Service) Pickup(ctx context.Context, tenantID, fromChannelID, toChannelID string) (Pickup, error) {
	fromChannelID, toChannelID = cleanID(fromChannelID), cleanID(toChannelID)
	pk, err := scanPickup(s.db.Reader().QueryRow(ctx, selectPickup+` WHERE tenant_id = ? AND from_channel_id = ? AND to_channel_id = ?`,
		tenantID, fromChannelID, toChannelID))
	if isNoRows(err) {
		return Pickup{}, errPickupNotFound
	}
	return pk, errs.Wrap(err, "reach: pickup")
}

// Pickups lists the tenant's pickups by source and target channel.
func (s *Service) Pickups(ctx context.Context, tenantID string) ([]Pickup, error) {
	return listPickups(ctx, s.db.Reader(), tenantID)
}

func listPickups(ctx context.Context, q store.Querier, tenantID string) ([]Pickup, error) {
	rows, err := q.Query(ctx, selectPickup+` WHERE tenant_id = ? ORDER BY from_channel_id, to_channel_id`, tenantID)
	if err != nil {
		return nil, errs.Wrap(err, "reach: pickups")
	}
	defer rows.Close()
	out := []Pickup{}
	for rows.Next() {
		pk, err := scanPickup(rows)
		if err != nil {
			return nil, errs.Wrap(err, "reach: pickups")
		}
		out = append(out, pk)
	}
	return out, errs.Wrap(rows.Err(), "reach: pickups")
}
