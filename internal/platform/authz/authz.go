// Package authz holds the vocabulary of authorization shared by the web kit, the
// authentication service and every capability: the roles of DESIGN.md §2, permissions
// (a named set of roles), and the Principal making a request. Deciding is default-deny:
// a permission allows exactly the roles it lists.
package authz

import (
	"context"
	"slices"
	"time"
)

// Role is one of the fixed roles of DESIGN.md §2, by slug.
type Role string

const (
	CaseWorker       Role = "case_worker"
	Supervisor       Role = "supervisor"
	LegalOfficer     Role = "legal_officer"
	SafetyOfficer    Role = "safety_officer"
	CommunityLiaison Role = "community_liaison"
	CommsOfficer     Role = "comms_officer"
	Evaluator        Role = "evaluator"
	Auditor          Role = "auditor"
	Admin            Role = "admin"
)

// Roles lists every role in the order of DESIGN.md §2.
var Roles = []Role{CaseWorker, Supervisor, LegalOfficer, SafetyOfficer, CommunityLiaison, CommsOfficer, Evaluator, Auditor, Admin}

// ParseRole returns the role with the given slug, or false.
func ParseRole(s string) (Role, bool) {
	r := Role(s)
	return r, slices.Contains(Roles, r)
}

// Access says who a permission lets through.
type Access int

const (
	// Listed lets through only signed-in principals holding one of the listed roles.
	Listed Access = iota
	// Anyone lets everyone through, signed in or not (login page, health, assets).
	Anyone
	// SignedIn lets through every fully signed-in principal, whatever the role
	// (dashboard, logout, own preferences).
	SignedIn
	// Pending lets through a session that passed the password but not yet the second
	// factor (TOTP check and enrolment pages), as well as full sessions.
	Pending
)

// Permission is a named decision: the route table declares one per route, and the
// authorization-matrix test walks them all.
type Permission struct {
	Name   string
	Access Access
	Roles  []Role
	// StepUp demands a recent full authentication (see StepUpWindow).
	StepUp bool
}

// Allow is a permission for the listed roles.
func Allow(name string, roles ...Role) Permission {
	return Permission{Name: name, Access: Listed, Roles: roles}
}

// WithStepUp returns p demanding a fresh authentication.
func (p Permission) WithStepUp() Permission { p.StepUp = true; return p }

// Public is the permission of routes open to everyone.
func Public(name string) Permission { return Permission{Name: name, Access: Anyone} }

// AnySignedIn is the permission of routes open to every signed-in user.
func AnySignedIn(name string) Permission { return Permission{Name: name, Access: SignedIn} }

// SecondFactor is the permission of the pages between password and full sign-in.
func SecondFactor(name string) Permission { return Permission{Name: name, Access: Pending} }

// StepUpWindow is how long a full authentication counts as fresh for step-up actions.
const StepUpWindow = 5 * time.Minute

// Stage is how far a session has come through sign-in.
type Stage string

const (
	StageTOTP  Stage = "totp"  // password accepted, code pending
	StageEnrol Stage = "enrol" // password accepted, must enrol TOTP first
	StageFull  Stage = "full"
)

// Principal is who is making a request: resolved afresh from the database on every
// request, so role changes and disabling take effect at once.
type Principal struct {
	TenantID   string
	TenantSlug string
	TenantName string
	DemoTenant bool
	UserID     string
	UserName   string
	Role       Role
	Stage      Stage
	Via        string    // "session" or "token"
	SessionID  []byte    // hash of the session id, for logout and step-up; nil for tokens
	AuthAt     time.Time // last full authentication
}

// FreshAuth reports whether the principal authenticated fully within the window.
// Bearer tokens count as fresh: automation has no person to re-prompt, and a token is
// itself a credential the user created for that purpose.
func (p *Principal) FreshAuth(now time.Time) bool {
	if p.Via == "token" {
		return true
	}
	return p.Stage == StageFull && now.Sub(p.AuthAt) <= StepUpWindow
}

// Decision is the outcome of Check.
type Decision int

const (
	Allowed Decision = iota
	NeedSignIn
	Denied
	NeedStepUp
)

// Check decides whether principal p (nil when anonymous) may pass permission perm.
func Check(perm Permission, p *Principal, now time.Time) Decision {
	switch perm.Access {
	case Anyone:
		return Allowed
	case Pending:
		if p == nil {
			return NeedSignIn
		}
		return Allowed
	}
	if p == nil || p.Stage != StageFull {
		return NeedSignIn
	}
	if perm.Access == Listed && !slices.Contains(perm.Roles, p.Role) {
		return Denied
	}
	if perm.StepUp && !p.FreshAuth(now) {
		return NeedStepUp
	}
	return Allowed
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal of the request, or nil when anonymous.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}
