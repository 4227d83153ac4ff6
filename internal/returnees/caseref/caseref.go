// Package caseref is what the parts of a returnee's case (screening and agreements,
// consent, assessments and safety, family) need from the case itself: to open it for
// a principal, which enforces tenancy and caseload visibility in one place. The
// returnees service implements Cases; the parts never read the returnees table.
package caseref

import (
	"context"

	"inoculate/internal/platform/authz"
)

// Case is a returnee's case as its parts see it: never identity fields.
type Case struct {
	ID           string
	TenantID     string
	Alias        string
	Erased       bool
	CaseWorkerID string // assigned case worker, "" if none
	TeamID       string // case team, "" if none
}

// Cases opens cases.
type Cases interface {
	// Open returns the case if p may see it: same tenant, and for case workers only
	// their team's caseload. Otherwise an errs.NotFound error (never "forbidden", so
	// that ids of other caseloads cannot be probed).
	Open(ctx context.Context, p *authz.Principal, id string) (Case, error)
}

// Tab names the part of the case a page shows, for the case tabs partial.
type Tab string

const (
	TabOverview   Tab = "overview"
	TabLegal      Tab = "legal"
	TabConsent    Tab = "consent"
	TabAssessment Tab = "assessments"
	TabSafety     Tab = "safety"
	TabFamily     Tab = "family"
)

// Header is what every case page passes to the "case-header" partial (title + tabs).
type Header struct {
	Case Case
	Tab  Tab
}
