// Package demo loads a demo tenant with clearly fictional people and one user per
// role, so the program can be tried on a laptop. Demo users skip TOTP enrolment and
// get fresh random passwords at every start, printed once.
package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"inoculate/internal/platform/auth"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/returnees"
)

// TenantSlug is the demo tenant's slug.
const TenantSlug = "demo"

// Credential is a demo user's sign-in.
type Credential struct {
	Name, Role, Password string
}

// Credentials are what the serve command prints.
type Credentials struct {
	TenantSlug string
	Users      []Credential
}

// people are fictional: names say so, addresses are nowhere, phone numbers are
// from the reserved fictional range.
var people = []returnees.NewReturnee{
	{Alias: "Cedar", Identity: returnees.Identity{LegalName: "Fictional Person One (demo)", BirthDate: "1995-04-12", Phone: "+00 555 0101", Address: "1 Example Street, Nowhere (fictional)"},
		HomeCommunity: "Harbour Town (fictional)", Languages: []string{"ar", "en"}},
	{Alias: "Lantern", Identity: returnees.Identity{LegalName: "Fictional Person Two (demo)", BirthDate: "1998-11-02", Phone: "+00 555 0102", Address: "2 Sample Road, Nowhere (fictional)"},
		HomeCommunity: "Hill Village (fictional)", Languages: []string{"ar"}},
	{Alias: "Harbour", Identity: returnees.Identity{LegalName: "شخص وهمي ثالث (تجريبي)", BirthDate: "1993-07-30", Phone: "+00 555 0103", Address: "٣ شارع المثال، لا مكان (وهمي)"},
		HomeCommunity: "Harbour Town (fictional)", Languages: []string{"ar"}},
}

// extraUsers are second holders of a role, so the two-person rules (signing an
// agreement, erasure) can be tried.
var extraUsers = []struct {
	key  string
	role authz.Role
}{{"legal_officer_b", authz.LegalOfficer}, {"supervisor_b", authz.Supervisor}}

// Load creates the demo tenant if missing, its users (one per role, named after the
// role, and a second legal officer and supervisor) with new passwords, and the
// fictional returnees, the first of them worked all the way to "cleared to speak".
func Load(ctx context.Context, a *auth.Service, r *returnees.Service, parts Parts) (Credentials, error) {
	sys := auth.Actor{UserID: "system"}
	t, err := a.TenantBySlug(ctx, TenantSlug)
	if errs.Is(err, errs.NotFound) {
		t, err = a.CreateTenant(ctx, sys, TenantSlug, "Demo programme (fictional)", true)
	}
	if err != nil {
		return Credentials{}, fmt.Errorf("demo tenant: %w", err)
	}
	if !t.Demo {
		return Credentials{}, fmt.Errorf("a tenant %q exists and is not a demo tenant: refusing to put demo users in it", TenantSlug)
	}
	creds := Credentials{TenantSlug: t.Slug}
	by := map[string]*authz.Principal{}
	type want struct {
		key  string
		role authz.Role
	}
	var wants []want
	for _, role := range authz.Roles {
		wants = append(wants, want{string(role), role})
	}
	for _, x := range extraUsers {
		wants = append(wants, want{x.key, x.role})
	}
	for _, w := range wants {
		role := w.role
		name := "demo-" + replaceUnderscore(w.key)
		password := rand.Text()
		u, err := a.UserByName(ctx, t.ID, name)
		switch {
		case errs.Is(err, errs.NotFound):
			u, err = a.CreateUser(ctx, sys, t.ID, name, role, password, true)
		case err == nil:
			err = a.SetPassword(ctx, sys, t.ID, u.ID, password)
		}
		if err != nil {
			return Credentials{}, fmt.Errorf("demo user %s: %w", name, err)
		}
		by[w.key] = &authz.Principal{TenantID: t.ID, UserID: u.ID, UserName: u.Name, Role: role, Stage: authz.StageFull, AuthAt: time.Now()}
		creds.Users = append(creds.Users, Credential{Name: name, Role: string(role), Password: password})
	}
	n, err := r.Count(ctx, t.ID)
	if err != nil {
		return Credentials{}, err
	}
	if n == 0 {
		var ids []string
		for _, person := range people {
			ret, err := r.Create(ctx, by["case_worker"], "demo", person)
			if err != nil {
				return Credentials{}, fmt.Errorf("demo returnee %s: %w", person.Alias, err)
			}
			ids = append(ids, ret.ID)
		}
		if err := workCase(ctx, r, parts, by, ids[0]); err != nil {
			return Credentials{}, err
		}
		if err := contrastCases(ctx, r, parts, by, ids[1], ids[2]); err != nil {
			return Credentials{}, err
		}
		if parts.Communities != nil {
			if err := loadCommunity(ctx, parts, by["community_liaison"]); err != nil {
				return Credentials{}, err
			}
			if parts.Engagements != nil {
				if err := loadEngagements(ctx, parts, by, ids[0]); err != nil {
					return Credentials{}, err
				}
				if parts.Testimonies != nil {
					if err := loadTestimony(ctx, parts, by["comms_officer"], ids[0]); err != nil {
						return Credentials{}, err
					}
				}
				if parts.Reach != nil {
					if err := loadReach(ctx, parts, by, ids[0]); err != nil {
						return Credentials{}, err
					}
				}
			}
		}
	}
	return creds, nil
}

func replaceUnderscore(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '_' {
			b[i] = '-'
		}
	}
	return string(b)
}
