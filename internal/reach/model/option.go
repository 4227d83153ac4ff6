package model

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/returnees/consent"
)

// OptionKind is what an option is: one of the engagement kinds a story can be
// seeded through, or a publication of a testimony.
type OptionKind string

const (
	OptionPublicForum    OptionKind = "public_forum"
	OptionMediaInterview OptionKind = "media_interview"
	OptionSchoolTalk     OptionKind = "school_talk"
	OptionMosqueTalk     OptionKind = "mosque_talk"
	OptionOnlineLive     OptionKind = "online_live"
	OptionPublication    OptionKind = "publication"
)

// OptionKinds lists the kinds in display order.
var OptionKinds = []OptionKind{OptionPublicForum, OptionMediaInterview, OptionSchoolTalk, OptionMosqueTalk, OptionOnlineLive, OptionPublication}

// Bounds on an option's costs: beyond them a value is a typing error.
const (
	MaxMoney        = 1e12
	MaxSpeakerHours = 10000
	maxTitle        = 200
	maxNotes        = 2000
)

// Option is a concrete engagement or publication a plan may choose: it seeds the
// story on one channel, at some cost. Whether it is allowed at all (consent,
// clearance, approvals) is for the planner to ask the other capabilities.
type Option struct {
	ID            string                `json:"id"`
	Kind          OptionKind            `json:"kind"`
	Title         string                `json:"title"` // unique per tenant
	ChannelID     string                `json:"channel_id"`
	CommunityID   string                `json:"community_id"` // "" when none
	Language      string                `json:"language"`
	IdentityLevel consent.IdentityLevel `json:"identity_level"`
	SpeakerID     string                `json:"speaker_id"` // a returnee id; "" when no speaker is proposed
	Money         float64               `json:"money"`      // in the tenant's currency units
	SpeakerHours  float64               `json:"speaker_hours"`
	Notes         string                `json:"notes"`
	CreatedBy     string                `json:"created_by"`
	CreatedAt     time.Time             `json:"created_at"`
	UpdatedBy     string                `json:"updated_by"`
	UpdatedAt     time.Time             `json:"updated_at"`
}

// OptionInput is the input of CreateOption and UpdateOption.
type OptionInput struct {
	Kind          OptionKind            `json:"kind"`
	Title         string                `json:"title"`
	ChannelID     string                `json:"channel_id"`
	CommunityID   string                `json:"community_id"`
	Language      string                `json:"language"`
	IdentityLevel consent.IdentityLevel `json:"identity_level"`
	SpeakerID     string                `json:"speaker_id"`
	Money         float64               `json:"money"`
	SpeakerHours  float64               `json:"speaker_hours"`
	Notes         string                `json:"notes"`
}

var (
	errOptionNotFound = notFound("", "reach.error.option_not_found", "no such option")
	errTitleTaken     = conflict("title", "reach.error.title_taken", "another option has this title")
	errOptionInPlan   = conflict("", "reach.error.option_in_plan", "a saved plan uses this option: it cannot be deleted")
)

func checkOptionKind(s string) (OptionKind, error) {
	k := OptionKind(strings.TrimSpace(s))
	if !slices.Contains(OptionKinds, k) {
		return "", invalid("kind", "reach.error.option_kind", "unknown kind of option")
	}
	return k, nil
}

func checkIdentityLevel(s string) (consent.IdentityLevel, error) {
	l := consent.IdentityLevel(strings.TrimSpace(s))
	if !slices.Contains(consent.Levels, l) {
		return "", invalid("identity_level", "reach.error.identity_level", "unknown identity level")
	}
	return l, nil
}

func checkMoney(v float64) error {
	if math.IsNaN(v) || v < 0 || v > MaxMoney {
		return invalid("money", "reach.error.money", "the cost is an amount of 0 or more")
	}
	return nil
}

