package engagements

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"slices"
	"strings"
	"time"

	"inoculate/internal/engagements/ical"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// Feed is one calendar feed link of a user. The token itself is shown once, when the
// link is made; only its SHA-256 is kept.
type Feed struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// maxFeeds bounds a user's live feed links (one per device is plenty).
const maxFeeds = 5

// feedWindow is what a feed holds: recent and coming engagements.
const (
	feedPast   = 60 * 24 * time.Hour
	feedFuture = 400 * 24 * time.Hour
)

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// CreateFeed makes a new calendar feed link for the signed-in user and returns its
// secret token (shown once).
func (s *Service) CreateFeed(ctx context.Context, p *authz.Principal, requestID string) (Feed, string, error) {
	if err := check(PermCalendar, p); err != nil {
		return Feed{}, "", err
	}
	tok := rand.Text() + rand.Text() // 52 base32 characters, 260 bits
	id, err := newID()
	if err != nil {
		return Feed{}, "", err
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM calendar_feeds WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL`,
			p.TenantID, p.UserID).Scan(&n); err != nil {
			return errs.Wrap(err, "engagements: count feeds")
		}
		if n >= maxFeeds {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "engagements.error.feeds_full", Args: []any{maxFeeds},
				Msg: "you already have 5 feed links: revoke one first"}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO calendar_feeds (id, tenant_id, user_id, token_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, p.TenantID, p.UserID, hashToken(tok), store.Millis(now)); err != nil {
			return errs.Wrap(err, "engagements: create feed")
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "calendar.feed_create", id))
		return err
	})
	return Feed{ID: id, CreatedAt: store.FromMillis(store.Millis(now))}, tok, err
}

// Feeds lists the signed-in user's feed links, newest first.
func (s *Service) Feeds(ctx context.Context, p *authz.Principal) ([]Feed, error) {
	rows, err := s.db.Reader().Query(ctx, `SELECT id, created_at, revoked_at FROM calendar_feeds WHERE tenant_id = ? AND user_id = ?
		ORDER BY created_at DESC, id`, p.TenantID, p.UserID)
	if err != nil {
		return nil, errs.Wrap(err, "engagements: feeds")
	}
	defer rows.Close()
	out := []Feed{}
	for rows.Next() {
		var f Feed
		var created int64
		var revoked *int64
		if err := rows.Scan(&f.ID, &created, &revoked); err != nil {
			return nil, errs.Wrap(err, "engagements: feeds")
		}
		f.CreatedAt = store.FromMillis(created)
		if revoked != nil {
			f.RevokedAt = store.FromMillis(*revoked)
		}
		out = append(out, f)
	}
	return out, errs.Wrap(rows.Err(), "engagements: feeds")
}

// RevokeFeed ends one of the signed-in user's feed links at once.
func (s *Service) RevokeFeed(ctx context.Context, p *authz.Principal, requestID, feedID string) error {
	if err := check(PermCalendar, p); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE calendar_feeds SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? AND id = ? AND revoked_at IS NULL`,
			store.Millis(s.now()), p.TenantID, p.UserID, feedID)
		if err != nil {
			return errs.Wrap(err, "engagements: revoke feed")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &errs.Error{Kind: errs.NotFound, MsgKey: "engagements.error.feed_not_found", Msg: "no such feed link"}
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "calendar.feed_revoke", feedID))
		return err
	})
}

// UserLookup answers who a feed's owner is now: their role, and whether they may
// still sign in. A disabled user's feeds stop at once; a changed role changes what
// the feed shows.
type UserLookup func(ctx context.Context, tenantID, userID string) (role authz.Role, active bool, err error)

var errFeed = &errs.Error{Kind: errs.NotFound, MsgKey: "engagements.error.feed", Msg: "no such calendar feed"}

// FeedLabels translates kinds and statuses for a feed (the feed has no page language;
// the caller picks one).
type FeedLabels func(key string) string

// WriteFeed writes the calendar behind token as iCalendar: the tenant's engagements
// from two months back to a year ahead, showing speakers by alias, the venue only when
// the owner's role is cleared for venues, and never a sealed field. An unknown,
// revoked or disabled owner's token is NotFound, the same answer for all three.
func (s *Service) WriteFeed(ctx context.Context, w io.Writer, token string, users UserLookup, label FeedLabels) error {
	if len(token) < 32 || len(token) > 128 {
		return errFeed
	}
	var tenantID, userID string
	err := s.db.Reader().QueryRow(ctx, `SELECT tenant_id, user_id FROM calendar_feeds WHERE token_hash = ? AND revoked_at IS NULL`,
		hashToken(token)).Scan(&tenantID, &userID)
	if isNoRows(err) {
		return errFeed
	}
	if err != nil {
		return errs.Wrap(err, "engagements: feed")
	}
	role, active, err := users(ctx, tenantID, userID)
	if err != nil || !active {
		return errFeed
	}
	if !slices.Contains(PermRead.Roles, role) {
		return errFeed
	}
	venues := slices.Contains(PermVenue.Roles, role)
	now := s.now()
	list, err := s.List(ctx, tenantID, now.Add(-feedPast), now.Add(feedFuture))
	if err != nil {
		return err
	}
	events := make([]ical.Event, 0, len(list))
	for _, e := range list {
		speakers, err := s.Speakers(ctx, e)
		if err != nil {
			return err
		}
		var aliases []string
		for _, sp := range speakers {
			aliases = append(aliases, sp.Alias)
		}
		summary := label("engagements.kind."+string(e.Kind)) + ": " + e.Title
		if len(aliases) > 0 {
			summary += " — " + strings.Join(aliases, ", ")
		}
		ev := ical.Event{UID: e.ID + "@inoculate", Summary: summary, Start: e.StartsAt, End: e.EndsAt, TZID: e.TimeZone,
			Status: icalStatus(e.Status), Updated: e.UpdatedAt,
			Description: label("engagements.status."+string(e.Status)) + " · " + e.Language}
		if venues {
			ev.Location = e.Venue
		}
		events = append(events, ev)
	}
	return ical.Write(w, "Inoculate", events)
}

func icalStatus(s Status) string {
	switch s {
	case StatusCancelled:
		return "CANCELLED"
	case StatusScheduled, StatusHeld, StatusDebriefed:
		return "CONFIRMED"
	}
	return "TENTATIVE"
}
