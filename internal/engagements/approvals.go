package engagements

import (
	"context"
	"errors"
	"strings"
	"time"

	"inoculate/internal/communities"
	"inoculate/internal/engagements/chain"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// Approval is one recorded decision of an authority on one revision.
type Approval struct {
	ID          string         `json:"id"`
	AuthorityID string         `json:"authority_id"`
	Decision    chain.Decision `json:"decision"`
	Reason      string         `json:"reason"`
	Revision    int            `json:"revision"`
	RecordedBy  string         `json:"recorded_by"`
	RecordedAt  time.Time      `json:"recorded_at"`
}

// DecisionInput is the body of POST /api/v1/engagements/{id}/approvals.
type DecisionInput struct {
	AuthorityID string `json:"authority_id"`
	Decision    string `json:"decision"`
	Reason      string `json:"reason"`
}

// ChainView is where an engagement stands in its community's chain of command, with
// the authorities' names for the page.
type ChainView struct {
	chain.State
	Authorities map[string]communities.Authority `json:"-"`
	// Empty: the engagement has no chain to go through (no community, or a community
	// with no authorities yet); a liaison or supervisor approves it directly.
	Empty bool `json:"empty"`
}

func approvals(ctx context.Context, q store.Querier, tenantID, id string) ([]Approval, error) {
	rows, err := q.Query(ctx, `SELECT id, authority_id, decision, reason, revision, recorded_by, recorded_at FROM engagement_approvals
		WHERE tenant_id = ? AND engagement_id = ? ORDER BY recorded_at, id`, tenantID, id)
	if err != nil {
		return nil, errs.Wrap(err, "engagements: approvals")
	}
	defer rows.Close()
	var out []Approval
	for rows.Next() {
		var a Approval
		var d string
		var at int64
		if err := rows.Scan(&a.ID, &a.AuthorityID, &d, &a.Reason, &a.Revision, &a.RecordedBy, &at); err != nil {
			return nil, errs.Wrap(err, "engagements: approvals")
		}
		a.Decision, a.RecordedAt = chain.Decision(d), store.FromMillis(at)
		out = append(out, a)
	}
	return out, errs.Wrap(rows.Err(), "engagements: approvals")
}

// Approvals returns every decision recorded on the engagement, all revisions, oldest first.
func (s *Service) Approvals(ctx context.Context, tenantID, id string) ([]Approval, error) {
	if _, err := s.Get(ctx, tenantID, id); err != nil {
		return nil, err
	}
	return approvals(ctx, s.db.Reader(), tenantID, id)
}

func toChain(auths []communities.Authority, list []Approval) ([]chain.Authority, []chain.Approval) {
	ca := make([]chain.Authority, len(auths))
	for i, a := range auths {
		ca[i] = chain.Authority{ID: a.ID, Order: a.Position}
	}
	cp := make([]chain.Approval, len(list))
	for i, a := range list {
		cp[i] = chain.Approval{AuthorityID: a.AuthorityID, Decision: a.Decision, Reason: a.Reason, Revision: a.Revision, At: a.RecordedAt}
	}
	return ca, cp
}

// Chain evaluates where e stands in its community's chain for its current revision.
func (s *Service) Chain(ctx context.Context, e Engagement) (ChainView, error) {
	var auths []communities.Authority
	if e.CommunityID != "" {
		var err error
		if auths, err = s.deps.Communities.Chain(ctx, e.TenantID, e.CommunityID); err != nil {
			return ChainView{}, err
		}
	}
	list, err := approvals(ctx, s.db.Reader(), e.TenantID, e.ID)
	if err != nil {
		return ChainView{}, err
	}
	ca, cp := toChain(auths, list)
	v := ChainView{State: chain.Evaluate(ca, cp, e.Revision), Authorities: map[string]communities.Authority{}, Empty: len(auths) == 0}
	for _, a := range auths {
		v.Authorities[a.ID] = a
	}
	return v, nil
}

// RecordDecision records what an authority decided on the engagement's current
// revision: approve, ask for changes, or veto (the last two with a reason). Decisions
// are taken in the chain's order: an authority whose turn has not come is refused
// (Conflict), so nothing out of order is ever recorded as counting. When the last
// approval comes in, the engagement becomes approved.
func (s *Service) RecordDecision(ctx context.Context, p *authz.Principal, requestID, id string, in DecisionInput) (Approval, ChainView, error) {
	if err := check(PermDecision, p); err != nil {
		return Approval{}, ChainView{}, err
	}
	d := chain.Decision(strings.TrimSpace(in.Decision))
	if !d.Valid() {
		return Approval{}, ChainView{}, invalid("decision", "engagements.error.decision", `decision must be "approve", "changes" or "veto"`)
	}
	reason, err := cleanLong("reason", in.Reason, d != chain.Approve, maxReason)
	if err != nil {
		return Approval{}, ChainView{}, err
	}
	if d != chain.Approve && len([]rune(reason)) < minReason {
		return Approval{}, ChainView{}, invalid("reason", "engagements.error.decision_reason", "say why, in a few words", minReason)
	}
	aid := strings.TrimSpace(in.AuthorityID)
	var rec Approval
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lock(ctx, tx, p.TenantID, id); err != nil {
			return err
		}
		cur, err := load(ctx, tx, p.TenantID, id)
		if err != nil {
			return err
		}
		if cur.Status != StatusProposed && cur.Status != StatusApproved {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "engagements.error.decision_status",
				Msg: "decisions are recorded while an engagement is proposed or approved"}
		}
		if cur.CommunityID == "" {
			return invalid("authority_id", "engagements.error.authority", "this engagement has no chain of command")
		}
		auths, err := s.deps.Communities.Chain(ctx, p.TenantID, cur.CommunityID)
		if err != nil {
			return err
		}
		known := false
		for _, a := range auths {
			known = known || a.ID == aid
		}
		if !known {
			return invalid("authority_id", "engagements.error.authority", "no such authority in this community's chain")
		}
		list, err := approvals(ctx, tx, p.TenantID, id)
		if err != nil {
			return err
		}
		ca, cp := toChain(auths, list)
		if err := chain.CanRecord(ca, cp, cur.Revision, aid, d); err != nil {
			if errors.Is(err, chain.ErrOutOfTurn) {
				return &errs.Error{Kind: errs.Conflict, MsgKey: "engagements.error.out_of_turn",
					Msg: "not this authority's turn: the chain is consulted in order", Err: err}
			}
			return &errs.Error{Kind: errs.Conflict, MsgKey: "engagements.error.chain_closed", Msg: err.Error(), Err: err}
		}
		now := s.now()
		rid, err := newID()
		if err != nil {
			return err
		}
		rec = Approval{ID: rid, AuthorityID: aid, Decision: d, Reason: reason, Revision: cur.Revision, RecordedBy: p.UserID,
			RecordedAt: store.FromMillis(store.Millis(now))}
		if _, err := tx.Exec(ctx, `INSERT INTO engagement_approvals (id, tenant_id, engagement_id, authority_id, decision, reason, revision, recorded_by, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, rid, p.TenantID, id, aid, string(d), reason, cur.Revision, p.UserID, store.Millis(now)); err != nil {
			return errs.Wrap(err, "engagements: record decision")
		}
		st := chain.Evaluate(ca, append(cp, chain.Approval{AuthorityID: aid, Decision: d, Reason: reason, Revision: cur.Revision, At: rec.RecordedAt}), cur.Revision)
		// Complete: approved. Otherwise proposed: a later veto withdraws an approval
		// the engagement stood on.
		to := StatusProposed
		if st.Complete {
			to = StatusApproved
		}
		if to != cur.Status {
			if _, err := tx.Exec(ctx, `UPDATE engagements SET status = ?, updated_by = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
				string(to), p.UserID, store.Millis(now), p.TenantID, id); err != nil {
				return errs.Wrap(err, "engagements: status after decision")
			}
			if err := event(ctx, tx, p.TenantID, id, cur.Status, to, cur.Revision, "chain of command", p.UserID, store.Millis(now)); err != nil {
				return err
			}
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "engagement.decision_"+string(d), id+"/"+aid))
		return err
	})
	if err != nil {
		return Approval{}, ChainView{}, err
	}
	e, err := s.Get(ctx, p.TenantID, id)
	if err != nil {
		return rec, ChainView{}, err
	}
	v, err := s.Chain(ctx, e)
	return rec, v, err
}

