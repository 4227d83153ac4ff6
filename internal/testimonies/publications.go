package testimonies

import (
	"context"
	"net/url"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/events"
	"inoculate/internal/platform/store"
	"inoculate/internal/returnees/consent"
)

// Publication places a released rendition on a channel.
type Publication struct {
	ID          string    `json:"id"`
	RenditionID string    `json:"rendition_id"`
	ChannelID   string    `json:"channel_id"`
	Address     string    `json:"address"`
	Language    string    `json:"language"`
	PublishedOn string    `json:"published_on"`
	Status      string    `json:"status"` // live | takedown | taken_down
	CreatedAt   time.Time `json:"created_at"`
}

// Takedown is a task to take a publication down, raised by a consent withdrawal or
// narrowing, assigned to communications officers and tracked to closure.
type Takedown struct {
	ID            string    `json:"id"`
	PublicationID string    `json:"publication_id"`
	TestimonyID   string    `json:"testimony_id"`
	Address       string    `json:"address"`
	Reason        string    `json:"reason"`
	Status        string    `json:"status"`
	CreatedAt     time.Time `json:"created_at"`
	ClosedBy      string    `json:"closed_by,omitempty"`
	Note          string    `json:"note,omitempty"`
}

// PermTakedown lets communications officers and supervisors close takedown tasks.
var PermTakedown = authz.Allow("testimonies.takedown", authz.CommsOfficer, authz.Supervisor)

// Channel is a channel a publication can be placed on (the engagements capability
// keeps them).
type Channel struct{ ID, Name string }

// Channels lists a tenant's channels.
type Channels func(ctx context.Context, tenantID string) ([]Channel, error)

// SetChannels lets publications name their channel.
func (s *Service) SetChannels(c Channels) { s.channels = c }

func (s *Service) channelExists(ctx context.Context, tenantID, id string) bool {
	if s.channels == nil {
		return false
	}
	list, err := s.channels(ctx, tenantID)
	if err != nil {
		return false
	}
	for _, c := range list {
		if c.ID == id {
			return true
		}
	}
	return false
}

