package engagements

import (
	"net/http"

	"inoculate/internal/platform/web"
)

// The JSON API mirrors every page action. Engagements are returned without venue
// names for roles not cleared for venues.

// engagementView is an engagement with what the reader may see of it.
type engagementView struct {
	Engagement
	Speakers []Speaker  `json:"speakers"`
	Chain    []stepView `json:"chain"`
	Media    *Media     `json:"media,omitempty"`
}

type stepView struct {
	AuthorityID string `json:"authority_id"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	Decision    string `json:"decision,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// visible strips what the reader's role may not see.
func visible(r *http.Request, e Engagement) Engagement {
	if check(PermVenue, web.Principal(r)) != nil {
		e.Venue = ""
	}
	return e
}

func (h *handlers) apiView(r *http.Request, id string) (engagementView, error) {
	ctx := r.Context()
	e, err := h.svc.Get(ctx, web.Principal(r).TenantID, id)
	if err != nil {
		return engagementView{}, err
	}
	v := engagementView{Engagement: visible(r, e), Chain: []stepView{}}
	if v.Speakers, err = h.svc.Speakers(ctx, e); err != nil {
		return v, err
	}
	cv, err := h.svc.Chain(ctx, e)
	if err != nil {
		return v, err
	}
	for _, s := range cv.Steps {
		v.Chain = append(v.Chain, stepView{AuthorityID: s.AuthorityID, Name: cv.Authorities[s.AuthorityID].DisplayName,
			Status: string(s.Status), Decision: string(s.Decision), Reason: s.Reason})
	}
	if e.Kind == KindMediaInterview {
		m, err := h.svc.Media(ctx, e.TenantID, e.ID)
		if err != nil {
			return v, err
		}
		v.Media = &m
	}
	return v, nil
}

func (h *handlers) apiList(w http.ResponseWriter, r *http.Request) error {
	list, err := h.svc.List(r.Context(), web.Principal(r).TenantID, timeZero, timeZero)
	if err != nil {
		return err
	}
	for i := range list {
		list[i] = visible(r, list[i])
	}
	if list == nil {
		list = []Engagement{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"engagements": list})
	return nil
}

func (h *handlers) apiCreate(w http.ResponseWriter, r *http.Request) error {
	var in Input
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	e, err := h.svc.Create(r.Context(), web.Principal(r), web.RequestID(r.Context()), in)
	if err != nil {
		return err
	}
	v, err := h.apiView(r, e.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, v)
	return nil
}

func (h *handlers) apiGet(w http.ResponseWriter, r *http.Request) error {
	v, err := h.apiView(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (h *handlers) apiUpdate(w http.ResponseWriter, r *http.Request) error {
	var in Input
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	_, ch, err := h.svc.Update(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	v, err := h.apiView(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"engagement": v, "material_change": ch.Material})
	return nil
}

// apiReadiness is the stable contract: {"ready": bool, "reasons": [...]}.
func (h *handlers) apiReadiness(w http.ResponseWriter, r *http.Request) error {
	rd, err := h.svc.Readiness(r.Context(), web.Principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, rd)
	return nil
}

func (h *handlers) apiApprovals(w http.ResponseWriter, r *http.Request) error {
	list, err := h.svc.Approvals(r.Context(), web.Principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if list == nil {
		list = []Approval{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"approvals": list})
	return nil
}

// apiDecide is the stable contract: {"authority_id", "decision", "reason"}.
func (h *handlers) apiDecide(w http.ResponseWriter, r *http.Request) error {
	var in DecisionInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	a, _, err := h.svc.RecordDecision(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	v, err := h.apiView(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"approval": a, "status": v.Status, "chain": v.Chain})
	return nil
}

func (h *handlers) apiAddSpeaker(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		ReturneeID string `json:"returnee_id"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	sc, err := h.svc.AddSpeaker(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in.ReturneeID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, sc)
	return nil
}

func (h *handlers) apiRemoveSpeaker(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.RemoveSpeaker(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("rid")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiSchedule schedules, or answers 409 with the readiness reasons.
func (h *handlers) apiSchedule(w http.ResponseWriter, r *http.Request) error {
	e, err := h.svc.Schedule(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"))
	if rd, ok := AsNotReady(err); ok {
		web.WriteJSON(w, http.StatusConflict, map[string]any{"error": "the engagement is not ready to be scheduled", "ready": false, "reasons": rd.Reasons})
		return nil
	}
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, visible(r, e))
	return nil
}

func (h *handlers) apiHeld(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.MarkHeld(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), h.hooks.CheckInDue); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handlers) apiCancel(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := h.svc.Cancel(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handlers) apiDebrief(w http.ResponseWriter, r *http.Request) error {
	var in DebriefInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := h.svc.RecordDebrief(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handlers) apiSavePlan(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Plan string `json:"plan"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := h.svc.SaveSecurityPlan(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in.Plan); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handlers) apiSaveMedia(w http.ResponseWriter, r *http.Request) error {
	var in MediaInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := h.svc.SaveMedia(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in); err != nil {
		return err
	}
	m, err := h.svc.Media(r.Context(), web.Principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, m)
	return nil
}

func (h *handlers) apiVet(w http.ResponseWriter, r *http.Request) error {
	var in VetInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := h.svc.Vet(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handlers) apiAddCoverage(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		URL   string `json:"url"`
		Title string `json:"title"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	c, err := h.svc.AddCoverage(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in.URL, in.Title)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, c)
	return nil
}

func (h *handlers) apiPropose(w http.ResponseWriter, r *http.Request) error {
	p, err := h.svc.Propose(r.Context(), web.Principal(r))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, p)
	return nil
}

func (h *handlers) apiChannels(w http.ResponseWriter, r *http.Request) error {
	list, err := h.svc.Channels(r.Context(), web.Principal(r).TenantID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"channels": list})
	return nil
}

func (h *handlers) apiCreateChannel(w http.ResponseWriter, r *http.Request) error {
	var in ChannelInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	c, err := h.svc.CreateChannel(r.Context(), web.Principal(r), web.RequestID(r.Context()), in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, c)
	return nil
}

func (h *handlers) apiUpdateChannel(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.svc.Channel(r.Context(), web.Principal(r).TenantID, r.PathValue("cid")); err != nil {
		return err
	}
	var in ChannelInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	c, err := h.svc.UpdateChannel(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("cid"), in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, c)
	return nil
}
