package engagements

import (
	"context"
	"slices"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/returnees/consent"
)

// checked is an Input after validation: times resolved in its zone.
type checked struct {
	Input
	startsAt, endsAt time.Time
}

// validate checks in and resolves its local start in its time zone. now bounds the
// date: a new engagement may not start in the past or absurdly far ahead.
func (s *Service) validate(ctx context.Context, tenantID string, in Input, now time.Time, creating bool) (checked, error) {
	var c checked
	var err error
	in.Kind = Kind(strings.TrimSpace(string(in.Kind)))
	if !in.Kind.valid() {
		return c, invalid("kind", "engagements.error.kind", "unknown kind of engagement")
	}
	if in.Title, err = cleanText("title", in.Title, true, maxTitle); err != nil {
		return c, err
	}
	if in.Venue, err = cleanText("venue", in.Venue, false, maxVenue); err != nil {
		return c, err
	}
	if in.VenueDetails, err = cleanLong("venue_details", in.VenueDetails, false, maxDetails); err != nil {
		return c, err
	}
	in.CommunityID = strings.TrimSpace(in.CommunityID)
	if in.CommunityID == "" && in.Kind.needsCommunity() {
		return c, invalid("community_id", "engagements.error.community_required", "this kind of engagement takes place in a community: choose one")
	}
	if in.CommunityID != "" {
		if _, err := s.deps.Communities.Get(ctx, tenantID, in.CommunityID); err != nil {
			if errs.Is(err, errs.NotFound) {
				return c, invalid("community_id", "engagements.error.community", "no such community")
			}
			return c, err
		}
	}
	in.ChannelID = strings.TrimSpace(in.ChannelID)
	if in.ChannelID != "" {
		if _, err := s.Channel(ctx, tenantID, in.ChannelID); err != nil {
			if errs.Is(err, errs.NotFound) {
				return c, invalid("channel_id", "engagements.error.channel", "no such outlet or venue")
			}
			return c, err
		}
	}
	in.TimeZone = strings.TrimSpace(in.TimeZone)
	if in.TimeZone == "" || in.TimeZone == "Local" {
		return c, invalid("time_zone", "engagements.error.time_zone", "choose the time zone the engagement takes place in")
	}
	loc, err := time.LoadLocation(in.TimeZone)
	if err != nil {
		return c, invalid("time_zone", "engagements.error.time_zone", "unknown time zone")
	}
	start, err := time.ParseInLocation(localLayout, strings.TrimSpace(in.Start), loc)
	if err != nil {
		return c, invalid("start", "engagements.error.start", "give the date and time it starts (YYYY-MM-DDTHH:MM)")
	}
	if creating && start.Before(now) {
		return c, invalid("start", "engagements.error.past", "an engagement cannot be planned in the past")
	}
	if start.After(now.AddDate(yearsAhead, 0, 0)) {
		return c, invalid("start", "engagements.error.far", "that date is more than five years ahead: a typing mistake?")
	}
	if in.Minutes <= 0 || in.Minutes > maxMinutes {
		return c, invalid("minutes", "engagements.error.minutes", "the length must be between 1 minute and 24 hours")
	}
	lang, ok := consent.NormalizeLanguage(in.Language)
	if !ok {
		return c, invalid("language", "engagements.error.language", "give the language as a code such as ar or en")
	}
	in.Language = lang
	in.Audience = Audience(strings.TrimSpace(string(in.Audience)))
	if !in.Audience.valid() {
		return c, invalid("audience", "engagements.error.audience", "unknown audience")
	}
	if in.Audience == AudienceCommunity && in.CommunityID == "" {
		return c, invalid("audience", "engagements.error.audience_community", "a community audience needs a community")
	}
	in.IdentityLevel = consent.IdentityLevel(strings.TrimSpace(string(in.IdentityLevel)))
	if !slices.Contains(consent.Levels, in.IdentityLevel) {
		return c, invalid("identity_level", "engagements.error.identity_level", "unknown identity level")
	}
	if in.ExpectedAudience < 0 || in.ExpectedAudience > maxAudience {
		return c, invalid("expected_audience", "engagements.error.expected_audience", "the expected audience must be a number of people, 0 if unknown")
	}
	if in.Slots == 0 {
		in.Slots = 1
	}
	if in.Slots < 1 || in.Slots > maxSlots {
		return c, invalid("slots", "engagements.error.slots", "between 1 and 10 speakers", maxSlots)
	}
	c.Input, c.startsAt = in, start.UTC()
	c.endsAt = c.startsAt.Add(time.Duration(in.Minutes) * time.Minute)
	return c, nil
}

