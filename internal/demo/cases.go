package demo

import (
	"context"
	"fmt"
	"time"

	"inoculate/internal/communities"
	"inoculate/internal/engagements"
	"inoculate/internal/platform/authz"
	"inoculate/internal/reach/model"
	"inoculate/internal/returnees"
	"inoculate/internal/returnees/assessment"
	"inoculate/internal/returnees/consent"
	"inoculate/internal/returnees/family"
	"inoculate/internal/returnees/legal"
	"inoculate/internal/testimonies"
)

// Parts are the services of a case's parts, so the demo can show a case worked
// through: screened, under an agreement, consenting, assessed, with family in view.
type Parts struct {
	Legal       *legal.Service
	Consent     *consent.Service
	Assess      *assessment.Service
	Family      *family.Service
	Communities *communities.Service
	Engagements *engagements.Service
	Reach       *model.Service
	Testimonies *testimonies.Service
}

// minimalPDF is a stand-in signed agreement: a PDF by its magic bytes, nothing more.
var minimalPDF = []byte("%PDF-1.4\n% fictional demo agreement\n%%EOF\n")

// workCase takes the first demo person all the way to "cleared to speak": screened
// with no capital crime, an agreement signed by two legal officers and in force,
// consent given, reviewed assessments, a safety plan, relatives, a mentor and a
// milestone. Every step goes through the same services as the pages.
func workCase(ctx context.Context, r *returnees.Service, parts Parts, by map[string]*authz.Principal, id string) error {
	step := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("demo case: %s: %w", what, err)
		}
		return nil
	}
	cw, sup, lo, lo2, so := by["case_worker"], by["supervisor"], by["legal_officer"], by["legal_officer_b"], by["safety_officer"]
	for _, to := range []returnees.Stage{returnees.StageApproached, returnees.StageInConversation, returnees.StageEnrolled} {
		if err := step("pipeline", r.MoveStage(ctx, cw, "demo", id, to, "", "Fictional demo step: met with the family present.")); err != nil {
			return err
		}
	}
	c, err := r.Open(ctx, sup, id)
	if err != nil {
		return step("open", err)
	}
	if _, _, err := parts.Legal.RecordScreening(ctx, lo, "demo", c, legal.ScreeningInput{CapitalCrime: legal.FindingNo,
		Offences:      []legal.Offence{{Description: "Membership of a proscribed organisation (fictional)"}},
		EvidenceNotes: "Fictional demo notes: own account, corroborated by two witnesses."}); err != nil {
		return step("screening", err)
	}
	year := time.Now().UTC().AddDate(1, 0, 0).Format(time.DateOnly)
	today := time.Now().UTC().Format(time.DateOnly)
	ag, err := parts.Legal.CreateAgreement(ctx, lo, "demo", c, legal.AgreementInput{Kind: legal.KindImmunity,
		Terms: "Fictional demo terms: immunity from prosecution for membership, in exchange for taking part in the campaign.",
		Obligations: []legal.Obligation{
			{Kind: legal.ObligationForums, Count: 4, From: today, Until: year},
			{Kind: legal.ObligationInterviews, Count: 2, From: today, Until: year},
		}})
	if err != nil {
		return step("agreement", err)
	}
	if _, err := parts.Legal.Transition(ctx, lo, "demo", c, ag.ID, legal.StatusUnderReview, "Ready for review (demo)."); err != nil {
		return step("review", err)
	}
	for _, p := range []*authz.Principal{lo, lo2} {
		if _, err := parts.Legal.Sign(ctx, p, "demo", c, ag.ID); err != nil {
			return step("sign", err)
		}
	}
	if _, err := parts.Legal.UploadDocument(ctx, lo, "demo", c, ag.ID, minimalPDF); err != nil {
		return step("document", err)
	}
	if _, err := parts.Legal.Transition(ctx, lo, "demo", c, ag.ID, legal.StatusActive, "Signed copy filed (demo)."); err != nil {
		return step("activate", err)
	}
	if _, err := parts.Consent.Give(ctx, cw, "demo", id, consent.NewConsent{
		Uses:          []consent.Use{consent.UsePublicForum, consent.UseMediaInterview, consent.UseRecordedTestimony},
		IdentityLevel: consent.LevelAliasProtected, Audiences: []consent.Audience{consent.AudienceNational},
		Languages: []string{"ar", "en"}, Expires: year, AdvisorPresent: true, StatementAcknowledged: true}); err != nil {
		return step("consent", err)
	}
	ready := assessment.Scores{}
	for _, it := range assessment.InstrumentFor(assessment.KindReadiness).Items {
		ready[it.Key] = 3
	}
	risk := assessment.Scores{}
	for _, it := range assessment.InstrumentFor(assessment.KindRisk).Items {
		if it.Protective {
			risk[it.Key] = 3
		} else {
			risk[it.Key] = 0
		}
	}
	threat := assessment.Scores{}
	for _, it := range assessment.InstrumentFor(assessment.KindThreat).Items {
		threat[it.Key] = 0
	}
	for _, a := range []struct {
		by *authz.Principal
		in assessment.NewAssessment
	}{
		{cw, assessment.NewAssessment{Kind: assessment.KindReadiness, Scores: ready, Notes: "Fictional: calm, clear account."}},
		{cw, assessment.NewAssessment{Kind: assessment.KindRisk, Scores: risk, Notes: "Fictional: strong family support."}},
		{so, assessment.NewAssessment{Kind: assessment.KindThreat, Scores: threat, Level: assessment.LevelLow, Notes: "Fictional: no known threats."}},
	} {
		made, err := parts.Assess.CreateAssessment(ctx, a.by, "demo", c, a.in)
		if err != nil {
			return step("assessment "+string(a.in.Kind), err)
		}
		if _, err := parts.Assess.ReviewAssessment(ctx, sup, "demo", c, made.ID, assessment.Review{Decision: assessment.DecisionSignedOff}); err != nil {
			return step("review "+string(a.in.Kind), err)
		}
	}
	if _, err := parts.Assess.SaveSafetyPlan(ctx, so, "demo", c, assessment.NewSafetyPlan{Measures: "Fictional: vary routes, a trusted contact at every forum.",
		Contacts: []assessment.Contact{{Name: "Fictional Contact", Phone: "+00 555 0199"}}, CheckInEveryDays: 14}); err != nil {
		return step("safety plan", err)
	}
	if _, err := parts.Assess.RecordCheckIn(ctx, cw, "demo", c, assessment.NewCheckIn{Wellbeing: 4, Concerns: "Fictional: tired after travel."}); err != nil {
		return step("check-in", err)
	}
	for _, rel := range []family.RelativeInput{
		{Relation: "parent", Stance: "supportive", Community: "Harbour Town", Details: family.Details{Name: "Fictional Mother (demo)"}},
		{Relation: "uncle_aunt", Stance: "hostile", Community: "Hill Village", Details: family.Details{Name: "Fictional Uncle (demo)", Contact: "+00 555 0142"}},
	} {
		if _, err := parts.Family.AddRelative(ctx, cw, "demo", c, rel); err != nil {
			return step("relative", err)
		}
	}
	if _, err := parts.Family.AssignMentor(ctx, cw, "demo", c, family.MentorInput{UserID: sup.UserID, Reason: "Fictional: experienced with first forums."}); err != nil {
		return step("mentor", err)
	}
	if _, err := parts.Family.AddMilestone(ctx, cw, "demo", c, family.MilestoneInput{Kind: "work", TargetOn: year, Status: "in_progress", Note: "Fictional: apprenticeship."}); err != nil {
		return step("milestone", err)
	}
	return nil
}