// Publish places a released rendition on a channel. The release must not have been
// revoked, and the speaker's consent must still cover it for the released audience
// in this language, now.
func (s *Service) Publish(ctx context.Context, p *authz.Principal, requestID, id, rid, channelID, address, language string) (Publication, error) {
	if err := check(PermRelease, p); err != nil {
		return Publication{}, err
	}
	t, err := s.Get(ctx, p.TenantID, id)
	if err != nil {
		return Publication{}, err
	}
	r, err := s.Rendition(ctx, p.TenantID, id, rid)
	if err != nil {
		return Publication{}, err
	}
	var audience string
	var revoked *int64
	if err := s.db.Reader().QueryRow(ctx, `SELECT audience, revoked_at FROM rendition_releases WHERE tenant_id = ? AND rendition_id = ?`,
		p.TenantID, rid).Scan(&audience, &revoked); err != nil {
		return Publication{}, &errs.Error{Kind: errs.Conflict, MsgKey: "testimonies.error.not_released", Msg: "only a released rendition can be published"}
	}
	if revoked != nil {
		return Publication{}, &errs.Error{Kind: errs.Conflict, MsgKey: "testimonies.error.revoked", Msg: "this rendition's release was revoked: it can never be used again"}
	}
	lang, ok := consent.NormalizeLanguage(language)
	if !ok {
		return Publication{}, invalid("language", "testimonies.error.language", "give the language as a code such as ar or en")
	}
	address = strings.TrimSpace(address)
	if address == "" || len(address) > 2000 {
		return Publication{}, invalid("address", "testimonies.error.address", "say where it is published: a web address, or a place and time")
	}
	if u, err := url.Parse(address); err == nil && u.Scheme != "" && u.Scheme != "https" && u.Scheme != "http" {
		return Publication{}, invalid("address", "testimonies.error.address", "say where it is published: a web address, or a place and time")
	}
	if !s.channelExists(ctx, p.TenantID, channelID) {
		return Publication{}, invalid("channel_id", "testimonies.error.channel", "no such channel")
	}
	d, err := s.rend.Consent.Allows(ctx, p.TenantID, t.ReturneeID, consent.Query{Use: consent.UseOnlinePublication, IdentityLevel: r.IdentityLevel,
		Audience: consent.Audience(audience), Language: lang, At: s.now()})
	if err != nil {
		return Publication{}, err
	}
	if !d.Allowed {
		return Publication{}, &errs.Error{Kind: errs.Conflict, MsgKey: "testimonies.error.consent_now", Args: []any{d.Reason},
			Msg: "the speaker's consent does not cover this publication now: " + d.ReasonText}
	}
	pid, err := newID()
	if err != nil {
		return Publication{}, err
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO publications (id, tenant_id, rendition_id, channel_id, address, language, published_on, status, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'live', ?, ?)`, pid, p.TenantID, rid, channelID, address, lang, now.UTC().Format(time.DateOnly), p.UserID, store.Millis(now)); err != nil {
			return errs.Wrap(err, "testimonies: publish")
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "publication.create", pid))
		return err
	})
	return Publication{ID: pid, RenditionID: rid, ChannelID: channelID, Address: address, Language: lang,
		PublishedOn: now.UTC().Format(time.DateOnly), Status: "live", CreatedAt: store.FromMillis(store.Millis(now))}, err
}

// Publications lists a testimony's publications.
func (s *Service) Publications(ctx context.Context, tenantID, id string) ([]Publication, error) {
	rows, err := s.db.Reader().Query(ctx, `SELECT p.id, p.rendition_id, p.channel_id, p.address, p.language, p.published_on, p.status, p.created_at
		FROM publications p JOIN testimony_renditions r ON r.id = p.rendition_id AND r.tenant_id = p.tenant_id
		WHERE p.tenant_id = ? AND r.testimony_id = ? ORDER BY p.created_at, p.id`, tenantID, id)
	if err != nil {
		return nil, errs.Wrap(err, "testimonies: publications")
	}
	defer rows.Close()
	out := []Publication{}
	for rows.Next() {
		var x Publication
		var at int64
		if err := rows.Scan(&x.ID, &x.RenditionID, &x.ChannelID, &x.Address, &x.Language, &x.PublishedOn, &x.Status, &at); err != nil {
			return nil, errs.Wrap(err, "testimonies: publications")
		}
		x.CreatedAt = store.FromMillis(at)
		out = append(out, x)
	}
	return out, errs.Wrap(rows.Err(), "testimonies: publications")
}

// OnConsentChange is the subscriber to consent events: for every release and live
// publication of the person's renditions that the consent no longer covers, the
// release is revoked (the rendition can never be used again) and a takedown task is
// raised, at once, in one transaction. It is idempotent: a redelivered event raises
// nothing twice.
func (s *Service) OnConsentChange(ctx context.Context, e events.Event) error {
	tenantID, returneeID := e.TenantID, e.Subject
	rows, err := s.db.Reader().Query(ctx, `SELECT r.id, r.identity_level, rr.audience, r.testimony_id FROM testimony_renditions r
		JOIN rendition_releases rr ON rr.rendition_id = r.id AND rr.tenant_id = r.tenant_id
		JOIN testimonies t ON t.id = r.testimony_id AND t.tenant_id = r.tenant_id
		WHERE r.tenant_id = ? AND t.returnee_id = ? AND rr.revoked_at IS NULL`, tenantID, returneeID)
	if err != nil {
		return errs.Wrap(err, "testimonies: releases of a person")
	}
	type rel struct{ id, level, audience, testimony string }
	var list []rel
	for rows.Next() {
		var x rel
		if err := rows.Scan(&x.id, &x.level, &x.audience, &x.testimony); err != nil {
			rows.Close()
			return errs.Wrap(err, "testimonies: releases of a person")
		}
		list = append(list, x)
	}
	rows.Close()
	reason := "testimonies.takedown.narrowed"
	if e.Kind == consent.EventWithdrawn {
		reason = "testimonies.takedown.withdrawn"
	}
	for _, x := range list {
		langs, err := s.Languages(ctx, tenantID, x.testimony)
		if err != nil {
			return err
		}
		if len(langs) == 0 {
			langs = []string{"und"}
		}
		covered := true
		for _, l := range langs {
			d, err := s.rend.Consent.Allows(ctx, tenantID, returneeID, consent.Query{Use: consent.UseOnlinePublication,
				IdentityLevel: consent.IdentityLevel(x.level), Audience: consent.Audience(x.audience), Language: l, At: s.now()})
			if err != nil || !d.Allowed {
				covered = false
				break
			}
		}
		if covered {
			continue
		}
		if err := s.revoke(ctx, tenantID, x.id, reason); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) revoke(ctx context.Context, tenantID, rid, reason string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		now := store.Millis(s.now())
		if _, err := tx.Exec(ctx, `UPDATE rendition_releases SET revoked_at = ? WHERE tenant_id = ? AND rendition_id = ? AND revoked_at IS NULL`,
			now, tenantID, rid); err != nil {
			return errs.Wrap(err, "testimonies: revoke release")
		}
		rows, err := tx.Query(ctx, `SELECT id FROM publications WHERE tenant_id = ? AND rendition_id = ? AND status = 'live'`, tenantID, rid)
		if err != nil {
			return errs.Wrap(err, "testimonies: live publications")
		}
		var pubs []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return errs.Wrap(err, "testimonies: live publications")
			}
			pubs = append(pubs, id)
		}
		rows.Close()
		for _, pid := range pubs {
			tid, err := newID()
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE publications SET status = 'takedown' WHERE tenant_id = ? AND id = ?`, tenantID, pid); err != nil {
				return errs.Wrap(err, "testimonies: mark for takedown")
			}
			if _, err := tx.Exec(ctx, `INSERT INTO takedown_tasks (id, tenant_id, publication_id, reason, status, created_at) VALUES (?, ?, ?, ?, 'open', ?)`,
				tid, tenantID, pid, reason, now); err != nil {
				return errs.Wrap(err, "testimonies: raise takedown")
			}
			if _, err := s.audit.Append(ctx, tx, auditSystem(tenantID, "publication.takedown_raised", tid)); err != nil {
				return err
			}
		}
		_, err = s.audit.Append(ctx, tx, auditSystem(tenantID, "rendition.release_revoked", rid))
		return err
	})
}

