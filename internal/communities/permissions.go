package communities

import (
	"slices"

	"inoculate/internal/platform/authz"
)

// Who may do what with communities. Community liaisons and supervisors keep the
// records; everyone who prepares or runs engagements reads them. Communications
// officers read communities but never partner contacts (not even that they exist):
// their work is public-facing. Revealing a contact's sealed details needs a written
// reason and a fresh sign-in, and is audited. The legal officer has no part here.
var (
	PermRead = authz.Allow("communities.read", authz.CommunityLiaison, authz.Supervisor, authz.CaseWorker,
		authz.SafetyOfficer, authz.CommsOfficer)
	PermWrite        = authz.Allow("communities.write", authz.CommunityLiaison, authz.Supervisor)
	PermReadContacts = authz.Allow("communities.read_contacts", authz.CommunityLiaison, authz.Supervisor,
		authz.CaseWorker, authz.SafetyOfficer)
	PermReveal = authz.Allow("communities.reveal_contact", authz.CommunityLiaison, authz.Supervisor).WithStepUp()
)

func allowed(perm authz.Permission, p *authz.Principal) bool {
	return p != nil && p.TenantID != "" && slices.Contains(perm.Roles, p.Role)
}
