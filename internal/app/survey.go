package app

import (
	"context"
	"net/http"
	"time"

	"inoculate/internal/engagements"
	"inoculate/internal/engagements/survey"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/web"
)

// Who runs a forum's survey, and who reads its results: liaisons and supervisors
// print the QR code and close the survey; evaluators read the aggregates only.
var (
	permSurveyPrint   = authz.Allow("survey.print", authz.CommunityLiaison, authz.Supervisor)
	permSurveyResults = authz.Allow("survey.results", authz.CommunityLiaison, authz.Supervisor, authz.Evaluator)
)

// surveyForums gives the survey what it needs of engagements.
type surveyForums struct{ e *engagements.Service }

func (f surveyForums) Forum(ctx context.Context, tenantID, id string) (survey.Forum, error) {
	e, err := f.e.Get(ctx, tenantID, id)
	if err != nil {
		return survey.Forum{}, err
	}
	return survey.Forum{ID: e.ID, Title: e.Title, StartsAt: e.StartsAt, TimeZone: e.TimeZone, Language: e.Language,
		Kind: string(e.Kind), Status: string(e.Status)}, nil
}

func (f surveyForums) HelpLine(ctx context.Context, tenantID string) (string, error) {
	return f.e.HelpLine(ctx, tenantID)
}

// surveyPanel is what the engagement page shows of the forum's survey.
func (a *App) surveyPanel(r *http.Request, e engagements.Engagement) (*engagements.SurveyPanel, error) {
	p := web.Principal(r)
	canPrint := authz.Check(permSurveyPrint, p, time.Now()) == authz.Allowed
	canResults := authz.Check(permSurveyResults, p, time.Now()) == authz.Allowed
	if !canPrint && !canResults {
		return nil, nil
	}
	link, ok, err := a.Survey.FindLink(r.Context(), e.TenantID, e.ID)
	if err != nil {
		return nil, err
	}
	base := "/engagements/" + e.ID + "/survey"
	panel := &engagements.SurveyPanel{}
	if canResults {
		panel.ResultsHref = base
	}
	if !ok {
		if canPrint && e.Status != engagements.StatusCancelled {
			panel.CreateAction = base + "/link"
		}
		return panel, nil
	}
	if panel.Responses, err = a.Survey.Responses(r.Context(), e.TenantID, e.ID); err != nil {
		return nil, err
	}
	panel.URL = link.URL(web.Origin(r))
	if canPrint {
		panel.PrintHref = base + "/print"
	}
	return panel, nil
}