// contrastCases give the list something to compare: a person whose screening is
// still undetermined, and one who consented and then withdrew.
func contrastCases(ctx context.Context, r *returnees.Service, parts Parts, by map[string]*authz.Principal, undetermined, withdrew string) error {
	c, err := r.Open(ctx, by["supervisor"], undetermined)
	if err != nil {
		return fmt.Errorf("demo case: %w", err)
	}
	if _, _, err := parts.Legal.RecordScreening(ctx, by["legal_officer"], "demo", c, legal.ScreeningInput{CapitalCrime: legal.FindingUndetermined,
		Offences: []legal.Offence{{Description: "Alleged presence at an execution (fictional; under investigation)"}}}); err != nil {
		return fmt.Errorf("demo case: screening: %w", err)
	}
	if err := r.MoveStage(ctx, by["case_worker"], "demo", undetermined, returnees.StageApproached, "", "Fictional: first visit."); err != nil {
		return fmt.Errorf("demo case: %w", err)
	}
	year := time.Now().UTC().AddDate(0, 6, 0).Format(time.DateOnly)
	if _, err := parts.Consent.Give(ctx, by["case_worker"], "demo", withdrew, consent.NewConsent{
		Uses: []consent.Use{consent.UsePublicForum}, IdentityLevel: consent.LevelTextOnly, Audiences: []consent.Audience{consent.AudienceOwnCommunity},
		Languages: []string{"ar"}, Expires: year, InCustody: true, StatementAcknowledged: true}); err != nil {
		return fmt.Errorf("demo case: consent: %w", err)
	}
	if _, err := parts.Consent.Withdraw(ctx, by["case_worker"], "demo", withdrew, "Fictional: changed their mind after talking to family."); err != nil {
		return fmt.Errorf("demo case: withdraw: %w", err)
	}
	return nil
}

