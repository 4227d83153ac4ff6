package returnees

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
)

// Team is a case team: the case workers who share a caseload, led by supervisors.
type Team struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Members []string `json:"members"` // user ids
}

// Move is one step through the pipeline, as the case page lists it.
type Move struct {
	From, To Stage
	On       string // YYYY-MM-DD
	Reason   string // opened for the case team only
	UserID   string
	At       time.Time
}

// stageOrder is the pipeline; declined and withdrawn are ends, from which a person can
// be approached again (persuading is work the program tracks).
var nextStages = map[Stage][]Stage{
	StageIdentified:     {StageApproached, StageDeclined, StageWithdrawn},
	StageApproached:     {StageInConversation, StageDeclined, StageWithdrawn},
	StageInConversation: {StageEnrolled, StageDeclined, StageWithdrawn},
	StageEnrolled:       {StageWithdrawn},
	StageDeclined:       {StageApproached},
	StageWithdrawn:      {StageApproached},
}

// Stages lists the pipeline in order, for pages.
var Stages = []Stage{StageIdentified, StageApproached, StageInConversation, StageEnrolled, StageDeclined, StageWithdrawn}

// NextStages returns where a case can move from s.
func NextStages(s Stage) []Stage { return nextStages[s] }

// ListFor returns the returnees p may see: the tenant's for every role but case
// workers, who see their team's caseload and the cases assigned to them.
func (s *Service) ListFor(ctx context.Context, p *authz.Principal) ([]Returnee, error) {
	all, err := s.List(ctx, p.TenantID)
	if err != nil || p.Role != authz.CaseWorker {
		return all, err
	}
	teams, err := s.teamsOf(ctx, p.TenantID, p.UserID)
	if err != nil {
		return nil, err
	}
	var out []Returnee
	for _, r := range all {
		if r.CaseWorkerID == p.UserID || r.CreatedBy == p.UserID || (r.TeamID != "" && slices.Contains(teams, r.TeamID)) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *Service) teamsOf(ctx context.Context, tenantID, userID string) ([]string, error) {
	rows, err := s.db.Reader().Query(ctx, `SELECT team_id FROM team_members WHERE tenant_id = ? AND user_id = ?`, tenantID, userID)
	if err != nil {
		return nil, errs.Wrap(err, "returnees: teams of user")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "returnees: scan team")
		}
		out = append(out, id)
	}
	return out, errs.Wrap(rows.Err(), "returnees: teams of user")
}

// Teams lists the tenant's case teams with their members.
func (s *Service) Teams(ctx context.Context, tenantID string) ([]Team, error) {
	rows, err := s.db.Reader().Query(ctx, `SELECT t.id, t.name, m.user_id FROM teams t LEFT JOIN team_members m ON m.team_id = t.id
		WHERE t.tenant_id = ? ORDER BY t.name, m.user_id`, tenantID)
	if err != nil {
		return nil, errs.Wrap(err, "returnees: teams")
	}
	defer rows.Close()
	var out []Team
	for rows.Next() {
		var id, name string
		var member sql.NullString
		if err := rows.Scan(&id, &name, &member); err != nil {
			return nil, errs.Wrap(err, "returnees: scan team")
		}
		if len(out) == 0 || out[len(out)-1].ID != id {
			out = append(out, Team{ID: id, Name: name})
		}
		if member.Valid {
			out[len(out)-1].Members = append(out[len(out)-1].Members, member.String)
		}
	}
	return out, errs.Wrap(rows.Err(), "returnees: teams")
}

// CreateTeam creates a case team.
func (s *Service) CreateTeam(ctx context.Context, p *authz.Principal, requestID, name string) (Team, error) {
	name = strings.TrimSpace(name)
	if err := text("team_name", "field.team_name", name, 1, 80, false); err != nil {
		return Team{}, err
	}
	id, _ := uuid.NewV7()
	t := Team{ID: id.String(), Name: name}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO teams (id, tenant_id, name, created_at) VALUES (?, ?, ?, ?)`, t.ID, p.TenantID, name, store.Millis(s.now()))
		if store.IsUniqueViolation(err) {
			return &errs.Error{Kind: errs.Conflict, Field: "team_name", MsgKey: "error.team_taken", Msg: "a team with this name exists"}
		}
		if err != nil {
			return errs.Wrap(err, "returnees: create team")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "team.create", t.ID, "ok"))
		return err
	})
	return t, err
}

// SetMember adds (in=true) or removes a user of the tenant from a team.
func (s *Service) SetMember(ctx context.Context, p *authz.Principal, requestID, teamID, userID string, in bool) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM teams WHERE tenant_id = ? AND id = ?`, p.TenantID, teamID).Scan(&n); err != nil || n == 0 {
			return &errs.Error{Kind: errs.NotFound, MsgKey: "error.not_found", Msg: "no such team", Err: err}
		}
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE tenant_id = ? AND id = ?`, p.TenantID, userID).Scan(&n); err != nil || n == 0 {
			return &errs.Error{Kind: errs.NotFound, Field: "user", MsgKey: "error.not_found", Msg: "no such user", Err: err}
		}
		var err error
		action := "team.member_add"
		if in {
			_, err = tx.Exec(ctx, `INSERT INTO team_members (team_id, user_id, tenant_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, teamID, userID, p.TenantID)
		} else {
			action = "team.member_remove"
			_, err = tx.Exec(ctx, `DELETE FROM team_members WHERE tenant_id = ? AND team_id = ? AND user_id = ?`, p.TenantID, teamID, userID)
		}
		if err != nil {
			return errs.Wrap(err, "returnees: team member")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, action, teamID, "ok"))
		return err
	})
}