func checkHours(v float64) error {
	if math.IsNaN(v) || v < 0 || v > MaxSpeakerHours {
		return invalid("speaker_hours", "reach.error.hours", "speaker hours are a number from 0 to 10000")
	}
	return nil
}

// normalize checks every field but the references, which need the database.
func (in OptionInput) normalize() (OptionInput, error) {
	var err error
	if in.Kind, err = checkOptionKind(string(in.Kind)); err != nil {
		return in, err
	}
	if in.Title, err = cleanText("title", in.Title, true, maxTitle); err != nil {
		return in, err
	}
	in.ChannelID, in.CommunityID, in.SpeakerID = cleanID(in.ChannelID), cleanID(in.CommunityID), cleanID(in.SpeakerID)
	if in.ChannelID == "" {
		return in, invalid("channel_id", "reach.error.required", "channel_id is required")
	}
	if in.Language, err = checkLanguage("language", in.Language); err != nil {
		return in, err
	}
	if in.IdentityLevel, err = checkIdentityLevel(string(in.IdentityLevel)); err != nil {
		return in, err
	}
	if err = checkMoney(in.Money); err != nil {
		return in, err
	}
	if err = checkHours(in.SpeakerHours); err != nil {
		return in, err
	}
	in.Notes, err = cleanLong("notes", in.Notes, maxNotes)
	return in, err
}

func checkOptionRefs(ctx context.Context, q store.Querier, tenantID string, in OptionInput) error {
	if err := checkChannel(ctx, q, tenantID, in.ChannelID, "channel_id"); err != nil {
		return err
	}
	if err := checkCommunity(ctx, q, tenantID, in.CommunityID); err != nil {
		return err
	}
	return checkSpeaker(ctx, q, tenantID, in.SpeakerID)
}

// CreateOption records an option.
func (s *Service) CreateOption(ctx context.Context, p *authz.Principal, requestID string, in OptionInput) (Option, error) {
	if err := check(PermWrite, p); err != nil {
		return Option{}, err
	}
	in, err := in.normalize()
	if err != nil {
		return Option{}, err
	}
	id, err := newID()
	if err != nil {
		return Option{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := checkOptionRefs(ctx, tx, p.TenantID, in); err != nil {
			return err
		}
		if err := insertOption(ctx, tx, p, id, in, s.now()); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "reach.option.create", id))
		return err
	})
	if err != nil {
		return Option{}, err
	}
	return s.Option(ctx, p.TenantID, id)
}

const insertOptionHead = `INSERT INTO reach_options (id, tenant_id, kind, title, channel_id, community_id, language, identity_level,
	speaker_id, money, speaker_hours, notes, created_by, created_at, updated_by, updated_at) VALUES `

func optionArgs(p *authz.Principal, id string, in OptionInput, now time.Time) []any {
	at := store.Millis(now)
	return []any{id, p.TenantID, string(in.Kind), in.Title, in.ChannelID, nullString(in.CommunityID), in.Language, string(in.IdentityLevel),
		nullString(in.SpeakerID), in.Money, in.SpeakerHours, in.Notes, p.UserID, at, p.UserID, at}
}

func insertOption(ctx context.Context, tx *store.Tx, p *authz.Principal, id string, in OptionInput, now time.Time) error {
	args := optionArgs(p, id, in, now)
	_, err := tx.Exec(ctx, insertOptionHead+valuesRow(len(args)), args...)
	if store.IsUniqueViolation(err) {
		return errTitleTaken
	}
	return errs.Wrap(err, "reach: insert option")
}

