package returnees

import . "inoculate/internal/platform/authz"

// Who may do what with returnees. Admins administer and do not read case records
// (SECURITY.md P22); auditors see the log, not the records; evaluators see aggregates
// only. Revealing needs a fresh sign-in (step-up).
var (
	PermList   = Allow("returnee.list", CaseWorker, Supervisor, LegalOfficer, SafetyOfficer, CommunityLiaison, CommsOfficer)
	PermCreate = Allow("returnee.create", CaseWorker, Supervisor)
	PermReveal = Allow("returnee.reveal", CaseWorker, Supervisor, LegalOfficer, SafetyOfficer).WithStepUp()
	PermErase  = Allow("returnee.erase", Supervisor).WithStepUp()
)
