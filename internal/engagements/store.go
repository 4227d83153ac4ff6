package engagements

import (
	"context"
	"database/sql"
	"strings"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/returnees/consent"
)

const selectEngagement = `SELECT id, tenant_id, kind, title, COALESCE(community_id, ''), COALESCE(channel_id, ''), venue,
	starts_at, ends_at, time_zone, language, audience, identity_level, expected_audience, slots, status, revision,
	security_plan IS NOT NULL, COALESCE(security_plan_at, 0), COALESCE(safety_review_rev, 0), COALESCE(safety_review_by, ''),
	COALESCE(safety_review_at, 0), cancel_reason, created_by, created_at, updated_at FROM engagements`

type scanner interface{ Scan(dest ...any) error }

func scanEngagement(r scanner) (Engagement, error) {
	var e Engagement
	var kind, audience, level, status string
	var starts, ends, planAt, reviewAt, created, updated int64
	if err := r.Scan(&e.ID, &e.TenantID, &kind, &e.Title, &e.CommunityID, &e.ChannelID, &e.Venue,
		&starts, &ends, &e.TimeZone, &e.Language, &audience, &level, &e.ExpectedAudience, &e.Slots, &status, &e.Revision,
		&e.HasSecurityPlan, &planAt, &e.SafetyReviewRev, &e.SafetyReviewBy, &reviewAt, &e.CancelReason,
		&e.CreatedBy, &created, &updated); err != nil {
		return e, err
	}
	e.Kind, e.Audience, e.Status = Kind(kind), Audience(audience), Status(status)
	e.IdentityLevel = consent.IdentityLevel(level)
	e.StartsAt, e.EndsAt = store.FromMillis(starts), store.FromMillis(ends)
	e.CreatedAt, e.UpdatedAt = store.FromMillis(created), store.FromMillis(updated)
	if planAt != 0 {
		e.SecurityPlanAt = store.FromMillis(planAt)
	}
	if reviewAt != 0 {
		e.SafetyReviewAt = store.FromMillis(reviewAt)
	}
	return e, nil
}

// load reads one engagement with its speakers. NotFound for another tenant's id.
func load(ctx context.Context, q store.Querier, tenantID, id string) (Engagement, error) {
	e, err := scanEngagement(q.QueryRow(ctx, selectEngagement+` WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if isNoRows(err) {
		return e, errNotFound
	}
	if err != nil {
		return e, errs.Wrap(err, "engagements: load")
	}
	sp, err := speakersOf(ctx, q, tenantID, []string{id})
	if err != nil {
		return e, err
	}
	e.SpeakerIDs = sp[id]
	if e.SpeakerIDs == nil {
		e.SpeakerIDs = []string{}
	}
	return e, nil
}

// speakersOf returns the speakers of each engagement, by engagement id, in the order
// they were added.
func speakersOf(ctx context.Context, q store.Querier, tenantID string, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{tenantID}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := q.Query(ctx, `SELECT engagement_id, returnee_id FROM engagement_speakers WHERE tenant_id = ? AND engagement_id IN (`+
		placeholders(len(ids))+`) ORDER BY added_at, returnee_id`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "engagements: speakers")
	}
	defer rows.Close()
	for rows.Next() {
		var eid, rid string
		if err := rows.Scan(&eid, &rid); err != nil {
			return nil, errs.Wrap(err, "engagements: speakers")
		}
		out[eid] = append(out[eid], rid)
	}
	return out, errs.Wrap(rows.Err(), "engagements: speakers")
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// query lists engagements matching where (a condition on the engagements table,
// with args after the tenant), with their speakers, by start time.
func query(ctx context.Context, q store.Querier, tenantID, where string, args ...any) ([]Engagement, error) {
	sqlText := selectEngagement + ` WHERE tenant_id = ?`
	if where != "" {
		sqlText += ` AND ` + where
	}
	rows, err := q.Query(ctx, sqlText+` ORDER BY starts_at, id`, append([]any{tenantID}, args...)...)
	if err != nil {
		return nil, errs.Wrap(err, "engagements: list")
	}
	var out []Engagement
	for rows.Next() {
		e, err := scanEngagement(rows)
		if err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "engagements: list")
		}
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "engagements: list")
	}
	ids := make([]string, len(out))
	for i, e := range out {
		ids[i] = e.ID
	}
	sp, err := speakersOf(ctx, q, tenantID, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].SpeakerIDs = sp[out[i].ID]
		if out[i].SpeakerIDs == nil {
			out[i].SpeakerIDs = []string{}
		}
	}
	return out, nil
}

// lock takes the engagement's row for the rest of tx (PostgreSQL row lock; SQLite has
// one writer anyway), so concurrent changes to one engagement are serialised.
func lock(ctx context.Context, tx *store.Tx, tenantID, id string) error {
	res, err := tx.Exec(ctx, `UPDATE engagements SET revision = revision WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return errs.Wrap(err, "engagements: lock")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errNotFound
	}
	return nil
}

// event records a status change in the engagement's history.
func event(ctx context.Context, tx *store.Tx, tenantID, engagementID string, from, to Status, revision int, note, by string, at int64) error {
	id, err := newID()
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO engagement_events (id, tenant_id, engagement_id, from_status, to_status, revision, note, by_user, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, tenantID, engagementID, string(from), string(to), revision, note, by, at)
	return errs.Wrap(err, "engagements: record event")
}

// Event is one status change, for the page's history.
type Event struct {
	From     Status `json:"from"`
	To       Status `json:"to"`
	Revision int    `json:"revision"`
	Note     string `json:"note"`
	By       string `json:"by"`
	At       int64  `json:"-"`
}

// noteKeys translate the notes the service writes itself; any other note (a
// cancellation's reason) is a person's own words, shown as written.
var noteKeys = map[string]string{
	"changed": "engagements.note.changed", "material change": "engagements.note.material_change",
	"speaker added": "engagements.note.speaker_added", "speaker removed": "engagements.note.speaker_removed",
	"chain of command": "engagements.note.chain", "no chain of command": "engagements.note.no_chain",
	"readiness check passed": "engagements.note.ready",
}

// NoteKey is the catalogue key of the event's note, "" when it is a person's words.
func (e Event) NoteKey() string { return noteKeys[e.Note] }

func events(ctx context.Context, q store.Querier, tenantID, id string) ([]Event, error) {
	rows, err := q.Query(ctx, `SELECT from_status, to_status, revision, note, by_user, at FROM engagement_events
		WHERE tenant_id = ? AND engagement_id = ? ORDER BY at, id`, tenantID, id)
	if err != nil {
		return nil, errs.Wrap(err, "engagements: events")
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var ev Event
		var from, to string
		if err := rows.Scan(&from, &to, &ev.Revision, &ev.Note, &ev.By, &ev.At); err != nil {
			return nil, errs.Wrap(err, "engagements: events")
		}
		ev.From, ev.To = Status(from), Status(to)
		out = append(out, ev)
	}
	return out, errs.Wrap(rows.Err(), "engagements: events")
}

// sealedColumn reads one sealed column of an engagement ("" when NULL).
func sealedColumn(ctx context.Context, q store.Querier, tenantID, id, column string) ([]byte, error) {
	var b []byte
	err := q.QueryRow(ctx, `SELECT `+column+` FROM engagements WHERE tenant_id = ? AND id = ?`, tenantID, id).Scan(&b)
	if err == sql.ErrNoRows {
		return nil, errNotFound
	}
	return b, errs.Wrap(err, "engagements: read "+column)
}
