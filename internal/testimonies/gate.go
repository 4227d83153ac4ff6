package testimonies

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/returnees/consent"
)

// Review kinds of the release gate, and who records each. The legal officer reviews
// legal exposure; the safety officer reviews against the current threat level and
// the context checklist; communications officers attach the audience test (or waive
// it with a reason); two different people who did not request the rendition approve.
const (
	ReviewLegal    = "legal"
	ReviewSafety   = "safety"
	ReviewContext  = "context"
	ReviewAudience = "audience_test"
	ReviewApproval = "approval"
)

var reviewPerms = map[string]authz.Permission{
	ReviewLegal:    authz.Allow("testimonies.review_legal", authz.LegalOfficer),
	ReviewSafety:   authz.Allow("testimonies.review_safety", authz.SafetyOfficer),
	ReviewContext:  authz.Allow("testimonies.review_context", authz.SafetyOfficer, authz.CommsOfficer),
	ReviewAudience: authz.Allow("testimonies.review_audience", authz.CommsOfficer, authz.Supervisor),
	ReviewApproval: authz.Allow("testimonies.approve_release", authz.Supervisor, authz.SafetyOfficer, authz.CommsOfficer),
}

// PermReleaseReview is who may record any review (each kind checks its own roles).
var PermReleaseReview = authz.Allow("testimonies.release_review", authz.LegalOfficer, authz.SafetyOfficer, authz.CommsOfficer, authz.Supervisor)

// PermRelease releases a rendition once every condition holds.
var PermRelease = authz.Allow("testimonies.release", authz.CommsOfficer, authz.Supervisor)

// ContextItems are the context review's checklist: what geolocates or identifies
// beyond faces and names. A context review passes only with every item confirmed.
var ContextItems = []string{"landmarks", "uniforms", "accents", "dates", "place_names", "other_people"}

