package app_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	. "inoculate/internal/platform/authz"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

// anyone and signedIn mark routes open to everyone / every signed-in user.
var (
	anyone   = []Role{"*anonymous*"}
	signedIn = Roles
	listers  = []Role{CaseWorker, Supervisor, LegalOfficer, SafetyOfficer, CommunityLiaison, CommsOfficer}
	intake   = []Role{CaseWorker, Supervisor}
	revealer = []Role{CaseWorker, Supervisor, LegalOfficer, SafetyOfficer}
	outside  = []Role{CommunityLiaison, Admin} // ask a custodian for identity access
	custody  = []Role{Supervisor, Admin}

	caseReaders       = []Role{CaseWorker, Supervisor, LegalOfficer, SafetyOfficer, CommunityLiaison, CommsOfficer}
	familyReaders     = []Role{CaseWorker, Supervisor, SafetyOfficer, CommunityLiaison} // liaisons: relation and stance only
	assessmentReaders = []Role{CaseWorker, Supervisor, SafetyOfficer, LegalOfficer}
	careTeam          = []Role{CaseWorker, Supervisor, SafetyOfficer}
	legalReaders      = []Role{LegalOfficer, Supervisor}
	safetyLeads       = []Role{SafetyOfficer, Supervisor}
	communityReaders  = []Role{CommunityLiaison, Supervisor, CaseWorker, SafetyOfficer, CommsOfficer}
	communityWriters  = []Role{CommunityLiaison, Supervisor}
	// Engagements: liaisons and supervisors run them; safety officers secure them;
	// communications officers prepare interviews; case workers follow their people.
	engagementReaders = []Role{CommunityLiaison, Supervisor, SafetyOfficer, CaseWorker, CommsOfficer}
	engagementWriters = []Role{CommunityLiaison, Supervisor}
	venueCleared      = []Role{CommunityLiaison, Supervisor, SafetyOfficer, CaseWorker}
	mediaPreparers    = []Role{CommsOfficer, CommunityLiaison, Supervisor}
	journalistVetters = []Role{CommsOfficer, SafetyOfficer, Supervisor}
	// Reach: communications officers, liaisons and supervisors plan; safety officers read.
	reachReaders = []Role{CommsOfficer, CommunityLiaison, Supervisor, SafetyOfficer}
	reachWriters = []Role{CommsOfficer, CommunityLiaison, Supervisor}
	// Testimonies: communications officers and supervisors work on them; safety
	// officers and case workers read them.
	testimonyReaders = []Role{CommsOfficer, Supervisor, SafetyOfficer, CaseWorker, LegalOfficer}
	testimonyWriters = []Role{CommsOfficer, Supervisor}
)

