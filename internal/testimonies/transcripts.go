package testimonies

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
	"inoculate/internal/returnees/consent"
	"inoculate/internal/testimonies/redact"
	"inoculate/internal/testimonies/subtitles"
)

// Segment is one timecoded piece of a transcript or subtitle track.
type Segment struct {
	Index  int           `json:"index"`
	Start  time.Duration `json:"start"`
	End    time.Duration `json:"end"`
	Text   string        `json:"text"`
	Themes []string      `json:"themes"`
}

// Flag is a span of a segment that must be resolved before release: redacted, or
// accepted with a reason. Match is the words of the transcript; the known term it
// matched is never kept or shown.
type Flag struct {
	ID         string    `json:"id"`
	Language   string    `json:"language"`
	Index      int       `json:"index"`
	Start, End int       `json:"-"`
	Kind       string    `json:"kind"`
	Match      string    `json:"match"`
	Status     string    `json:"status"` // open | redacted | accepted
	Reason     string    `json:"reason,omitempty"`
	ResolvedBy string    `json:"resolved_by,omitempty"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
}

// Flag statuses.
const (
	FlagOpen     = "open"
	FlagRedacted = "redacted"
	FlagAccepted = "accepted"
)

// Redacted is what a redacted span becomes in the text.
const Redacted = "[…]"

func segRef(t Testimony, lang string, idx int) vault.FieldRef {
	return vault.FieldRef{TenantID: t.TenantID, Subject: t.ReturneeID, Table: "testimony_segments", Column: "text",
		Row: t.ID + "/" + lang + "/" + itoa(idx)}
}

func flagRef(t Testimony, id string) vault.FieldRef {
	return vault.FieldRef{TenantID: t.TenantID, Subject: t.ReturneeID, Table: "testimony_flags", Column: "match", Row: id}
}

func itoa(n int) string {
	b := []byte{}
	if n == 0 {
		return "0"
	}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// ImportTranscript replaces the testimony's track in language with an SRT or WebVTT
// file (the format is read from the content), and raises the redaction flags on it.
// It returns the number of segments and of open flags.
func (s *Service) ImportTranscript(ctx context.Context, p *authz.Principal, requestID, id, language string, file []byte) (int, int, error) {
	if err := check(PermWrite, p); err != nil {
		return 0, 0, err
	}
	t, err := s.Get(ctx, p.TenantID, id)
	if err != nil {
		return 0, 0, err
	}
	lang, ok := consent.NormalizeLanguage(language)
	if !ok {
		return 0, 0, invalid("language", "testimonies.error.language", "give the language as a code such as ar or en")
	}
	segs, _, err := subtitles.Parse("transcript", file)
	if err != nil {
		return 0, 0, &errs.Error{Kind: errs.Invalid, Field: "file", MsgKey: "testimonies.error.subtitles", Args: []any{err.Error()},
			Msg: "this is not a subtitle file we can read: " + err.Error()}
	}
	if err := subtitles.Check(segs); err != nil {
		return 0, 0, &errs.Error{Kind: errs.Invalid, Field: "file", MsgKey: "testimonies.error.subtitles", Args: []any{err.Error()},
			Msg: "the subtitles are not in order: " + err.Error()}
	}
	if len(segs) == 0 {
		return 0, 0, invalid("file", "testimonies.error.empty", "the file holds no subtitles")
	}
	terms, err := s.terms(ctx, p.TenantID, t.ReturneeID, requestID)
	if err != nil {
		return 0, 0, err
	}
	matcher := redact.NewMatcher(terms)
	open := 0
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, q := range []string{`DELETE FROM testimony_flags WHERE tenant_id = ? AND testimony_id = ? AND language = ?`,
			`DELETE FROM testimony_segments WHERE tenant_id = ? AND testimony_id = ? AND language = ?`} {
			if _, err := tx.Exec(ctx, q, p.TenantID, id, lang); err != nil {
				return errs.Wrap(err, "testimonies: replace track")
			}
		}
		for i, sg := range segs {
			sealed, err := s.vault.Seal(ctx, tx, segRef(t, lang, i), []byte(sg.Text))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO testimony_segments (tenant_id, testimony_id, language, idx, start_ms, end_ms, text) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				p.TenantID, id, lang, i, sg.Start.Milliseconds(), sg.End.Milliseconds(), sealed); err != nil {
				return errs.Wrap(err, "testimonies: insert segment")
			}
			n, err := s.raise(ctx, tx, t, lang, i, sg.Text, matcher)
			if err != nil {
				return err
			}
			open += n
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "testimony.transcript_import", id+"/"+lang))
		return err
	})
	return len(segs), open, err
}

// raise records the open flags of one segment's text.
func (s *Service) raise(ctx context.Context, tx *store.Tx, t Testimony, lang string, idx int, text string, m *redact.Matcher) (int, error) {
	n := 0
	for _, f := range m.Find(text) {
		fid, err := newID()
		if err != nil {
			return 0, err
		}
		sealed, err := s.vault.Seal(ctx, tx, flagRef(t, fid), []byte(f.Match))
		if err != nil {
			return 0, err
		}
		kind := f.Kind
		if kind == "" {
			kind = redact.KindTerm
		}
		if _, err := tx.Exec(ctx, `INSERT INTO testimony_flags (id, tenant_id, testimony_id, language, idx, span_start, span_end, kind, match, status)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, fid, t.TenantID, t.ID, lang, idx, f.Start, f.End, kind, sealed, FlagOpen); err != nil {
			return 0, errs.Wrap(err, "testimonies: insert flag")
		}
		n++
	}
	return n, nil
}