// loadCommunity records a fictional community with its chain of command (three
// authorities, consulted in order), a partner mosque with a contact, and figures.
func loadCommunity(ctx context.Context, parts Parts, liaison *authz.Principal) error {
	c, err := parts.Communities.Create(ctx, liaison, "demo", communities.NewCommunity{Name: "Harbour Town (fictional)", Kind: communities.KindPlace,
		Region: "Coastal district (fictional)", Languages: []string{"ar", "en"},
		Brief: "## What drives behaviour here\n\nA **fictional** port town. Families are close; elders are consulted before anything public.\n\n- Speak with the elders first\n- Avoid Friday afternoons"})
	if err != nil {
		return fmt.Errorf("demo community: %w", err)
	}
	for _, a := range []communities.NewAuthority{
		{Kind: communities.AuthorityElder, DisplayName: "Council of elders (fictional)"},
		{Kind: communities.AuthorityImam, DisplayName: "Imam of the harbour mosque (fictional)"},
		{Kind: communities.AuthorityFamilyHead, DisplayName: "Head of the largest family (fictional)"},
	} {
		if _, err := parts.Communities.AddAuthority(ctx, liaison, "demo", c.ID, a); err != nil {
			return fmt.Errorf("demo authority: %w", err)
		}
	}
	pt, err := parts.Communities.AddPartner(ctx, liaison, "demo", c.ID, communities.NewPartner{Kind: "mosque", Name: "Harbour mosque (fictional)"})
	if err != nil {
		return fmt.Errorf("demo partner: %w", err)
	}
	if _, err := parts.Communities.AddContact(ctx, liaison, "demo", c.ID, pt.ID, communities.ContactDetails{Name: "Fictional Contact", Phone: "+00 555 0177"}); err != nil {
		return fmt.Errorf("demo contact: %w", err)
	}
	for _, f := range []communities.NewFigure{
		{Kind: communities.FigurePopulation, Value: 42000, Source: "Fictional census", Year: 2024},
		{Kind: communities.FigureYouthShare, Value: 31, Source: "Fictional census", Year: 2024},
	} {
		if _, err := parts.Communities.AddFigure(ctx, liaison, "demo", c.ID, f); err != nil {
			return fmt.Errorf("demo figure: %w", err)
		}
	}
	return nil
}
