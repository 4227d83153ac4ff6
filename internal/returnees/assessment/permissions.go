package assessment

import (
	"slices"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
)

// Who may do what with assessments and safety. Community liaisons and
// communications officers plan engagements around a person, so they see whether the
// person is cleared to speak and why — never the assessments themselves. Admins
// administer users, not cases; auditors and evaluators see no case records. Signing
// off is a second person's judgement, not a reveal: no step-up.
var (
	PermCleared = authz.Allow("assessment.cleared", authz.CaseWorker, authz.Supervisor, authz.SafetyOfficer,
		authz.LegalOfficer, authz.CommunityLiaison, authz.CommsOfficer)
	PermRead   = authz.Allow("assessment.read", authz.CaseWorker, authz.Supervisor, authz.SafetyOfficer, authz.LegalOfficer)
	PermAssess = authz.Allow("assessment.create", authz.CaseWorker, authz.Supervisor, authz.SafetyOfficer)
	// Retaliation threat is the safety officer's judgement (or a supervisor's).
	PermAssessThreat = authz.Allow("assessment.create_threat", authz.SafetyOfficer, authz.Supervisor)
	PermReview       = authz.Allow("assessment.review", authz.Supervisor, authz.SafetyOfficer)
	// The tenant's risk threshold is a program decision: supervisors only.
	PermThreshold = authz.Allow("assessment.risk_threshold", authz.Supervisor)

	PermSafetyRead  = authz.Allow("safety.read", authz.CaseWorker, authz.Supervisor, authz.SafetyOfficer)
	PermSafetyWrite = authz.Allow("safety.plan_write", authz.SafetyOfficer, authz.Supervisor)
	PermCheckIn     = authz.Allow("safety.checkin", authz.CaseWorker, authz.Supervisor, authz.SafetyOfficer)
)

// PermCreate is the permission to author an assessment of kind k.
func PermCreate(k Kind) authz.Permission {
	if k == KindThreat {
		return PermAssessThreat
	}
	return PermAssess
}

// require checks the role again inside the service, so that a caller other than our
// own routes (another capability, a command) cannot skip the route's permission.
func require(p *authz.Principal, perm authz.Permission) error {
	if p == nil || !slices.Contains(perm.Roles, p.Role) {
		return &errs.Error{Kind: errs.Forbidden, MsgKey: "error.forbidden", Msg: "your role does not allow this"}
	}
	return nil
}