// expected is the permission table written out by hand: every route the server
// registers must appear here, and each role may reach exactly the routes listed.
// It is deliberately not derived from the code it checks.
var expected = map[string][]Role{
	"GET /{$}":                                           signedIn,
	"GET /returnees":                                     listers,
	"GET /returnees/new":                                 intake,
	"POST /returnees":                                    intake,
	"GET /returnees/{id}":                                listers,
	"POST /returnees/{id}/reveal":                        revealer,
	"POST /returnees/{id}/erase":                         custody,
	"POST /returnees/{id}/erase/approve":                 custody,
	"POST /returnees/{id}/erase/cancel":                  custody,
	"POST /returnees/{id}/stage":                         intake,
	"POST /returnees/{id}/assign":                        {Supervisor},
	"GET /returnees/{id}/access":                         outside,
	"POST /returnees/{id}/access":                        outside,
	"POST /returnees/{id}/access/reveal":                 outside,
	"GET /custody":                                       custody,
	"POST /custody/{id}/decide":                          custody,
	"GET /teams":                                         {Supervisor},
	"POST /teams":                                        {Supervisor},
	"POST /teams/{id}/members":                           {Supervisor},
	"POST /api/v1/returnees/{id}/stage":                  intake,
	"POST /api/v1/returnees/{id}/assign":                 {Supervisor},
	"POST /api/v1/returnees/{id}/access-requests":        outside,
	"POST /api/v1/returnees/{id}/access-requests/reveal": outside,
	"GET /api/v1/access-requests":                        custody,
	"POST /api/v1/access-requests/{id}/decide":           custody,
	"POST /api/v1/returnees/{id}/erasure":                custody,
	"POST /api/v1/returnees/{id}/erasure/approve":        custody,
	"GET /login":                                         anyone,
	"POST /login":                                        anyone,
	"GET /login/totp":                                    signedIn,
	"POST /login/totp":                                   signedIn,
	"GET /login/enrol":                                   signedIn,
	"GET /login/enrol/qr.png":                            signedIn,
	"POST /login/enrol":                                  signedIn,
	"GET /login/step-up":                                 signedIn,
	"POST /login/step-up":                                signedIn,
	"POST /logout":                                       signedIn,
	"GET /setup/{token}":                                 anyone,
	"POST /setup/{token}":                                anyone,
	"GET /admin/users":                                   {Admin},
	"GET /admin/users/new":                               {Admin},
	"POST /admin/users":                                  {Admin},
	"POST /admin/users/{id}/role":                        {Admin},
	"POST /admin/users/{id}/disable":                     {Admin},
	"POST /admin/users/{id}/reset-totp":                  {Admin},
	"GET /audit":                                         {Auditor},
	"GET /audit/checkpoint":                              {Auditor},
	"GET /api/v1/returnees":                              listers,
	"POST /api/v1/returnees":                             intake,
	"GET /api/v1/returnees/{id}":                         listers,
	"POST /api/v1/returnees/{id}/reveal":                 revealer,
	"GET /api/v1/health":                                 anyone,

	// The parts of a case: screening and agreements, consent, assessments and safety,
	// family. Communications officers and liaisons never reach the legal routes.
	"GET /api/v1/checkins/overdue":                                      careTeam,
	"GET /api/v1/returnees/{id}/agreements":                             legalReaders,
	"POST /api/v1/returnees/{id}/agreements":                            {LegalOfficer},
	"GET /api/v1/returnees/{id}/agreements/{aid}":                       legalReaders,
	"PUT /api/v1/returnees/{id}/agreements/{aid}":                       {LegalOfficer},
	"POST /api/v1/returnees/{id}/agreements/{aid}/breach":               {LegalOfficer},
	"POST /api/v1/returnees/{id}/agreements/{aid}/documents":            {LegalOfficer},
	"GET /api/v1/returnees/{id}/agreements/{aid}/documents/{did}":       legalReaders,
	"POST /api/v1/returnees/{id}/agreements/{aid}/revoke":               {LegalOfficer},
	"POST /api/v1/returnees/{id}/agreements/{aid}/sign":                 {LegalOfficer},
	"POST /api/v1/returnees/{id}/agreements/{aid}/transitions":          {LegalOfficer},
	"GET /api/v1/returnees/{id}/assessments":                            assessmentReaders,
	"POST /api/v1/returnees/{id}/assessments/readiness_to_speak":        careTeam,
	"POST /api/v1/returnees/{id}/assessments/reengagement_risk":         careTeam,
	"POST /api/v1/returnees/{id}/assessments/retaliation_threat":        safetyLeads,
	"GET /api/v1/returnees/{id}/assessments/{aid}":                      assessmentReaders,
	"POST /api/v1/returnees/{id}/assessments/{aid}/review":              safetyLeads,
	"GET /api/v1/returnees/{id}/checkins":                               careTeam,
	"POST /api/v1/returnees/{id}/checkins":                              careTeam,
	"GET /api/v1/returnees/{id}/cleared":                                caseReaders,
	"GET /api/v1/returnees/{id}/consent":                                caseReaders,
	"GET /api/v1/returnees/{id}/consent/allows":                         caseReaders,
	"GET /api/v1/returnees/{id}/consents":                               caseReaders,
	"POST /api/v1/returnees/{id}/consents":                              intake,
	"POST /api/v1/returnees/{id}/consents/withdraw":                     intake,
	"GET /api/v1/returnees/{id}/family/mentors":                         careTeam,
	"POST /api/v1/returnees/{id}/family/mentors":                        intake,
	"POST /api/v1/returnees/{id}/family/mentors/{mentor}/end":           intake,
	"POST /api/v1/returnees/{id}/family/mentors/{mentor}/reveal-name":   careTeam,
	"GET /api/v1/returnees/{id}/family/milestones":                      careTeam,
	"POST /api/v1/returnees/{id}/family/milestones":                     intake,
	"POST /api/v1/returnees/{id}/family/milestones/{milestone}":         intake,
	"GET /api/v1/returnees/{id}/family/relatives":                       familyReaders,
	"POST /api/v1/returnees/{id}/family/relatives":                      intake,
	"GET /api/v1/returnees/{id}/family/relatives/{rel}":                 careTeam,
	"POST /api/v1/returnees/{id}/family/relatives/{rel}":                intake,
	"POST /api/v1/returnees/{id}/family/relatives/{rel}/remove":         intake,
	"POST /api/v1/returnees/{id}/family/relatives/{rel}/reveal-contact": careTeam,
	"GET /api/v1/returnees/{id}/legal":                                  legalReaders,
	"GET /api/v1/returnees/{id}/legal/status":                           legalReaders,
	"POST /api/v1/returnees/{id}/referrals":                             {LegalOfficer},
	"GET /api/v1/returnees/{id}/safety-plan":                            careTeam,
	"POST /api/v1/returnees/{id}/safety-plan":                           safetyLeads,
	"GET /api/v1/returnees/{id}/screening":                              legalReaders,
	"POST /api/v1/returnees/{id}/screening":                             {LegalOfficer},
	"GET /api/v1/settings/risk-threshold":                               assessmentReaders,
	"PUT /api/v1/settings/risk-threshold":                               {Supervisor},
	"GET /returnees/{id}/assessments":                                   caseReaders,
	"GET /returnees/{id}/assessments/readiness_to_speak":                careTeam,
	"POST /returnees/{id}/assessments/readiness_to_speak":               careTeam,
	"GET /returnees/{id}/assessments/reengagement_risk":                 careTeam,
	"POST /returnees/{id}/assessments/reengagement_risk":                careTeam,
	"GET /returnees/{id}/assessments/retaliation_threat":                safetyLeads,
	"POST /returnees/{id}/assessments/retaliation_threat":               safetyLeads,
	"GET /returnees/{id}/assessments/{aid}":                             assessmentReaders,
	"POST /returnees/{id}/assessments/{aid}/review":                     safetyLeads,
	"GET /returnees/{id}/consent":                                       caseReaders,
	"GET /returnees/{id}/consent/allows":                                caseReaders,
	"POST /returnees/{id}/consents":                                     intake,
	"POST /returnees/{id}/consents/withdraw":                            intake,
	"GET /returnees/{id}/family":                                        familyReaders,
	"POST /returnees/{id}/family/mentors":                               intake,
	"GET /returnees/{id}/family/mentors/new":                            intake,
	"POST /returnees/{id}/family/mentors/{mentor}/end":                  intake,
	"POST /returnees/{id}/family/mentors/{mentor}/reveal-name":          careTeam,
	"POST /returnees/{id}/family/milestones":                            intake,
	"GET /returnees/{id}/family/milestones/new":                         intake,
	"GET /returnees/{id}/family/milestones/{milestone}":                 intake,
	"POST /returnees/{id}/family/milestones/{milestone}":                intake,
	"POST /returnees/{id}/family/relatives":                             intake,
	"GET /returnees/{id}/family/relatives/new":                          intake,
	"GET /returnees/{id}/family/relatives/{rel}":                        intake,
	"POST /returnees/{id}/family/relatives/{rel}":                       intake,
	"POST /returnees/{id}/family/relatives/{rel}/remove":                intake,
	"POST /returnees/{id}/family/relatives/{rel}/reveal-contact":        careTeam,
	"GET /returnees/{id}/legal":                                         legalReaders,
	"POST /returnees/{id}/legal/agreements":                             {LegalOfficer},
	"POST /returnees/{id}/legal/agreements/{aid}":                       {LegalOfficer},
	"POST /returnees/{id}/legal/agreements/{aid}/breach":                {LegalOfficer},
	"POST /returnees/{id}/legal/agreements/{aid}/documents":             {LegalOfficer},
	"GET /returnees/{id}/legal/agreements/{aid}/documents/{did}":        legalReaders,
	"POST /returnees/{id}/legal/agreements/{aid}/revoke":                {LegalOfficer},
	"POST /returnees/{id}/legal/agreements/{aid}/sign":                  {LegalOfficer},
	"POST /returnees/{id}/legal/agreements/{aid}/transitions":           {LegalOfficer},
	"POST /returnees/{id}/legal/referrals":                              {LegalOfficer},
	"POST /returnees/{id}/legal/screening":                              {LegalOfficer},
	"GET /returnees/{id}/safety":                                        careTeam,
	"POST /returnees/{id}/safety/checkins":                              careTeam,
	"GET /returnees/{id}/safety/plan":                                   safetyLeads,
	"POST /returnees/{id}/safety/plan":                                  safetyLeads,
	"POST /settings/risk-threshold":                                     {Supervisor},

	// Communities: everyone who works with communities reads them; liaisons and
	// supervisors keep them, their chain of command and partners.
	"GET /api/v1/communities":                               communityReaders,
	"POST /api/v1/communities":                              communityWriters,
	"GET /api/v1/communities/{id}":                          communityReaders,
	"POST /api/v1/communities/{id}":                         communityWriters,
	"GET /api/v1/communities/{id}/chain":                    communityReaders,
	"POST /api/v1/communities/{id}/chain":                   communityWriters,
	"POST /api/v1/communities/{id}/chain/order":             communityWriters,
	"POST /api/v1/communities/{id}/chain/{aid}/remove":      communityWriters,
	"POST /api/v1/communities/{id}/contacts/{cid}/remove":   communityWriters,
	"POST /api/v1/communities/{id}/contacts/{cid}/reveal":   communityWriters,
	"GET /api/v1/communities/{id}/figures":                  communityReaders,
	"POST /api/v1/communities/{id}/figures":                 communityWriters,
	"GET /api/v1/communities/{id}/partners":                 communityReaders,
	"POST /api/v1/communities/{id}/partners":                communityWriters,
	"POST /api/v1/communities/{id}/partners/{pid}/contacts": communityWriters,
	"POST /api/v1/communities/{id}/partners/{pid}/remove":   communityWriters,
	"GET /engagements":                                      engagementReaders,
	"GET /engagements/new":                                  engagementWriters,
	"POST /engagements":                                     engagementWriters,
	"GET /engagements/assistant":                            engagementWriters,
	"POST /engagements/assistant":                           engagementWriters,
	"GET /engagements/settings":                             {Supervisor, Admin},
	"POST /engagements/settings":                            {Supervisor, Admin},
	"GET /engagements/{id}":                                 engagementReaders,
	"GET /engagements/{id}/edit":                            engagementWriters,
	"POST /engagements/{id}":                                engagementWriters,
	"POST /engagements/{id}/speakers":                       engagementWriters,
	"POST /engagements/{id}/speakers/{rid}/remove":          engagementWriters,
	"POST /engagements/{id}/decisions":                      engagementWriters,
	"POST /engagements/{id}/approve":                        engagementWriters,
	"POST /engagements/{id}/schedule":                       engagementWriters,
	"POST /engagements/{id}/held":                           engagementWriters,
	"POST /engagements/{id}/cancel":                         engagementWriters,
	"POST /engagements/{id}/debrief":                        engagementWriters,
	"POST /engagements/{id}/security-plan":                  safetyLeads,
	"POST /engagements/{id}/safety-review":                  safetyLeads,
	"POST /engagements/{id}/sealed":                         venueCleared,
	"POST /engagements/{id}/media":                          mediaPreparers,
	"POST /engagements/{id}/vetting":                        journalistVetters,
	"POST /engagements/{id}/coverage":                       mediaPreparers,
	"GET /calendar":                                         engagementReaders,
	"POST /calendar/feeds":                                  engagementReaders,
	"POST /calendar/feeds/{fid}/revoke":                     engagementReaders,
	"GET /calendar/feed/{token}":                            anyone,
	"GET /channels":                                         engagementReaders,
	"POST /channels":                                        {CommunityLiaison, CommsOfficer, Supervisor},
	"POST /channels/{cid}":                                  {CommunityLiaison, CommsOfficer, Supervisor},
	"GET /api/v1/engagements":                               engagementReaders,
	"POST /api/v1/engagements":                              engagementWriters,
	"GET /api/v1/engagements/assistant":                     engagementWriters,
	"GET /api/v1/engagements/{id}":                          engagementReaders,
	"POST /api/v1/engagements/{id}":                         engagementWriters,
	"GET /api/v1/engagements/{id}/readiness":                engagementReaders,
	"GET /api/v1/engagements/{id}/approvals":                engagementReaders,
	"POST /api/v1/engagements/{id}/approvals":               engagementWriters,
	"POST /api/v1/engagements/{id}/speakers":                engagementWriters,
	"POST /api/v1/engagements/{id}/speakers/{rid}/remove":   engagementWriters,
	"POST /api/v1/engagements/{id}/schedule":                engagementWriters,
	"POST /api/v1/engagements/{id}/held":                    engagementWriters,
	"POST /api/v1/engagements/{id}/cancel":                  engagementWriters,
	"POST /api/v1/engagements/{id}/debrief":                 engagementWriters,
	"POST /api/v1/engagements/{id}/security-plan":           safetyLeads,
	"POST /api/v1/engagements/{id}/media":                   mediaPreparers,
	"POST /api/v1/engagements/{id}/vetting":                 journalistVetters,
	"POST /api/v1/engagements/{id}/coverage":                mediaPreparers,
	"GET /s/{code}":                                         anyone,
	"POST /s/{code}":                                        anyone,
	"GET /s/{code}/thanks":                                  anyone,
	"GET /engagements/{id}/survey":                          {CommunityLiaison, Supervisor, Evaluator},
	"GET /api/v1/engagements/{id}/survey":                   {CommunityLiaison, Supervisor, Evaluator},
	"POST /engagements/{id}/survey/link":                    engagementWriters,
	"GET /engagements/{id}/survey/print":                    engagementWriters,
	"GET /engagements/{id}/survey/qr.png":                   engagementWriters,
	"POST /engagements/{id}/survey/close":                   engagementWriters,
	"GET /testimonies":                                      testimonyReaders,
	"POST /testimonies":                                     testimonyWriters,
	"GET /testimonies/{id}":                                 testimonyReaders,
	"POST /testimonies/{id}/transcripts":                    testimonyWriters,
	"GET /testimonies/{id}/export":                          testimonyReaders,
	"POST /testimonies/{id}/flags/{fid}":                    testimonyWriters,
	"POST /testimonies/{id}/themes":                         testimonyWriters,
	"POST /testimonies/{id}/clips":                          testimonyWriters,
	"POST /testimonies/{id}/uploads":                        testimonyWriters,
	"PUT /testimonies/{id}/uploads/{uid}":                   testimonyWriters,
	"HEAD /testimonies/{id}/uploads/{uid}":                  testimonyWriters,
	"DELETE /testimonies/{id}/uploads/{uid}":                testimonyWriters,
	"GET /testimonies/{id}/recordings/{rid}":                {CommsOfficer, SafetyOfficer, Supervisor},
	"POST /testimonies/{id}/renditions":                     testimonyWriters,
	"POST /testimonies/{id}/renditions/{rid}/reviews":       {LegalOfficer, SafetyOfficer, CommsOfficer, Supervisor},
	"POST /testimonies/{id}/renditions/{rid}/release":       testimonyWriters,
	"POST /testimonies/{id}/renditions/{rid}/publications":  testimonyWriters,
	"GET /takedowns":                                        testimonyWriters,
	"POST /takedowns/{tid}/done":                            testimonyWriters,
	"GET /api/v1/testimonies":                               testimonyReaders,
	"POST /api/v1/testimonies":                              testimonyWriters,
	"GET /api/v1/testimonies/{id}":                          testimonyReaders,
	"POST /api/v1/testimonies/{id}/transcripts/{lang}":      testimonyWriters,
	"GET /api/v1/testimonies/{id}/transcripts/{lang}":       testimonyReaders,
	"GET /api/v1/testimonies/{id}/flags":                    testimonyReaders,
	"POST /api/v1/testimonies/{id}/flags/{fid}":             testimonyWriters,
	"POST /api/v1/testimonies/{id}/clips":                   testimonyWriters,
	"GET /reach":                                            reachReaders,
	"POST /reach/cells":                                     reachWriters,
	"POST /reach/cells/{cid}/remove":                        reachWriters,
	"POST /reach/links":                                     reachWriters,
	"POST /reach/links/remove":                              reachWriters,
	"POST /reach/pickups":                                   reachWriters,
	"POST /reach/pickups/remove":                            reachWriters,
	"POST /reach/options":                                   reachWriters,
	"POST /reach/options/{oid}/remove":                      reachWriters,
	"POST /reach/import/{kind}":                             reachWriters,
	"GET /reach/plans":                                      reachReaders,
	"POST /reach/plans":                                     reachWriters,
	"GET /reach/plans/{id}":                                 reachReaders,
	"POST /reach/plans/{id}/accept":                         engagementWriters,
	"GET /api/v1/reach/model":                               reachReaders,
	"POST /api/v1/reach/import/{kind}":                      reachWriters,
	"POST /api/v1/reach/plans":                              reachWriters,
	"GET /api/v1/reach/plans/{id}":                          reachReaders,
	"POST /api/v1/reach/plans/{id}/accept":                  engagementWriters,
	"GET /api/v1/channels":                                  engagementReaders,
	"POST /api/v1/channels":                                 {CommunityLiaison, CommsOfficer, Supervisor},
	"POST /api/v1/channels/{cid}":                           {CommunityLiaison, CommsOfficer, Supervisor},
	"GET /communities":                                      communityReaders,
	"POST /communities":                                     communityWriters,
	"GET /communities/new":                                  communityWriters,
	"GET /communities/{id}":                                 communityReaders,
	"POST /communities/{id}":                                communityWriters,
	"POST /communities/{id}/authorities":                    communityWriters,
	"POST /communities/{id}/authorities/{aid}/move":         communityWriters,
	"POST /communities/{id}/authorities/{aid}/remove":       communityWriters,
	"POST /communities/{id}/contacts/{cid}/remove":          communityWriters,
	"POST /communities/{id}/contacts/{cid}/reveal":          communityWriters,
	"GET /communities/{id}/edit":                            communityWriters,
	"POST /communities/{id}/figures":                        communityWriters,
	"POST /communities/{id}/partners":                       communityWriters,
	"POST /communities/{id}/partners/{pid}/contacts":        communityWriters,
	"POST /communities/{id}/partners/{pid}/remove":          communityWriters,
}

