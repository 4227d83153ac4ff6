package reach

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"inoculate/internal/engagements"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/reach/model"
	"inoculate/internal/returnees"
	"inoculate/internal/returnees/assessment"
	"inoculate/internal/returnees/consent"
)

// Deps are the capabilities whose rules decide which options are allowed at all, and
// which take an accepted plan's engagements through their own approvals.
type Deps struct {
	Model       *model.Service
	Engagements *engagements.Service
	Returnees   *returnees.Service
	Assess      *assessment.Service
	Consent     *consent.Service
}

// Service plans and accepts plans.
type Service struct {
	deps Deps
	now  func() time.Time
}

// NewService returns the service.
func NewService(deps Deps) *Service { return &Service{deps: deps, now: time.Now} }

// Verdict is whether an option passes the hard rules now, and why not.
type Verdict struct {
	Allowed bool   `json:"allowed"`
	Key     string `json:"key,omitempty"` // catalogue key of the reason
	Args    []any  `json:"args,omitempty"`
	Text    string `json:"reason,omitempty"` // English
}

func refuse(key, text string, args ...any) Verdict {
	return Verdict{Key: key, Text: text, Args: args}
}

// Rules checks every option of m against the other capabilities' hard rules: an
// option naming a speaker needs them cleared to speak now and their current consent
// to allow this use, identity level, audience and language. An option without a
// speaker is allowed: its engagement's own readiness check asks when a speaker is
// chosen.
func (s *Service) Rules(ctx context.Context, tenantID string, m model.Model) (map[string]Verdict, error) {
	names := map[string]string{}
	for _, c := range m.Communities {
		names[c.ID] = c.Name
	}
	out := map[string]Verdict{}
	now := s.now()
	for _, o := range m.Options {
		v, err := s.rule(ctx, tenantID, o, names[o.CommunityID], now)
		if err != nil {
			return nil, err
		}
		out[o.ID] = v
	}
	return out, nil
}

func (s *Service) rule(ctx context.Context, tenantID string, o model.Option, community string, now time.Time) (Verdict, error) {
	if o.SpeakerID == "" {
		return Verdict{Allowed: true}, nil
	}
	r, err := s.deps.Returnees.Get(ctx, tenantID, o.SpeakerID)
	if errs.Is(err, errs.NotFound) || (err == nil && r.Erased) {
		return refuse("reach.rule.erased", "The proposed speaker's data was erased."), nil
	}
	if err != nil {
		return Verdict{}, err
	}
	c, err := s.deps.Assess.Cleared(ctx, tenantID, r.ID, now)
	if err != nil {
		return Verdict{}, err
	}
	if !c.Cleared {
		return refuse("reach.rule.not_cleared", r.Alias+" is not cleared to speak.", r.Alias), nil
	}
	var qs []consent.Query
	if o.Kind == model.OptionPublication {
		qs = []consent.Query{{Use: consent.UseOnlinePublication, IdentityLevel: o.IdentityLevel, Audience: consent.AudienceWorldwide,
			Language: o.Language, At: now}}
	} else {
		audience := engagements.AudienceNational
		if o.CommunityID != "" {
			audience = engagements.AudienceCommunity
		}
		qs = engagements.ConsentQuestions(engagements.Kind(o.Kind), o.IdentityLevel, audience, o.Language, community, r.HomeCommunity, now)
	}
	var last consent.Decision
	for _, q := range qs {
		d, err := s.deps.Consent.Allows(ctx, tenantID, r.ID, q)
		if err != nil {
			return Verdict{}, err
		}
		if d.Allowed {
			return Verdict{Allowed: true}, nil
		}
		last = d
	}
	return refuse("reach.rule.consent", r.Alias+"'s consent does not allow it: "+last.ReasonText, r.Alias, last.Reason), nil
}

// PlanInput is what a person asks for.
type PlanInput struct {
	Name        string   `json:"name"`
	TargetCells []string `json:"target_cells"`
	BudgetMoney float64  `json:"budget_money"`
	BudgetHours float64  `json:"budget_hours"`
	Epsilon     float64  `json:"epsilon"`
}

// Computed is a plan's result as saved: the engine's result and the verdicts on the
// options left out by the rules.
type Computed struct {
	Result
	Refused map[string]Verdict `json:"refused"`
	Seed    uint64             `json:"seed"`
}

