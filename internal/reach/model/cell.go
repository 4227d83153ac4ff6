package model

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/returnees/consent"
)

// AgeBand is an audience age band.
type AgeBand string

const (
	Age13to17 AgeBand = "13-17"
	Age18to24 AgeBand = "18-24"
	Age25to34 AgeBand = "25-34"
	Age35Plus AgeBand = "35+"
)

// AgeBands lists the bands in display order.
var AgeBands = []AgeBand{Age13to17, Age18to24, Age25to34, Age35Plus}

// MaxCellSize bounds a cell's size: more people than live on Earth is a typing error.
const MaxCellSize = 1e10

// Cell is an audience cell: the people of one community (or of none, for e.g. a
// national online audience) speaking one language, in one age band. Its size comes
// from aggregate figures, with their source and year.
type Cell struct {
	ID          string    `json:"id"`
	CommunityID string    `json:"community_id"` // "" when not tied to a community
	Language    string    `json:"language"`     // BCP 47, lower-case
	AgeBand     AgeBand   `json:"age_band"`
	Size        float64   `json:"size"` // people
	Source      string    `json:"source"`
	Year        int       `json:"year"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedBy   string    `json:"updated_by"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// CellInput is the input of CreateCell and UpdateCell.
type CellInput struct {
	CommunityID string  `json:"community_id"`
	Language    string  `json:"language"`
	AgeBand     AgeBand `json:"age_band"`
	Size        float64 `json:"size"`
	Source      string  `json:"source"`
	Year        int     `json:"year"`
}

func checkLanguage(field, s string) (string, error) {
	tag, ok := consent.NormalizeLanguage(s)
	if !ok {
		return "", invalid(field, "reach.error.language", "give the language as a code such as ar or en")
	}
	return tag, nil
}

func checkAgeBand(s string) (AgeBand, error) {
	b := AgeBand(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	if !slices.Contains(AgeBands, b) {
		return "", invalid("age_band", "reach.error.age_band", "the age band is one of 13-17, 18-24, 25-34, 35+")
	}
	return b, nil
}

func checkSize(v float64) error {
	if math.IsNaN(v) || v < 0 || v > MaxCellSize {
		return invalid("size", "reach.error.size", "the size is a number of people, 0 or more")
	}
	return nil
}

func checkYear(y int, now time.Time) error {
	if y < 1900 || y > now.Year()+1 {
		return invalid("year", "reach.error.year", "not a plausible year")
	}
	return nil
}

// normalize checks every field but the community reference, which needs the database.
func (in CellInput) normalize(now time.Time) (CellInput, error) {
	var err error
	in.CommunityID = cleanID(in.CommunityID)
	if in.Language, err = checkLanguage("language", in.Language); err != nil {
		return in, err
	}
	if in.AgeBand, err = checkAgeBand(string(in.AgeBand)); err != nil {
		return in, err
	}
	if err = checkSize(in.Size); err != nil {
		return in, err
	}
	if in.Source, err = cleanText("source", in.Source, true, 500); err != nil {
		return in, err
	}
	return in, checkYear(in.Year, now)
}

var (
	errCellNotFound = notFound("", "reach.error.cell_not_found", "no such audience cell")
	errCellExists   = conflict("age_band", "reach.error.cell_exists", "this community already has a cell for this language and age band")
)

// CreateCell records an audience cell.
func (s *Service) CreateCell(ctx context.Context, p *authz.Principal, requestID string, in CellInput) (Cell, error) {
	if err := check(PermWrite, p); err != nil {
		return Cell{}, err
	}
	now := s.now()
	in, err := in.normalize(now)
	if err != nil {
		return Cell{}, err
	}
	id, err := newID()
	if err != nil {
		return Cell{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := checkCommunity(ctx, tx, p.TenantID, in.CommunityID); err != nil {
			return err
		}
		if err := insertCell(ctx, tx, p, id, in, now); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "reach.cell.create", id))
		return err
	})
	if err != nil {
		return Cell{}, err
	}
	return s.Cell(ctx, p.TenantID, id)
}

const insertCellHead = `INSERT INTO audience_cells (id, tenant_id, community_id, language, age_band, size, source, year,
	created_by, created_at, updated_by, updated_at) VALUES `

func cellArgs(p *authz.Principal, id string, in CellInput, now time.Time) []any {
	at := store.Millis(now)
	return []any{id, p.TenantID, nullString(in.CommunityID), in.Language, string(in.AgeBand), in.Size, in.Source, in.Year,
		p.UserID, at, p.UserID, at}
}