// bodies are what each state-changing route is sent: enough to get past input
// checks to the object lookup, so the other-tenant case really tests isolation.
var bodies = map[string]string{
	"POST /returnees/{id}/reveal":                        form("reason", "authorization matrix check"),
	"POST /api/v1/returnees/{id}/reveal":                 `{"reason":"authorization matrix check"}`,
	"POST /admin/users/{id}/role":                        form("role", "case_worker"),
	"POST /api/v1/returnees":                             `{}`,
	"POST /login/step-up":                                form("password", fixturePassword, "next", "/"),
	"POST /returnees/{id}/access/reveal":                 form("reason", "authorization matrix check"),
	"POST /returnees/{id}/access":                        form("reason", "authorization matrix check"),
	"POST /custody/{id}/decide":                          form("decision", "refuse"),
	"POST /returnees/{id}/stage":                         form("to", "approached", "reason", "matrix check"),
	"POST /returnees/{id}/assign":                        form("team", ""),
	"POST /api/v1/returnees/{id}/access-requests/reveal": `{"reason":"authorization matrix check"}`,
	"POST /api/v1/returnees/{id}/access-requests":        `{"reason":"authorization matrix check"}`,
	"POST /api/v1/access-requests/{id}/decide":           `{"approve":false}`,
	"POST /api/v1/returnees/{id}/stage":                  `{"to":"declined","reason":"matrix check"}`,
	"POST /api/v1/returnees/{id}/assign":                 `{}`,
	"POST /api/v1/returnees/{id}/erasure":                `{"confirm_alias":"not the alias"}`,
}

func TestAuthorizationMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		routes := f.app.Site.Routes()
		seen := map[string]bool{}
		for _, rt := range routes {
			seen[rt.Pattern] = true
			if _, ok := expected[rt.Pattern]; !ok {
				t.Errorf("route %q (permission %s) has no entry in the authorization matrix: add it to expected", rt.Pattern, rt.Perm.Name)
			}
		}
		for p := range expected {
			if !seen[p] {
				t.Errorf("matrix entry %q matches no registered route", p)
			}
		}
		// Credentials first (creating them is a change), then GETs, checking they
		// change nothing; then the state-changing methods.
		for _, r := range Roles {
			f.session("A", r)
			f.token("A", r)
		}
		before := snapshot(t, db)
		for _, rt := range routes {
			if strings.HasPrefix(rt.Pattern, "GET ") {
				checkRoute(t, f, rt.Pattern)
			}
		}
		if after := snapshot(t, db); after != before {
			t.Errorf("GET requests changed stored state:\nbefore %s\nafter  %s", before, after)
		}
		for _, rt := range routes {
			if !strings.HasPrefix(rt.Pattern, "GET ") {
				checkRoute(t, f, rt.Pattern)
			}
		}
	})
}

// checkRoute sends pattern as anonymous and as every role of tenant A, on tenant
// A's object and on tenant B's.
func checkRoute(t *testing.T, f *fixture, pattern string) {
	t.Helper()
	method, path, _ := strings.Cut(pattern, " ")
	path = strings.TrimSuffix(path, "{$}")
	allowed := expected[pattern]
	public := slices.Equal(allowed, anyone)
	objects := map[string]string{"own": objectID(f, path, "A"), "other": objectID(f, path, "B")}
	body := bodies[pattern]

	// Anonymous.
	res := f.do(method, strings.ReplaceAll(path, "{id}", objects["own"]), body, "", "", nil)
	if !public {
		if res.status != http.StatusUnauthorized && !(res.status == http.StatusSeeOther && strings.HasPrefix(res.header.Get("Location"), "/login")) {
			t.Errorf("%s anonymous: status %d, want 401 or a redirect to /login", pattern, res.status)
		}
	}
	noLeak(t, pattern+" anonymous", res, f, false)

	for _, role := range Roles {
		ok := public || slices.Contains(allowed, role)
		for which, obj := range objects {
			if which == "other" && !strings.Contains(path, "{id}") {
				continue
			}
			p := strings.ReplaceAll(path, "{id}", obj)
			res := f.do(method, p, body, "A", role, nil)
			name := fmt.Sprintf("%s as %s (%s object)", pattern, role, which)
			switch {
			case !ok:
				if res.status != http.StatusForbidden {
					t.Errorf("%s: status %d, want 403", name, res.status)
				}
				noLeak(t, name, res, f, false)
			case which == "other":
				if res.status != http.StatusNotFound {
					t.Errorf("%s: status %d, want 404 for another tenant's object", name, res.status)
				}
				noLeak(t, name, res, f, false)
			default:
				if res.status == http.StatusForbidden || (!public && res.status == http.StatusUnauthorized) {
					t.Errorf("%s: status %d, want the route to let this role in", name, res.status)
				}
				// Routes that reveal a returnee's identity must show it to those allowed.
				revealing := strings.HasSuffix(pattern, "/reveal") && strings.Contains(pattern, "/returnees/")
				noLeak(t, name, res, f, revealing)
				if revealing && !strings.Contains(res.body, "CANARY-NAME-A") {
					t.Errorf("%s: reveal did not show the identity (status %d)", name, res.status)
				}
			}
			if pattern == "POST /logout" || pattern == "POST /login/step-up" {
				delete(f.sessions, "A/"+string(role)) // that session id is over (ended or rotated)
			}
		}
	}
}

