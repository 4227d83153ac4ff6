package family

import (
	"net/http"
	"time"

	"inoculate/internal/platform/web"
)

// The JSON API: every action of the family tab under /api/v1/returnees/{id}/family/.
// What a role sees is decided here, once, by the view types below: a community
// liaison gets Summary (relation, stance, community) and nothing else.

// RelativeJSON is a relative as the API shows it to roles that read the case in full:
// never the sealed fields themselves, only which of them hold a value.
type RelativeJSON struct {
	ID         string    `json:"id"`
	Relation   Relation  `json:"relation"`
	Stance     Stance    `json:"stance"`
	Community  string    `json:"community"`
	RecordedOn string    `json:"recorded_on"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	Version    int       `json:"version"`
	UpdatedBy  string    `json:"updated_by"`
	UpdatedAt  time.Time `json:"updated_at"`
	Sealed     []string  `json:"sealed"`
}

func relativeJSON(r Relative) RelativeJSON {
	sealed := r.Sealed
	if sealed == nil {
		sealed = []string{}
	}
	return RelativeJSON{ID: r.ID, Relation: r.Relation, Stance: r.Stance, Community: r.Community, RecordedOn: r.RecordedOn,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, Version: r.Version, UpdatedBy: r.UpdatedBy, UpdatedAt: r.UpdatedAt, Sealed: sealed}
}

// MentorJSON is a mentor assignment; an external mentor's name is never in it (reveal-name).
type MentorJSON struct {
	ID           string     `json:"id"`
	Kind         string     `json:"kind"` // user | external
	UserID       string     `json:"user_id,omitempty"`
	Organisation string     `json:"organisation"`
	From         string     `json:"from"`
	Until        string     `json:"until"`
	Current      bool       `json:"current"`
	Ended        bool       `json:"ended"`
	EndedAt      *time.Time `json:"ended_at,omitempty"`
	ReplacedBy   string     `json:"replaced_by,omitempty"`
	Reason       string     `json:"reason"`
	EndReason    string     `json:"end_reason"`
	CreatedBy    string     `json:"created_by"`
	CreatedAt    time.Time  `json:"created_at"`
}

func mentorJSON(m Mentor, n Notes) MentorJSON {
	j := MentorJSON{ID: m.ID, Kind: "user", UserID: m.UserID, Organisation: m.Organisation, From: m.From, Until: m.Until,
		Current: m.Current, Ended: m.Ended, ReplacedBy: m.ReplacedBy, Reason: n.MentorReason[m.ID], EndReason: n.MentorEndReason[m.ID],
		CreatedBy: m.CreatedBy, CreatedAt: m.CreatedAt}
	if m.External {
		j.Kind = "external"
	}
	if m.Ended {
		t := m.EndedAt
		j.EndedAt = &t
	}
	return j
}

// MilestoneJSON is a milestone with its note.
type MilestoneJSON struct {
	ID         string          `json:"id"`
	Kind       MilestoneKind   `json:"kind"`
	TargetOn   string          `json:"target_on"`
	AchievedOn string          `json:"achieved_on"`
	Status     MilestoneStatus `json:"status"`
	Overdue    bool            `json:"overdue"`
	Note       string          `json:"note,omitempty"` // only in lists, whose read of notes is audited
	Version    int             `json:"version"`
	UpdatedBy  string          `json:"updated_by"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

func milestoneJSON(m Milestone, note string) MilestoneJSON {
	return MilestoneJSON{ID: m.ID, Kind: m.Kind, TargetOn: m.TargetOn, AchievedOn: m.AchievedOn, Status: m.Status, Overdue: m.Overdue,
		Note: note, Version: m.Version, UpdatedBy: m.UpdatedBy, UpdatedAt: m.UpdatedAt}
}

// ---- relatives ----

func (h *handlers) apiRelatives(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	p := web.Principal(r)
	rels, err := h.svc.Relatives(r.Context(), p, c)
	if err != nil {
		return err
	}
	stances := map[string]int{}
	for _, st := range StanceValues {
		stances[string(st)] = 0
	}
	for _, rel := range rels {
		stances[string(rel.Stance)]++
	}
	if !fullView(p.Role) {
		out := make([]Summary, 0, len(rels))
		for _, rel := range rels {
			out = append(out, rel.Summary())
		}
		web.WriteJSON(w, http.StatusOK, map[string]any{"relatives": out, "stances": stances})
		return nil
	}
	out := make([]RelativeJSON, 0, len(rels))
	for _, rel := range rels {
		out = append(out, relativeJSON(rel))
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"relatives": out, "stances": stances})
	return nil
}

// relativeRequest is the body of create (every field a value) and update (fields
// left out keep their value; "" clears an optional sealed field).
type relativeRequest struct {
	Version       int     `json:"version"`
	Relation      *string `json:"relation"`
	Stance        *string `json:"stance"`
	Community     *string `json:"community"`
	RecordedOn    *string `json:"recorded_on"`
	Name          *string `json:"name"`
	CommunityRole *string `json:"community_role"`
	Contact       *string `json:"contact"`
	Notes         *string `json:"notes"`
}