// Takedowns lists the tenant's takedown tasks, open first.
func (s *Service) Takedowns(ctx context.Context, tenantID string) ([]Takedown, error) {
	rows, err := s.db.Reader().Query(ctx, `SELECT k.id, k.publication_id, r.testimony_id, p.address, k.reason, k.status, k.created_at, COALESCE(k.closed_by, ''), k.note
		FROM takedown_tasks k JOIN publications p ON p.id = k.publication_id AND p.tenant_id = k.tenant_id
		JOIN testimony_renditions r ON r.id = p.rendition_id AND r.tenant_id = p.tenant_id
		WHERE k.tenant_id = ? ORDER BY CASE k.status WHEN 'open' THEN 0 ELSE 1 END, k.created_at, k.id`, tenantID)
	if err != nil {
		return nil, errs.Wrap(err, "testimonies: takedowns")
	}
	defer rows.Close()
	out := []Takedown{}
	for rows.Next() {
		var k Takedown
		var at int64
		if err := rows.Scan(&k.ID, &k.PublicationID, &k.TestimonyID, &k.Address, &k.Reason, &k.Status, &at, &k.ClosedBy, &k.Note); err != nil {
			return nil, errs.Wrap(err, "testimonies: takedowns")
		}
		k.CreatedAt = store.FromMillis(at)
		out = append(out, k)
	}
	return out, errs.Wrap(rows.Err(), "testimonies: takedowns")
}

// CloseTakedown records that a publication was taken down.
func (s *Service) CloseTakedown(ctx context.Context, p *authz.Principal, requestID, taskID, note string) error {
	if err := check(PermTakedown, p); err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if len([]rune(note)) < 5 || len([]rune(note)) > 1000 {
		return invalid("note", "testimonies.error.takedown_note", "say how it was taken down, in a few words")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var pid string
		if err := tx.QueryRow(ctx, `SELECT publication_id FROM takedown_tasks WHERE tenant_id = ? AND id = ? AND status = 'open'`, p.TenantID, taskID).Scan(&pid); err != nil {
			return &errs.Error{Kind: errs.NotFound, MsgKey: "testimonies.error.takedown", Msg: "no such open takedown task"}
		}
		now := store.Millis(s.now())
		if _, err := tx.Exec(ctx, `UPDATE takedown_tasks SET status = 'done', closed_by = ?, closed_at = ?, note = ? WHERE tenant_id = ? AND id = ?`,
			p.UserID, now, note, p.TenantID, taskID); err != nil {
			return errs.Wrap(err, "testimonies: close takedown")
		}
		if _, err := tx.Exec(ctx, `UPDATE publications SET status = 'taken_down' WHERE tenant_id = ? AND id = ?`, p.TenantID, pid); err != nil {
			return errs.Wrap(err, "testimonies: taken down")
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "publication.taken_down", pid))
		return err
	})
}
