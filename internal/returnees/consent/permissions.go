package consent

import "inoculate/internal/platform/authz"

// Who may do what with consent. Taking and withdrawing consent is the case team's
// work (case workers and supervisors) and never the legal officer's: consent must stay
// separate from the agreement. Everyone who prepares or reviews a public appearance
// may read it and ask Allows; the legal officer only reads. A withdrawal needs no
// fresh sign-in (no step-up): it must never be hard to record.
var (
	PermRead = authz.Allow("consent.read", authz.CaseWorker, authz.Supervisor, authz.LegalOfficer,
		authz.SafetyOfficer, authz.CommunityLiaison, authz.CommsOfficer)
	PermGive     = authz.Allow("consent.give", authz.CaseWorker, authz.Supervisor)
	PermWithdraw = authz.Allow("consent.withdraw", authz.CaseWorker, authz.Supervisor)
)
