package legal

import (
	"encoding/json"
	"net/http"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
)

// screeningRequest is the API contract of POST /api/v1/returnees/{id}/screening.
type screeningRequest struct {
	CapitalCrime  string           `json:"capital_crime"`
	Offences      json.RawMessage  `json:"offences"`
	EvidenceNotes string           `json:"evidence_notes"`
	Referral      *referralRequest `json:"referral"`
}

type referralRequest struct {
	Authority  string `json:"authority"`
	ReferredOn string `json:"referred_on"`
	Note       string `json:"note"`
}

// agreementRequest is the body of POST /api/v1/returnees/{id}/agreements and of PUT
// on a draft.
type agreementRequest struct {
	Kind        string          `json:"kind"`
	Terms       string          `json:"terms"`
	Obligations json.RawMessage `json:"obligations"`
}

func (req agreementRequest) input() (AgreementInput, error) {
	obs, err := ParseObligationsJSON(req.Obligations)
	if err != nil {
		return AgreementInput{}, err
	}
	return AgreementInput{Kind: Kind(req.Kind), Terms: req.Terms, Obligations: obs}, nil
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

type transitionRequest struct {
	To     string `json:"to"`
	Reason string `json:"reason"`
}

// screeningResponse is the screening just recorded, with the referral it recorded.
type screeningResponse struct {
	Screening
	Referral *Referral `json:"referral,omitempty"`
}

func (h *handlers) apiDetails(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	d, err := h.svc.Details(r.Context(), web.Principal(r), web.RequestID(r.Context()), c)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, d)
	return nil
}

func (h *handlers) apiStatus(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	sum, err := h.svc.Status(r.Context(), c.TenantID, c.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, sum)
	return nil
}

func (h *handlers) apiScreening(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	d, err := h.svc.Details(r.Context(), web.Principal(r), web.RequestID(r.Context()), c)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"screening": d.Screening, "history": d.History, "referrals": d.Referrals})
	return nil
}

func (h *handlers) apiPostScreening(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	var req screeningRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	offs, err := ParseOffencesJSON(req.Offences)
	if err != nil {
		return err
	}
	in := ScreeningInput{CapitalCrime: Finding(req.CapitalCrime), Offences: offs, EvidenceNotes: req.EvidenceNotes}
	if req.Referral != nil {
		in.ReferralAuthority, in.ReferralOn, in.ReferralNote = req.Referral.Authority, req.Referral.ReferredOn, req.Referral.Note
	}
	sc, ref, err := h.svc.RecordScreening(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, screeningResponse{Screening: sc, Referral: ref})
	return nil
}

func (h *handlers) apiPostReferral(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	var req referralRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	ref, err := h.svc.RecordReferral(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, ReferralInput(req))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, ref)
	return nil
}

func (h *handlers) apiAgreements(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	d, err := h.svc.Details(r.Context(), web.Principal(r), web.RequestID(r.Context()), c)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"agreements": d.Agreements})
	return nil
}

// apiPostAgreement drafts an agreement: 201 with it, or 409 with {"error": reason}
// when the screening (or an agreement already in progress) forbids it. The reason is
// the human one, in the request's language.
func (h *handlers) apiPostAgreement(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	var req agreementRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	in, err := req.input()
	if err != nil {
		return err
	}
	a, err := h.svc.CreateAgreement(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, in)
	if errs.Is(err, errs.Conflict) {
		_, reason := h.site.FieldMessage(r, err)
		web.WriteJSON(w, http.StatusConflict, map[string]string{"error": reason, "message": reason})
		return nil
	}
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, a)
	return nil
}

func (h *handlers) apiAgreement(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	a, err := h.svc.Agreement(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, r.PathValue("aid"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, a)
	return nil
}

func (h *handlers) apiPutAgreement(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	var req agreementRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	in, err := req.input()
	if err != nil {
		return err
	}
	a, err := h.svc.UpdateDraft(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, r.PathValue("aid"), in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, a)
	return nil
}

// apiTransition moves an agreement; revoking and breach have their own step-up
// routes, and "signed" is reached by signing.
func (h *handlers) apiTransition(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	var req transitionRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	to := Status(req.To)
	if to == StatusRevoked || to == StatusBreached {
		return errOwnRoute(to)
	}
	a, err := h.svc.Transition(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, r.PathValue("aid"), to, req.Reason)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, a)
	return nil
}

func errOwnRoute(to Status) error {
	return &errs.Error{Kind: errs.Invalid, Field: "to", MsgKey: "legal.error.own_route",
		Msg: "revoking and recording a breach have their own actions (…/revoke, …/breach), which need a fresh sign-in; asked for " + string(to)}
}

func (h *handlers) apiSign(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	a, err := h.svc.Sign(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, r.PathValue("aid"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, a)
	return nil
}

func (h *handlers) apiEnd(to Status) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := h.openCase(r)
		if err != nil {
			return err
		}
		var req reasonRequest
		if err := web.DecodeJSON(r, &req); err != nil {
			return err
		}
		a, err := h.svc.Transition(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, r.PathValue("aid"), to, req.Reason)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, a)
		return nil
	}
}

func (h *handlers) apiPostDocument(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	content, err := readDocument(w, r)
	if err != nil {
		return err
	}
	d, err := h.svc.UploadDocument(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, r.PathValue("aid"), content)
	clear(content)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, d)
	return nil
}
