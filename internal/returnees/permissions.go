package returnees

import "inoculate/internal/platform/authz"

// Who may do what with returnees. Admins administer and do not read case records
// (SECURITY.md P22) unless a custodian grants them access; auditors see the log, not
// the records; evaluators see aggregates only. The most sensitive acts need a fresh
// sign-in (step-up).
var (
	PermList = authz.Allow("returnee.list", authz.CaseWorker, authz.Supervisor, authz.LegalOfficer,
		authz.SafetyOfficer, authz.CommunityLiaison, authz.CommsOfficer)
	PermCreate = authz.Allow("returnee.create", authz.CaseWorker, authz.Supervisor)
	PermReveal = authz.Allow("returnee.reveal", authz.CaseWorker, authz.Supervisor, authz.LegalOfficer, authz.SafetyOfficer).WithStepUp()
	// PermMove moves a case through the pipeline; PermAssign sets its case worker and team.
	PermMove   = authz.Allow("returnee.move", authz.CaseWorker, authz.Supervisor)
	PermAssign = authz.Allow("returnee.assign", authz.Supervisor)
	PermTeams  = authz.Allow("teams.manage", authz.Supervisor)
	// Roles outside the case team ask a custodian for access to an identity.
	PermRequestAccess = authz.Allow("identity_access.request", authz.CommunityLiaison, authz.Admin)
	PermRevealGranted = authz.Allow("identity_access.reveal", authz.CommunityLiaison, authz.Admin).WithStepUp()
	PermCustody       = authz.Allow("identity_access.decide", authz.Supervisor, authz.Admin)
	// Erasure is two-person: one custodian asks, another approves.
	PermErase = authz.Allow("returnee.erase", authz.Supervisor, authz.Admin).WithStepUp()
)