func insertCell(ctx context.Context, tx *store.Tx, p *authz.Principal, id string, in CellInput, now time.Time) error {
	args := cellArgs(p, id, in, now)
	_, err := tx.Exec(ctx, insertCellHead+valuesRow(len(args)), args...)
	if store.IsUniqueViolation(err) {
		return errCellExists
	}
	return errs.Wrap(err, "reach: insert cell")
}

// UpdateCell replaces a cell's details (its community, language and band too).
func (s *Service) UpdateCell(ctx context.Context, p *authz.Principal, requestID, id string, in CellInput) (Cell, error) {
	id = cleanID(id)
	if err := check(PermWrite, p); err != nil {
		return Cell{}, err
	}
	now := s.now()
	in, err := in.normalize(now)
	if err != nil {
		return Cell{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := checkCommunity(ctx, tx, p.TenantID, in.CommunityID); err != nil {
			return err
		}
		if err := updateCell(ctx, tx, p, id, in, now); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "reach.cell.update", id))
		return err
	})
	if err != nil {
		return Cell{}, err
	}
	return s.Cell(ctx, p.TenantID, id)
}

func updateCell(ctx context.Context, tx *store.Tx, p *authz.Principal, id string, in CellInput, now time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE audience_cells SET community_id = ?, language = ?, age_band = ?, size = ?, source = ?, year = ?,
		updated_by = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		nullString(in.CommunityID), in.Language, string(in.AgeBand), in.Size, in.Source, in.Year,
		p.UserID, store.Millis(now), p.TenantID, id)
	if store.IsUniqueViolation(err) {
		return errCellExists
	}
	if err != nil {
		return errs.Wrap(err, "reach: update cell")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errCellNotFound
	}
	return nil
}

// DeleteCell removes a cell and the reach links into it. Saved plans keep the id
// among their targets, as a record of what was planned.
func (s *Service) DeleteCell(ctx context.Context, p *authz.Principal, requestID, id string) error {
	id = cleanID(id)
	if err := check(PermWrite, p); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM channel_reach WHERE tenant_id = ? AND cell_id = ?`, p.TenantID, id); err != nil {
			return errs.Wrap(err, "reach: delete cell links")
		}
		res, err := tx.Exec(ctx, `DELETE FROM audience_cells WHERE tenant_id = ? AND id = ?`, p.TenantID, id)
		if err != nil {
			return errs.Wrap(err, "reach: delete cell")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errCellNotFound
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "reach.cell.delete", id))
		return err
	})
}

const selectCell = `SELECT id, COALESCE(community_id, ''), language, age_band, size, source, year,
	created_by, created_at, updated_by, updated_at FROM audience_cells`

func scanCell(sc scanner) (Cell, error) {
	var c Cell
	var band string
	var created, updated int64
	if err := sc.Scan(&c.ID, &c.CommunityID, &c.Language, &band, &c.Size, &c.Source, &c.Year,
		&c.CreatedBy, &created, &c.UpdatedBy, &updated); err != nil {
		return c, err
	}
	c.AgeBand, c.CreatedAt, c.UpdatedAt = AgeBand(band), store.FromMillis(created), store.FromMillis(updated)
	return c, nil
}

// Cell returns the tenant's cell id; NotFound for another tenant's.
func (s *Service) Cell(ctx context.Context, tenantID, id string) (Cell, error) {
	id = cleanID(id)
	c, err := scanCell(s.db.Reader().QueryRow(ctx, selectCell+` WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if isNoRows(err) {
		return Cell{}, errCellNotFound
	}
	return c, errs.Wrap(err, "reach: cell")
}

// Cells lists the tenant's cells by community, language and age band.
func (s *Service) Cells(ctx context.Context, tenantID string) ([]Cell, error) {
	return listCells(ctx, s.db.Reader(), tenantID)
}

func listCells(ctx context.Context, q store.Querier, tenantID string) ([]Cell, error) {
	rows, err := q.Query(ctx, selectCell+` WHERE tenant_id = ? ORDER BY COALESCE(community_id, ''), language, age_band, id`, tenantID)
	if err != nil {
		return nil, errs.Wrap(err, "reach: cells")
	}
	defer rows.Close()
	out := []Cell{}
	for rows.Next() {
		c, err := scanCell(rows)
		if err != nil {
			return nil, errs.Wrap(err, "reach: cells")
		}
		out = append(out, c)
	}
	return out, errs.Wrap(rows.Err(), "reach: cells")
}