// Create proposes an engagement. It starts with no speakers: they are added one by
// one (AddSpeaker), each showing the family warning if there is one.
func (s *Service) Create(ctx context.Context, p *authz.Principal, requestID string, in Input) (Engagement, error) {
	if err := check(PermWrite, p); err != nil {
		return Engagement{}, err
	}
	now := s.now()
	c, err := s.validate(ctx, p.TenantID, in, now, true)
	if err != nil {
		return Engagement{}, err
	}
	id, err := newID()
	if err != nil {
		return Engagement{}, err
	}
	at := store.Millis(now)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO engagements (id, tenant_id, kind, title, community_id, channel_id, venue, starts_at, ends_at,
			time_zone, language, audience, identity_level, expected_audience, slots, status, revision, created_by, created_at, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
			id, p.TenantID, string(c.Kind), c.Title, nullString(c.CommunityID), nullString(c.ChannelID), c.Venue,
			store.Millis(c.startsAt), store.Millis(c.endsAt), c.TimeZone, c.Language, string(c.Audience), string(c.IdentityLevel),
			c.ExpectedAudience, c.Slots, string(StatusProposed), p.UserID, at, p.UserID, at); err != nil {
			return errs.Wrap(err, "engagements: create")
		}
		if err := s.sealVenue(ctx, tx, p.TenantID, id, c.VenueDetails); err != nil {
			return err
		}
		if c.Kind == KindMediaInterview {
			if _, err := tx.Exec(ctx, `INSERT INTO engagement_media (engagement_id, tenant_id, updated_by, updated_at) VALUES (?, ?, ?, ?)`,
				id, p.TenantID, p.UserID, at); err != nil {
				return errs.Wrap(err, "engagements: create media details")
			}
		}
		if err := event(ctx, tx, p.TenantID, id, "", StatusProposed, 1, "", p.UserID, at); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "engagement.create", id))
		return err
	})
	if err != nil {
		return Engagement{}, err
	}
	return s.Get(ctx, p.TenantID, id)
}

func (s *Service) sealVenue(ctx context.Context, tx *store.Tx, tenantID, id, details string) error {
	var sealed any
	if details != "" {
		b, err := s.vault.Seal(ctx, tx, field(tenantID, id, "engagements", "venue_details", id), []byte(details))
		if err != nil {
			return err
		}
		sealed = b
	}
	_, err := tx.Exec(ctx, `UPDATE engagements SET venue_details = ? WHERE tenant_id = ? AND id = ?`, sealed, tenantID, id)
	return errs.Wrap(err, "engagements: seal venue")
}

// Get returns one engagement. NotFound for another tenant's id.
func (s *Service) Get(ctx context.Context, tenantID, id string) (Engagement, error) {
	return load(ctx, s.db.Reader(), tenantID, id)
}

// List returns the tenant's engagements by start time; with from/until non-zero,
// only those starting in [from, until).
func (s *Service) List(ctx context.Context, tenantID string, from, until time.Time) ([]Engagement, error) {
	where, args := "", []any{}
	if !from.IsZero() {
		where, args = "starts_at >= ?", append(args, store.Millis(from))
	}
	if !until.IsZero() {
		if where != "" {
			where += " AND "
		}
		where += "starts_at < ?"
		args = append(args, store.Millis(until))
	}
	return query(ctx, s.db.Reader(), tenantID, where, args...)
}

// ForSpeaker returns the engagements a returnee speaks at, by start time.
func (s *Service) ForSpeaker(ctx context.Context, tenantID, returneeID string) ([]Engagement, error) {
	return query(ctx, s.db.Reader(), tenantID,
		`id IN (SELECT engagement_id FROM engagement_speakers WHERE tenant_id = ? AND returnee_id = ?)`, tenantID, returneeID)
}

// Change says whether an update was material: approvals must be given again.
type Change struct {
	Material bool
}

// material reports whether moving from old to new changes what the chain of command
// approved: the date or time, the format or the identity level (speakers are changed
// by AddSpeaker and RemoveSpeaker, which are always material).
func material(old Engagement, c checked) bool {
	return !old.StartsAt.Equal(c.startsAt) || !old.EndsAt.Equal(c.endsAt) || old.Kind != c.Kind ||
		old.IdentityLevel != c.IdentityLevel || old.CommunityID != c.CommunityID
}

