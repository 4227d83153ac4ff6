package model

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// ImportResult is what an import did, or why it did nothing.
type ImportResult struct {
	Created   int        `json:"created"`
	Updated   int        `json:"updated"`
	Unchanged int        `json:"unchanged"` // rows equal to what was stored
	Errors    []RowError `json:"errors"`    // in file order; non-empty means nothing was written
	// Incomplete says the check stopped after MaxListedErrors errors: the rest of
	// the file may hold more.
	Incomplete bool `json:"incomplete"`
}

// rejected reports the bad rows, in file order: nothing was written.
func rejected(res *ImportResult, list []RowError) error {
	slices.SortStableFunc(list, func(a, b RowError) int { return cmp.Compare(a.Line, b.Line) })
	if len(list) >= MaxListedErrors {
		list, res.Incomplete = list[:MaxListedErrors], true
	}
	res.Errors, res.Created, res.Updated, res.Unchanged = list, 0, 0, 0
	lines := map[int]bool{}
	for _, e := range list {
		lines[e.Line] = true
	}
	return invalid("file", "reach.error.csv_rejected",
		fmt.Sprintf("%d rows have errors: nothing was imported", len(lines)), len(lines))
}

var errBadRows = errs.E(errs.Invalid, "reach: bad rows") // rolls an import back; never returned

// importTx runs an import: the parser's errors and the rows' resolution errors
// (names that match nothing, rows that repeat once names are resolved) are all
// gathered before anything is written, in one transaction that commits only when
// there are none.
func (s *Service) importTx(ctx context.Context, p *authz.Principal, requestID, action string, res *ImportResult,
	parsed []RowError, fn func(tx *store.Tx, el *rowErrors) error) error {
	el := &rowErrors{} // the resolution's own errors: merged with the parser's in file order
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := fn(tx, el); err != nil {
			return err
		}
		if len(parsed) > 0 || len(el.list) > 0 {
			return errBadRows
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, action, ""))
		return err
	})
	if err == errBadRows {
		return rejected(res, append(parsed, el.list...))
	}
	if err != nil {
		*res = ImportResult{}
	}
	return err
}

// index resolves the names or ids a file uses for another capability's records.
type index struct {
	ids   map[string]bool
	names map[string][]string // folded name → ids
}

func loadIndex(ctx context.Context, q store.Querier, query, tenantID string) (index, error) {
	ix := index{ids: map[string]bool{}, names: map[string][]string{}}
	rows, err := q.Query(ctx, query, tenantID)
	if err != nil {
		return ix, errs.Wrap(err, "reach: load names")
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return ix, errs.Wrap(err, "reach: load names")
		}
		ix.ids[id] = true
		ix.names[fold(name)] = append(ix.names[fold(name)], id)
	}
	return ix, errs.Wrap(rows.Err(), "reach: load names")
}

// resolution is what a reference of one kind says when it does not resolve.
type resolution struct {
	unknownKey, unknownMsg, ambiguousKey, ambiguousMsg string
}

var (
	channelRefs = resolution{"reach.error.csv_unknown_channel", "no channel has this name or id",
		"reach.error.csv_ambiguous_channel", "several channels have this name: give the channel's id"}
	communityRefs = resolution{"reach.error.csv_unknown_community", "no community has this name or id",
		"reach.error.csv_ambiguous_community", "several communities have this name: give the community's id"}
	speakerRefs = resolution{"reach.error.csv_unknown_speaker", "no returnee has this alias or id",
		"reach.error.csv_ambiguous_speaker", "several returnees have this alias: give the returnee's id"}
)

// resolve returns the id ref names ("" stays ""), or records why it cannot.
func (ix index) resolve(ref string, how resolution, el *rowErrors, line int, column string) (string, bool) {
	if ref == "" {
		return "", true
	}
	if ix.ids[ref] {
		return ref, true
	}
	switch ids := ix.names[fold(ref)]; len(ids) {
	case 1:
		return ids[0], true
	case 0:
		el.add(line, column, how.unknownKey, how.unknownMsg)
	default:
		el.add(line, column, how.ambiguousKey, how.ambiguousMsg)
	}
	return "", false
}

