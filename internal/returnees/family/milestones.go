package family

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/i18n"
	"inoculate/internal/platform/store"
	"inoculate/internal/returnees/caseref"
)

// Milestone is a reintegration milestone. Its note is sealed: lists say only whether
// there is one; Notes opens them.
type Milestone struct {
	ID         string
	Kind       MilestoneKind
	TargetOn   string // YYYY-MM-DD
	AchievedOn string // YYYY-MM-DD or ""
	Status     MilestoneStatus
	HasNote    bool
	Version    int
	CreatedBy  string
	CreatedAt  time.Time
	UpdatedBy  string
	UpdatedAt  time.Time
	// Overdue is set when the target date has passed and the milestone is not achieved.
	Overdue bool
}

// MilestoneInput is a new milestone. Status "" is planned; AchievedOn "" with status
// achieved is today.
type MilestoneInput struct {
	Kind, TargetOn, AchievedOn, Status, Note string
}

// MilestoneChange is an edit: nil fields keep their value (a pointer to "" clears the
// note). Version, when not zero, must be the current version.
type MilestoneChange struct {
	Version                                  int
	Kind, TargetOn, AchievedOn, Status, Note *string
}

type milestoneFields struct {
	kind       MilestoneKind
	targetOn   string
	achievedOn string
	status     MilestoneStatus
	note       string
}

// normalizeMilestone checks a milestone's fields, in form order. achievedGiven says whether the
// caller set the achieved date (rather than keeping a stored one).
func (s *Service) normalizeMilestone(m milestoneFields, achievedGiven bool) (milestoneFields, error) {
	var err error
	today := s.today()
	if m.kind, err = ParseKind(string(m.kind)); err != nil {
		return m, err
	}
	if strings.TrimSpace(m.targetOn) == "" {
		return m, &errs.Error{Kind: errs.Invalid, Field: "target_on", MsgKey: "error.required", Args: []any{i18n.Key("family.field.target_on")}, Msg: "target_on is required"}
	}
	if m.targetOn, err = ParseDate("target_on", "family.field.target_on", m.targetOn, Earliest, today.AddDate(20, 0, 0)); err != nil {
		return m, err
	}
	if strings.TrimSpace(string(m.status)) == "" {
		m.status = StatusPlanned
	}
	if m.status, err = ParseStatus(string(m.status)); err != nil {
		return m, err
	}
	m.achievedOn = strings.TrimSpace(m.achievedOn)
	switch {
	case m.status != StatusAchieved && !achievedGiven:
		m.achievedOn = "" // leaving "achieved" forgets its date
	case m.status != StatusAchieved && m.achievedOn != "":
		return m, &errs.Error{Kind: errs.Invalid, Field: "achieved_on", MsgKey: "family.error.achieved_only", Msg: "an achieved date needs the status achieved"}
	case m.status == StatusAchieved && m.achievedOn == "":
		m.achievedOn = today.Format(time.DateOnly)
	case m.status == StatusAchieved:
		if m.achievedOn, err = ParseDate("achieved_on", "family.field.achieved_on", m.achievedOn, Earliest, today); err != nil {
			return m, err
		}
	}
	if m.note, err = text("note", "family.field.note", m.note, 0, maxNotes, true); err != nil {
		return m, err
	}
	return m, nil
}

