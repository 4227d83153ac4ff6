package consent

import (
	"net/http"
	"time"

	"inoculate/internal/platform/web"
)

// giveRequest is the API contract of POST /api/v1/returnees/{id}/consents. The call
// itself records that the statement ("refusing or withdrawing changes nothing in the
// legal agreement") was read to the person; statement_acknowledged may be sent and
// must then be true. in_custody and advisor_present must be given: an omitted answer
// to a safeguard question is not a "no".
type giveRequest struct {
	Uses                  []string `json:"uses"`
	IdentityLevel         string   `json:"identity_level"`
	Audiences             []string `json:"audiences"`
	Communities           []string `json:"communities"`
	Languages             []string `json:"languages"`
	Expires               string   `json:"expires"`
	InCustody             *bool    `json:"in_custody"`
	AdvisorPresent        *bool    `json:"advisor_present"`
	StatementAcknowledged *bool    `json:"statement_acknowledged"`
}

func answerRequired(field string) error {
	return invalid(field, "consent.error.answer_required", field+" is required: answer yes or no")
}

// decodeGive reads and converts the body of a give request (fuzzed).
func decodeGive(r *http.Request) (NewConsent, error) {
	var req giveRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return NewConsent{}, err
	}
	if req.InCustody == nil {
		return NewConsent{}, answerRequired("in_custody")
	}
	if req.AdvisorPresent == nil {
		return NewConsent{}, answerRequired("advisor_present")
	}
	in := NewConsent{Uses: convert[Use](req.Uses), IdentityLevel: IdentityLevel(req.IdentityLevel),
		Audiences: convert[Audience](req.Audiences), Communities: req.Communities, Languages: req.Languages,
		Expires: req.Expires, InCustody: *req.InCustody, AdvisorPresent: *req.AdvisorPresent,
		StatementAcknowledged: req.StatementAcknowledged == nil || *req.StatementAcknowledged}
	return in, nil
}

func convert[T ~string](xs []string) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[i] = T(x)
	}
	return out
}

// versionOut is a version as the API shows it, with whether it has run out now.
type versionOut struct {
	Version
	Expired bool `json:"expired"`
}

func (h *Handlers) out(v Version) versionOut {
	return versionOut{Version: v, Expired: v.Expired(h.svc.now())}
}

func (h *Handlers) apiGive(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	c, err := h.cases.Open(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	in, err := decodeGive(r)
	if err != nil {
		return err
	}
	v, err := h.svc.Give(r.Context(), p, web.RequestID(r.Context()), c.ID, in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, h.out(v))
	return nil
}

func (h *Handlers) apiWithdraw(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	c, err := h.cases.Open(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	v, err := h.svc.Withdraw(r.Context(), p, web.RequestID(r.Context()), c.ID, req.Reason)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, h.out(v))
	return nil
}

func (h *Handlers) apiCurrent(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	c, err := h.cases.Open(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	v, ok, err := h.svc.Current(r.Context(), p.TenantID, c.ID)
	if err != nil {
		return err
	}
	body := map[string]any{"current": nil}
	if ok {
		body["current"] = h.out(v)
	}
	web.WriteJSON(w, http.StatusOK, body)
	return nil
}

func (h *Handlers) apiHistory(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	c, err := h.cases.Open(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	vs, err := h.svc.History(r.Context(), p.TenantID, c.ID)
	if err != nil {
		return err
	}
	out := make([]versionOut, len(vs))
	for i, v := range vs {
		out[i] = h.out(v)
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"versions": out})
	return nil
}

// apiAllows answers GET …/consent/allows?use=&identity_level=&audience=&language=
// (+ community=, at=) with {"allowed", "reason"} (the reason's catalogue key), plus
// the reason in the request's language, the answering version and its concern flag.
func (h *Handlers) apiAllows(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	c, err := h.cases.Open(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	q, err := ParseQuery(r.URL.Query())
	if err != nil {
		return err
	}
	d, err := h.svc.Allows(r.Context(), p.TenantID, c.ID, q)
	if err != nil {
		return err
	}
	at := q.At
	if at.IsZero() {
		at = h.svc.now()
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"allowed": d.Allowed, "reason": d.Reason,
		"reason_text": h.reasonText(r, d), "version": d.Version, "free_consent_concern": d.FreeConsentConcern,
		"at": at.UTC().Format(time.RFC3339)})
	return nil
}

// reasonText is the decision's reason in the request's language.
func (h *Handlers) reasonText(r *http.Request, d Decision) string {
	l := h.site.I18n.For(web.Lang(r.Context()))
	if l.Has(d.Reason) {
		return l.T(d.Reason)
	}
	return d.ReasonText
}