const (
	channelNames   = `SELECT id, name FROM channels WHERE tenant_id = ?`
	communityNames = `SELECT id, name FROM communities WHERE tenant_id = ?`
	speakerNames   = `SELECT id, alias FROM returnees WHERE tenant_id = ? AND erased_at IS NULL`
)

type cellKey struct{ community, language, band string }

func loadCells(ctx context.Context, q store.Querier, tenantID string) (map[cellKey]Cell, error) {
	cells, err := listCells(ctx, q, tenantID)
	if err != nil {
		return nil, err
	}
	m := make(map[cellKey]Cell, len(cells))
	for _, c := range cells {
		m[cellKey{c.CommunityID, c.Language, string(c.AgeBand)}] = c
	}
	return m, nil
}

// ImportCells imports a cells file (see the CSV formats above ParseCellsCSV's
// columns): all rows or none. On bad rows err is Invalid and res.Errors lists them.
func (s *Service) ImportCells(ctx context.Context, p *authz.Principal, requestID string, r io.Reader) (ImportResult, error) {
	if err := check(PermWrite, p); err != nil {
		return ImportResult{}, err
	}
	now := s.now()
	rows, parsed := parseCells(r, now)
	var res ImportResult
	err := s.importTx(ctx, p, requestID, "reach.cell.import", &res, parsed, func(tx *store.Tx, el *rowErrors) error {
		communities, err := loadIndex(ctx, tx, communityNames, p.TenantID)
		if err != nil {
			return err
		}
		existing, err := loadCells(ctx, tx, p.TenantID)
		if err != nil {
			return err
		}
		type resolved struct {
			in  CellInput
			old Cell
		}
		var todo []resolved
		seen := duplicates{}
		for _, row := range rows {
			cid, ok := communities.resolve(row.Community, communityRefs, el, row.Line, "community")
			if !ok {
				continue
			}
			key := cellKey{cid, row.Language, string(row.AgeBand)}
			if !seen.check(el, row.Line, fmt.Sprint(key)) {
				continue
			}
			todo = append(todo, resolved{CellInput{CommunityID: cid, Language: row.Language, AgeBand: row.AgeBand,
				Size: row.Size, Source: row.Source, Year: row.Year}, existing[key]})
		}
		if len(el.list) > 0 || len(parsed) > 0 { // rejected: write nothing
			return nil
		}
		inserts := &batch{ctx: ctx, tx: tx, head: insertCellHead, conflict: errCellExists}
		for _, t := range todo {
			switch {
			case t.old.ID == "":
				id, err := newID()
				if err != nil {
					return err
				}
				if err := inserts.add(cellArgs(p, id, t.in, now)...); err != nil {
					return err
				}
				res.Created++
			case t.old.Size == t.in.Size && t.old.Source == t.in.Source && t.old.Year == t.in.Year:
				res.Unchanged++
			default:
				if err := updateCell(ctx, tx, p, t.old.ID, t.in, now); err != nil {
					return err
				}
				res.Updated++
			}
		}
		return inserts.flush()
	})
	return res, err
}