// rechecked reports whether a change touches what the readiness check looked at
// without being material for the chain (language, audience, venue): a scheduled
// engagement goes back to approved and must be scheduled again.
func rechecked(old Engagement, c checked) bool {
	return old.Language != c.Language || old.Audience != c.Audience || old.Slots != c.Slots
}

// Update changes an engagement that is still being prepared. A material change
// (date, format, identity level, community) makes a new revision: earlier approvals
// stop counting and the engagement goes back to proposed.
func (s *Service) Update(ctx context.Context, p *authz.Principal, requestID, id string, in Input) (Engagement, Change, error) {
	if err := check(PermWrite, p); err != nil {
		return Engagement{}, Change{}, err
	}
	old, err := s.Get(ctx, p.TenantID, id)
	if err != nil {
		return Engagement{}, Change{}, err
	}
	c, err := s.validate(ctx, p.TenantID, in, s.now(), false)
	if err != nil {
		return Engagement{}, Change{}, err
	}
	if c.Kind != old.Kind && (c.Kind == KindMediaInterview) != (old.Kind == KindMediaInterview) {
		return Engagement{}, Change{}, invalid("kind", "engagements.error.kind_change",
			"an interview cannot become a talk or the reverse: cancel it and propose a new one")
	}
	var ch Change
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lock(ctx, tx, p.TenantID, id); err != nil {
			return err
		}
		cur, err := load(ctx, tx, p.TenantID, id)
		if err != nil {
			return err
		}
		if !cur.Status.open() {
			return errClosed
		}
		if cur.Revision != old.Revision {
			return errs.E(errs.Conflict, "the engagement changed meanwhile: reload and try again")
		}
		rev, status := cur.Revision, cur.Status
		if material(cur, c) {
			ch.Material = true
			rev++
			status = StatusProposed
		} else if rechecked(cur, c) && cur.Status == StatusScheduled {
			status = StatusApproved
		}
		at := store.Millis(s.now())
		if _, err := tx.Exec(ctx, `UPDATE engagements SET kind = ?, title = ?, community_id = ?, channel_id = ?, venue = ?, starts_at = ?, ends_at = ?,
			time_zone = ?, language = ?, audience = ?, identity_level = ?, expected_audience = ?, slots = ?, status = ?, revision = ?,
			updated_by = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
			string(c.Kind), c.Title, nullString(c.CommunityID), nullString(c.ChannelID), c.Venue, store.Millis(c.startsAt), store.Millis(c.endsAt),
			c.TimeZone, c.Language, string(c.Audience), string(c.IdentityLevel), c.ExpectedAudience, c.Slots, string(status), rev,
			p.UserID, at, p.TenantID, id); err != nil {
			return errs.Wrap(err, "engagements: update")
		}
		if c.VenueDetails != "" {
			if err := s.sealVenue(ctx, tx, p.TenantID, id, c.VenueDetails); err != nil {
				return err
			}
		}
		if status != cur.Status {
			note := "changed"
			if ch.Material {
				note = "material change"
			}
			if err := event(ctx, tx, p.TenantID, id, cur.Status, status, rev, note, p.UserID, at); err != nil {
				return err
			}
		}
		action := "engagement.update"
		if ch.Material {
			action = "engagement.material_change"
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, action, id))
		return err
	})
	if err != nil {
		return Engagement{}, Change{}, err
	}
	e, err := s.Get(ctx, p.TenantID, id)
	return e, ch, err
}

// VenueDetails opens the sealed venue details: only for roles cleared for venues, and
// audited.
func (s *Service) VenueDetails(ctx context.Context, p *authz.Principal, requestID, id string) (string, error) {
	if err := check(PermVenue, p); err != nil {
		return "", err
	}
	var out string
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		b, err := sealedColumn(ctx, tx, p.TenantID, id, "venue_details")
		if err != nil || b == nil {
			return err
		}
		pt, err := s.vault.Open(ctx, tx, field(p.TenantID, id, "engagements", "venue_details", id), b)
		if err != nil {
			return err
		}
		out = string(pt)
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "engagement.venue_read", id))
		return err
	})
	return out, err
}