// Languages lists the languages the testimony has a track in.
func (s *Service) Languages(ctx context.Context, tenantID, id string) ([]string, error) {
	rows, err := s.db.Reader().Query(ctx, `SELECT DISTINCT language FROM testimony_segments WHERE tenant_id = ? AND testimony_id = ? ORDER BY language`, tenantID, id)
	if err != nil {
		return nil, errs.Wrap(err, "testimonies: languages")
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return nil, errs.Wrap(err, "testimonies: languages")
		}
		out = append(out, l)
	}
	return out, errs.Wrap(rows.Err(), "testimonies: languages")
}

// Segments opens the testimony's track in language: an audited read (the text may
// name people).
func (s *Service) Segments(ctx context.Context, p *authz.Principal, requestID, id, lang string) ([]Segment, error) {
	if err := check(PermRead, p); err != nil {
		return nil, err
	}
	t, err := s.Get(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	var out []Segment
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if out, err = s.segments(ctx, tx, t, lang); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "testimony.transcript_read", id+"/"+lang))
		return err
	})
	return out, err
}

func (s *Service) segments(ctx context.Context, q store.Querier, t Testimony, lang string) ([]Segment, error) {
	rows, err := q.Query(ctx, `SELECT idx, start_ms, end_ms, text, themes FROM testimony_segments WHERE tenant_id = ? AND testimony_id = ? AND language = ? ORDER BY idx`,
		t.TenantID, t.ID, lang)
	if err != nil {
		return nil, errs.Wrap(err, "testimonies: segments")
	}
	type raw struct {
		sg     Segment
		sealed []byte
	}
	var list []raw
	for rows.Next() {
		var r raw
		var a, b int64
		var themes string
		if err := rows.Scan(&r.sg.Index, &a, &b, &r.sealed, &themes); err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "testimonies: segments")
		}
		r.sg.Start, r.sg.End = time.Duration(a)*time.Millisecond, time.Duration(b)*time.Millisecond
		r.sg.Themes = []string{}
		if themes != "" {
			r.sg.Themes = strings.Split(themes, ",")
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "testimonies: segments")
	}
	spans, err := openSpans(ctx, q, t, lang)
	if err != nil {
		return nil, err
	}
	out := make([]Segment, 0, len(list))
	for _, r := range list {
		if s.vault.Shredded(t.ReturneeID) {
			return nil, &errs.Error{Kind: errs.Conflict, MsgKey: "testimonies.error.erased", Msg: "this person's data was erased"}
		}
		pt, err := s.vault.Open(ctx, q, segRef(t, lang, r.sg.Index), r.sealed)
		if err != nil {
			return nil, err
		}
		r.sg.Text = mask(string(pt), spans[r.sg.Index])
		out = append(out, r.sg)
	}
	return out, nil
}

// Masked stands for the words of an open flag wherever a person reads the text: a
// transcript may say a legal name, and nobody here is cleared to see one. Redact or
// accept the flag to resolve it.
const Masked = "▮▮▮"

type span struct{ a, b int }

// openSpans returns the open flags' spans of one track, by segment.
func openSpans(ctx context.Context, q store.Querier, t Testimony, lang string) (map[int][]span, error) {
	rows, err := q.Query(ctx, `SELECT idx, span_start, span_end FROM testimony_flags WHERE tenant_id = ? AND testimony_id = ? AND language = ? AND status = ?
		ORDER BY idx, span_start`, t.TenantID, t.ID, lang, FlagOpen)
	if err != nil {
		return nil, errs.Wrap(err, "testimonies: open spans")
	}
	defer rows.Close()
	out := map[int][]span{}
	for rows.Next() {
		var i int
		var sp span
		if err := rows.Scan(&i, &sp.a, &sp.b); err != nil {
			return nil, errs.Wrap(err, "testimonies: open spans")
		}
		out[i] = append(out[i], sp)
	}
	return out, errs.Wrap(rows.Err(), "testimonies: open spans")
}