// Review is one recorded review or approval.
type Review struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	Decision    string    `json:"decision"` // pass | fail | waived
	Note        string    `json:"note"`
	ThreatLevel string    `json:"threat_level,omitempty"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
}

// ReviewInput records a review.
type ReviewInput struct {
	Kind     string   `json:"kind"`
	Decision string   `json:"decision"`
	Note     string   `json:"note"`
	Checked  []string `json:"checked"` // context review: the confirmed items
}

// Condition is one condition of the gate as it stands now.
type Condition struct {
	Code string    `json:"code"`
	OK   bool      `json:"ok"`
	Text string    `json:"text"`
	By   string    `json:"by,omitempty"`
	At   time.Time `json:"at,omitzero"`
}

// Gate is where a rendition stands: every condition, and whether all hold.
type Gate struct {
	Open       bool        `json:"open"`
	Conditions []Condition `json:"conditions"`
	Released   bool        `json:"released"`
	Revoked    bool        `json:"revoked,omitempty"` // consent no longer covers it: never usable again
	SHA256     string      `json:"sha256,omitempty"`
}

// RecordReview records a review of a rendition by p.
func (s *Service) RecordReview(ctx context.Context, p *authz.Principal, requestID, id, rid string, in ReviewInput) error {
	perm, ok := reviewPerms[in.Kind]
	if !ok {
		return invalid("kind", "testimonies.error.review_kind", "unknown kind of review")
	}
	if err := check(perm, p); err != nil {
		return err
	}
	if !slices.Contains([]string{"pass", "fail", "waived"}, in.Decision) || (in.Decision == "waived" && in.Kind != ReviewAudience) {
		return invalid("decision", "testimonies.error.review_decision", "pass or fail (an audience test may be waived)")
	}
	note := strings.TrimSpace(in.Note)
	if (in.Decision != "pass" || in.Kind == ReviewLegal || in.Kind == ReviewSafety) && len([]rune(note)) < 5 {
		return invalid("note", "testimonies.error.review_note", "say what was reviewed, in a few words")
	}
	if len([]rune(note)) > 2000 {
		return invalid("note", "testimonies.error.review_note", "say what was reviewed, in a few words")
	}
	if in.Kind == ReviewContext && in.Decision == "pass" {
		for _, item := range ContextItems {
			if !slices.Contains(in.Checked, item) {
				return invalid("checked", "testimonies.error.checklist", "confirm every item of the checklist")
			}
		}
	}
	t, err := s.Get(ctx, p.TenantID, id)
	if err != nil {
		return err
	}
	r, err := s.Rendition(ctx, p.TenantID, id, rid)
	if err != nil {
		return err
	}
	if r.Status != "done" {
		return &errs.Error{Kind: errs.Conflict, MsgKey: "testimonies.error.not_made", Msg: "the rendition is not made yet"}
	}
	threat := ""
	if in.Kind == ReviewSafety && s.rend.Assess != nil {
		if threat, err = s.threat(ctx, t); err != nil {
			return err
		}
	}
	rvid, err := newID()
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO rendition_reviews (id, tenant_id, rendition_id, kind, decision, note, threat_level, by_user, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			rvid, p.TenantID, rid, in.Kind, in.Decision, note, threat, p.UserID, store.Millis(s.now())); err != nil {
			return errs.Wrap(err, "testimonies: record review")
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "rendition.review_"+in.Kind, rid))
		return err
	})
}

func (s *Service) threat(ctx context.Context, t Testimony) (string, error) {
	sum, err := s.rend.Assess.Summary(ctx, t.TenantID, t.ReturneeID, s.now())
	if err != nil {
		return "", err
	}
	if sum.Threat == nil {
		return "none", nil
	}
	return string(sum.Threat.Level), nil
}

func (s *Service) reviews(ctx context.Context, tenantID, rid string) ([]Review, error) {
	rows, err := s.db.Reader().Query(ctx, `SELECT id, kind, decision, note, threat_level, by_user, at FROM rendition_reviews WHERE tenant_id = ? AND rendition_id = ? ORDER BY at, id`, tenantID, rid)
	if err != nil {
		return nil, errs.Wrap(err, "testimonies: reviews")
	}
	defer rows.Close()
	var out []Review
	for rows.Next() {
		var r Review
		var at int64
		if err := rows.Scan(&r.ID, &r.Kind, &r.Decision, &r.Note, &r.ThreatLevel, &r.By, &at); err != nil {
			return nil, errs.Wrap(err, "testimonies: reviews")
		}
		r.At = store.FromMillis(at)
		out = append(out, r)
	}
	return out, errs.Wrap(rows.Err(), "testimonies: reviews")
}

// Gate evaluates the release gate of a rendition for an audience, now.
func (s *Service) Gate(ctx context.Context, tenantID, id, rid string, audience consent.Audience) (Gate, error) {
	t, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return Gate{}, err
	}
	r, err := s.Rendition(ctx, tenantID, id, rid)
	if err != nil {
		return Gate{}, err
	}
	var g Gate
	var sha string
	var revoked *int64
	if err := s.db.Reader().QueryRow(ctx, `SELECT sha256, revoked_at FROM rendition_releases WHERE tenant_id = ? AND rendition_id = ?`, tenantID, rid).Scan(&sha, &revoked); err == nil {
		g.Released, g.SHA256, g.Revoked = true, sha, revoked != nil
	}
	add := func(code string, ok bool, text string, by string, at time.Time) {
		g.Conditions = append(g.Conditions, Condition{Code: code, OK: ok, Text: text, By: by, At: at})
	}
	// Consent: every track's language, this audience, this level, for publication.
	langs, err := s.Languages(ctx, tenantID, id)
	if err != nil {
		return g, err
	}
	if len(langs) == 0 {
		langs = []string{t.Language}
	}
	consentOK, why := true, ""
	if s.rend.Consent != nil {
		for _, l := range langs {
			d, err := s.rend.Consent.Allows(ctx, tenantID, t.ReturneeID, consent.Query{Use: consent.UseOnlinePublication, IdentityLevel: r.IdentityLevel,
				Audience: audience, Language: l, At: s.now()})
			if err != nil {
				if errs.Is(err, errs.Invalid) {
					d.ReasonText = "the audience needs a community"
				} else {
					return g, err
				}
			}
			if !d.Allowed {
				consentOK, why = false, l+": "+d.ReasonText
				break
			}
		}
	} else {
		consentOK, why = false, "consent is not checked here"
	}
	add("consent", consentOK, why, "", time.Time{})
	reviews, err := s.reviews(ctx, tenantID, rid)
	if err != nil {
		return g, err
	}
	latest := func(kind string) *Review {
		var out *Review
		for i := range reviews {
			if reviews[i].Kind == kind {
				out = &reviews[i]
			}
		}
		return out
	}
	for _, kind := range []string{ReviewLegal, ReviewSafety, ReviewContext, ReviewAudience} {
		rv := latest(kind)
		ok := rv != nil && (rv.Decision == "pass" || (kind == ReviewAudience && rv.Decision == "waived"))
		text := "not reviewed yet"
		by, at := "", time.Time{}
		if rv != nil {
			text, by, at = rv.Decision+": "+rv.Note, rv.By, rv.At
		}
		if ok && kind == ReviewSafety && s.rend.Assess != nil {
			now, err := s.threat(ctx, t)
			if err != nil {
				return g, err
			}
			if now != rv.ThreatLevel {
				ok, text = false, fmt.Sprintf("reviewed against threat level %s; it is now %s: review again", rv.ThreatLevel, now)
			}
		}
		add(kind, ok, text, by, at)
	}
	// Two approvals by two different people, neither of whom asked for the rendition.
	var createdBy string
	_ = s.db.Reader().QueryRow(ctx, `SELECT created_by FROM testimony_renditions WHERE tenant_id = ? AND id = ?`, tenantID, rid).Scan(&createdBy)
	approvers := map[string]bool{}
	for _, rv := range reviews {
		if rv.Kind == ReviewApproval && rv.Decision == "pass" && rv.By != createdBy {
			approvers[rv.By] = true
		}
	}
	add("two_person", len(approvers) >= 2, fmt.Sprintf("%d of 2 approvals by people other than who asked for it", min(len(approvers), 2)), "", time.Time{})
	open, err := s.OpenFlags(ctx, tenantID, id)
	if err != nil {
		return g, err
	}
	add("automated", r.Status == "done" && r.Clean && open == 0,
		fmt.Sprintf("checks on the file clean: %v; open redaction flags: %d", r.Clean, open), "", time.Time{})
	g.Open = true
	for _, c := range g.Conditions {
		g.Open = g.Open && c.OK
	}
	return g, nil
}

// Release releases a rendition for audience when every condition of the gate holds
// at this moment, recording the exact file's SHA-256.
func (s *Service) Release(ctx context.Context, p *authz.Principal, requestID, id, rid string, audience consent.Audience) (Gate, error) {
	if err := check(PermRelease, p); err != nil {
		return Gate{}, err
	}
	g, err := s.Gate(ctx, p.TenantID, id, rid, audience)
	if err != nil {
		return g, err
	}
	if g.Released {
		return g, &errs.Error{Kind: errs.Conflict, MsgKey: "testimonies.error.released", Msg: "already released"}
	}
	if !g.Open {
		return g, &errs.Error{Kind: errs.Conflict, MsgKey: "testimonies.error.gate", Msg: "the release gate is not open: see every condition"}
	}
	r, err := s.Rendition(ctx, p.TenantID, id, rid)
	if err != nil {
		return g, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO rendition_releases (rendition_id, tenant_id, sha256, released_by, released_at, audience) VALUES (?, ?, ?, ?, ?, ?)`,
			rid, p.TenantID, r.SHA256, p.UserID, store.Millis(s.now()), string(audience)); err != nil {
			return errs.Wrap(err, "testimonies: release")
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "rendition.release", rid+"/"+r.SHA256))
		return err
	})
	if err != nil {
		return g, err
	}
	return s.Gate(ctx, p.TenantID, id, rid, audience)
}