// Assign sets the case worker and team of a case ("" clears either). The case
// worker must be a case worker or supervisor of the tenant.
func (s *Service) Assign(ctx context.Context, p *authz.Principal, requestID, id, caseWorkerID, teamID string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := checkAssignment(ctx, tx, p.TenantID, caseWorkerID, teamID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE returnees SET case_worker_id = ?, team_id = ? WHERE tenant_id = ? AND id = ?`, nullable(caseWorkerID), nullable(teamID), p.TenantID, id)
		if err != nil {
			return errs.Wrap(err, "returnees: assign")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errNotFound
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "returnee.assign", id, "ok"))
		return err
	})
}

// checkAssignment refuses a case worker or team that is not of the tenant (ids are
// opaque, but a foreign key alone would accept another tenant's).
func checkAssignment(ctx context.Context, tx *store.Tx, tenantID, caseWorkerID, teamID string) error {
	if caseWorkerID != "" {
		var role string
		err := tx.QueryRow(ctx, `SELECT role FROM users WHERE tenant_id = ? AND id = ? AND disabled = ?`, tenantID, caseWorkerID, false).Scan(&role)
		if err != nil || (role != string(authz.CaseWorker) && role != string(authz.Supervisor)) {
			return &errs.Error{Kind: errs.Invalid, Field: "case_worker", MsgKey: "error.case_worker", Msg: "choose an active case worker or supervisor", Err: err}
		}
	}
	if teamID != "" {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM teams WHERE tenant_id = ? AND id = ?`, tenantID, teamID).Scan(&n); err != nil || n == 0 {
			return &errs.Error{Kind: errs.Invalid, Field: "team", MsgKey: "error.team", Msg: "choose a team", Err: err}
		}
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// MoveStage moves a case through the pipeline on a date, with a reason.
func (s *Service) MoveStage(ctx context.Context, p *authz.Principal, requestID, id string, to Stage, on, reason string) error {
	if on == "" {
		on = s.now().UTC().Format(time.DateOnly)
	}
	d, err := time.Parse(time.DateOnly, on)
	if err != nil || d.After(s.now().Add(24*time.Hour)) {
		return &errs.Error{Kind: errs.Invalid, Field: "on", MsgKey: "error.invalid_date", Args: []any{"field.on"}, Msg: "the date must be a past or present date like 2026-11-24"}
	}
	reason = strings.TrimSpace(reason)
	if err := text("reason", "field.reason", reason, 3, maxReason, true); err != nil {
		return err
	}
	c, err := s.Open(ctx, p, id)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var from Stage
		if err := tx.QueryRow(ctx, `SELECT stage FROM returnees WHERE tenant_id = ? AND id = ?`, p.TenantID, c.ID).Scan(&from); err != nil {
			return errs.Wrap(err, "returnees: read stage")
		}
		if !slices.Contains(nextStages[from], to) {
			return &errs.Error{Kind: errs.Conflict, Field: "to", MsgKey: "error.stage_move", Args: []any{"stage." + string(from), "stage." + string(to)},
				Msg: "a case cannot move from " + string(from) + " to " + string(to)}
		}
		mid, _ := uuid.NewV7()
		sealed, err := s.vault.Seal(ctx, tx, vault.FieldRef{TenantID: p.TenantID, Subject: c.ID, Table: "pipeline_moves", Column: "reason", Row: mid.String()}, []byte(reason))
		if err != nil {
			return errs.Wrap(err, "returnees: seal move reason")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO pipeline_moves (id, tenant_id, returnee_id, from_stage, to_stage, moved_on, reason, user_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			mid.String(), p.TenantID, c.ID, from, to, d.Format(time.DateOnly), sealed, p.UserID, store.Millis(s.now())); err != nil {
			return errs.Wrap(err, "returnees: record move")
		}
		if _, err := tx.Exec(ctx, `UPDATE returnees SET stage = ?, stage_on = ? WHERE tenant_id = ? AND id = ?`, to, d.Format(time.DateOnly), p.TenantID, c.ID); err != nil {
			return errs.Wrap(err, "returnees: move")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "returnee.stage:"+string(to), c.ID, "ok"))
		return err
	})
}

// Moves returns the pipeline history of a case, newest first, reasons opened.
// Opening the reasons is part of reading the case, for its team.
func (s *Service) Moves(ctx context.Context, p *authz.Principal, id string) ([]Move, error) {
	c, err := s.Open(ctx, p, id)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Reader().Query(ctx, `SELECT id, from_stage, to_stage, moved_on, reason, user_id, at FROM pipeline_moves
		WHERE tenant_id = ? AND returnee_id = ? ORDER BY at DESC`, p.TenantID, c.ID)
	if err != nil {
		return nil, errs.Wrap(err, "returnees: moves")
	}
	defer rows.Close()
	var out []Move
	for rows.Next() {
		var m Move
		var mid string
		var sealed []byte
		var at int64
		if err := rows.Scan(&mid, &m.From, &m.To, &m.On, &sealed, &m.UserID, &at); err != nil {
			return nil, errs.Wrap(err, "returnees: scan move")
		}
		m.At = store.FromMillis(at)
		if !c.Erased {
			pt, err := s.vault.Open(ctx, s.db.Reader(), vault.FieldRef{TenantID: p.TenantID, Subject: c.ID, Table: "pipeline_moves", Column: "reason", Row: mid}, sealed)
			if err != nil && !errors.Is(err, vault.ErrShredded) {
				return nil, errs.Wrap(err, "returnees: open move reason")
			}
			m.Reason = string(pt)
		}
		out = append(out, m)
	}
	return out, errs.Wrap(rows.Err(), "returnees: moves")
}