// Plan computes a plan on the tenant's current model and saves it as a draft.
func (s *Service) Plan(ctx context.Context, p *authz.Principal, requestID string, in PlanInput) (model.Plan, error) {
	if in.Epsilon == 0 {
		in.Epsilon = 0.1
	}
	if in.BudgetMoney <= 0 && in.BudgetHours <= 0 {
		return model.Plan{}, &errs.Error{Kind: errs.Invalid, Field: "budget_money", MsgKey: "reach.plan.error.budget",
			Msg: "give a budget of money, of speaker hours, or both"}
	}
	m, err := s.deps.Model.Model(ctx, p.TenantID)
	if err != nil {
		return model.Plan{}, err
	}
	cells := map[string]bool{}
	for _, c := range m.Cells {
		cells[c.ID] = true
	}
	for _, id := range in.TargetCells {
		if !cells[strings.TrimSpace(id)] {
			return model.Plan{}, &errs.Error{Kind: errs.Invalid, Field: "target_cells", MsgKey: "reach.plan.error.cell", Msg: "no such audience cell"}
		}
	}
	rules, err := s.Rules(ctx, p.TenantID, m)
	if err != nil {
		return model.Plan{}, err
	}
	allowed := map[string]bool{}
	refused := map[string]Verdict{}
	for id, v := range rules {
		if v.Allowed {
			allowed[id] = true
		} else {
			refused[id] = v
		}
	}
	seed := uint64(s.now().UnixNano())
	res, err := Solve(Problem{Model: m, Targets: in.TargetCells, Allowed: allowed, BudgetMoney: in.BudgetMoney,
		BudgetHours: in.BudgetHours, Eps: in.Epsilon, Seed: seed})
	if err != nil {
		return model.Plan{}, err
	}
	raw, err := json.Marshal(Computed{Result: res, Refused: refused, Seed: seed})
	if err != nil {
		return model.Plan{}, fmt.Errorf("reach: encode the plan: %w", err)
	}
	items := make([]model.PlanItem, len(res.Chosen))
	for i, c := range res.Chosen {
		items[i] = model.PlanItem{OptionID: c.OptionID, Rank: c.Rank, Gain: c.Gain}
	}
	return s.deps.Model.SavePlan(ctx, p, requestID, model.PlanInput{Name: in.Name, TargetCells: in.TargetCells,
		BudgetMoney: in.BudgetMoney, BudgetHours: in.BudgetHours, Epsilon: in.Epsilon, Result: raw, Items: items})
}

// AcceptInput says when the accepted plan's engagements are proposed for: one a day
// from First (a local date) at Hour, in TimeZone. They are proposals: each goes
// through its community's chain of command and its readiness check like any other.
type AcceptInput struct {
	First    string `json:"first"` // YYYY-MM-DD
	Hour     int    `json:"hour"`
	TimeZone string `json:"time_zone"`
}

// Accepted is what accepting a plan did.
type Accepted struct {
	Plan        model.Plan        `json:"plan"`
	Engagements map[string]string `json:"engagements"` // option id → proposed engagement id
	// Publications are the chosen publications: they wait for a released
	// rendition of a testimony, which the testimonies capability will provide.
	Publications []string `json:"publications"`
}

// Accept proposes the plan's engagements (and lists its publications), then marks
// the plan accepted.
func (s *Service) Accept(ctx context.Context, p *authz.Principal, requestID, planID string, in AcceptInput) (Accepted, error) {
	if p == nil || !containsRole(engagements.PermWrite.Roles, p.Role) {
		return Accepted{}, &errs.Error{Kind: errs.Forbidden, MsgKey: "error.forbidden", Msg: "your role does not allow this"}
	}
	pl, err := s.deps.Model.Plan(ctx, p.TenantID, planID)
	if err != nil {
		return Accepted{}, err
	}
	if pl.Status == model.PlanAccepted {
		return Accepted{}, &errs.Error{Kind: errs.Conflict, MsgKey: "reach.error.plan_status", Msg: "this plan was accepted already"}
	}
	first, err := time.Parse(time.DateOnly, strings.TrimSpace(in.First))
	if err != nil {
		return Accepted{}, &errs.Error{Kind: errs.Invalid, Field: "first", MsgKey: "reach.plan.error.first", Msg: "give the first date as YYYY-MM-DD"}
	}
	if in.Hour < 0 || in.Hour > 23 {
		return Accepted{}, &errs.Error{Kind: errs.Invalid, Field: "hour", MsgKey: "reach.plan.error.hour", Msg: "the hour is from 0 to 23"}
	}
	out := Accepted{Engagements: map[string]string{}, Publications: []string{}}
	day := 0
	for _, it := range pl.Items {
		o, err := s.deps.Model.Option(ctx, p.TenantID, it.OptionID)
		if err != nil {
			return Accepted{}, err
		}
		if o.Kind == model.OptionPublication {
			out.Publications = append(out.Publications, o.ID)
			continue
		}
		audience := engagements.AudienceNational
		if o.CommunityID != "" {
			audience = engagements.AudienceCommunity
		}
		start := first.AddDate(0, 0, day).Add(time.Duration(in.Hour) * time.Hour)
		day++
		e, err := s.deps.Engagements.Create(ctx, p, requestID, engagements.Input{Kind: engagements.Kind(o.Kind), Title: o.Title,
			CommunityID: o.CommunityID, ChannelID: o.ChannelID, Start: start.Format("2006-01-02T15:04"), Minutes: 90,
			TimeZone: in.TimeZone, Language: o.Language, Audience: audience, IdentityLevel: o.IdentityLevel, Slots: 1})
		if err != nil {
			return Accepted{}, fmt.Errorf("%w (option %s)", err, o.Title)
		}
		if o.SpeakerID != "" {
			if _, err := s.deps.Engagements.AddSpeaker(ctx, p, requestID, e.ID, o.SpeakerID); err != nil {
				return Accepted{}, fmt.Errorf("%w (option %s)", err, o.Title)
			}
		}
		out.Engagements[o.ID] = e.ID
	}
	if out.Plan, err = s.deps.Model.MarkPlanAccepted(ctx, p, requestID, planID, out.Engagements); err != nil {
		return Accepted{}, err
	}
	return out, nil
}

func containsRole(list []authz.Role, r authz.Role) bool {
	for _, x := range list {
		if x == r {
			return true
		}
	}
	return false
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }
