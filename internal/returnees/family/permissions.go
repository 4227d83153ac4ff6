package family

import "inoculate/internal/platform/authz"

// Who may do what with a case's family and mentors. Community liaisons need to know
// where the family stands (relation, stance, community) to work with communities
// safely, and nothing more: never names or contacts. Safety officers read everything
// because hostile relatives are a threat to plan for. Revealing sealed details needs a
// fresh sign-in (step-up), as revealing an identity does.
var (
	PermRead     = authz.Allow("family.read", authz.CaseWorker, authz.Supervisor, authz.SafetyOfficer, authz.CommunityLiaison)
	PermReadFull = authz.Allow("family.read_full", authz.CaseWorker, authz.Supervisor, authz.SafetyOfficer)
	PermWrite    = authz.Allow("family.write", authz.CaseWorker, authz.Supervisor)
	PermReveal   = authz.Allow("family.reveal", authz.CaseWorker, authz.Supervisor, authz.SafetyOfficer).WithStepUp()
)

// fullView says whether role sees the family part in full (less the sealed fields),
// rather than the liaison's summary.
func fullView(r authz.Role) bool {
	for _, x := range PermReadFull.Roles {
		if x == r {
			return true
		}
	}
	return false
}
