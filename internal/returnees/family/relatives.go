package family

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/returnees/caseref"
)

// Relative is the current version of a relative as lists show it: never the sealed
// fields themselves, only whether each holds a value.
type Relative struct {
	ID         string
	ReturneeID string
	Relation   Relation
	Stance     Stance
	Community  string
	RecordedOn string // YYYY-MM-DD
	CreatedBy  string
	CreatedAt  time.Time
	Version    int
	UpdatedBy  string
	UpdatedAt  time.Time
	// Sealed lists the sealed fields holding a value ("name", "community_role", …).
	Sealed []string
}

// Summary is all a community liaison may see of a relative.
type Summary struct {
	Relation  Relation `json:"relation"`
	Stance    Stance   `json:"stance"`
	Community string   `json:"community"`
}

// Summary returns r as a community liaison may see it.
func (r Relative) Summary() Summary {
	return Summary{Relation: r.Relation, Stance: r.Stance, Community: r.Community}
}

// Details are a relative's sealed fields, shown only after a reveal.
type Details struct {
	Name          string `json:"name"`
	CommunityRole string `json:"community_role"`
	Contact       string `json:"contact"`
	Notes         string `json:"notes"`
}

// RelativeInput is a new relative.
type RelativeInput struct {
	Relation, Stance, Community string
	RecordedOn                  string // "" for today
	Details
}

// RelativeChange is an edit: nil fields keep their value; for the optional sealed
// fields a pointer to "" clears the value. Version, when not zero, must be the current
// version (so an edit made from a stale form does not silently undo another's).
type RelativeChange struct {
	Version                                 int
	Relation, Stance, Community, RecordedOn *string
	Name, CommunityRole, Contact, Notes     *string
}

// RelativeVersion is one version in a relative's history, without sealed fields.
type RelativeVersion struct {
	Version    int       `json:"version"`
	Relation   Relation  `json:"relation"`
	Stance     Stance    `json:"stance"`
	Community  string    `json:"community"`
	RecordedOn string    `json:"recorded_on"`
	Changed    []string  `json:"changed"` // fields changed by this version; all for the first
	ChangedBy  string    `json:"changed_by"`
	ChangedAt  time.Time `json:"changed_at"`
}

// sealedColumns are the sealed columns of relative_versions, in Details order.
var sealedColumns = []string{"name", "community_role", "contact", "notes"}

func (d *Details) fields() []*string {
	return []*string{&d.Name, &d.CommunityRole, &d.Contact, &d.Notes}
}

// version is a relative's content as stored in one version, sealed fields in clear.
type version struct {
	relation   Relation
	stance     Stance
	community  string
	recordedOn string
	Details
}

// normalizeDetails checks the sealed fields.
func normalizeDetails(d Details) (Details, error) {
	var err error
	if d.Name, err = text("name", "family.field.name", d.Name, 1, maxName, false); err != nil {
		return d, err
	}
	if d.CommunityRole, err = text("community_role", "family.field.community_role", d.CommunityRole, 0, maxRole, false); err != nil {
		return d, err
	}
	if d.Contact, err = text("contact", "family.field.contact", d.Contact, 0, maxContact, true); err != nil {
		return d, err
	}
	if d.Notes, err = text("notes", "family.field.notes", d.Notes, 0, maxNotes, true); err != nil {
		return d, err
	}
	return d, nil
}

// normalize checks every field of v, in form order, returning the first problem.
func (s *Service) normalize(v version) (version, error) {
	var err error
	if v.relation, err = ParseRelation(string(v.relation)); err != nil {
		return v, err
	}
	if v.stance, err = ParseStance(string(v.stance)); err != nil {
		return v, err
	}
	if v.community, err = text("community", "family.field.community", v.community, 0, maxCommunity, false); err != nil {
		return v, err
	}
	if strings.TrimSpace(v.recordedOn) == "" {
		v.recordedOn = s.today().Format(time.DateOnly)
	} else if v.recordedOn, err = ParseDate("recorded_on", "family.field.recorded_on", v.recordedOn, Earliest, s.today()); err != nil {
		return v, err
	}
	v.Details, err = normalizeDetails(v.Details)
	return v, err
}

