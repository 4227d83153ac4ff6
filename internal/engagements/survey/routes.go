package survey

import (
	"context"
	"embed"
	"errors"
	"net/http"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/ratelimit"
	"inoculate/internal/platform/web"
)

//go:embed templates/*.html
var templates embed.FS

// Forum is what the survey pages need to know of an engagement.
type Forum struct {
	ID       string
	Title    string // the working title, safe for every reader; printed on the poster, never on the public page
	StartsAt time.Time
	TimeZone string // IANA name the engagement is planned in
	Language string // BCP 47 tag; the public page opens in it when it is supported
	Kind     string
	Status   string // a cancelled engagement's survey takes no answers
}

// Engagements is what the engagements capability provides to the survey.
type Engagements interface {
	// Forum returns the engagement id of tenantID; another tenant's is NotFound.
	Forum(ctx context.Context, tenantID, id string) (Forum, error)
	// HelpLine is the tenant's help line for the thank-you page ("" for the default).
	HelpLine(ctx context.Context, tenantID string) (string, error)
}

// PermAnswer opens the public survey pages to everyone.
var PermAnswer = authz.Public("survey.answer")

// Defaults of the per-address limits.
const (
	DefaultViewsPerMinute   = 60
	DefaultAnswersPerMinute = 20
)

// Deps is what Register needs from the wiring.
type Deps struct {
	Engagements Engagements
	// PermPrint guards creating the link, the poster, the QR code and closing the
	// survey; PermResults guards the aggregated results (page and API).
	PermPrint, PermResults authz.Permission
	// PermEngagement is the permission of the engagement page /engagements/{id}:
	// the results page links back to it only for those who hold it (an evaluator
	// may read results without reading engagements). Zero: the link always shows.
	PermEngagement authz.Permission
	// BaseURL returns the public origin links and QR codes point to, without a
	// trailing slash ("https://inoculate.example.org"). Nil: https:// and the
	// request's Host.
	BaseURL func(r *http.Request) string
	// ViewsPerMinute and AnswersPerMinute limit the public pages per client address
	// (in memory, keyed hashes only): page views, and submitted answers. A forum
	// hall on one Wi-Fi or a phone carrier's NAT shares one address, so keep them
	// loose; the per-link cap (Config.PerLinkPerHour) bounds a flood. 0: defaults.
	ViewsPerMinute, AnswersPerMinute int
}

type handlers struct {
	site    *web.Site
	svc     *Service
	deps    Deps
	views   *ratelimit.Limiter
	answers *ratelimit.Limiter
}

// Register adds the survey templates and routes to site:
//
//	GET  /s/{code}                            PermAnswer: the survey form
//	POST /s/{code}                            PermAnswer: submit, 303 to …/thanks
//	GET  /s/{code}/thanks                     PermAnswer: thank you and the help line
//	GET  /engagements/{id}/survey             deps.PermResults: results, link and actions
//	POST /engagements/{id}/survey/link        deps.PermPrint: create the link
//	GET  /engagements/{id}/survey/print       deps.PermPrint: printable poster
//	GET  /engagements/{id}/survey/qr.png      deps.PermPrint: the QR code
//	POST /engagements/{id}/survey/close       deps.PermPrint: stop taking answers
//	GET  /api/v1/engagements/{id}/survey      deps.PermResults: results as JSON
func Register(site *web.Site, svc *Service, deps Deps) error {
	if deps.Engagements == nil || deps.PermPrint.Name == "" || deps.PermResults.Name == "" {
		return errors.New("survey: Register needs Engagements, PermPrint and PermResults")
	}
	if deps.ViewsPerMinute <= 0 {
		deps.ViewsPerMinute = DefaultViewsPerMinute
	}
	if deps.AnswersPerMinute <= 0 {
		deps.AnswersPerMinute = DefaultAnswersPerMinute
	}
	if err := site.Templates.Add("survey", templates, "templates"); err != nil {
		return err
	}
	h := &handlers{site: site, svc: svc, deps: deps,
		views:   ratelimit.New(nil, deps.ViewsPerMinute, time.Minute),
		answers: ratelimit.New(nil, deps.AnswersPerMinute, time.Minute)}

	b := site.Browser()
	b.Handle("GET /s/{code}", PermAnswer, h.form)
	b.Handle("POST /s/{code}", PermAnswer, h.submit)
	b.Handle("GET /s/{code}/thanks", PermAnswer, h.thanks)
	b.Handle("GET /engagements/{id}/survey", deps.PermResults, h.results)
	b.Handle("POST /engagements/{id}/survey/link", deps.PermPrint, h.createLink)
	b.Handle("GET /engagements/{id}/survey/print", deps.PermPrint, h.print)
	b.Handle("GET /engagements/{id}/survey/qr.png", deps.PermPrint, h.qr)
	b.Handle("POST /engagements/{id}/survey/close", deps.PermPrint, h.close)

	site.API().Handle("GET /api/v1/engagements/{id}/survey", deps.PermResults, h.apiResults)
	return nil
}