// mask replaces the spans (sorted, not overlapping) of text with Masked.
func mask(text string, spans []span) string {
	for i := len(spans) - 1; i >= 0; i-- {
		sp := spans[i]
		if sp.a < 0 || sp.b > len(text) || sp.a > sp.b {
			continue
		}
		text = text[:sp.a] + Masked + text[sp.b:]
	}
	return text
}

// Export writes the testimony's track in language as SRT or WebVTT: an audited read,
// refused while a flag on the testimony is open (nothing leaves with an unresolved
// name in it).
func (s *Service) Export(ctx context.Context, p *authz.Principal, requestID, id, lang string, f subtitles.Format) ([]byte, error) {
	if n, err := s.OpenFlags(ctx, p.TenantID, id); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, &errs.Error{Kind: errs.Conflict, MsgKey: "testimonies.error.open_flags", Args: []any{n},
			Msg: "resolve every redaction flag before exporting"}
	}
	segs, err := s.Segments(ctx, p, requestID, id, lang)
	if err != nil {
		return nil, err
	}
	out := make([]subtitles.Segment, len(segs))
	for i, sg := range segs {
		out[i] = subtitles.Segment{Start: sg.Start, End: sg.End, Text: sg.Text}
	}
	var b bytes.Buffer
	if f == subtitles.WebVTT {
		err = subtitles.WriteVTT(&b, out)
	} else {
		err = subtitles.WriteSRT(&b, out)
	}
	return b.Bytes(), errs.Wrap(err, "testimonies: export")
}

// SetThemes tags one segment with themes from Themes.
func (s *Service) SetThemes(ctx context.Context, p *authz.Principal, requestID, id, lang string, idx int, themes []string) error {
	if err := check(PermWrite, p); err != nil {
		return err
	}
	var keep []string
	for _, th := range themes {
		if slices.Contains(Themes, th) && !slices.Contains(keep, th) {
			keep = append(keep, th)
		} else if th != "" && !slices.Contains(Themes, th) {
			return invalid("themes", "testimonies.error.theme", "unknown theme")
		}
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE testimony_segments SET themes = ? WHERE tenant_id = ? AND testimony_id = ? AND language = ? AND idx = ?`,
			strings.Join(keep, ","), p.TenantID, id, lang, idx)
		if err != nil {
			return errs.Wrap(err, "testimonies: themes")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &errs.Error{Kind: errs.NotFound, MsgKey: "testimonies.error.segment", Msg: "no such segment"}
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "testimony.themes", id))
		return err
	})
}

// Flags lists the testimony's flags, open first, opening each match (audited).
func (s *Service) Flags(ctx context.Context, p *authz.Principal, requestID, id string) ([]Flag, error) {
	if err := check(PermRead, p); err != nil {
		return nil, err
	}
	t, err := s.Get(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	var out []Flag
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, language, idx, span_start, span_end, kind, match, status, reason, COALESCE(resolved_by, ''), COALESCE(resolved_at, 0)
			FROM testimony_flags WHERE tenant_id = ? AND testimony_id = ? ORDER BY CASE status WHEN 'open' THEN 0 ELSE 1 END, language, idx, span_start`, p.TenantID, id)
		if err != nil {
			return errs.Wrap(err, "testimonies: flags")
		}
		type raw struct {
			f      Flag
			sealed []byte
			at     int64
		}
		var list []raw
		for rows.Next() {
			var r raw
			if err := rows.Scan(&r.f.ID, &r.f.Language, &r.f.Index, &r.f.Start, &r.f.End, &r.f.Kind, &r.sealed, &r.f.Status, &r.f.Reason, &r.f.ResolvedBy, &r.at); err != nil {
				rows.Close()
				return errs.Wrap(err, "testimonies: flags")
			}
			list = append(list, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return errs.Wrap(err, "testimonies: flags")
		}
		for _, r := range list {
			pt, err := s.vault.Open(ctx, tx, flagRef(t, r.f.ID), r.sealed)
			if err != nil {
				return err
			}
			r.f.Match = string(pt)
			if r.f.Status == FlagOpen {
				r.f.Match = Masked // see Masked: the words stay hidden until resolved
			}
			if r.at != 0 {
				r.f.ResolvedAt = store.FromMillis(r.at)
			}
			out = append(out, r.f)
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "testimony.flags_read", id))
		return err
	})
	if out == nil {
		out = []Flag{}
	}
	return out, err
}