// writeVersion seals and inserts one version of relative id.
func (s *Service) writeVersion(ctx context.Context, tx *store.Tx, p *authz.Principal, c caseref.Case, relID string, n int, v version, changed []string) error {
	vid, err := newID()
	if err != nil {
		return err
	}
	sealed := make([][]byte, len(sealedColumns))
	for i, f := range v.Details.fields() {
		if sealed[i], err = s.seal(ctx, tx, c, "relative_versions", sealedColumns[i], vid, *f); err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, `INSERT INTO relative_versions (id, tenant_id, returnee_id, relative_id, version, relation, stance,
		community, community_key, recorded_on, name, community_role, contact, notes, changed_fields, changed_by, changed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		vid, c.TenantID, c.ID, relID, n, string(v.relation), string(v.stance), v.community, communityKey(v.community),
		v.recordedOn, sealed[0], sealed[1], sealed[2], sealed[3], strings.Join(changed, ","), p.UserID, store.Millis(s.now()))
	return errs.Wrap(err, "family: insert relative version")
}

// AddRelative records a relative of the case: the first version, sealed, and the
// audit record, in one transaction.
func (s *Service) AddRelative(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, in RelativeInput) (Relative, error) {
	if err := checkWritable(p, c); err != nil {
		return Relative{}, err
	}
	v, err := s.normalize(version{relation: Relation(in.Relation), stance: Stance(in.Stance), community: in.Community, recordedOn: in.RecordedOn, Details: in.Details})
	if err != nil {
		return Relative{}, err
	}
	id, err := newID()
	if err != nil {
		return Relative{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO relatives (id, tenant_id, returnee_id, version, created_by, created_at) VALUES (?, ?, ?, 1, ?, ?)`,
			id, c.TenantID, c.ID, p.UserID, store.Millis(s.now())); err != nil {
			return errs.Wrap(err, "family: insert relative")
		}
		if err := s.writeVersion(ctx, tx, p, c, id, 1, v, []string{"relation", "stance", "community", "recorded_on", "name", "community_role", "contact", "notes"}); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "family.relative.create", id))
		return err
	})
	if err != nil {
		return Relative{}, err
	}
	return s.Relative(ctx, p, c, id)
}

const selectRelative = `SELECT r.id, r.returnee_id, v.relation, v.stance, v.community, v.recorded_on, r.created_by, r.created_at,
	r.version, v.changed_by, v.changed_at, COALESCE(LENGTH(v.name), 0) > 0, v.community_role IS NOT NULL, v.contact IS NOT NULL, v.notes IS NOT NULL
	FROM relatives r JOIN relative_versions v ON v.relative_id = r.id AND v.version = r.version AND v.tenant_id = r.tenant_id`

func scanRelative(row interface{ Scan(...any) error }) (Relative, error) {
	var r Relative
	var created, updated int64
	var has [4]bool
	if err := row.Scan(&r.ID, &r.ReturneeID, &r.Relation, &r.Stance, &r.Community, &r.RecordedOn, &r.CreatedBy, &created,
		&r.Version, &r.UpdatedBy, &updated, &has[0], &has[1], &has[2], &has[3]); err != nil {
		return r, err
	}
	r.CreatedAt, r.UpdatedAt = store.FromMillis(created), store.FromMillis(updated)
	for i, h := range has {
		if h {
			r.Sealed = append(r.Sealed, sealedColumns[i])
		}
	}
	return r, nil
}

var errRelativeNotFound = &errs.Error{Kind: errs.NotFound, MsgKey: "family.error.relative_not_found", Msg: "no such relative"}

