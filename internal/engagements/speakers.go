package engagements

import (
	"context"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// Speaker is a speaker of an engagement as pages show them: by alias, with the family
// warning when a relative in the engagement's community is hostile to the program.
type Speaker struct {
	ID      string `json:"id"`
	Alias   string `json:"alias"`
	Home    string `json:"home_community"`
	Erased  bool   `json:"erased"`
	Hostile bool   `json:"hostile_relative"`
}

// SpeakerChange is the result of adding a speaker: the speaker and whether the
// change made a new revision (it always does: a speaker is material).
type SpeakerChange struct {
	Speaker  Speaker `json:"speaker"`
	Revision int     `json:"revision"`
}

var errSpeakerFull = &errs.Error{Kind: errs.Conflict, MsgKey: "engagements.error.speakers_full",
	Msg: "this engagement already has all the speakers it asked for: raise the number first"}

// Speakers returns the engagement's speakers with the family warning.
func (s *Service) Speakers(ctx context.Context, e Engagement) ([]Speaker, error) {
	community, err := s.communityName(ctx, e.TenantID, e.CommunityID)
	if err != nil {
		return nil, err
	}
	out := make([]Speaker, 0, len(e.SpeakerIDs))
	for _, id := range e.SpeakerIDs {
		sp, err := s.speaker(ctx, e.TenantID, id, community)
		if err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return out, nil
}

func (s *Service) speaker(ctx context.Context, tenantID, returneeID, community string) (Speaker, error) {
	r, err := s.deps.Returnees.Get(ctx, tenantID, returneeID)
	if err != nil {
		return Speaker{}, err
	}
	sp := Speaker{ID: r.ID, Alias: r.Alias, Home: r.HomeCommunity, Erased: r.Erased}
	if community != "" && !r.Erased {
		if sp.Hostile, err = s.deps.Family.HostileIn(ctx, tenantID, returneeID, community); err != nil {
			return sp, err
		}
	}
	return sp, nil
}

// AddSpeaker proposes a returnee as a speaker. It is a material change: a new
// revision, earlier approvals stop counting.
func (s *Service) AddSpeaker(ctx context.Context, p *authz.Principal, requestID, id, returneeID string) (SpeakerChange, error) {
	if err := check(PermWrite, p); err != nil {
		return SpeakerChange{}, err
	}
	r, err := s.deps.Returnees.Get(ctx, p.TenantID, returneeID)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return SpeakerChange{}, invalid("returnee_id", "engagements.error.speaker", "no such person")
		}
		return SpeakerChange{}, err
	}
	if r.Erased {
		return SpeakerChange{}, invalid("returnee_id", "engagements.error.speaker_erased", "this person's data was erased: they cannot be proposed")
	}
	var rev int
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
		for _, sid := range cur.SpeakerIDs {
			if sid == returneeID {
				return &errs.Error{Kind: errs.Conflict, MsgKey: "engagements.error.speaker_twice", Msg: "already a speaker here"}
			}
		}
		if len(cur.SpeakerIDs) >= cur.Slots {
			return errSpeakerFull
		}
		at := store.Millis(s.now())
		if _, err := tx.Exec(ctx, `INSERT INTO engagement_speakers (tenant_id, engagement_id, returnee_id, added_by, added_at) VALUES (?, ?, ?, ?, ?)`,
			p.TenantID, id, returneeID, p.UserID, at); err != nil {
			return errs.Wrap(err, "engagements: add speaker")
		}
		rev, err = s.materialChange(ctx, tx, p, cur, "speaker added", at)
		if err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "engagement.speaker_add", id+"/"+returneeID))
		return err
	})
	if err != nil {
		return SpeakerChange{}, err
	}
	e, err := s.Get(ctx, p.TenantID, id)
	if err != nil {
		return SpeakerChange{}, err
	}
	community, err := s.communityName(ctx, p.TenantID, e.CommunityID)
	if err != nil {
		return SpeakerChange{}, err
	}
	sp, err := s.speaker(ctx, p.TenantID, returneeID, community)
	return SpeakerChange{Speaker: sp, Revision: rev}, err
}

// RemoveSpeaker takes a speaker off an engagement: a material change too.
func (s *Service) RemoveSpeaker(ctx context.Context, p *authz.Principal, requestID, id, returneeID string) error {
	if err := check(PermWrite, p); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
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
		res, err := tx.Exec(ctx, `DELETE FROM engagement_speakers WHERE tenant_id = ? AND engagement_id = ? AND returnee_id = ?`,
			p.TenantID, id, returneeID)
		if err != nil {
			return errs.Wrap(err, "engagements: remove speaker")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &errs.Error{Kind: errs.NotFound, MsgKey: "engagements.error.not_speaker", Msg: "not a speaker of this engagement"}
		}
		if _, err := s.materialChange(ctx, tx, p, cur, "speaker removed", store.Millis(s.now())); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "engagement.speaker_remove", id+"/"+returneeID))
		return err
	})
}

// materialChange makes a new revision of cur and sends it back to proposed: the chain
// of command is asked again.
func (s *Service) materialChange(ctx context.Context, tx *store.Tx, p *authz.Principal, cur Engagement, note string, at int64) (int, error) {
	rev := cur.Revision + 1
	if _, err := tx.Exec(ctx, `UPDATE engagements SET revision = ?, status = ?, updated_by = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		rev, string(StatusProposed), p.UserID, at, p.TenantID, cur.ID); err != nil {
		return 0, errs.Wrap(err, "engagements: new revision")
	}
	if err := event(ctx, tx, p.TenantID, cur.ID, cur.Status, StatusProposed, rev, note, p.UserID, at); err != nil {
		return 0, err
	}
	return rev, nil
}