// ImportReach imports a reach file: the cells it names must exist. All rows or none,
// as ImportCells.
func (s *Service) ImportReach(ctx context.Context, p *authz.Principal, requestID string, r io.Reader) (ImportResult, error) {
	if err := check(PermWrite, p); err != nil {
		return ImportResult{}, err
	}
	now := s.now()
	rows, parsed := ParseReachCSV(r)
	var res ImportResult
	err := s.importTx(ctx, p, requestID, "reach.link.import", &res, parsed, func(tx *store.Tx, el *rowErrors) error {
		channels, err := loadIndex(ctx, tx, channelNames, p.TenantID)
		if err != nil {
			return err
		}
		communities, err := loadIndex(ctx, tx, communityNames, p.TenantID)
		if err != nil {
			return err
		}
		cells, err := loadCells(ctx, tx, p.TenantID)
		if err != nil {
			return err
		}
		links, err := listLinks(ctx, tx, p.TenantID)
		if err != nil {
			return err
		}
		existing := make(map[[2]string]float64, len(links))
		for _, l := range links {
			existing[[2]string{l.ChannelID, l.CellID}] = l.Probability
		}
		var todo []ReachLinkInput
		seen := duplicates{}
		for _, row := range rows {
			chID, ok1 := channels.resolve(row.Channel, channelRefs, el, row.Line, "channel")
			cid, ok2 := communities.resolve(row.Community, communityRefs, el, row.Line, "community")
			if !ok1 || !ok2 {
				continue
			}
			cell, ok := cells[cellKey{cid, row.Language, string(row.AgeBand)}]
			if !ok {
				el.add(row.Line, "age_band", "reach.error.csv_unknown_cell", "no audience cell for this community, language and age band: import the cells first")
				continue
			}
			if !seen.check(el, row.Line, chID+"\x00"+cell.ID) {
				continue
			}
			todo = append(todo, ReachLinkInput{ChannelID: chID, CellID: cell.ID, Probability: row.Probability})
		}
		if len(el.list) > 0 || len(parsed) > 0 { // rejected: write nothing
			return nil
		}
		inserts := &batch{ctx: ctx, tx: tx, head: insertLinkHead, conflict: errLinkExists}
		for _, in := range todo {
			old, ok := existing[[2]string{in.ChannelID, in.CellID}]
			switch {
			case !ok:
				if err := inserts.add(linkArgs(p, in, now)...); err != nil {
					return err
				}
				res.Created++
			case old == in.Probability:
				res.Unchanged++
			default:
				if err := updateLink(ctx, tx, p, in, now); err != nil {
					return err
				}
				res.Updated++
			}
		}
		return inserts.flush()
	})
	return res, err
}

// ImportPickups imports a pickups file. All rows or none, as ImportCells.
func (s *Service) ImportPickups(ctx context.Context, p *authz.Principal, requestID string, r io.Reader) (ImportResult, error) {
	if err := check(PermWrite, p); err != nil {
		return ImportResult{}, err
	}
	now := s.now()
	rows, parsed := ParsePickupsCSV(r)
	var res ImportResult
	err := s.importTx(ctx, p, requestID, "reach.pickup.import", &res, parsed, func(tx *store.Tx, el *rowErrors) error {
		channels, err := loadIndex(ctx, tx, channelNames, p.TenantID)
		if err != nil {
			return err
		}
		pickups, err := listPickups(ctx, tx, p.TenantID)
		if err != nil {
			return err
		}
		existing := make(map[[2]string]float64, len(pickups))
		for _, pk := range pickups {
			existing[[2]string{pk.FromChannelID, pk.ToChannelID}] = pk.Probability
		}
		var todo []PickupInput
		seen := duplicates{}
		for _, row := range rows {
			from, ok1 := channels.resolve(row.FromChannel, channelRefs, el, row.Line, "from_channel")
			to, ok2 := channels.resolve(row.ToChannel, channelRefs, el, row.Line, "to_channel")
			if !ok1 || !ok2 {
				continue
			}
			if from == to {
				el.addErr(row.Line, "to_channel", errSelfLoop)
				continue
			}
			if !seen.check(el, row.Line, from+"\x00"+to) {
				continue
			}
			todo = append(todo, PickupInput{FromChannelID: from, ToChannelID: to, Probability: row.Probability})
		}
		if len(el.list) > 0 || len(parsed) > 0 { // rejected: write nothing
			return nil
		}
		inserts := &batch{ctx: ctx, tx: tx, head: insertPickupHead, conflict: errPickupExists}
		for _, in := range todo {
			old, ok := existing[[2]string{in.FromChannelID, in.ToChannelID}]
			switch {
			case !ok:
				if err := inserts.add(pickupArgs(p, in, now)...); err != nil {
					return err
				}
				res.Created++
			case old == in.Probability:
				res.Unchanged++
			default:
				if err := updatePickup(ctx, tx, p, in, now); err != nil {
					return err
				}
				res.Updated++
			}
		}
		return inserts.flush()
	})
	return res, err
}

