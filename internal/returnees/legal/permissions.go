package legal

import "inoculate/internal/platform/authz"

// Who may do what with screening and agreements. Only legal officers write; legal
// officers and supervisors read; nobody else sees anything of it (communications
// officers must never see agreements). Signing, revoking and recording a breach
// need a fresh sign-in.
var (
	PermRead     = authz.Allow("legal.read", authz.LegalOfficer, authz.Supervisor)
	PermWrite    = authz.Allow("legal.write", authz.LegalOfficer)
	PermSign     = authz.Allow("legal.sign", authz.LegalOfficer).WithStepUp()
	PermEnd      = authz.Allow("legal.end", authz.LegalOfficer).WithStepUp()
	PermDocument = authz.Allow("legal.document", authz.LegalOfficer, authz.Supervisor)
)