// ApproveDirectly approves an engagement that has no chain of command to go through
// (an interview with a national outlet, a community with no authorities recorded).
func (s *Service) ApproveDirectly(ctx context.Context, p *authz.Principal, requestID, id string) error {
	if err := check(PermDecision, p); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lock(ctx, tx, p.TenantID, id); err != nil {
			return err
		}
		cur, err := load(ctx, tx, p.TenantID, id)
		if err != nil {
			return err
		}
		if cur.Status != StatusProposed {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "engagements.error.not_proposed", Msg: "only a proposed engagement can be approved"}
		}
		if cur.CommunityID != "" {
			auths, err := s.deps.Communities.Chain(ctx, p.TenantID, cur.CommunityID)
			if err != nil {
				return err
			}
			if len(auths) > 0 {
				return &errs.Error{Kind: errs.Conflict, MsgKey: "engagements.error.has_chain",
					Msg: "this community has a chain of command: record its authorities' decisions"}
			}
		}
		at := store.Millis(s.now())
		if _, err := tx.Exec(ctx, `UPDATE engagements SET status = ?, updated_by = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
			string(StatusApproved), p.UserID, at, p.TenantID, id); err != nil {
			return errs.Wrap(err, "engagements: approve")
		}
		if err := event(ctx, tx, p.TenantID, id, cur.Status, StatusApproved, cur.Revision, "no chain of command", p.UserID, at); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "engagement.approve_direct", id))
		return err
	})
}
