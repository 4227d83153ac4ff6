package model

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// PlanStatus is where a saved plan stands.
type PlanStatus string

const (
	PlanDraft    PlanStatus = "draft"
	PlanAccepted PlanStatus = "accepted" // its engagements and publications were proposed
)

// Bounds on a saved plan.
const (
	MaxPlanTargets    = 10000
	MaxPlanItems      = 1000
	MaxPlanResultSize = 1 << 20 // bytes of result JSON
)

// Plan is a plan as the planner computed it: its inputs, its result (estimate,
// guarantee, chosen options with their gains… as the planner lays it out), and the
// options chosen, in the order they were chosen.
type Plan struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	TargetCells []string        `json:"target_cells"`
	BudgetMoney float64         `json:"budget_money"`
	BudgetHours float64         `json:"budget_hours"`
	Epsilon     float64         `json:"epsilon"`
	Status      PlanStatus      `json:"status"`
	Result      json.RawMessage `json:"result,omitempty"` // nil in Plans' listing
	Items       []PlanItem      `json:"items,omitempty"`  // nil in Plans' listing
	AcceptedBy  string          `json:"accepted_by,omitempty"`
	AcceptedAt  time.Time       `json:"accepted_at,omitzero"`
	CreatedBy   string          `json:"created_by"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedBy   string          `json:"updated_by"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// PlanItem is one chosen option.
type PlanItem struct {
	OptionID     string  `json:"option_id"`
	Rank         int     `json:"rank"` // 1 = chosen first
	Gain         float64 `json:"gain"` // marginal expected people reached when chosen
	EngagementID string  `json:"engagement_id,omitempty"`
}

// PlanInput is the input of SavePlan. Items' EngagementID is ignored: it is set by
// MarkPlanAccepted.
type PlanInput struct {
	Name        string          `json:"name"`
	TargetCells []string        `json:"target_cells"`
	BudgetMoney float64         `json:"budget_money"`
	BudgetHours float64         `json:"budget_hours"`
	Epsilon     float64         `json:"epsilon"`
	Result      json.RawMessage `json:"result"`
	Items       []PlanItem      `json:"items"`
}

var (
	errPlanNotFound = notFound("", "reach.error.plan_not_found", "no such plan")
	errPlanAccepted = conflict("", "reach.error.plan_status", "this plan was accepted already")
)

func (in PlanInput) normalize() (PlanInput, error) {
	var err error
	if in.Name, err = cleanText("name", in.Name, true, maxTitle); err != nil {
		return in, err
	}
	var targets []string
	for _, id := range in.TargetCells {
		if id = cleanID(id); id != "" && !slices.Contains(targets, id) {
			targets = append(targets, id)
		}
	}
	if len(targets) == 0 {
		return in, invalid("target_cells", "reach.error.targets", "choose at least one audience cell to reach")
	}
	if len(targets) > MaxPlanTargets {
		return in, invalid("target_cells", "reach.error.too_many", fmt.Sprintf("too many: at most %d", MaxPlanTargets), MaxPlanTargets)
	}
	in.TargetCells = targets
	if err = checkMoney(in.BudgetMoney); err != nil {
		return in, invalid("budget_money", "reach.error.money", "the budget is an amount of 0 or more")
	}
	if err = checkHours(in.BudgetHours); err != nil {
		return in, invalid("budget_hours", "reach.error.hours", "speaker hours are a number from 0 to 10000")
	}
	if math.IsNaN(in.Epsilon) || in.Epsilon <= 0 || in.Epsilon >= 1 {
		return in, invalid("epsilon", "reach.error.epsilon", "ε is more than 0 and less than 1")
	}
	in.Result = bytes.TrimSpace(in.Result)
	if len(in.Result) == 0 {
		in.Result = json.RawMessage("{}")
	}
	if len(in.Result) > MaxPlanResultSize || !json.Valid(in.Result) {
		return in, invalid("result", "reach.error.result", "the plan's result is not valid")
	}
	if len(in.Items) > MaxPlanItems {
		return in, invalid("items", "reach.error.too_many", fmt.Sprintf("too many: at most %d", MaxPlanItems), MaxPlanItems)
	}
	items := make([]PlanItem, 0, len(in.Items))
	for _, it := range in.Items {
		it.OptionID, it.EngagementID = cleanID(it.OptionID), ""
		if it.OptionID == "" || slices.ContainsFunc(items, func(o PlanItem) bool { return o.OptionID == it.OptionID }) {
			return in, invalid("items", "reach.error.items", "each chosen option appears once")
		}
		if it.Rank < 1 || math.IsNaN(it.Gain) || math.IsInf(it.Gain, 0) || it.Gain < 0 {
			return in, invalid("items", "reach.error.items", "each chosen option has a rank from 1 and a gain of 0 or more")
		}
		items = append(items, it)
	}
	in.Items = items
	return in, nil
}