// Relatives lists the case's current relatives (removed ones excluded), by relation.
func (s *Service) Relatives(ctx context.Context, p *authz.Principal, c caseref.Case) ([]Relative, error) {
	if err := checkCase(p, c); err != nil {
		return nil, err
	}
	rows, err := s.db.Reader().Query(ctx, selectRelative+` WHERE r.tenant_id = ? AND r.returnee_id = ? AND r.removed_at IS NULL ORDER BY r.created_at, r.id`, c.TenantID, c.ID)
	if err != nil {
		return nil, errs.Wrap(err, "family: relatives")
	}
	defer rows.Close()
	var out []Relative
	for rows.Next() {
		r, err := scanRelative(rows)
		if err != nil {
			return nil, errs.Wrap(err, "family: scan relative")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "family: relatives")
	}
	slices.SortStableFunc(out, func(a, b Relative) int {
		return slices.Index(Relations, a.Relation) - slices.Index(Relations, b.Relation)
	})
	return out, nil
}

// Relative returns one current relative of the case; a removed one is not found.
func (s *Service) Relative(ctx context.Context, p *authz.Principal, c caseref.Case, id string) (Relative, error) {
	if err := checkCase(p, c); err != nil {
		return Relative{}, err
	}
	r, err := scanRelative(s.db.Reader().QueryRow(ctx, selectRelative+` WHERE r.tenant_id = ? AND r.returnee_id = ? AND r.id = ? AND r.removed_at IS NULL`, c.TenantID, c.ID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, errRelativeNotFound
	}
	return r, errs.Wrap(err, "family: relative")
}

// History lists every version of a relative, newest first, without sealed fields.
func (s *Service) History(ctx context.Context, p *authz.Principal, c caseref.Case, id string) ([]RelativeVersion, error) {
	if _, err := s.Relative(ctx, p, c, id); err != nil {
		return nil, err
	}
	rows, err := s.db.Reader().Query(ctx, `SELECT version, relation, stance, community, recorded_on, changed_fields, changed_by, changed_at
		FROM relative_versions WHERE tenant_id = ? AND returnee_id = ? AND relative_id = ? ORDER BY version DESC`, c.TenantID, c.ID, id)
	if err != nil {
		return nil, errs.Wrap(err, "family: history")
	}
	defer rows.Close()
	var out []RelativeVersion
	for rows.Next() {
		var v RelativeVersion
		var changed string
		var at int64
		if err := rows.Scan(&v.Version, &v.Relation, &v.Stance, &v.Community, &v.RecordedOn, &changed, &v.ChangedBy, &at); err != nil {
			return nil, errs.Wrap(err, "family: scan version")
		}
		v.ChangedAt = store.FromMillis(at)
		if changed != "" {
			v.Changed = strings.Split(changed, ",")
		}
		out = append(out, v)
	}
	return out, errs.Wrap(rows.Err(), "family: history")
}

// loadCurrent reads and opens the current version of a relative inside tx, locking
// the relative's row on PostgreSQL so two edits serialise.
func (s *Service) loadCurrent(ctx context.Context, tx *store.Tx, c caseref.Case, id string) (int, version, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT version FROM relatives WHERE tenant_id = ? AND returnee_id = ? AND id = ? AND removed_at IS NULL`+tx.ForUpdate(),
		c.TenantID, c.ID, id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, version{}, errRelativeNotFound
	}
	if err != nil {
		return 0, version{}, errs.Wrap(err, "family: lock relative")
	}
	var v version
	var vid string
	sealed := make([][]byte, len(sealedColumns))
	err = tx.QueryRow(ctx, `SELECT id, relation, stance, community, recorded_on, name, community_role, contact, notes
		FROM relative_versions WHERE tenant_id = ? AND relative_id = ? AND version = ?`, c.TenantID, id, n).
		Scan(&vid, &v.relation, &v.stance, &v.community, &v.recordedOn, &sealed[0], &sealed[1], &sealed[2], &sealed[3])
	if err != nil {
		return 0, version{}, errs.Wrap(err, "family: read relative version")
	}
	for i, f := range v.Details.fields() {
		if *f, err = s.open(ctx, tx, c, "relative_versions", sealedColumns[i], vid, sealed[i]); err != nil {
			return 0, version{}, err
		}
	}
	return n, v, nil
}

var errStale = &errs.Error{Kind: errs.Conflict, Field: "version", MsgKey: "family.error.stale", Msg: "someone else changed this record meanwhile: reload it and make your change again"}

// UpdateRelative applies ch as a new version of the relative (the previous versions
// stay), with its audit record. A change that changes nothing writes nothing.
func (s *Service) UpdateRelative(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, id string, ch RelativeChange) (Relative, error) {
	if err := checkWritable(p, c); err != nil {
		return Relative{}, err
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		n, old, err := s.loadCurrent(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if ch.Version != 0 && ch.Version != n {
			return errStale
		}
		next := old
		set := func(dst *string, src *string) {
			if src != nil {
				*dst = *src
			}
		}
		rel, st := string(old.relation), string(old.stance)
		set(&rel, ch.Relation)
		set(&st, ch.Stance)
		next.relation, next.stance = Relation(rel), Stance(st)
		set(&next.community, ch.Community)
		set(&next.recordedOn, ch.RecordedOn)
		if ch.RecordedOn != nil && strings.TrimSpace(*ch.RecordedOn) == "" {
			next.recordedOn = old.recordedOn // a blank date keeps the recorded one
		}
		set(&next.Name, ch.Name)
		if ch.Name != nil && strings.TrimSpace(*ch.Name) == "" {
			next.Name = old.Name // the name is required: blank keeps it
		}
		set(&next.CommunityRole, ch.CommunityRole)
		set(&next.Contact, ch.Contact)
		set(&next.Notes, ch.Notes)
		if next, err = s.normalize(next); err != nil {
			return err
		}
		var changed []string
		for _, d := range []struct {
			name     string
			was, now string
		}{
			{"relation", string(old.relation), string(next.relation)}, {"stance", string(old.stance), string(next.stance)},
			{"community", old.community, next.community}, {"recorded_on", old.recordedOn, next.recordedOn},
			{"name", old.Name, next.Name}, {"community_role", old.CommunityRole, next.CommunityRole},
			{"contact", old.Contact, next.Contact}, {"notes", old.Notes, next.Notes},
		} {
			if d.was != d.now {
				changed = append(changed, d.name)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		if err := s.writeVersion(ctx, tx, p, c, id, n+1, next, changed); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE relatives SET version = ? WHERE tenant_id = ? AND id = ?`, n+1, c.TenantID, id); err != nil {
			return errs.Wrap(err, "family: update relative")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "family.relative.update", id))
		return err
	})
	if err != nil {
		return Relative{}, err
	}
	return s.Relative(ctx, p, c, id)
}

