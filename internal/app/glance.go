package app

import (
	"context"
	"slices"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/returnees"
	"inoculate/internal/returnees/consent"
)

// Roles that may see the legal side of a case in the overview: never communications
// staff or liaisons (they must not see agreements), nor evaluators.
var legalGlance = []authz.Role{authz.CaseWorker, authz.Supervisor, authz.LegalOfficer, authz.SafetyOfficer}

// glance composes the case overview's summary from the parts of the case: what
// stands between the person and speaking publicly, and what is overdue. It lives in
// the wiring because it is the one place that knows every part.
func (a *App) glance(ctx context.Context, p *authz.Principal, id string) (returnees.Glance, error) {
	var g returnees.Glance
	now := time.Now()
	base := "/returnees/" + id
	if slices.Contains(legalGlance, p.Role) {
		sum, err := a.Legal.Status(ctx, p.TenantID, id)
		if err != nil {
			return g, err
		}
		if len(sum.Blocking) == 0 {
			g.Checks = append(g.Checks, returnees.GlanceItem{Key: "glance.legal_ok", OK: true, Link: base + "/legal"})
		}
		for _, k := range sum.Blocking {
			g.Checks = append(g.Checks, returnees.GlanceItem{Key: k, Link: base + "/legal"})
		}
	}
	cur, found, err := a.Consent.Current(ctx, p.TenantID, id)
	if err != nil {
		return g, err
	}
	switch {
	case !found:
		g.Checks = append(g.Checks, returnees.GlanceItem{Key: "glance.consent_none", Link: base + "/consent"})
	case cur.Status != consent.StatusActive:
		g.Checks = append(g.Checks, returnees.GlanceItem{Key: "glance.consent_withdrawn", Link: base + "/consent"})
	case cur.Expired(now):
		g.Checks = append(g.Checks, returnees.GlanceItem{Key: "glance.consent_expired", Args: []any{cur.Expires}, Link: base + "/consent"})
	default:
		g.Checks = append(g.Checks, returnees.GlanceItem{Key: "glance.consent_ok", Args: []any{cur.Version, cur.Expires}, OK: true, Link: base + "/consent"})
		if cur.FreeConsentConcern {
			g.Checks = append(g.Checks, returnees.GlanceItem{Key: "glance.consent_concern", Link: base + "/consent"})
		}
	}
	sum, err := a.Assess.Summary(ctx, p.TenantID, id, now)
	if err != nil {
		return g, err
	}
	for _, r := range sum.Clearance.Reasons {
		g.Checks = append(g.Checks, returnees.GlanceItem{Key: r.Key, Args: r.Args, OK: r.OK, Link: base + "/assessments"})
	}
	if sum.NextCheckIn.Overdue {
		g.Overdue = append(g.Overdue, returnees.GlanceItem{Key: "glance.checkin_overdue", Args: []any{sum.NextCheckIn.DaysOverdue}, Link: base + "/safety"})
	}
	if slices.Contains(milestoneReaders, p.Role) {
		c, err := a.Returnees.Open(ctx, p, id)
		if err != nil {
			return g, err
		}
		ms, err := a.Family.Milestones(ctx, p, c)
		if err != nil {
			return g, err
		}
		for _, m := range ms {
			if m.Overdue {
				g.Overdue = append(g.Overdue, returnees.GlanceItem{Key: "glance.milestone_overdue", Args: []any{"family.kind." + string(m.Kind), m.TargetOn}, Link: base + "/family"})
			}
		}
	}
	return g, nil
}

// Roles that read reintegration milestones (the family capability's full readers).
var milestoneReaders = []authz.Role{authz.CaseWorker, authz.Supervisor, authz.SafetyOfficer}