// SavePlan saves a computed plan as a draft. Its target cells and options must be the
// tenant's.
func (s *Service) SavePlan(ctx context.Context, p *authz.Principal, requestID string, in PlanInput) (Plan, error) {
	if err := check(PermWrite, p); err != nil {
		return Plan{}, err
	}
	in, err := in.normalize()
	if err != nil {
		return Plan{}, err
	}
	id, err := newID()
	if err != nil {
		return Plan{}, err
	}
	targets, err := json.Marshal(in.TargetCells)
	if err != nil {
		return Plan{}, errs.Wrap(err, "reach: plan targets")
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, c := range in.TargetCells {
			ok, err := exists(ctx, tx, `SELECT 1 FROM audience_cells WHERE tenant_id = ? AND id = ?`, p.TenantID, c)
			if err != nil {
				return err
			}
			if !ok {
				return notFound("target_cells", "reach.error.cell_not_found", "no such audience cell")
			}
		}
		at := store.Millis(s.now())
		if _, err := tx.Exec(ctx, `INSERT INTO reach_plans (id, tenant_id, name, target_cells, budget_money, budget_hours, epsilon,
			status, result, created_by, created_at, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, p.TenantID, in.Name, string(targets), in.BudgetMoney, in.BudgetHours, in.Epsilon, string(PlanDraft),
			string(in.Result), p.UserID, at, p.UserID, at); err != nil {
			return errs.Wrap(err, "reach: insert plan")
		}
		for _, it := range in.Items {
			ok, err := exists(ctx, tx, `SELECT 1 FROM reach_options WHERE tenant_id = ? AND id = ?`, p.TenantID, it.OptionID)
			if err != nil {
				return err
			}
			if !ok {
				return notFound("items", "reach.error.option_not_found", "no such option")
			}
			if _, err := tx.Exec(ctx, `INSERT INTO reach_plan_items (tenant_id, plan_id, option_id, rank, gain) VALUES (?, ?, ?, ?, ?)`,
				p.TenantID, id, it.OptionID, it.Rank, it.Gain); err != nil {
				return errs.Wrap(err, "reach: insert plan item")
			}
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "reach.plan.save", id))
		return err
	})
	if err != nil {
		return Plan{}, err
	}
	return s.Plan(ctx, p.TenantID, id)
}

// MarkPlanAccepted records that a draft plan was accepted and which engagement was
// proposed for each chosen option (engagements maps option id → engagement id; an
// option without one, such as a publication, may be left out). Conflict when the
// plan was accepted already.
func (s *Service) MarkPlanAccepted(ctx context.Context, p *authz.Principal, requestID, planID string, engagements map[string]string) (Plan, error) {
	planID = cleanID(planID)
	if err := check(PermAccept, p); err != nil {
		return Plan{}, err
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM reach_plans WHERE tenant_id = ? AND id = ?`+tx.ForUpdate(), p.TenantID, planID).Scan(&status)
		if isNoRows(err) {
			return errPlanNotFound
		}
		if err != nil {
			return errs.Wrap(err, "reach: accept plan")
		}
		if PlanStatus(status) != PlanDraft {
			return errPlanAccepted
		}
		for optionID, engagementID := range engagements {
			optionID, engagementID = cleanID(optionID), cleanID(engagementID)
			ok, err := exists(ctx, tx, `SELECT 1 FROM engagements WHERE tenant_id = ? AND id = ?`, p.TenantID, engagementID)
			if err != nil {
				return err
			}
			if !ok {
				return notFound("engagement_id", "reach.error.engagement", "no such engagement")
			}
			res, err := tx.Exec(ctx, `UPDATE reach_plan_items SET engagement_id = ? WHERE tenant_id = ? AND plan_id = ? AND option_id = ?`,
				engagementID, p.TenantID, planID, optionID)
			if err != nil {
				return errs.Wrap(err, "reach: accept plan item")
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return invalid("option_id", "reach.error.not_in_plan", "this option is not in the plan")
			}
		}
		at := store.Millis(s.now())
		if _, err := tx.Exec(ctx, `UPDATE reach_plans SET status = ?, accepted_by = ?, accepted_at = ?, updated_by = ?, updated_at = ?
			WHERE tenant_id = ? AND id = ?`, string(PlanAccepted), p.UserID, at, p.UserID, at, p.TenantID, planID); err != nil {
			return errs.Wrap(err, "reach: accept plan")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "reach.plan.accept", planID))
		return err
	})
	if err != nil {
		return Plan{}, err
	}
	return s.Plan(ctx, p.TenantID, planID)
}