// OpenFlags counts the flags not yet resolved: none may remain at release.
func (s *Service) OpenFlags(ctx context.Context, tenantID, id string) (int, error) {
	var n int
	err := s.db.Reader().QueryRow(ctx, `SELECT COUNT(*) FROM testimony_flags WHERE tenant_id = ? AND testimony_id = ? AND status = ?`,
		tenantID, id, FlagOpen).Scan(&n)
	return n, errs.Wrap(err, "testimonies: open flags")
}

// ResolveFlag resolves a flag: "redacted" replaces its words in the segment with
// Redacted (the segment's other open flags are raised again on the new text),
// "accepted" keeps them, with a reason a second reader can judge.
func (s *Service) ResolveFlag(ctx context.Context, p *authz.Principal, requestID, id, flagID, action, reason string) error {
	if err := check(PermWrite, p); err != nil {
		return err
	}
	if action != FlagRedacted && action != FlagAccepted {
		return invalid("action", "testimonies.error.action", `choose "redacted" or "accepted"`)
	}
	reason = strings.TrimSpace(reason)
	if action == FlagAccepted && len([]rune(reason)) < 5 {
		return invalid("reason", "testimonies.error.reason", "say why it may stay, in a few words")
	}
	if len([]rune(reason)) > 1000 {
		return invalid("reason", "testimonies.error.reason", "say why it may stay, in a few words")
	}
	t, err := s.Get(ctx, p.TenantID, id)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var lang, status string
		var idx, a, b int
		err := tx.QueryRow(ctx, `SELECT language, idx, span_start, span_end, status FROM testimony_flags WHERE tenant_id = ? AND testimony_id = ? AND id = ?`,
			p.TenantID, id, flagID).Scan(&lang, &idx, &a, &b, &status)
		if err != nil {
			return &errs.Error{Kind: errs.NotFound, MsgKey: "testimonies.error.flag", Msg: "no such flag"}
		}
		if status != FlagOpen {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "testimonies.error.resolved", Msg: "this flag was resolved already"}
		}
		at := store.Millis(s.now())
		if _, err := tx.Exec(ctx, `UPDATE testimony_flags SET status = ?, reason = ?, resolved_by = ?, resolved_at = ? WHERE tenant_id = ? AND id = ?`,
			action, reason, p.UserID, at, p.TenantID, flagID); err != nil {
			return errs.Wrap(err, "testimonies: resolve flag")
		}
		if action == FlagRedacted {
			if err := s.redact(ctx, tx, t, lang, idx, a, b); err != nil {
				return err
			}
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "testimony.flag_"+action, flagID))
		return err
	})
}

// redact replaces text[a:b] of one segment with Redacted.
func (s *Service) redact(ctx context.Context, tx *store.Tx, t Testimony, lang string, idx, a, b int) error {
	var sealedText []byte
	if err := tx.QueryRow(ctx, `SELECT text FROM testimony_segments WHERE tenant_id = ? AND testimony_id = ? AND language = ? AND idx = ?`,
		t.TenantID, t.ID, lang, idx).Scan(&sealedText); err != nil {
		return errs.Wrap(err, "testimonies: read segment")
	}
	raw, err := s.vault.Open(ctx, tx, segRef(t, lang, idx), sealedText)
	if err != nil {
		return err
	}
	old := string(raw)
	if a < 0 || b > len(old) || a > b {
		return errs.E(errs.Internal, "testimonies: a flag points outside its segment")
	}
	text := old[:a] + Redacted + old[b:]
	sealed, err := s.vault.Seal(ctx, tx, segRef(t, lang, idx), []byte(text))
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE testimony_segments SET text = ? WHERE tenant_id = ? AND testimony_id = ? AND language = ? AND idx = ?`,
		sealed, t.TenantID, t.ID, lang, idx); err != nil {
		return errs.Wrap(err, "testimonies: redact")
	}
	// The other flags of this segment keep their identity: those after the span
	// move by the change in length (flags never overlap).
	delta := len(Redacted) - (b - a)
	if _, err := tx.Exec(ctx, `UPDATE testimony_flags SET span_start = span_start + ?, span_end = span_end + ?
		WHERE tenant_id = ? AND testimony_id = ? AND language = ? AND idx = ? AND span_start >= ?`,
		delta, delta, t.TenantID, t.ID, lang, idx, b); err != nil {
		return errs.Wrap(err, "testimonies: move flags")
	}
	return nil
}