func val(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (h *handlers) apiCreateRelative(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	var req relativeRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	rel, err := h.svc.AddRelative(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, RelativeInput{
		Relation: val(req.Relation), Stance: val(req.Stance), Community: val(req.Community), RecordedOn: val(req.RecordedOn),
		Details: Details{Name: val(req.Name), CommunityRole: val(req.CommunityRole), Contact: val(req.Contact), Notes: val(req.Notes)}})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, relativeJSON(rel))
	return nil
}

func (h *handlers) apiRelative(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	p := web.Principal(r)
	rel, err := h.svc.Relative(r.Context(), p, c, r.PathValue("rel"))
	if err != nil {
		return err
	}
	hist, err := h.svc.History(r.Context(), p, c, rel.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"relative": relativeJSON(rel), "history": hist})
	return nil
}

func (h *handlers) apiUpdateRelative(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	var req relativeRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	rel, err := h.svc.UpdateRelative(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, r.PathValue("rel"), RelativeChange(req))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, relativeJSON(rel))
	return nil
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

func (h *handlers) apiRemoveRelative(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	var req reasonRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	id := r.PathValue("rel")
	if err := h.svc.RemoveRelative(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, id, req.Reason); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"id": id, "removed": true})
	return nil
}

func (h *handlers) apiRevealRelative(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	var req reasonRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	d, err := h.svc.RevealRelative(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, r.PathValue("rel"), req.Reason)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, d)
	return nil
}

// ---- mentors ----

func (h *handlers) apiMentors(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	p := web.Principal(r)
	ms, err := h.svc.Mentors(r.Context(), p, c)
	if err != nil {
		return err
	}
	var notes Notes
	if len(ms) > 0 {
		if notes, err = h.svc.Notes(r.Context(), p, web.RequestID(r.Context()), c); err != nil {
			return err
		}
	}
	out := make([]MentorJSON, 0, len(ms))
	var current *MentorJSON
	for _, m := range ms {
		out = append(out, mentorJSON(m, notes))
		if m.Current && current == nil {
			current = &out[len(out)-1]
		}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"mentors": out, "current": current})
	return nil
}

type mentorRequest struct {
	UserID       string `json:"user_id"`
	ExternalName string `json:"external_name"`
	Organisation string `json:"organisation"`
	From         string `json:"from"`
	Until        string `json:"until"`
	Reason       string `json:"reason"`
}

func (h *handlers) apiAssignMentor(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	var req mentorRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	m, err := h.svc.AssignMentor(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, MentorInput(req))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, mentorJSON(m, Notes{}))
	return nil
}

func (h *handlers) apiEndMentor(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	var req struct {
		On     string `json:"on"`
		Reason string `json:"reason"`
	}
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	id := r.PathValue("mentor")
	if err := h.svc.EndMentor(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, id, EndInput{On: req.On, Reason: req.Reason}); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"id": id, "ended": true})
	return nil
}

func (h *handlers) apiRevealMentor(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	var req reasonRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	name, err := h.svc.RevealMentor(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, r.PathValue("mentor"), req.Reason)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"external_name": name})
	return nil
}

// ---- milestones ----

func (h *handlers) apiMilestones(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	p := web.Principal(r)
	ms, err := h.svc.Milestones(r.Context(), p, c)
	if err != nil {
		return err
	}
	var notes Notes
	if len(ms) > 0 {
		if notes, err = h.svc.Notes(r.Context(), p, web.RequestID(r.Context()), c); err != nil {
			return err
		}
	}
	out := make([]MilestoneJSON, 0, len(ms))
	overdue := 0
	for _, m := range ms {
		out = append(out, milestoneJSON(m, notes.Milestone[m.ID]))
		if m.Overdue {
			overdue++
		}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"milestones": out, "overdue": overdue})
	return nil
}

type milestoneRequest struct {
	Version    int     `json:"version"`
	Kind       *string `json:"kind"`
	TargetOn   *string `json:"target_on"`
	AchievedOn *string `json:"achieved_on"`
	Status     *string `json:"status"`
	Note       *string `json:"note"`
}

func (h *handlers) apiCreateMilestone(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	var req milestoneRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	in := MilestoneInput{Kind: val(req.Kind), TargetOn: val(req.TargetOn), AchievedOn: val(req.AchievedOn), Status: val(req.Status), Note: val(req.Note)}
	m, err := h.svc.AddMilestone(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, milestoneJSON(m, ""))
	return nil
}

func (h *handlers) apiUpdateMilestone(w http.ResponseWriter, r *http.Request) error {
	c, err := h.open(r)
	if err != nil {
		return err
	}
	var req milestoneRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	m, err := h.svc.UpdateMilestone(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, r.PathValue("milestone"), MilestoneChange(req))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, milestoneJSON(m, ""))
	return nil
}