// DeletePlan removes a draft plan; an accepted one stays as the record of what was
// proposed (Conflict).
func (s *Service) DeletePlan(ctx context.Context, p *authz.Principal, requestID, planID string) error {
	planID = cleanID(planID)
	if err := check(PermWrite, p); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM reach_plans WHERE tenant_id = ? AND id = ?`+tx.ForUpdate(), p.TenantID, planID).Scan(&status)
		if isNoRows(err) {
			return errPlanNotFound
		}
		if err != nil {
			return errs.Wrap(err, "reach: delete plan")
		}
		if PlanStatus(status) != PlanDraft {
			return errPlanAccepted
		}
		if _, err := tx.Exec(ctx, `DELETE FROM reach_plan_items WHERE tenant_id = ? AND plan_id = ?`, p.TenantID, planID); err != nil {
			return errs.Wrap(err, "reach: delete plan items")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM reach_plans WHERE tenant_id = ? AND id = ?`, p.TenantID, planID); err != nil {
			return errs.Wrap(err, "reach: delete plan")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "reach.plan.delete", planID))
		return err
	})
}

const selectPlan = `SELECT id, name, target_cells, budget_money, budget_hours, epsilon, status, COALESCE(accepted_by, ''),
	COALESCE(accepted_at, 0), created_by, created_at, updated_by, updated_at FROM reach_plans`

func scanPlan(sc scanner) (Plan, error) {
	var pl Plan
	var targets, status string
	var accepted, created, updated int64
	if err := sc.Scan(&pl.ID, &pl.Name, &targets, &pl.BudgetMoney, &pl.BudgetHours, &pl.Epsilon, &status, &pl.AcceptedBy,
		&accepted, &pl.CreatedBy, &created, &pl.UpdatedBy, &updated); err != nil {
		return pl, err
	}
	if err := json.Unmarshal([]byte(targets), &pl.TargetCells); err != nil {
		return pl, errs.Wrap(err, "reach: plan targets")
	}
	pl.Status, pl.CreatedAt, pl.UpdatedAt = PlanStatus(status), store.FromMillis(created), store.FromMillis(updated)
	if accepted != 0 {
		pl.AcceptedAt = store.FromMillis(accepted)
	}
	return pl, nil
}

// Plan returns a saved plan with its result and items; NotFound for another tenant's.
func (s *Service) Plan(ctx context.Context, tenantID, id string) (Plan, error) {
	id = cleanID(id)
	var pl Plan
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		var err error
		pl, err = scanPlan(q.QueryRow(ctx, selectPlan+` WHERE tenant_id = ? AND id = ?`, tenantID, id))
		if isNoRows(err) {
			return errPlanNotFound
		}
		if err != nil {
			return errs.Wrap(err, "reach: plan")
		}
		var result string
		if err := q.QueryRow(ctx, `SELECT result FROM reach_plans WHERE tenant_id = ? AND id = ?`, tenantID, id).Scan(&result); err != nil {
			return errs.Wrap(err, "reach: plan result")
		}
		pl.Result = json.RawMessage(result)
		rows, err := q.Query(ctx, `SELECT option_id, rank, gain, COALESCE(engagement_id, '') FROM reach_plan_items
			WHERE tenant_id = ? AND plan_id = ? ORDER BY rank, option_id`, tenantID, id)
		if err != nil {
			return errs.Wrap(err, "reach: plan items")
		}
		defer rows.Close()
		pl.Items = []PlanItem{}
		for rows.Next() {
			var it PlanItem
			if err := rows.Scan(&it.OptionID, &it.Rank, &it.Gain, &it.EngagementID); err != nil {
				return errs.Wrap(err, "reach: plan items")
			}
			pl.Items = append(pl.Items, it)
		}
		return errs.Wrap(rows.Err(), "reach: plan items")
	})
	if err != nil {
		return Plan{}, err
	}
	return pl, nil
}

// Plans lists the tenant's plans, newest first, without their results and items.
func (s *Service) Plans(ctx context.Context, tenantID string) ([]Plan, error) {
	rows, err := s.db.Reader().Query(ctx, selectPlan+` WHERE tenant_id = ? ORDER BY created_at DESC, id DESC`, tenantID)
	if err != nil {
		return nil, errs.Wrap(err, "reach: plans")
	}
	defer rows.Close()
	out := []Plan{}
	for rows.Next() {
		pl, err := scanPlan(rows)
		if err != nil {
			return nil, errs.Wrap(err, "reach: plans")
		}
		out = append(out, pl)
	}
	return out, errs.Wrap(rows.Err(), "reach: plans")
}
