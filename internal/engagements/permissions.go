package engagements

import "inoculate/internal/platform/authz"

// Who may do what with engagements (DESIGN.md §2). Community liaisons and supervisors
// plan and run them and record what each authority decided; safety officers write
// security plans and safety reviews; communications officers prepare interviews
// (journalist, ground rules, coverage) but never see venue details or security
// plans; case workers follow their people's appearances. Legal officers, evaluators
// and auditors have no part here (evaluators read survey aggregates only).
var (
	PermRead = authz.Allow("engagements.read", authz.CommunityLiaison, authz.Supervisor, authz.SafetyOfficer,
		authz.CaseWorker, authz.CommsOfficer)
	PermWrite    = authz.Allow("engagements.write", authz.CommunityLiaison, authz.Supervisor)
	PermDecision = authz.Allow("engagements.record_decision", authz.CommunityLiaison, authz.Supervisor)
	PermSchedule = authz.Allow("engagements.schedule", authz.CommunityLiaison, authz.Supervisor)
	PermSecurity = authz.Allow("engagements.security", authz.SafetyOfficer, authz.Supervisor)
	PermMedia    = authz.Allow("engagements.media", authz.CommsOfficer, authz.CommunityLiaison, authz.Supervisor)
	PermDebrief  = authz.Allow("engagements.debrief", authz.CommunityLiaison, authz.Supervisor)
	// PermVenue is the clearance for venue names and details and for security plans:
	// where a threatened person will stand, and when.
	PermVenue    = authz.Allow("engagements.venue", authz.CommunityLiaison, authz.Supervisor, authz.SafetyOfficer, authz.CaseWorker)
	PermSettings = authz.Allow("engagements.settings", authz.Supervisor, authz.Admin)
	// PermCalendar lets a reader keep their own calendar feed links.
	PermCalendar = PermRead
	// PermChannelsWrite keeps the shared channel records (outlets, pages, venues,
	// partner organisations).
	PermChannelsWrite = authz.Allow("channels.write", authz.CommunityLiaison, authz.CommsOfficer, authz.Supervisor)
)
