package returnees

import "inoculate/internal/platform/authz"

// Who may do what with returnees. Admins administer and do not read case records
// (SECURITY.md P22); auditors see the log, not the records; evaluators see aggregates
// only. Revealing needs a fresh sign-in (step-up).
var (
	PermList = authz.Allow("returnee.list", authz.CaseWorker, authz.Supervisor, authz.LegalOfficer,
		authz.SafetyOfficer, authz.CommunityLiaison, authz.CommsOfficer)
	PermCreate = authz.Allow("returnee.create", authz.CaseWorker, authz.Supervisor)
	PermReveal = authz.Allow("returnee.reveal", authz.CaseWorker, authz.Supervisor, authz.LegalOfficer, authz.SafetyOfficer).WithStepUp()
	PermErase  = authz.Allow("returnee.erase", authz.Supervisor).WithStepUp()
)