// AddMilestone records a milestone with its audit record.
func (s *Service) AddMilestone(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, in MilestoneInput) (Milestone, error) {
	if err := checkWritable(p, c); err != nil {
		return Milestone{}, err
	}
	m, err := s.normalizeMilestone(milestoneFields{kind: MilestoneKind(in.Kind), targetOn: in.TargetOn, achievedOn: in.AchievedOn,
		status: MilestoneStatus(in.Status), note: in.Note}, true)
	if err != nil {
		return Milestone{}, err
	}
	id, err := newID()
	if err != nil {
		return Milestone{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		note, err := s.seal(ctx, tx, c, "milestones", "note", id, m.note)
		if err != nil {
			return err
		}
		now := store.Millis(s.now())
		if _, err := tx.Exec(ctx, `INSERT INTO milestones (id, tenant_id, returnee_id, kind, target_on, achieved_on, status, note, version,
			created_by, created_at, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
			id, c.TenantID, c.ID, string(m.kind), m.targetOn, m.achievedOn, string(m.status), note, p.UserID, now, p.UserID, now); err != nil {
			return errs.Wrap(err, "family: insert milestone")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "family.milestone.create", id))
		return err
	})
	if err != nil {
		return Milestone{}, err
	}
	return s.Milestone(ctx, p, c, id)
}

var errMilestoneNotFound = &errs.Error{Kind: errs.NotFound, MsgKey: "family.error.milestone_not_found", Msg: "no such milestone"}

// UpdateMilestone changes a milestone in place, with its audit record. A change that
// changes nothing writes nothing.
func (s *Service) UpdateMilestone(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, id string, ch MilestoneChange) (Milestone, error) {
	if err := checkWritable(p, c); err != nil {
		return Milestone{}, err
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var old milestoneFields
		var n int
		var sealed []byte
		err := tx.QueryRow(ctx, `SELECT kind, target_on, achieved_on, status, note, version FROM milestones
			WHERE tenant_id = ? AND returnee_id = ? AND id = ?`+tx.ForUpdate(), c.TenantID, c.ID, id).
			Scan(&old.kind, &old.targetOn, &old.achievedOn, &old.status, &sealed, &n)
		if errors.Is(err, sql.ErrNoRows) {
			return errMilestoneNotFound
		}
		if err != nil {
			return errs.Wrap(err, "family: read milestone")
		}
		if ch.Version != 0 && ch.Version != n {
			return errStale
		}
		if old.note, err = s.open(ctx, tx, c, "milestones", "note", id, sealed); err != nil {
			return err
		}
		next := old
		if ch.Kind != nil {
			next.kind = MilestoneKind(*ch.Kind)
		}
		if ch.TargetOn != nil && strings.TrimSpace(*ch.TargetOn) != "" {
			next.targetOn = *ch.TargetOn
		}
		if ch.Status != nil {
			next.status = MilestoneStatus(*ch.Status)
		}
		if ch.AchievedOn != nil {
			next.achievedOn = *ch.AchievedOn
		}
		if ch.Note != nil {
			next.note = *ch.Note
		}
		if next, err = s.normalizeMilestone(next, ch.AchievedOn != nil); err != nil {
			return err
		}
		if next == old {
			return nil
		}
		note := sealed
		if next.note != old.note {
			if note, err = s.seal(ctx, tx, c, "milestones", "note", id, next.note); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE milestones SET kind = ?, target_on = ?, achieved_on = ?, status = ?, note = ?, version = ?,
			updated_by = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
			string(next.kind), next.targetOn, next.achievedOn, string(next.status), note, n+1, p.UserID, store.Millis(s.now()), c.TenantID, id); err != nil {
			return errs.Wrap(err, "family: update milestone")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "family.milestone.update", id))
		return err
	})
	if err != nil {
		return Milestone{}, err
	}
	return s.Milestone(ctx, p, c, id)
}

const selectMilestone = `SELECT id, kind, target_on, achieved_on, status, note IS NOT NULL, version, created_by, created_at, updated_by, updated_at FROM milestones`

func (s *Service) scanMilestone(row interface{ Scan(...any) error }) (Milestone, error) {
	var m Milestone
	var created, updated int64
	if err := row.Scan(&m.ID, &m.Kind, &m.TargetOn, &m.AchievedOn, &m.Status, &m.HasNote, &m.Version, &m.CreatedBy, &created, &m.UpdatedBy, &updated); err != nil {
		return m, err
	}
	m.CreatedAt, m.UpdatedAt = store.FromMillis(created), store.FromMillis(updated)
	m.Overdue = m.Status != StatusAchieved && m.TargetOn < s.today().Format(time.DateOnly)
	return m, nil
}

// Milestone returns one milestone of the case.
func (s *Service) Milestone(ctx context.Context, p *authz.Principal, c caseref.Case, id string) (Milestone, error) {
	if err := checkCase(p, c); err != nil {
		return Milestone{}, err
	}
	m, err := s.scanMilestone(s.db.Reader().QueryRow(ctx, selectMilestone+` WHERE tenant_id = ? AND returnee_id = ? AND id = ?`, c.TenantID, c.ID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, errMilestoneNotFound
	}
	return m, errs.Wrap(err, "family: milestone")
}

// Milestones lists the case's milestones by target date.
func (s *Service) Milestones(ctx context.Context, p *authz.Principal, c caseref.Case) ([]Milestone, error) {
	if err := checkCase(p, c); err != nil {
		return nil, err
	}
	rows, err := s.db.Reader().Query(ctx, selectMilestone+` WHERE tenant_id = ? AND returnee_id = ? ORDER BY target_on, created_at`, c.TenantID, c.ID)
	if err != nil {
		return nil, errs.Wrap(err, "family: milestones")
	}
	defer rows.Close()
	var out []Milestone
	for rows.Next() {
		m, err := s.scanMilestone(rows)
		if err != nil {
			return nil, errs.Wrap(err, "family: scan milestone")
		}
		out = append(out, m)
	}
	return out, errs.Wrap(rows.Err(), "family: milestones")
}

// Notes are the sealed working notes of a case's family part that its team reads
// routinely (not relatives' details, which need a reveal), by record id.
type Notes struct {
	Milestone       map[string]string // milestone id → note
	MentorReason    map[string]string // assignment id → reason for the assignment
	MentorEndReason map[string]string // assignment id → reason for ending it
}

// Notes opens the case's milestone notes and mentor reasons for p, recording the read
// in the audit log first (in the same transaction). An erased case has none left.
func (s *Service) Notes(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case) (Notes, error) {
	n := Notes{Milestone: map[string]string{}, MentorReason: map[string]string{}, MentorEndReason: map[string]string{}}
	if err := checkCase(p, c); err != nil {
		return n, err
	}
	if c.Erased {
		return n, nil
	}
	type sealedNote struct {
		dst           map[string]string
		table, column string
		id            string
		sealed        []byte
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var todo []sealedNote
		collect := func(q string, dst map[string]string, table, column string) error {
			rows, err := tx.Query(ctx, q, c.TenantID, c.ID)
			if err != nil {
				return errs.Wrap(err, "family: read notes")
			}
			defer rows.Close()
			for rows.Next() {
				sn := sealedNote{dst: dst, table: table, column: column}
				if err := rows.Scan(&sn.id, &sn.sealed); err != nil {
					return errs.Wrap(err, "family: scan note")
				}
				todo = append(todo, sn)
			}
			return errs.Wrap(rows.Err(), "family: read notes")
		}
		if err := collect(`SELECT id, note FROM milestones WHERE tenant_id = ? AND returnee_id = ? AND note IS NOT NULL`, n.Milestone, "milestones", "note"); err != nil {
			return err
		}
		if err := collect(`SELECT id, reason FROM mentor_assignments WHERE tenant_id = ? AND returnee_id = ?`, n.MentorReason, "mentor_assignments", "reason"); err != nil {
			return err
		}
		if err := collect(`SELECT id, end_reason FROM mentor_assignments WHERE tenant_id = ? AND returnee_id = ? AND end_reason IS NOT NULL`, n.MentorEndReason, "mentor_assignments", "end_reason"); err != nil {
			return err
		}
		if len(todo) == 0 {
			return nil
		}
		if _, err := s.audit.Append(ctx, tx, entry(p, requestID, "family.notes.read", c.ID)); err != nil {
			return err
		}
		for _, sn := range todo {
			v, err := s.open(ctx, tx, c, sn.table, sn.column, sn.id, sn.sealed)
			if err != nil {
				return err
			}
			sn.dst[sn.id] = v
		}
		return nil
	})
	return n, err
}