func updateOption(ctx context.Context, tx *store.Tx, p *authz.Principal, id string, in OptionInput, now time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE reach_options SET kind = ?, title = ?, channel_id = ?, community_id = ?, language = ?,
		identity_level = ?, speaker_id = ?, money = ?, speaker_hours = ?, notes = ?, updated_by = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?`,
		string(in.Kind), in.Title, in.ChannelID, nullString(in.CommunityID), in.Language, string(in.IdentityLevel),
		nullString(in.SpeakerID), in.Money, in.SpeakerHours, in.Notes, p.UserID, store.Millis(now), p.TenantID, id)
	if store.IsUniqueViolation(err) {
		return errTitleTaken
	}
	if err != nil {
		return errs.Wrap(err, "reach: update option")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errOptionNotFound
	}
	return nil
}

// UpdateOption replaces an option's details.
func (s *Service) UpdateOption(ctx context.Context, p *authz.Principal, requestID, id string, in OptionInput) (Option, error) {
	id = cleanID(id)
	if err := check(PermWrite, p); err != nil {
		return Option{}, err
	}
	in, err := in.normalize()
	if err != nil {
		return Option{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := checkOptionRefs(ctx, tx, p.TenantID, in); err != nil {
			return err
		}
		if err := updateOption(ctx, tx, p, id, in, s.now()); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "reach.option.update", id))
		return err
	})
	if err != nil {
		return Option{}, err
	}
	return s.Option(ctx, p.TenantID, id)
}

// DeleteOption removes an option no saved plan uses (Conflict otherwise: a plan is
// a record of what was chosen).
func (s *Service) DeleteOption(ctx context.Context, p *authz.Principal, requestID, id string) error {
	id = cleanID(id)
	if err := check(PermWrite, p); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		used, err := exists(ctx, tx, `SELECT 1 FROM reach_plan_items WHERE tenant_id = ? AND option_id = ? LIMIT 1`, p.TenantID, id)
		if err != nil {
			return err
		}
		if used {
			return errOptionInPlan
		}
		res, err := tx.Exec(ctx, `DELETE FROM reach_options WHERE tenant_id = ? AND id = ?`, p.TenantID, id)
		if err != nil {
			return errs.Wrap(err, "reach: delete option")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errOptionNotFound
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "reach.option.delete", id))
		return err
	})
}

const selectOption = `SELECT id, kind, title, channel_id, COALESCE(community_id, ''), language, identity_level,
	COALESCE(speaker_id, ''), money, speaker_hours, notes, created_by, created_at, updated_by, updated_at FROM reach_options`

func scanOption(sc scanner) (Option, error) {
	var o Option
	var kind, level string
	var created, updated int64
	if err := sc.Scan(&o.ID, &kind, &o.Title, &o.ChannelID, &o.CommunityID, &o.Language, &level, &o.SpeakerID,
		&o.Money, &o.SpeakerHours, &o.Notes, &o.CreatedBy, &created, &o.UpdatedBy, &updated); err != nil {
		return o, err
	}
	o.Kind, o.IdentityLevel = OptionKind(kind), consent.IdentityLevel(level)
	o.CreatedAt, o.UpdatedAt = store.FromMillis(created), store.FromMillis(updated)
	return o, nil
}

// Option returns the tenant's option id; NotFound for another tenant's.
func (s *Service) Option(ctx context.Context, tenantID, id string) (Option, error) {
	id = cleanID(id)
	o, err := scanOption(s.db.Reader().QueryRow(ctx, selectOption+` WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if isNoRows(err) {
		return Option{}, errOptionNotFound
	}
	return o, errs.Wrap(err, "reach: option")
}

// Options lists the tenant's options by title.
func (s *Service) Options(ctx context.Context, tenantID string) ([]Option, error) {
	return listOptions(ctx, s.db.Reader(), tenantID)
}

func listOptions(ctx context.Context, q store.Querier, tenantID string) ([]Option, error) {
	rows, err := q.Query(ctx, selectOption+` WHERE tenant_id = ? ORDER BY title, id`, tenantID)
	if err != nil {
		return nil, errs.Wrap(err, "reach: options")
	}
	defer rows.Close()
	out := []Option{}
	for rows.Next() {
		o, err := scanOption(rows)
		if err != nil {
			return nil, errs.Wrap(err, "reach: options")
		}
		out = append(out, o)
	}
	return out, errs.Wrap(rows.Err(), "reach: options")
}
