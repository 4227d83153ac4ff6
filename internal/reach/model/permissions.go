package model

import (
	"slices"

	"inoculate/internal/platform/authz"
)

// Who may do what with the reach model (DESIGN.md §2). Communications officers keep
// channels, plans and publications; community liaisons and supervisors plan
// engagements; safety officers read what is planned. The model holds aggregates and
// ids only, but a proposed speaker is a person: the case-facing roles without a part
// in outreach (legal officer, evaluator, auditor, case worker) have none here.
var (
	PermRead  = authz.Allow("reach.read", authz.CommsOfficer, authz.CommunityLiaison, authz.Supervisor, authz.SafetyOfficer)
	PermWrite = authz.Allow("reach.write", authz.CommsOfficer, authz.CommunityLiaison, authz.Supervisor)
	// PermAccept turns a plan into proposed engagements and publications, which then
	// go through their own approvals.
	PermAccept = authz.Allow("reach.accept", authz.CommsOfficer, authz.CommunityLiaison, authz.Supervisor)
)

func allowed(perm authz.Permission, p *authz.Principal) bool {
	return p != nil && p.TenantID != "" && slices.Contains(perm.Roles, p.Role)
}
