package communities

import (
	"context"
	"math"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// FigureKind is an aggregate figure about a community. Only aggregates: never lists
// of people.
type FigureKind string

const (
	FigurePopulation FigureKind = "population"  // people, a whole number
	FigureYouthShare FigureKind = "youth_share" // percent of the population, 0–100
)

// FigureKindValues lists the kinds in display order.
var FigureKindValues = []FigureKind{FigurePopulation, FigureYouthShare}

// Figure is one aggregate figure with its source and year.
type Figure struct {
	ID         string     `json:"id"`
	Kind       FigureKind `json:"kind"`
	Value      float64    `json:"value"`
	Source     string     `json:"source"`
	Year       int        `json:"year"`
	RecordedBy string     `json:"recorded_by"`
	RecordedAt time.Time  `json:"recorded_at"`
}

// NewFigure is the input of AddFigure.
type NewFigure struct {
	Kind   FigureKind `json:"kind"`
	Value  float64    `json:"value"`
	Source string     `json:"source"`
	Year   int        `json:"year"`
}

func (in NewFigure) normalize(now time.Time) (NewFigure, error) {
	in.Kind = FigureKind(strings.TrimSpace(string(in.Kind)))
	bad := func(field, key, msg string) error {
		return &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: key, Msg: msg}
	}
	switch in.Kind {
	case FigurePopulation:
		if math.IsNaN(in.Value) || in.Value < 0 || in.Value > 1e10 || in.Value != math.Trunc(in.Value) {
			return in, bad("value", "communities.error.population", "population must be a whole number of people")
		}
	case FigureYouthShare:
		if math.IsNaN(in.Value) || in.Value < 0 || in.Value > 100 {
			return in, bad("value", "communities.error.share", "a share is a percentage from 0 to 100")
		}
	default:
		return in, bad("figure_kind", "communities.error.figure_kind", "unknown kind of figure")
	}
	if in.Year < 1900 || in.Year > now.Year()+1 {
		return in, bad("year", "communities.error.year", "not a plausible year")
	}
	var err error
	in.Source, err = cleanText("source", in.Source, true, 500)
	return in, err
}

// AddFigure records an aggregate figure; the newest of each kind is the current one.
func (s *Service) AddFigure(ctx context.Context, p *authz.Principal, requestID, communityID string, in NewFigure) (Figure, error) {
	if err := check(PermWrite, p); err != nil {
		return Figure{}, err
	}
	now := s.now()
	in, err := in.normalize(now)
	if err != nil {
		return Figure{}, err
	}
	id, err := newID()
	if err != nil {
		return Figure{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lockCommunity(ctx, tx, p.TenantID, communityID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO community_figures (id, tenant_id, community_id, kind, value, source, year, recorded_by, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, p.TenantID, communityID, string(in.Kind), in.Value, in.Source, in.Year, p.UserID, store.Millis(now)); err != nil {
			return errs.Wrap(err, "communities: add figure")
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "community.figure_add", id))
		return err
	})
	if err != nil {
		return Figure{}, err
	}
	return Figure{ID: id, Kind: in.Kind, Value: in.Value, Source: in.Source, Year: in.Year, RecordedBy: p.UserID,
		RecordedAt: store.FromMillis(store.Millis(now))}, nil
}

// Figures lists the community's figures, newest first (the first of each kind is the
// current one).
func (s *Service) Figures(ctx context.Context, tenantID, communityID string) ([]Figure, error) {
	if _, err := s.Get(ctx, tenantID, communityID); err != nil {
		return nil, err
	}
	rows, err := s.db.Reader().Query(ctx, `SELECT id, kind, value, source, year, recorded_by, recorded_at FROM community_figures
		WHERE tenant_id = ? AND community_id = ? ORDER BY recorded_at DESC, id DESC`, tenantID, communityID)
	if err != nil {
		return nil, errs.Wrap(err, "communities: figures")
	}
	defer rows.Close()
	out := []Figure{}
	for rows.Next() {
		var f Figure
		var kind string
		var at int64
		if err := rows.Scan(&f.ID, &kind, &f.Value, &f.Source, &f.Year, &f.RecordedBy, &at); err != nil {
			return nil, errs.Wrap(err, "communities: figures")
		}
		f.Kind, f.RecordedAt = FigureKind(kind), store.FromMillis(at)
		out = append(out, f)
	}
	return out, errs.Wrap(rows.Err(), "communities: figures")
}

// Current returns the newest figure of each kind, in FigureKindValues order.
func Current(figs []Figure) []Figure {
	var out []Figure
	for _, k := range FigureKindValues {
		for _, f := range figs {
			if f.Kind == k {
				out = append(out, f)
				break
			}
		}
	}
	return out
}