// objectID picks the object a route's {id} names in tenant k.
func objectID(f *fixture, path, k string) string {
	switch {
	case strings.Contains(path, "/returnees/"):
		return f.returnee[k].ID
	case strings.Contains(path, "/admin/users/"):
		return f.victim[k].ID
	case strings.Contains(path, "/testimonies/{id}"):
		return f.testimony[k].ID
	case strings.Contains(path, "/reach/plans/{id}"):
		return f.plan[k].ID
	case strings.Contains(path, "/engagements/{id}"):
		return f.engagement[k].ID
	case strings.Contains(path, "/communities/"):
		return f.community[k].ID
	case strings.Contains(path, "/teams/"):
		return f.team[k].ID
	case strings.Contains(path, "/custody/"), strings.Contains(path, "/access-requests/{id}"):
		return f.pending[k].ID
	case strings.Contains(path, "/setup/"):
		return "not-a-valid-setup-link"
	}
	return ""
}

// noLeak checks a response shows no identity canary (unless it is an allowed reveal
// of tenant A's own returnee) and nothing at all of tenant B.
func noLeak(t *testing.T, name string, res response, f *fixture, ownRevealAllowed bool) {
	t.Helper()
	for _, c := range []string{"CANARY-NAME-B", "CANARY-ADDRESS-B", f.returnee["B"].Alias} {
		if strings.Contains(res.body, c) {
			t.Errorf("%s: response contains tenant B's %q", name, c)
		}
	}
	if !ownRevealAllowed {
		// The phone as typed and as stored (normalised): never a bare "7946", which a
		// random id or nonce on the page may hold by chance.
		for _, c := range []string{"CANARY-NAME-A", "CANARY-ADDRESS-A", "7946 0000", "+442079460000"} {
			if strings.Contains(res.body, c) {
				t.Errorf("%s: response contains identity data %q", name, c)
			}
		}
	}
}

// snapshot summarises the stored records a GET must never change. The audit log and
// sessions are excluded: reads are audited and signing in is not a record change.
func snapshot(t *testing.T, db *store.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT COUNT(*) FROM tenants", "SELECT COUNT(*) FROM users", "SELECT COUNT(*) FROM returnees",
		"SELECT COUNT(*) FROM data_keys", "SELECT COUNT(*) FROM identity_reveals", "SELECT COUNT(*) FROM api_tokens",
		"SELECT COUNT(*) FROM users WHERE disabled = " + boolLit(db, true), "SELECT COUNT(*) FROM returnees WHERE erased_at IS NOT NULL",
	} {
		var n int
		if err := db.Reader().QueryRow(context.Background(), q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d ", n)
	}
	return b.String()
}

func boolLit(db *store.DB, v bool) string {
	if db.Dialect() == store.Postgres {
		return fmt.Sprint(v)
	}
	if v {
		return "1"
	}
	return "0"
}