// RemoveRelative soft-deletes a relative with a written reason (sealed): it leaves the
// lists, the stance counts and HostileIn, and its versions stay.
func (s *Service) RemoveRelative(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, id, reason string) error {
	if err := checkWritable(p, c); err != nil {
		return err
	}
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var n int
		err := tx.QueryRow(ctx, `SELECT version FROM relatives WHERE tenant_id = ? AND returnee_id = ? AND id = ? AND removed_at IS NULL`+tx.ForUpdate(),
			c.TenantID, c.ID, id).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return errRelativeNotFound
		}
		if err != nil {
			return errs.Wrap(err, "family: lock relative")
		}
		sealed, err := s.seal(ctx, tx, c, "relatives", "removed_reason", id, reason)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE relatives SET removed_at = ?, removed_by = ?, removed_reason = ? WHERE tenant_id = ? AND id = ?`,
			store.Millis(s.now()), p.UserID, sealed, c.TenantID, id); err != nil {
			return errs.Wrap(err, "family: remove relative")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "family.relative.remove", id))
		return err
	})
}

// RevealRelative opens a relative's sealed fields (name, role in the community,
// contact, notes) for p, who gave a written reason. The reason (sealed) and the audit
// record are committed with the read, before anything is returned.
func (s *Service) RevealRelative(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, id, reason string) (Details, error) {
	if err := checkCase(p, c); err != nil {
		return Details{}, err
	}
	if c.Erased {
		return Details{}, &errs.Error{Kind: errs.Conflict, MsgKey: "error.returnee_erased", Msg: "this returnee's identity was erased and can never be read again"}
	}
	reason, err := checkReason(reason)
	if err != nil {
		return Details{}, err
	}
	var d Details
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var vid string
		sealed := make([][]byte, len(sealedColumns))
		err := tx.QueryRow(ctx, `SELECT v.id, v.name, v.community_role, v.contact, v.notes FROM relatives r
			JOIN relative_versions v ON v.relative_id = r.id AND v.version = r.version AND v.tenant_id = r.tenant_id
			WHERE r.tenant_id = ? AND r.returnee_id = ? AND r.id = ? AND r.removed_at IS NULL`, c.TenantID, c.ID, id).
			Scan(&vid, &sealed[0], &sealed[1], &sealed[2], &sealed[3])
		if errors.Is(err, sql.ErrNoRows) {
			return errRelativeNotFound
		}
		if err != nil {
			return errs.Wrap(err, "family: read sealed relative")
		}
		if err := s.recordReveal(ctx, tx, p, requestID, c, "relative", id, reason); err != nil {
			return err
		}
		for i, f := range d.fields() {
			if *f, err = s.open(ctx, tx, c, "relative_versions", sealedColumns[i], vid, sealed[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Details{}, err
	}
	return d, nil
}

// HostileIn reports whether the returnee has a current relative who is hostile to the
// program in community (compared without regard to case and spacing). A hostile
// relative whose community was not recorded counts everywhere: where they are is not
// known, so no community can be ruled out. An empty community asks about any hostile
// relative. Engagements use this to warn and to require a safety review.
func (s *Service) HostileIn(ctx context.Context, tenantID, returneeID, community string) (bool, error) {
	q := `SELECT COUNT(*) FROM relatives r JOIN relative_versions v ON v.relative_id = r.id AND v.version = r.version AND v.tenant_id = r.tenant_id
		WHERE r.tenant_id = ? AND r.returnee_id = ? AND r.removed_at IS NULL AND v.stance = ?`
	args := []any{tenantID, returneeID, string(Hostile)}
	if key := communityKey(community); key != "" {
		q += ` AND (v.community_key = ? OR v.community_key = '')`
		args = append(args, key)
	}
	var n int
	if err := s.db.Reader().QueryRow(ctx, q, args...).Scan(&n); err != nil {
		return false, errs.Wrap(err, "family: hostile relatives")
	}
	return n > 0, nil
}

// Stances counts the returnee's current relatives by stance, every stance present
// (zero if none): numbers only, for the case overview.
func (s *Service) Stances(ctx context.Context, tenantID, returneeID string) (map[string]int, error) {
	out := make(map[string]int, len(StanceValues))
	for _, st := range StanceValues {
		out[string(st)] = 0
	}
	rows, err := s.db.Reader().Query(ctx, `SELECT v.stance, COUNT(*) FROM relatives r
		JOIN relative_versions v ON v.relative_id = r.id AND v.version = r.version AND v.tenant_id = r.tenant_id
		WHERE r.tenant_id = ? AND r.returnee_id = ? AND r.removed_at IS NULL GROUP BY v.stance`, tenantID, returneeID)
	if err != nil {
		return nil, errs.Wrap(err, "family: stances")
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, errs.Wrap(err, "family: scan stances")
		}
		out[st] = n
	}
	return out, errs.Wrap(rows.Err(), "family: stances")
}