// ImportOptions imports an options file, matching options by exact title. All rows
// or none, as ImportCells.
func (s *Service) ImportOptions(ctx context.Context, p *authz.Principal, requestID string, r io.Reader) (ImportResult, error) {
	if err := check(PermWrite, p); err != nil {
		return ImportResult{}, err
	}
	now := s.now()
	rows, parsed := ParseOptionsCSV(r)
	var res ImportResult
	err := s.importTx(ctx, p, requestID, "reach.option.import", &res, parsed, func(tx *store.Tx, el *rowErrors) error {
		channels, err := loadIndex(ctx, tx, channelNames, p.TenantID)
		if err != nil {
			return err
		}
		communities, err := loadIndex(ctx, tx, communityNames, p.TenantID)
		if err != nil {
			return err
		}
		speakers, err := loadIndex(ctx, tx, speakerNames, p.TenantID)
		if err != nil {
			return err
		}
		options, err := listOptions(ctx, tx, p.TenantID)
		if err != nil {
			return err
		}
		existing := make(map[string]Option, len(options))
		for _, o := range options {
			existing[o.Title] = o
		}
		type resolved struct {
			in  OptionInput
			old Option
		}
		var todo []resolved
		for _, row := range rows {
			chID, ok1 := channels.resolve(row.Channel, channelRefs, el, row.Line, "channel")
			cid, ok2 := communities.resolve(row.Community, communityRefs, el, row.Line, "community")
			sid, ok3 := speakers.resolve(row.Speaker, speakerRefs, el, row.Line, "speaker")
			if !ok1 || !ok2 || !ok3 {
				continue
			}
			todo = append(todo, resolved{OptionInput{Kind: row.Kind, Title: row.Title, ChannelID: chID, CommunityID: cid,
				Language: row.Language, IdentityLevel: row.IdentityLevel, SpeakerID: sid, Money: row.Money,
				SpeakerHours: row.SpeakerHours, Notes: row.Notes}, existing[row.Title]})
		}
		if len(el.list) > 0 || len(parsed) > 0 { // rejected: write nothing
			return nil
		}
		inserts := &batch{ctx: ctx, tx: tx, head: insertOptionHead, conflict: errTitleTaken}
		for _, t := range todo {
			switch {
			case t.old.ID == "":
				id, err := newID()
				if err != nil {
					return err
				}
				if err := inserts.add(optionArgs(p, id, t.in, now)...); err != nil {
					return err
				}
				res.Created++
			case sameOption(t.old, t.in):
				res.Unchanged++
			default:
				if err := updateOption(ctx, tx, p, t.old.ID, t.in, now); err != nil {
					return err
				}
				res.Updated++
			}
		}
		return inserts.flush()
	})
	return res, err
}

// batch gathers the rows an import creates into multi-row INSERTs: one round trip
// per batchRows rows rather than per row, which is where PostgreSQL's time went.
type batch struct {
	ctx      context.Context
	tx       *store.Tx
	head     string // "INSERT INTO … VALUES "
	conflict error  // returned for a unique violation (a concurrent import)
	args     []any
	rows     int
	width    int
}

const batchRows = 200 // 16 columns × 200 stays far below both stores' parameter limits

func (b *batch) add(args ...any) error {
	b.args, b.rows, b.width = append(b.args, args...), b.rows+1, len(args)
	if b.rows == batchRows {
		return b.flush()
	}
	return nil
}

func (b *batch) flush() error {
	if b.rows == 0 {
		return nil
	}
	row := valuesRow(b.width)
	_, err := b.tx.Exec(b.ctx, b.head+strings.Repeat(row+", ", b.rows-1)+row, b.args...)
	b.args, b.rows = b.args[:0], 0
	if store.IsUniqueViolation(err) {
		return b.conflict
	}
	return errs.Wrap(err, "reach: import")
}

// valuesRow is "(?, ?, …)" with n placeholders.
func valuesRow(n int) string { return "(" + strings.Repeat("?, ", n-1) + "?)" }

func sameOption(o Option, in OptionInput) bool {
	return o.Kind == in.Kind && o.Title == in.Title && o.ChannelID == in.ChannelID && o.CommunityID == in.CommunityID &&
		o.Language == in.Language && o.IdentityLevel == in.IdentityLevel && o.SpeakerID == in.SpeakerID &&
		o.Money == in.Money && o.SpeakerHours == in.SpeakerHours && o.Notes == in.Notes
}
